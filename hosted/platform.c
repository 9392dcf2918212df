/*
 * The hosted platform's machine (platform.h), the parts that are not
 * memory (mem.c), time (time.c), devices (dev.c), the extension window
 * (extwin.c), address spaces (space.c), processes (proc.c) or the entry
 * loop (loop.c): bring-up, one CPU, and the hardware test hooks refused.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/thread.h"
#include "../guest/core/trace.h"
#include "../vmm/machine.h"
#include "hosted.h"

struct hosted hosted;

struct percpu *
this_cpu(void)
{
	return &cpus[0];
}

void
arch_init(const struct exo_bootinfo *bi)
{
	(void)bi;
	/* The CPUs' state is their trace rings, which the VMM's trace drains
	 * by physical address (vmm/vtrace.c): all of it in the memfd. */
	hosted_static_remap(cpus, sizeof(cpus));
	cpus[0].online = true;
	hosted_dev_init();
}

void
arch_halt(void)
{
	longjmp(hosted.out, 2);
}

/*
 * A panic's registers: the kernel's own, here exo's (its code and stack),
 * with the selectors Linux runs it under. No control registers: cr2 and
 * cr3 stay 0 (the faulting address of a user fault is in its trap frame).
 */
__attribute__((noinline)) void
arch_regs_capture(struct exo_regs *r)
{
	u16 cs, ss;

	memset(r, 0, sizeof(*r));
	__asm__ volatile("mov %%rbx, %0; mov %%rbp, %1; mov %%rsp, %2; lea 0(%%rip), %3"
			 : "=m"(r->rbx), "=m"(r->rbp), "=m"(r->rsp), "=r"(r->rip));
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
	r->cs = cs;
	r->ss = ss;
}

/* One CPU: SMP is refused at the start (hosted/run.c). */
void arch_start_cpus(void) { }
u64 arch_cpu_kstack(u32 cpu) { (void)cpu; return 0; }
void arch_ipi(u32 cpu) { (void)cpu; }
void arch_relax(void) { }
void arch_wait_interrupt(void) { }
/* The queue of each space is carried out before its threads run
 * (loop.c): there is no other TLB to drop. */
void arch_tlb_invalidate(const u64 *va, u32 n) { (void)va, (void)n; }
void arch_tlb_leave(struct percpu *pc) { pc->root = 0; }
void arch_trace_set(bool on) { (void)on; }

/* The hardware test hooks have no meaning here: refused. */
void
arch_ktest_triple_fault(void)
{
	fprintf(stderr, "exo: hosted: a triple fault is a hardware test; this platform "
		"has no CPU tables to lose\n");
	arch_halt();
}

int
arch_ktest_fastpath(u32 sysno, bool on)
{
	(void)sysno, (void)on;
	return -E_INVAL;
}
