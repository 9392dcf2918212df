/*
 * Where the arch layer hands every kernel entry from user mode to the core,
 * and how the core hands back the thread to resume. The IPC fast path is the
 * one way in and out that does not pass here (ipc/fastpath.c); the page-fault
 * fast path passes only through kernel_pagefault_fast.
 */
#include <exo/ipc.h>
#include <exo/layout.h>

#include "../../ipc/fastpath.h"
#include "../../ipc/ipc.h"
#include "bind.h"
#include "env.h"
#include "exocall.h"
#include "ext.h"
#include "kernel.h"
#include "modpage.h"
#include "pagefault_fast.h"
#include "platform.h"
#include "sched.h"
#include "space.h"
#include "syscall.h"
#include "task.h"
#include "tlb.h"
#include "trace.h"

/* What runs after an entry made by prev (id prev_id): doomed threads die,
 * next (if any) is preferred, the scheduler has the last word. */
static struct thread *
leave(struct thread *prev, u64 prev_id, struct thread *next)
{
	struct percpu *pc = this_cpu();     /* a thread never changes CPU in here */
	struct thread *t;

	sched_poll();
	task_reap();
	tlb_batch_flush();      /* what this entry unmapped is gone everywhere */
	if (next && next != pc->cur && HOME_OF(next) != pc) {
		/* Homed elsewhere: it runs there (sched_ready wakes that CPU). */
		if (next->state == TS_READY)
			sched_ready(next);
		next = 0;
	}
	if (next && next != pc->cur && next->state == TS_READY &&
	    !(next->flags & (TF_HALT | TF_DOOMED))) {
		/* Direct switch: prev blocked (or, after an asynchronous PCT,
		 * goes to the queue), next runs on without the queue. The IPC
		 * core offers next only as priorities allow (sched_direct_ok). */
		struct thread *old = pc->cur;

		pc->cur = next;
		if (old && old->state == TS_READY)
			sched_ready(old);
	}
	t = sched_next();
	/* Also when idling left t's space (tlb.h: an idle CPU loads no user space). */
	if (t != prev || t->id != prev_id || pc->root != t->root) {
		if (__builtin_expect(((prev ? prev->flags : 0) | t->flags) & (TF_EXT | TF_CKPT), 0))
			ext_thread_switch(prev, prev_id, t);
		sched_switch(t);
	}
	return t;
}

struct thread *
kernel_syscall(struct thread *t)
{
	u64 id = t->id;         /* before the call: t may die and its slot be reused */

	return leave(t, id, syscall_dispatch(t));
}

struct thread *
kernel_ipc(struct thread *t)
{
	u64 id = t->id;

	return leave(t, id, ipc_syscall(t));
}

/* The page-fault error code to the access and to the fault message's tag
 * (pagefault_fast.h): a fetch is EXO_X, else a write EXO_W, else EXO_R. */
#define PF_ACCESS(e)    ((e) & 0x10 ? EXO_X : (e) & 0x2 ? EXO_W : EXO_R)
#define PF_TAG(e)       EXO_TAG(EXO_LABEL_PF(PF_ACCESS(e)), 2, 0)
#define PF_T4(F, e)     F(e), F(e + 1), F(e + 2), F(e + 3)
#define PF_T16(F, e)    PF_T4(F, e), PF_T4(F, e + 4), PF_T4(F, e + 8), PF_T4(F, e + 12)
const u8 pf_access[32] = { PF_T16(PF_ACCESS, 0), PF_T16(PF_ACCESS, 16) };
const u64 pf_tag[32] = { PF_T16(PF_TAG, 0), PF_T16(PF_TAG, 16) };

struct thread *
kernel_pagefault_fast(struct thread *t, u64 addr, u64 error)
{
	return pagefault_fast_entry(t, addr, error);
}

/* #GP: what the CPU raises delivering to an entry that is not a user
 * address (upcall_entry_bad). */
#define VECTOR_GP 13

struct thread *
kernel_exception(struct thread *t, u64 vector, u64 error, u64 addr)
{
	struct thread *next = t;
	u64 id = t->id, bad;

	if (vector == 14 && t->space->sigma0 && sigma0_root(t->space, EXO_PAGE_DOWN(addr)) == 0) {
		TRACE_K(PAGEFAULT, EXO_TRACE_PF_SIGMA0);
		return leave(t, id, t);         /* σ0 touched its own window */
	}
	if (vector == 14 && t->space->mod && modpage_fault(t->space, addr) == 0) {
		TRACE_K(PAGEFAULT, EXO_TRACE_PF_MODULE);
		return leave(t, id, t);         /* a task touched its module's page */
	}
	if (vector == 14 && stlb_fault(t->space, EXO_PAGE_DOWN(addr), fault_access(error))) {
		TRACE_K(PAGEFAULT, EXO_TRACE_PF_STLB);
		return leave(t, id, t);         /* a binding the software TLB holds */
	}
	/*
	 * The page-fault event: after the refills above, which are caches of
	 * what the environment bound (no fault of its own: no upcall either,
	 * and the entry code's refill, entry.S, stays as short as it was),
	 * before everything that tells the environment or its pager.
	 */
	if (vector == 14 && ext_pf_hooks && ext_pagefault_raise(t, addr, error)) {
		TRACE_K(PAGEFAULT, EXO_TRACE_PF_EXT);
		return leave(t, id, t);         /* an extension resolved it: retry */
	}
	bad = upcall_entry_bad(t, vector);
	if (bad) {
		thread_doom(t, VECTOR_GP, 0, bad, bad);
		return leave(t, id, t);         /* as the CPU's delivery: #GP */
	}
	if (upcall_exception(t, vector, error, addr)) {
		if (vector == 14)
			TRACE_K(PAGEFAULT, EXO_TRACE_PF_UPCALL);
		return leave(t, id, t);         /* the environment's own handler */
	}
	if (vector == 14 &&
	    ipc_pagefault(t, addr, t->ctx.rip, fault_access(error), &next)) {
		TRACE_K(PAGEFAULT, EXO_TRACE_PF_PAGER);
	} else {
		if (vector == 14)
			TRACE_K(PAGEFAULT, EXO_TRACE_PF_KILL);
		thread_doom(t, vector, error, addr, t->ctx.rip);
	}
	return leave(t, id, next);
}

struct thread *
kernel_resume(struct thread *t)
{
	return leave(t, t->id, t);
}

struct thread *
kernel_evicted(void)
{
	return leave(0, 0, 0);
}
