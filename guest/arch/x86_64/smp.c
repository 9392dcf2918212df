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

void
smp_init(const struct exo_bootinfo *bi)
{
	u32 n = bi->ncpus ? bi->ncpus : 1;

	if (n > NCPUS_MAX)
		panic("boot info: %u CPUs, the kernel supports %u", n, NCPUS_MAX);
	for (u32 i = 1; i < n; i++)
		cpus[i].id = i;
	cpus[0].online = true;
	ncpus = n;
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
