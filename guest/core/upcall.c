/*
 * Entry-thread upcalls (upcall.h): delivery, the held-back queues, and
 * upcall_wait. PCT enters the same waiting threads (pct.c).
 */
#include "upcall.h"

#include <exo/error.h>

#include "kernel.h"
#include "sched.h"
#include "trace.h"

/* Entry slots that take upcalls (env.h): SLICE .. LAST here, the other
 * CPUs' SLICE entries in their tables (EXCEPTION is the thread's own; PCT
 * and PCT_ASYNC take transfers, and nothing is held for them). */
static struct upcall_held held[NSPACES][EXO_ENTRY_LAST + 1];

static struct upcall_held *
held_of(const struct env *e, u32 k)
{
	if (k <= EXO_ENTRY_LAST)
		return &held[e->index][k];
	return &cpus[k - EXO_ENTRY_LAST].env_here[e->index].held;
}

struct thread *
upcall_thread(struct env *e, u32 kind)
{
	u64 tid = env_slot(e, kind)->tid;

	return tid ? thread_lookup(tid) : 0;
}

/* Start the waiting entry thread t at e's entry slot k with the upcall: a
 * CPU's SLICE entry on that CPU (it moves back if it was moved). */
static inline void
upcall_start(struct env *e, u32 k, struct thread *t, u64 up, u64 a1, u64 a2)
{
	const struct env_entry *en = env_slot(e, k);

	if (!UP_KERNEL) {
		int cpu = env_slot_cpu(k);

		if (cpu >= 0 && (u32)cpu != CPU_OF(t))
			sched_set_cpu(t, (u32)cpu);
	}
	t->ctx.rip = en->pc;
	t->ctx.rsp = en->sp;
	t->ctx.rdi = up;
	t->ctx.rsi = a1;
	t->ctx.rdx = a2;
	t->state = TS_READY;
	sched_ready(t);
}

bool
upcall_deliver(struct env *e, u32 kind, u64 up, u64 a1, u64 a2)
{
	struct thread *t = upcall_thread(e, kind);
	struct upcall_held *h = held_of(e, kind);
	u32 i;

	if (!t)
		return false;
	TRACE_SAB(UPCALL, up, e - envs, a1);
	if (t->state == TS_ENTRY_WAIT && !(t->flags & (TF_HALT | TF_DOOMED)) && !h->n) {
		upcall_start(e, kind, t, up, a1, a2);
		return true;
	}
	if (h->n == UPCALL_HELD) {
		/* Full: the newest of the same upcall supersedes the oldest. */
		for (i = 0; i < h->n - 1 && h->q[i].up != up; i++)
			;
		for (; i < h->n - 1; i++)
			h->q[i] = h->q[i + 1];
		h->n--;
	}
	kassert(a1 <= 0xffffffffu);    /* struct upcall_held */
	h->q[h->n].up = (u32)up;
	h->q[h->n].a1 = (u32)a1;
	h->q[h->n].a2 = a2;
	h->n++;
	return true;
}

void
upcall_env_destroy(struct env *e)
{
	for (u32 k = 0; k < ENV_SLOTS_UP; k++)
		held_of(e, k)->n = 0;
}

/* t is e's entry thread of slot k: start the oldest upcall held for it. */
static bool
upcall_take(struct env *e, u32 k, struct thread *t)
{
	struct upcall_held *h = held_of(e, k);

	if (!h->n)
		return false;
	upcall_start(e, k, t, h->q[0].up, h->q[0].a1, h->q[0].a2);
	for (u32 i = 1; i < h->n; i++)
		h->q[i - 1] = h->q[i];
	h->n--;
	return true;
}

/*
 * upcall_wait(): the calling entry thread is done with its upcall; it
 * waits for the next one (an upcall held back starts at once) or for a
 * protected control transfer. It does not return: the next upcall starts it
 * at its entry.
 *   -E_PERM    the caller is none of its environment's entry threads
 */
i64
upcall_wait(struct thread *t)
{
	struct env *e = env_of(t->space);
	bool entry = false;

	for (u32 k = EXO_ENTRY_SLICE; k <= EXO_ENTRY_LAST; k++) {
		if (e->entry[k].tid != t->id)
			continue;
		entry = true;
		if (upcall_take(e, k, t))
			return 0;
	}
	for (u32 c = 1; !UP_KERNEL && c < ncpus; c++) {   /* other CPUs' SLICE */
		if (env_slot(e, env_slice_slot(c))->tid != t->id)
			continue;
		entry = true;
		if (upcall_take(e, env_slice_slot(c), t))
			return 0;
	}
	if (!entry)
		return -E_PERM;
	t->state = TS_ENTRY_WAIT;
	return 0;
}
