/*
 * The hosted platform's machine (platform.h), the parts that are not
 * memory (mem.c), time (time.c), devices (dev.c), the extension window
 * (extwin.c), address spaces (space.c), processes (proc.c) or the entry
 * loop (loop.c) or the CPUs (cpu.c): bring-up and the hardware test hooks
 * refused.
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

void
arch_init(const struct exo_bootinfo *bi)
{
	/* The CPUs' state is their trace rings, which the VMM's trace drains
	 * by physical address (vmm/vtrace.c): all of it in the memfd. */
	hosted_static_remap(cpus, sizeof(cpus));
	ncpus = bi->ncpus ? bi->ncpus : 1;      /* run.c: at most NCPUS_MAX */
	for (u32 i = 0; i < ncpus; i++)
		cpus[i].id = i;
	cpus[0].online = true;
	hosted_dev_init();
}

void
arch_halt(void)
{
	hosted_end(2);
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
