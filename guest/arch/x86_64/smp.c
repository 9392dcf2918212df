/*
 * Application processors. The VMM creates bi->ncpus vCPUs; the others wait
 * in the VMM until the boot CPU rings EXO_DOORBELL_START_CPUS, and then each
 * starts directly in 64-bit mode at _start with the boot page tables loaded,
 * rdi the boot info and esi its CPU number (KVM's vCPU id, also its x2APIC
 * id). No INIT-SIPI, no real-mode trampoline: the VMM did what a trampoline
 * would. entry.S puts it on its own stack and calls ap_main.
 */
#include "smp.h"

#include <exo/hostio.h>

#include "../../core/kernel.h"
#include "../../core/percpu.h"
#include "../../core/platform.h"
#include "../../core/sched.h"
#include "../../core/trace.h"
#include "cpu.h"
#include "lapic.h"
#include "mmu.h"
#include "x86.h"

__attribute__((noreturn)) void ap_main(u32 id);

static void smp_patch_up(void);

void
smp_init(const struct exo_bootinfo *bi)
{
	u32 n = bi->ncpus ? bi->ncpus : 1;

	if (n > NCPUS_MAX)
		panic("boot info: %u CPUs, the kernel supports %u", n, NCPUS_MAX);
#ifdef EXO_UP
	if (n > 1)
		panic("boot info: %u CPUs, and this is the uniprocessor kernel: boot "
		      "exo-kernel-smp", n);
#endif
	for (u32 i = 1; i < n; i++)
		cpus[i].id = i;
	cpus[0].online = true;
	ncpus = n;
	if (n == 1)
		smp_patch_up();
}

/*
 * One CPU: no other could ever hold the big lock, so every site that takes
 * it (BKL_TAKE in the entry code, smp_lock) becomes a two-byte jump over
 * its instructions: one instruction instead of two (entry code) or four
 * (C). The release stays (a store). Done before the first lock is taken.
 */
extern const u64 smp_up_patch_start[], smp_up_patch_end[];

static void
smp_patch_up(void)
{
	for (const u64 *p = smp_up_patch_start; p < smp_up_patch_end; p += 2) {
		u8 *at = (u8 *)p[0];
		u64 len = p[1] - p[0];

		if (len < 2 || len - 2 > 127)
			panic("smp_patch_up: a lock site of %lu bytes at %p", len, at);
		at[1] = (u8)(len - 2);
		__atomic_store_n(&at[0], 0xeb, __ATOMIC_RELEASE);  /* jmp rel8 */
	}
}

void
arch_start_cpus(void)
{
	if (ncpus == 1)
		return;
	if (cpu_alloc_stacks(ncpus) < 0)
		panic("out of memory for the stacks of %u CPUs", ncpus);
	arch_host_doorbell(EXO_DOORBELL_START_CPUS);
}

void
ap_main(u32 id)
{
	struct percpu *pc = &cpus[id];
	struct thread *t;

	pc->id = id;
	cpu_init(pc);
	trace_announce();
	mmu_ap_init(pc);
	lapic_init_ap();
	smp_lock();
	pc->online = true;
	if (kopts.verbose)
		kprintf("exo: CPU %u up\n", id);
	t = sched_next();       /* idles, the lock dropped, until there is work */
	sched_switch(t);
	arch_run(t);
}
