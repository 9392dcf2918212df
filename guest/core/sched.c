/*
 * Fixed-priority round-robin scheduling, timeouts and the interrupt tick,
 * per CPU. Each CPU has its own ready queue, timeout list and one-shot timer
 * (struct sched_cpu in percpu.h); a thread is queued, and its timeouts
 * kept, on its home CPU. The timer is armed only for something that needs
 * it: the earliest IPC timeout, the end of the running thread's slice when
 * another thread of its priority waits, the marks of its time-slice
 * vector while some slot of it is owned (slice.c), and on CPU 0 the tick of
 * EXO_IRQ_TIMER when a driver listens to it and revocation deadlines. A
 * benchmark of two threads ping-ponging sees no timer interrupt at all.
 * During an environment's slice on a CPU its ready threads there come
 * first (cpus[c].slice.preferred), then everyone by priority.
 *
 * Whatever changes another CPU's queue or timeouts leaves it a
 * SMP_REQ_RESCHED (sched_kick): an idle CPU wakes, a busy one re-arms its
 * timer and reconsiders its thread at once. All of it runs under the big
 * kernel lock.
 */
#include "sched.h"

#include <exo/ipc.h>

#include "../../ipc/ipc.h"
#include "kernel.h"
#include "percpu.h"
#include "platform.h"
#include "revoke.h"
#include "slice.h"
#include "space.h"
#include "task.h"
#include "trace.h"

_Static_assert(SCHED_NPRIO == PRIO_MAX + 1, "one queue per priority");

static u64 tick_next;   /* 0: no driver on the tick; CPU 0 runs it */

u64
sched_us_to_tsc(u64 us)
{
	/* Unknown rate (no KVM_GET_TSC_KHZ): assume 1 GHz, timeouts run long. */
	u64 khz = kernel_tsc_khz ? kernel_tsc_khz : 1000000;

	return (us * khz + 999) / 1000;
}

/* The highest non-empty priority of sc, or -1: two bit scans, no loop. */
static int
top_prio(const struct sched_cpu *sc)
{
	int w;

	if (!sc->summary)
		return -1;
	w = 63 - __builtin_clzll(sc->summary);
	return w * 64 + 63 - __builtin_clzll(sc->bitmap[w]);
}

static struct sched_cpu *
sc_of(const struct thread *t)
{
	return &cpus[CPU_OF(t)].sched;
}

/* Another CPU must look at its scheduler: wake it if it idles. */
static void
sched_kick(u32 cpu)
{
	if (cpu != THIS_CPU_ID())
		smp_request(cpumask_of(cpu), SMP_REQ_RESCHED, false);
}

/* ... and re-arm its timer, also if it idles (a busy one always does). */
static void
sched_kick_arm(u32 cpu)
{
	cpus[cpu].sched.rearm = true;
	sched_kick(cpu);
}

void
sched_ready(struct thread *t)
{
	struct percpu *pc = &cpus[CPU_OF(t)];
	struct sched_cpu *sc = &pc->sched;
	struct thread **q = &sc->ready[t->prio];

	if (t == pc->cur || t->rnext || t->flags & (TF_HALT | TF_DOOMED))
		return;
	if (!*q) {
		t->rnext = t->rprev = t;
		*q = t;
		sc->bitmap[t->prio / 64] |= 1ULL << (t->prio % 64);
		sc->summary |= 1ULL << (t->prio / 64);
		if (t->prio > sc->ready_top)
			sc->ready_top = t->prio;
	} else {
		t->rnext = *q;
		t->rprev = (*q)->rprev;
		(*q)->rprev->rnext = t;
		(*q)->rprev = t;
	}
	if (pc->cur && (t->prio > pc->cur->prio || pc->slice.preferred))
		sc->preempt = true;     /* a slice: sched_next picks its threads */
	else if (pc->cur && t->prio == pc->cur->prio && pc == this_cpu())
		sched_arm();            /* round robin: current's slice must end */
	if (pc != this_cpu() && (pc->idle || sc->preempt || !pc->cur ||
				 t->prio == pc->cur->prio))
		sched_kick(pc->id);     /* it re-arms or picks (trap_ipi) */
}

