/*
 * The scheduler: fixed priorities, round robin within one, and the timeouts
 * of blocked IPC. The running thread is not on the ready queue. IPC switches
 * directly from sender to receiver without touching the queue (L3's direct
 * process switch); a thread that blocks is simply not put back (lazy
 * queueing: it never was on the queue while it ran).
 */
#ifndef CORE_SCHED_H
#define CORE_SCHED_H

#include <exo/ipc.h>
#include <exo/types.h>

#include "percpu.h"
#include "platform.h"
#include "thread.h"

#define SCHED_SLICE_US 10000

/* t may run: TS_READY and on the queue (unless it is current or halted). */
void sched_ready(struct thread *t);
/*
 * L4's direct switch respects priorities: next, woken by an IPC whose
 * caller blocks (call, reply-and-wait, a page fault and its reply), runs at
 * once, without the queue, only if no ready thread has a higher priority;
 * otherwise it joins the ready queue and the scheduler picks
 * (ipc/ipc.c, ipc/fastpath.[ch]). sched_ready_top is the highest priority
 * with a ready thread on this CPU (0: none); a direct switch only goes to a
 * thread homed here. Other direct switches (a protected control transfer)
 * hand the processor over whatever the priorities.
 */
#define sched_ready_top (this_cpu()->sched.ready_top)
static inline bool
sched_direct_ok(const struct thread *next)
{
	return next->prio >= sched_ready_top;
}
/* Take t off the ready queue (it blocks, halts or dies). */
void sched_dequeue(struct thread *t);
/* Block t until now + timeout (a relative EXO_TIMEOUT_US; never: no wakeup). */
void sched_timeout_insert(struct thread *t, u32 timeout);
/* The same at TSC value wakeup (a timer handler's next deadline). */
void sched_timeout_at(struct thread *t, u64 wakeup);
void sched_timeout_remove(struct thread *t);

/* The common cases (no timeout, none pending) without a call. */
static inline void
sched_timeout(struct thread *t, u32 timeout)
{
	t->wakeup = 0;
	if (timeout != EXO_TIMEOUT_NEVER)
		sched_timeout_insert(t, timeout);
}

static inline void
sched_timeout_cancel(struct thread *t)
{
	if (t->wakeup)
		sched_timeout_remove(t);
}
/* Make t the running thread: address space, entry stack, KIP. */
void sched_switch(struct thread *t);
/*
 * The thread to run now (it becomes current; the caller switches to it if it
 * is not the one that entered the kernel): current if it is still ready and
 * not preempted, else the best ready one; idles until one is ready. Never
 * returns NULL: with nothing left that could ever run, the stuck task is ended
 * (task.c) and the next module's starts, or the VM exits.
 */
struct thread *sched_next(void);
/* thread_switch: current gives up the CPU, to dest first if dest is ready. */
void sched_yield_to(struct thread *dest);
/* Timer interrupt: wake expired timeouts, tick interrupt lines, preempt. */
void sched_timer(u64 now);
/*
 * The deadline the one-shot timer is armed for (TSC), 0 when disarmed.
 * Every way back to user mode polls it (sched_poll, or a fast path that
 * declines once it has passed): on a PVM host a thread that enters the
 * kernel in a tight loop keeps the timer's interrupt out for good (KVM never
 * finds the vCPU interruptible), and without the poll its timeouts, slices
 * and preemption would never come. One load and a not-taken branch while
 * nothing is armed. This CPU's (each has its own one-shot timer).
 */
#define sched_deadline (this_cpu()->sched.armed)

static inline bool
sched_overdue(void)
{
	return __builtin_expect(sched_deadline != 0, 0) && arch_now() >= sched_deadline;
}

/* On the way out of the kernel: do the timer's work if its deadline passed. */
static inline void
sched_poll(void)
{
	if (sched_overdue())
		kernel_timer(arch_now());
}

/* Re-arm the one-shot timer for the earliest thing that needs it. */
void sched_arm(void);
/*
 * If the running slice has run out (while nobody else was ready), start a
 * fresh one. For an asynchronous PCT: the target runs on the rest of the
 * caller's slice, and the caller, ready beside it at its priority, would
 * otherwise preempt it at once (now that the timer reaches user code).
 */
void sched_slice_renew(void);
/* The same for CPU cpu: here, or by a request when called elsewhere. CPU 0
 * keeps the tick and the revocation deadlines; each CPU its time-slice
 * vector's marks. */
void sched_arm_cpu(u32 cpu);
/* CPU cpu's scheduler must pick again (whose threads run first changed):
 * here at the end of this kernel entry, elsewhere by a request. */
void sched_reconsider(u32 cpu);
/* An interrupt line needs the periodic tick (EXO_IRQ_TIMER) or not. */
void sched_tick_enable(bool on);
/*
 * t's home CPU becomes cpu (< ncpus): at once if t does not run, else when
 * its CPU next schedules, which it is told to do now.
 */
void sched_set_cpu(struct thread *t, u32 cpu);
/* Microseconds to TSC ticks. */
u64 sched_us_to_tsc(u64 us);

#endif
