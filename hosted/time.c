/*
 * The hosted platform's time: the TSC, the kernel's timer as a deadline
 * the waits of loop.c and arch_idle honour, and the ends of a run
 * (--timeout, signals).
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

u64
arch_now(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

u64
hosted_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/* The TSC's rate against CLOCK_MONOTONIC over 20 ms. */
u64
hosted_measure_tsc_khz(void)
{
	u64 n0 = hosted_mono_ns(), t0 = arch_now(), n1, t1;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	n1 = hosted_mono_ns(), t1 = arch_now();
	return (t1 - t0) * 1000000ULL / (n1 - n0);
}

/*
 * There is no ring 0 here. What the slice grace needs (slice.c) is the
 * cost of the way from the timer to the entry thread's yield, which
 * slice.c puts at SLICE_WAY_INSNS ring-0 instructions: about what
 * pct_async takes, a kernel entry, a switch to another environment's entry
 * thread and that thread's next system call. Here those are crossings:
 * HOSTED_WAY_CROSSINGS of them (the timer's, the switch's resume, the
 * yield's), each measured at boot from its parts (measure.c), spread over
 * the SLICE_WAY_INSNS "instructions" slice.c multiplies by. (An estimate
 * from getppid gave a 35 us grace, which the share case overran three
 * times in a row here.)
 */
#define HOSTED_WAY_CROSSINGS 3
#define SLICE_WAY_INSNS_     900    /* slice.c's SLICE_WAY_INSNS */

u64
arch_insn_mcycles(void)
{
	static u64 mc;

	if (!mc)
		mc = hosted_measure_crossing() * 1000 * HOSTED_WAY_CROSSINGS /
		     SLICE_WAY_INSNS_ + 1;
	return mc;
}

/* Each CPU's timer: the core arms the caller's (another CPU's by a request). */
void
arch_timer_arm(u64 deadline)
{
	hosted_cpu()->deadline = deadline;
}

void
hosted_check_stop(void)
{
	struct vmm *vm = hosted.vm;

	if (hosted.signalled)
		vmm_stop(vm, VMM_INTERRUPTED, 0);
	else if (hosted.stop_ns && hosted_mono_ns() >= hosted.stop_ns)
		vmm_stop(vm, VMM_TIMEOUT, 0);
	if (vm->stop || hosted.ending)
		hosted_end(3);
}

/*
 * Idle with the lock dropped, as a CPU halts: until the timer, console
 * input (CPU 0's) or an IPI, whose requests are answered here; any of them
 * ends the idle (the scheduler looks again). A CPU idling has no space
 * loaded, so no shootdown is sent here.
 */
void
arch_idle(void)
{
	struct percpu *pc = this_cpu();
	struct hcpu *h = hosted_cpu();
	u64 now;

	pc->root = 0;
	pc->idle = true;
	hosted_flush_loaded();
	smp_unlock();
	for (;;) {
		u64 end = hosted_mono_ns() + HOSTED_POLL_NS;

		now = arch_now();
		if (h->deadline && now >= h->deadline)
			break;
		if (pc->id == 0 && __atomic_load_n(&hosted.irq, __ATOMIC_ACQUIRE))
			break;
		if (hosted_ipi_take(h) || __atomic_load_n(&pc->req, __ATOMIC_ACQUIRE)) {
			smp_poll(pc);
			break;
		}
		hosted_check_stop();
		hosted_ptrace_service();
		if (h->deadline) {
			u64 ns = (h->deadline - now) * 1000000ULL / hosted.tsc_khz;

			if (ns < HOSTED_POLL_NS)
				end = end - HOSTED_POLL_NS + ns;
		}
		hosted_cpu_wait(h, NULL, 0, end);
	}
	smp_lock();
	pc->idle = false;
	if (pc->id == 0 && __atomic_exchange_n(&hosted.irq, 0, __ATOMIC_ACQ_REL)) {
		TRACE_S(IRQ, 33);       /* the guest's VEC_CONSOLE (asm.h) */
		kernel_irq(EXO_IRQ_CONSOLE);
	}
	now = arch_now();
	if (h->deadline && now >= h->deadline) {
		h->deadline = 0;
		TRACE_S(IRQ, 32);       /* the guest's VEC_TIMER (asm.h) */
		kernel_timer(now);
	}
}
