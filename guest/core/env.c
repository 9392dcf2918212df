/*
 * Environments (env.h): entry points, capabilities for environments, the
 * exception upcall, and what dies with an environment or a capability.
 */
#include "env.h"

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>

#include "bind.h"
#include "cap.h"
#include "frame.h"
#include "kernel.h"
#include "revoke.h"
#include "sched.h"
#include "thread.h"

void
cap_release(struct cap *c)
{
	struct env *e = cap_env(c);

	switch (c->type) {
	case EXO_CAP_FRAME:
		if (c->va)
			bind_break(c);
		if (c->flags & CAPF_OWNED) {
			frame_free(c->object);
			e->frames--;
			revoke_frame_returned(e);
		}
		break;
	default:
		break;
	}
}

void
env_destroy(struct space *s)
{
	struct env *e = env_of(s);

	for (u32 i = 0; i < EXO_NCAPS && e->ncaps; i++)
		if (e->caps[i].type != EXO_CAP_NONE)
			cap_destroy(&e->caps[i]);
	cap_destroy_object(EXO_CAP_ENV, s->index);
	for (u32 i = 0; i < EXO_STLB_ENTRIES && e->stlb_live; i++)
		if (e->stlb[i].tag & STLB_VALID) {
			e->stlb[i] = (struct stlb_entry){ 0 };
			e->stlb_live--;
		}
	for (u32 i = 0; i <= EXO_ENTRY_REVOKE; i++)
		e->entry[i] = (struct env_entry){ 0 };
	e->upcall_pending = 0;
	revoke_env_destroy(e);
	e->frames = e->reserve = 0;
	e->stlb_hits = e->stlb_misses = 0;
}

/* The exception frame in t's UTCB (<exo/exo.h>), as the kernel sees it. */
static struct exo_xframe *
xframe(struct thread *t)
{
	return (struct exo_xframe *)((u8 *)t->utcb + EXO_UTCB_XFRAME);
}

/*
 * env_entry(kind, pc, sp): register an entry point (<exo/exo.h>). pc 0
 * unregisters. The kernel does not check pc and sp beyond their being user
 * addresses: a bad one faults in the environment's own thread.
 *   -E_INVAL   kind unknown, or pc or sp not a user address
 */
i64
env_entry(struct thread *t, u64 kind, u64 pc, u64 sp)
{
	struct env *e = env_of(t->space);

	if (kind < EXO_ENTRY_EXCEPTION || kind > EXO_ENTRY_REVOKE ||
	    pc >= EXO_USER_END || sp >= EXO_USER_END)
		return -E_INVAL;
	if (kind == EXO_ENTRY_EXCEPTION) {
		struct exo_xframe *x = xframe(t);

		x->entry_pc = pc;
		x->entry_sp = sp;
		x->vector = 0;
		arch_thread_upcalls(t, pc != 0);
		return 0;
	}
	e->entry[kind] = (struct env_entry){ .tid = pc ? t->id : 0, .pc = pc, .sp = sp };
	return 0;
}

/*
 * Deliver an exception to t's own handler: the faulting state into its
 * UTCB's exception frame, t resumes at the entry. This is the portable path
 * (the arch layer delivers most exceptions itself, with the same result);
 * false if t has no entry, or its frame is busy (a fault in its handler).
 */
bool
upcall_exception(struct thread *t, u64 vector, u64 error, u64 addr)
{
	struct exo_xframe *x = xframe(t);

	if (vector >= 32 || !(EXO_UPCALL_VECTORS >> vector & 1) || !x->entry_pc ||
	    x->entry_pc >= EXO_USER_END || x->vector)
		return false;
	x->vector = vector;
	x->rax = t->ctx.rax;
	x->cr2 = addr;
	x->error = error;
	x->rip = t->ctx.rip;
	x->cs = t->ctx.cs;
	x->rflags = t->ctx.rflags;
	x->rsp = t->ctx.rsp;
	x->ss = t->ctx.ss;
	t->ctx.rip = x->entry_pc;
	t->ctx.rsp = x->entry_sp;
	t->ctx.rflags = 0x202;
	if (vector == 14)
		t->ctx.rax = addr;
	return true;
}

