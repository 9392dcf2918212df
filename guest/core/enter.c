/*
 * Where the arch layer hands every kernel entry from user mode to the core,
 * and how the core hands back the thread to resume. The IPC fast path is the
 * one way in and out that does not pass here (ipc/fastpath.c).
 */
#include <exo/ipc.h>
#include <exo/layout.h>

#include "../../ipc/ipc.h"
#include "bind.h"
#include "exocall.h"
#include "kernel.h"
#include "platform.h"
#include "sched.h"
#include "space.h"
#include "syscall.h"
#include "task.h"
#include "trace.h"

/* What runs after an entry made by prev (id prev_id): doomed threads die,
 * next (if any) is preferred, the scheduler has the last word. */
static struct thread *
leave(struct thread *prev, u64 prev_id, struct thread *next)
{
	struct thread *t;

	task_reap();
	if (next && next != current && next->state == TS_READY &&
	    !(next->flags & (TF_HALT | TF_DOOMED))) {
		/* Direct switch: prev blocked, next runs on without the queue. */
		if (current && current->state == TS_READY)
			sched_ready(current);
		current = next;
	}
	t = sched_next();
	if (t != prev || t->id != prev_id)
		sched_switch(t);
	return t;
}

struct thread *
kernel_syscall(struct thread *t)
{
	u64 id = t->id;         /* before the call: t may die and its slot be reused */

	return leave(t, id, syscall_dispatch(t));
}

/* Page-fault error code: bit 1 write, bit 4 instruction fetch. */
static u32
fault_access(u64 error)
{
	if (error & 0x10)
		return EXO_X;
	return error & 0x2 ? EXO_W : EXO_R;
}

struct thread *
kernel_exception(struct thread *t, u64 vector, u64 error, u64 addr)
{
	struct thread *next = t;
	u64 id = t->id;

	if (vector == 14 && t->space->sigma0 && sigma0_root(t->space, EXO_PAGE_DOWN(addr)) == 0) {
		TRACE_SAB(PAGEFAULT, EXO_TRACE_PF_SIGMA0, addr, t->ctx.rip);
		return leave(t, id, t);         /* σ0 touched its own window */
	}
	if (vector == 14 && stlb_fault(t->space, EXO_PAGE_DOWN(addr), fault_access(error))) {
		TRACE_SAB(PAGEFAULT, EXO_TRACE_PF_STLB, addr, t->ctx.rip);
		return leave(t, id, t);         /* a binding the software TLB holds */
	}
	if (upcall_exception(t, vector, error, addr)) {
		if (vector == 14)
			TRACE_SAB(PAGEFAULT, EXO_TRACE_PF_UPCALL, addr, t->ctx.rip);
		return leave(t, id, t);         /* the environment's own handler */
	}
	if (vector == 14 &&
	    ipc_pagefault(t, addr, t->ctx.rip, fault_access(error), &next)) {
		TRACE_SAB(PAGEFAULT, EXO_TRACE_PF_PAGER, addr, t->ctx.rip);
	} else {
		if (vector == 14)
			TRACE_SAB(PAGEFAULT, EXO_TRACE_PF_KILL, addr, t->ctx.rip);
		thread_doom(t, vector, error, addr, t->ctx.rip);
	}
	return leave(t, id, next);
}

struct thread *
kernel_resume(struct thread *t)
{
	return leave(t, t->id, t);
}
