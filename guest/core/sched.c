/*
 * Fixed-priority round-robin scheduling, timeouts and the interrupt tick.
 * One CPU. The timer is one-shot and armed only for something that needs it:
 * the earliest IPC timeout, the end of the running thread's slice when
 * another thread of its priority waits, the tick of EXO_IRQ_TIMER when a
 * driver listens to it, the slice vector's marks while some slot is owned
 * (slice.c). A benchmark of two threads ping-ponging sees no timer
 * interrupt at all. During an environment's slice its ready threads come
 * first (slice_preferred), then everyone by priority.
 */
#include "sched.h"

#include <exo/ipc.h>

#include "../../ipc/ipc.h"
#include "kernel.h"
#include "platform.h"
#include "revoke.h"
#include "slice.h"
#include "space.h"
#include "task.h"
#include "trace.h"

static struct {
	struct thread *ready[PRIO_MAX + 1];     /* circular lists, head = next */
	u64 bitmap[(PRIO_MAX + 1) / 64];        /* non-empty priorities */
	u64 summary;                            /* bit w: bitmap[w] != 0 */
	struct thread *timeouts;                /* sorted by wakeup */
	u64 slice_end;
	u64 tick_next;                          /* 0: no driver on the tick */
	bool preempt;
} sc;

/* Invariant: the highest priority with a ready thread, 0 when none (so
 * every thread's priority is >= it then). */
u32 sched_ready_top;
u64 sched_deadline;

u64
sched_us_to_tsc(u64 us)
{
	/* Unknown rate (no KVM_GET_TSC_KHZ): assume 1 GHz, timeouts run long. */
	u64 khz = kernel_tsc_khz ? kernel_tsc_khz : 1000000;

	return (us * khz + 999) / 1000;
}

/* The highest non-empty priority, or -1: two bit scans, no loop. */
static int
top_prio(void)
{
	int w;

	if (!sc.summary)
		return -1;
	w = 63 - __builtin_clzll(sc.summary);
	return w * 64 + 63 - __builtin_clzll(sc.bitmap[w]);
}

void
sched_ready(struct thread *t)
{
	struct thread **q = &sc.ready[t->prio];

	if (t == current || t->rnext || t->flags & (TF_HALT | TF_DOOMED))
		return;
	if (!*q) {
		t->rnext = t->rprev = t;
		*q = t;
		sc.bitmap[t->prio / 64] |= 1ULL << (t->prio % 64);
		sc.summary |= 1ULL << (t->prio / 64);
		if (t->prio > sched_ready_top)
			sched_ready_top = t->prio;
	} else {
		t->rnext = *q;
		t->rprev = (*q)->rprev;
		(*q)->rprev->rnext = t;
		(*q)->rprev = t;
	}
	if (current && (t->prio > current->prio || slice_preferred))
		sc.preempt = true;      /* a slice: sched_next picks its threads */
	else if (current && t->prio == current->prio)
		sched_arm();            /* round robin: current's slice must end */
}

void
sched_dequeue(struct thread *t)
{
	struct thread **q = &sc.ready[t->prio];

	if (!t->rnext)
		return;
	if (t->rnext == t) {
		*q = 0;
		sc.bitmap[t->prio / 64] &= ~(1ULL << (t->prio % 64));
		if (!sc.bitmap[t->prio / 64])
			sc.summary &= ~(1ULL << (t->prio / 64));
		if (t->prio == sched_ready_top)
			sched_ready_top = top_prio() < 0 ? 0 : (u32)top_prio();
	} else {
		t->rprev->rnext = t->rnext;
		t->rnext->rprev = t->rprev;
		if (*q == t)
			*q = t->rnext;
	}
	t->rnext = t->rprev = 0;
}

void
sched_timeout_insert(struct thread *t, u32 timeout)
{
	struct thread **pp = &sc.timeouts;

	t->wakeup = arch_now() + sched_us_to_tsc(timeout & 0x7fffffff) + 1;
	while (*pp && (*pp)->wakeup <= t->wakeup)
		pp = &(*pp)->tnext;
	t->tnext = *pp;
	t->tprev = 0;
	*pp = t;
	sched_arm();
}

void
sched_timeout_remove(struct thread *t)
{
	struct thread **pp;

	for (pp = &sc.timeouts; *pp; pp = &(*pp)->tnext) {
		if (*pp == t) {
			*pp = t->tnext;
			break;
		}
	}
	t->tnext = 0;
	t->wakeup = 0;
}