/*
 * env_cap(tid, rights): an ENV capability for the space of thread tid, which
 * must be the caller's own space or one it created (directly or not).
 *   -E_NOENT   no such thread
 *   -E_PERM    tid's space is neither the caller's nor a descendant
 *   -E_INVAL   rights beyond EXO_CAP_ALL
 *   -E_NOMEM   the caller's capability table is full
 */
i64
env_cap(struct thread *t, u64 tid, u64 rights)
{
	struct thread *d = thread_lookup(tid);
	struct space *s;
	exo_cap_t c;
	int r;

	if (rights & ~(u64)EXO_CAP_ALL)
		return -E_INVAL;
	if (!d || tid < EXO_TID(THREAD_FIRST, 0))
		return -E_NOENT;
	for (s = d->space; s && s != t->space; s = s->parent)
		;
	if (!s)
		return -E_PERM;
	r = cap_new(env_of(t->space), EXO_CAP_ENV, (u32)rights, d->space->index, 0, &c);
	return r < 0 ? r : (i64)c;
}

/* Which entry point runs each upcall. */
static const u8 upcall_entry[UPCALL_KINDS] = {
	[EXO_UPCALL_SLICE_START] = EXO_ENTRY_SLICE,
	[EXO_UPCALL_SLICE_END]   = EXO_ENTRY_SLICE,
	[EXO_UPCALL_REVOKE]      = EXO_ENTRY_REVOKE,
	[EXO_UPCALL_REPOSSESS]   = EXO_ENTRY_REVOKE,
};

/* t (waiting, or in upcall_wait now) starts upcall kind at its entry point. */
static void
upcall_start(struct thread *t, const struct env_entry *ent, u32 kind, u64 a1, u64 a2)
{
	t->ctx.rip = ent->pc;
	t->ctx.rsp = ent->sp;
	t->ctx.rflags = 0x202;
	t->ctx.rdi = kind;
	t->ctx.rsi = a1;
	t->ctx.rdx = a2;
}

struct thread *
upcall_deliver(struct env *e, u32 kind, u64 a1, u64 a2)
{
	const struct env_entry *ent;
	struct thread *t;

	kassert(kind > 0 && kind < UPCALL_KINDS);
	ent = &e->entry[upcall_entry[kind]];
	t = ent->tid ? thread_lookup(ent->tid) : 0;
	if (!t || t->space != env_space(e))
		return 0;
	if (t->state != TS_UPCALL_WAIT) {
		e->upcall_pending |= 1u << kind;
		e->upcall_args[kind][0] = a1;
		e->upcall_args[kind][1] = a2;
		return t;
	}
	upcall_start(t, ent, kind, a1, a2);
	t->state = TS_READY;
	sched_ready(t);
	return t;
}

/*
 * upcall_wait(): the calling entry thread has finished an upcall; it starts
 * the next one held for any of its entries at once (the lowest kind first),
 * or waits for one. It never returns to its caller.
 *   -E_PERM   the caller is no entry thread of its environment
 */
i64
upcall_wait(struct thread *t)
{
	struct env *e = env_of(t->space);
	u32 mine = 0, ready;

	for (u32 k = 1; k < UPCALL_KINDS; k++)
		if (e->entry[upcall_entry[k]].tid == t->id)
			mine |= 1u << k;
	if (!mine)
		return -E_PERM;
	ready = e->upcall_pending & mine;
	if (ready) {
		u32 k = (u32)__builtin_ctz(ready);

		e->upcall_pending &= ~(1u << k);
		upcall_start(t, &e->entry[upcall_entry[k]], k, e->upcall_args[k][0],
			     e->upcall_args[k][1]);
		return (i64)k;          /* rax is the upcall's: not the caller's */
	}
	t->state = TS_UPCALL_WAIT;
	return 0;
}