void
sched_dequeue(struct thread *t)
{
	struct sched_cpu *sc = sc_of(t);
	struct thread **q = &sc->ready[t->prio];

	if (!t->rnext)
		return;
	if (t->rnext == t) {
		*q = 0;
		sc->bitmap[t->prio / 64] &= ~(1ULL << (t->prio % 64));
		if (!sc->bitmap[t->prio / 64])
			sc->summary &= ~(1ULL << (t->prio / 64));
		if (t->prio == sc->ready_top)
			sc->ready_top = top_prio(sc) < 0 ? 0 : (u32)top_prio(sc);
	} else {
		t->rprev->rnext = t->rnext;
		t->rnext->rprev = t->rprev;
		if (*q == t)
			*q = t->rnext;
	}
	t->rnext = t->rprev = 0;
}


/* Put t on its home CPU's timeout list, to wake at TSC value wakeup. */
static void
timeout_insert(struct thread *t, u64 wakeup)
{
	struct thread **pp = &sc_of(t)->timeouts;

	t->wakeup = wakeup;
	while (*pp && (*pp)->wakeup <= t->wakeup)
		pp = &(*pp)->tnext;
	t->tnext = *pp;
	t->tprev = 0;
	*pp = t;
	if (CPU_OF(t) == THIS_CPU_ID())
		sched_arm();
	else
		sched_kick_arm(CPU_OF(t));
}

void
sched_timeout_at(struct thread *t, u64 wakeup)
{
	timeout_insert(t, wakeup);
}

void
sched_timeout_insert(struct thread *t, u32 timeout)
{
	timeout_insert(t, arch_now() + sched_us_to_tsc(timeout & 0x7fffffff) + 1);
}

void
sched_timeout_remove(struct thread *t)
{
	struct thread **pp;

	if (!t->wakeup)
		return;
	for (pp = &sc_of(t)->timeouts; *pp; pp = &(*pp)->tnext) {
		if (*pp == t) {
			*pp = t->tnext;
			break;
		}
	}
	t->tnext = 0;
	t->wakeup = 0;
}

void
sched_slice_renew(void)
{
	struct sched_cpu *sc = &this_cpu()->sched;
	u64 now = arch_now();

	if (sc->slice_end <= now)
		sc->slice_end = now + sched_us_to_tsc(SCHED_SLICE_US);
}

void
sched_arm_cpu(u32 cpu)
{
	if (cpu == THIS_CPU_ID())
		sched_arm();
	else
		sched_kick_arm(cpu);
}

void
sched_reconsider(u32 cpu)
{
	cpus[cpu].sched.preempt = true;
	sched_kick(cpu);
}

void
sched_tick_enable(bool on)
{
	tick_next = on ? arch_now() + sched_us_to_tsc(EXO_TIMER_IRQ_US) : 0;
	sched_arm_cpu(0);
}

void
sched_arm(void)
{
	struct percpu *pc = this_cpu();
	struct sched_cpu *sc = &pc->sched;
	u64 when = 0;

	if (sc->timeouts)
		when = sc->timeouts->wakeup;
	if (pc->id == 0) {      /* the tick and revocation */
		u64 r = revoke_next_deadline();

		if (tick_next && (!when || tick_next < when))
			when = tick_next;
		if (r && (!when || r < when))
			when = r;
	}
	if (pc->slice.owned) {  /* this CPU's time-slice vector */
		u64 s = slice_deadline();

		if (s && (!when || s < when))
			when = s;
	}
	if (pc->cur && top_prio(sc) >= (int)pc->cur->prio &&
	    (!when || sc->slice_end < when))
		when = sc->slice_end;
	/* Invariant: a CPU is armed while a slot of its vector is owned (the
	 * uniprocessor PCT fast path counts on it). */
	kassert(!pc->slice.owned || when);
	if (when != sc->armed) {
		sc->armed = when;
		arch_timer_arm(when);
	}
}

void
sched_switch(struct thread *t)
{
	struct percpu *pc = this_cpu();

	TRACE_A(THREAD_SWITCH, t->id);
	pc->cur = t;
	arch_thread_switch(t);
}

void
sched_timer(u64 now)
{
	struct percpu *pc = this_cpu();
	struct sched_cpu *sc = &pc->sched;

	sc->armed = 0;
	while (sc->timeouts && sc->timeouts->wakeup <= now) {
		struct thread *t = sc->timeouts;

		sc->timeouts = t->tnext;
		t->tnext = 0;
		t->wakeup = 0;
		ipc_timeout(t);
	}
	if (pc->id == 0 && tick_next && tick_next <= now) {
		tick_next += sched_us_to_tsc(EXO_TIMER_IRQ_US);
		if (tick_next <= now)           /* fell behind: no burst */
			tick_next = now + sched_us_to_tsc(EXO_TIMER_IRQ_US);
		ipc_irq(EXO_IRQ_TIMER);
	}
	slice_timer(now);
	if (pc->id == 0)
		revoke_timer(now);
	if (pc->cur && now >= sc->slice_end && top_prio(sc) >= (int)pc->cur->prio)
		sc->preempt = true;
	sched_arm();
}