void
sched_tick_enable(bool on)
{
	sc.tick_next = on ? arch_now() + sched_us_to_tsc(EXO_TIMER_IRQ_US) : 0;
	sched_arm();
}

void
sched_arm(void)
{
	u64 when = 0;

	if (sc.timeouts)
		when = sc.timeouts->wakeup;
	if (sc.tick_next && (!when || sc.tick_next < when))
		when = sc.tick_next;
	if (revoke_next_deadline() && (!when || revoke_next_deadline() < when))
		when = revoke_next_deadline();
	if (current && top_prio() >= (int)current->prio &&
	    (!when || sc.slice_end < when))
		when = sc.slice_end;
	if (slice_owned) {
		u64 s = slice_deadline();

		if (s && (!when || s < when))
			when = s;
	}
	/* Invariant: armed while a slot is owned (the PCT fast path counts on it). */
	kassert(!slice_owned || when);
	if (when != sched_deadline) {
		sched_deadline = when;
		arch_timer_arm(when);
	}
}

void
sched_switch(struct thread *t)
{
	TRACE_A(THREAD_SWITCH, t->id);
	current = t;
	kip_page.kip.cur_utcb = t->utcb_va;
	arch_thread_switch(t);
}

void
sched_timer(u64 now)
{
	sched_deadline = 0;
	while (sc.timeouts && sc.timeouts->wakeup <= now) {
		struct thread *t = sc.timeouts;

		sc.timeouts = t->tnext;
		t->tnext = 0;
		t->wakeup = 0;
		ipc_timeout(t);
	}
	if (sc.tick_next && sc.tick_next <= now) {
		sc.tick_next += sched_us_to_tsc(EXO_TIMER_IRQ_US);
		if (sc.tick_next <= now)        /* fell behind: no burst */
			sc.tick_next = now + sched_us_to_tsc(EXO_TIMER_IRQ_US);
		ipc_irq(EXO_IRQ_TIMER);
	}
	slice_timer(now);
	revoke_timer(now);
	if (current && now >= sc.slice_end && top_prio() >= (int)current->prio)
		sc.preempt = true;
	sched_arm();
}

void
sched_yield(struct thread *dest)
{
	if (dest && dest != current && dest->state == TS_READY && dest->rnext) {
		sched_dequeue(dest);
		sched_ready(dest);
		sc.ready[dest->prio] = dest;    /* first in its priority */
	}
	sc.preempt = true;
}

/* The first ready thread of the preferred environment (highest priority
 * first, queue order within one), else t. */
static struct thread *
ready_preferred(struct thread *t)
{
	for (int w = (PRIO_MAX + 1) / 64 - 1; w >= 0; w--) {
		for (u64 b = sc.bitmap[w]; b; b &= ~(1ULL << (63 - __builtin_clzll(b)))) {
			struct thread *q = sc.ready[w * 64 + 63 - __builtin_clzll(b)], *x = q;

			do {
				if (x->space->index + 1 == slice_preferred)
					return x;
				x = x->rnext;
			} while (x != q);
		}
	}
	return t;
}

/* Could anything ever make a thread ready again? */
static bool
something_pending(void)
{
	if (sc.timeouts || sc.tick_next || slice_owned || revoke_next_deadline())
		return true;
	for (u32 line = 1; line <= EXO_NIRQ; line++)
		if (threads[line].handler)
			return true;
	return false;
}

struct thread *
sched_next(void)
{
	struct thread *cur = current;

	if (cur && cur->state == TS_READY && !(cur->flags & (TF_HALT | TF_DOOMED))) {
		if (!sc.preempt)
			return cur;
		current = 0;
		sched_ready(cur);       /* to the tail of its priority */
	}
	sc.preempt = false;
	for (;;) {
		int p = top_prio();

		if (p >= 0) {
			struct thread *t = sc.ready[p];

			if (slice_preferred)
				t = ready_preferred(t);
			sched_dequeue(t);
			current = t;
			/* A pick from the queue starts a slice; a thread switched
			 * to directly by IPC runs on the rest of its partner's
			 * (L4's donation, as on the fast path). */
			sc.slice_end = arch_now() + sched_us_to_tsc(SCHED_SLICE_US);
			sched_arm();
			return t;
		}
		current = 0;
		if (threads_doomed) {   /* an environment aborted while we idled */
			task_reap();
			continue;
		}
		if (!something_pending()) {
			task_stuck();   /* ends tasks until one can run */
		} else {
			TRACE(IDLE);
			arch_idle();
		}
	}
}
