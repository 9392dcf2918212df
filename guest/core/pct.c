/*
 * Protected control transfer (pct.h): the processor goes from the caller
 * to another environment's PCT entry thread, which waits in TS_ENTRY_WAIT
 * (upcall_wait), at its entry pc and sp, with the caller's registers
 * except rax (the caller's environment id), rcx and r11 (zero), rsp, rip.
 * Whose slices the target runs in is the slice vector's business
 * (slice_lend).
 */
#include "pct.h"

#include <exo/error.h>
#include <exo/exo.h>

#include "cap.h"
#include "env.h"
#include "kernel.h"
#include "sched.h"
#include "slice.h"
#include "trace.h"
#include "upcall.h"

/* Start the waiting entry thread d of te's entry kind with the registers of from. */
static void
pct_enter(struct thread *d, const struct env *te, u32 kind, const struct trapframe *from,
	  u64 id)
{
	struct trapframe *c = &d->ctx;

	c->r15 = from->r15, c->r14 = from->r14, c->r13 = from->r13;
	c->r12 = from->r12, c->r10 = from->r10, c->r9 = from->r9;
	c->r8 = from->r8, c->rbp = from->rbp, c->rdi = from->rdi;
	c->rsi = from->rsi, c->rdx = from->rdx, c->rbx = from->rbx;
	c->rax = id;
	c->rcx = 0;
	c->r11 = 0;
	c->rip = te->entry[kind].pc;
	c->rsp = te->entry[kind].sp;
	d->state = TS_READY;
}

/*
 * pct(env cap, flags): protected control transfer (<exo/exo.h>). SYNC: the
 * caller waits for a transfer back (it does not return: that transfer
 * starts it at its entry). ASYNC: returns 0 when the caller next runs.
 *   -E_INVAL   flags other than EXO_PCT_ASYNC
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   cap is not a live ENV capability
 *   -E_PERM    cap lacks EXO_CAP_X; or SYNC from a thread that is not its
 *              environment's PCT entry thread (control could not come back)
 *   -E_NOENT   the target has no PCT entry thread (ASYNC: and no
 *              PCT_ASYNC one, which takes them first)
 *   -E_AGAIN   the target's entry thread is not waiting (it runs, it is
 *              blocked elsewhere, or halted)
 */
_Static_assert(EXO_TRACE_PCT_ASYNC == EXO_PCT_ASYNC, "PCT record flags");

struct thread *
pct_syscall(struct thread *t)
{
	struct env *e = env_of(t->space), *te = 0;
	struct thread *d = 0;
	struct cap *k;
	u64 flags = t->ctx.rsi, id;
	u32 kind = EXO_ENTRY_PCT;
	int err = 0;

	k = cap_get(e, t->ctx.rdi, EXO_CAP_ENV, EXO_CAP_X, &err);
	if (flags & ~(u64)EXO_PCT_ASYNC)
		err = -E_INVAL;
	else if (k) {
		te = &envs[k->object];
		if (flags == EXO_PCT_ASYNC && te->entry[EXO_ENTRY_PCT_ASYNC].tid)
			kind = EXO_ENTRY_PCT_ASYNC;
		d = upcall_thread(te, kind);
		if (!d)
			err = -E_NOENT;
		else if (flags == EXO_PCT_SYNC && e->entry[EXO_ENTRY_PCT].tid != t->id)
			err = -E_PERM;
		else if (d->state != TS_ENTRY_WAIT || d->flags & (TF_HALT | TF_DOOMED))
			err = -E_AGAIN;
	}
	if (err) {
		t->ctx.rax = (u64)(i64)err;
		return t;
	}
	/* Commit point. */
	/* flags: 0 or EXO_PCT_ASYNC. The entry thread is the next KEXIT's. */
	TRACE_SA(PCT, flags, te->index);
	id = e->entry[EXO_ENTRY_PCT].tid ? e->entry[EXO_ENTRY_PCT].tid : t->id;
	pct_enter(d, te, kind, &t->ctx, id);
	if (flags == EXO_PCT_SYNC) {
		t->state = TS_ENTRY_WAIT;
	} else {
		t->ctx.rax = 0;
		sched_slice_renew();
	}
	slice_lend(e, te, flags == EXO_PCT_SYNC);
	return d;
}