void
sched_yield_to(struct thread *dest)
{
	struct sched_cpu *sc = &this_cpu()->sched;

	if (dest && dest != current && dest->state == TS_READY && dest->rnext &&
	    CPU_OF(dest) == THIS_CPU_ID()) {
		sched_dequeue(dest);
		sched_ready(dest);
		sc->ready[dest->prio] = dest;   /* first in its priority */
	}
	sc->preempt = true;
}

/* Move t, which runs nowhere, to cpu with its queue place and its timeout. */
static void
sched_move(struct thread *t, u32 cpu)
{
	bool queued = t->rnext != 0;
	u64 wakeup = t->wakeup;

	sched_dequeue(t);
	sched_timeout_cancel(t);
	t->cpu = cpu;
	t->home = &cpus[cpu];
	t->kstack = arch_cpu_kstack(cpu);
	t->migrate = 0;
	if (wakeup)
		timeout_insert(t, wakeup);
	if (queued)
		sched_ready(t);
}

/*
 * t's home becomes cpu. A thread that runs elsewhere is only marked: its CPU
 * moves it when it next schedules (sched_next), and is told to do so now.
 */
void
sched_set_cpu(struct thread *t, u32 cpu)
{
	struct percpu *old = &cpus[t->cpu];

	if (old->cur == t) {
		t->migrate = cpu + 1;
		old->sched.preempt = true;
		sched_kick(old->id);
		return;
	}
	if (cpu != t->cpu)
		sched_move(t, cpu);
}

/* The first ready thread of the preferred environment (index + 1: pref;
 * highest priority first, queue order within one), else t. */
static struct thread *
ready_preferred(const struct sched_cpu *sc, u32 pref, struct thread *t)
{
	for (int w = (PRIO_MAX + 1) / 64 - 1; w >= 0; w--) {
		for (u64 b = sc->bitmap[w]; b; b &= ~(1ULL << (63 - __builtin_clzll(b)))) {
			struct thread *q = sc->ready[w * 64 + 63 - __builtin_clzll(b)], *x = q;

			do {
				if (x->space->index + 1 == pref)
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
	if (tick_next || slice_owned || revoke_next_deadline())
		return true;
	for (u32 c = 0; c < ncpus; c++)
		if (cpus[c].sched.timeouts || cpus[c].cur ||
		    top_prio(&cpus[c].sched) >= 0)
			return true;
	for (u32 line = 1; line <= EXO_NIRQ; line++)
		if (threads[line].handler)
			return true;
	return false;
}

struct thread *
sched_next(void)
{
	struct percpu *pc = this_cpu();
	struct sched_cpu *sc = &pc->sched;
	struct thread *cur = pc->cur;

	if (cur && cur->migrate) {
		pc->cur = 0;
		sched_move(cur, cur->migrate - 1);
		if (cur->state == TS_READY)
			sched_ready(cur);
		cur = 0;
	}
	if (cur && cur->state == TS_READY && !(cur->flags & (TF_HALT | TF_DOOMED))) {
		if (!sc->preempt)
			return cur;
		pc->cur = 0;
		sched_ready(cur);       /* to the tail of its priority */
	}
	pc->cur = 0;
	sc->preempt = false;
	for (;;) {
		int p = top_prio(sc);

		if (p >= 0) {
			struct thread *t = sc->ready[p];

			if (pc->slice.preferred)
				t = ready_preferred(sc, pc->slice.preferred, t);
			sched_dequeue(t);
			pc->cur = t;
			/* A pick from the queue starts a slice; a thread switched
			 * to directly by IPC runs on the rest of its partner's
			 * (L4's donation, as on the fast path). */
			sc->slice_end = arch_now() + sched_us_to_tsc(SCHED_SLICE_US);
			sched_arm();
			return t;
		}
		pc->cur = 0;
		if (threads_doomed) {   /* an environment aborted while we idled */
			task_reap();
			continue;
		}
		if (!something_pending()) {
			task_stuck();   /* ends tasks until one can run */
		} else {
			/* Another CPU changed what this one's timer must be
			 * armed for (sched_kick_arm): while it idled, or before
			 * this CPU came up. */
			if (!UP_KERNEL && sc->rearm) {
				sc->rearm = false;
				sched_arm();
			}
			TRACE(IDLE);
			arch_idle();
		}
	}
}
