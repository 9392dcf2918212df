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
#include "ext.h"
#include "frame.h"
#include "kernel.h"
#include "revoke.h"
#include "slice.h"
#include "thread.h"
#include "upcall.h"

int
env_cpus_init(void)
{
	u32 pages = (NSPACES * sizeof(struct env_cpu) + EXO_PAGE_SIZE - 1) / EXO_PAGE_SIZE;

	for (u32 c = 1; c < ncpus && c < NCPUS_BUILT; c++) {
		/* Fresh frames are zero: every slot free, nothing held. */
		u64 pa = frame_alloc_run(pages);

		if (!pa)
			return -E_NOMEM;
		cpus[c].env_here = arch_phys_to_virt(pa);
	}
	return 0;
}

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
	case EXO_CAP_SLOT:
		if (!c->parent)         /* the root: the slots are its */
			slice_free(c);
		break;
	case EXO_CAP_EXT:
		if (!c->parent)         /* the root: the extension is its */
			ext_release(c);
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
	for (u32 i = 0; i < ENV_SLOTS_UP; i++)
		*env_slot(e, i) = (struct env_entry){ 0 };
	ext_env_destroy(e);
	upcall_env_destroy(e);
	revoke_env_destroy(e);
	e->frames = e->reserve = 0;
	e->stlb_hits = e->stlb_misses = 0;
	slice_env_destroy(e);
}

/*
 * env_entry(kind, pc, sp): register an entry point (<exo/exo.h>). pc 0
 * unregisters. SLICE is the entry for the caller's CPU. The kernel does not
 * check pc and sp beyond their being user addresses: a bad one faults in
 * the environment's own thread.
 *   -E_INVAL   kind unknown, or pc or sp not a user address
 */
i64
env_entry(struct thread *t, u64 kind, u64 pc, u64 sp)
{
	struct env *e = env_of(t->space);

	if (kind < EXO_ENTRY_EXCEPTION || kind > EXO_ENTRY_LAST ||
	    pc >= EXO_USER_END || sp >= EXO_USER_END)
		return -E_INVAL;
	if (kind == EXO_ENTRY_EXCEPTION) {
		struct exo_xframe *x = thread_xframe(t);

		x->entry_pc = pc;
		x->entry_sp = sp;
		x->vector = 0;
		arch_thread_upcalls(t, pc != 0);
		return 0;
	}
	/* SLICE: the caller's CPU's (env.h). */
	if (kind == EXO_ENTRY_SLICE)
		kind = env_slice_slot(CPU_OF(t));
	*env_slot(e, (u32)kind) = (struct env_entry){
		.tid = pc ? t->id : 0, .pc = pc, .sp = sp,
		.thread_off = pc ? (u32)((t - threads) * sizeof(struct thread)) : 0,
		.env1 = pc ? t->space->index + 1 : 0,
	};
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
	struct exo_xframe *x = thread_xframe(t);
	/* Read once: another CPU's thread of the space may write it. */
	u64 entry = __atomic_load_n(&x->entry_pc, __ATOMIC_RELAXED);

	if (vector >= 32 || !(EXO_UPCALL_VECTORS >> vector & 1) || !entry ||
	    entry >= EXO_USER_END || x->vector)
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
	t->ctx.rip = entry;
	t->ctx.rsp = x->entry_sp;
	t->ctx.rflags = 0x202;
	if (vector == 14)
		t->ctx.rax = addr;
	return true;
}

/*
 * The entry t's exception would go to when it is not a user address (the
 * thread may write its frame as it likes), or 0. <exo/exo.h>: such an entry
 * kills the thread at its next exception. The CPU's delivery makes that a
 * #GP at the entry (entry.S, kfault_gp); the portable path does the same,
 * so the thread dies of it alike on every platform, and a page fault with
 * such an entry is not handed to the thread's pager instead.
 */
u64
upcall_entry_bad(struct thread *t, u64 vector)
{
	const struct exo_xframe *x = thread_xframe(t);
	u64 entry = __atomic_load_n(&x->entry_pc, __ATOMIC_RELAXED);

	if (vector >= 32 || !(EXO_UPCALL_VECTORS >> vector & 1) || x->vector ||
	    entry < EXO_USER_END)
		return 0;
	return entry;
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

