/*
 * The fault half of the page-fault fast path as the core decides it:
 * kernel_pagefault_fast (enter.c, platform.h) is this, and the arch layer
 * inlines it into its #PF entry (guest/arch/x86_64/pfmap.c).
 */
#ifndef CORE_PAGEFAULT_FAST_H
#define CORE_PAGEFAULT_FAST_H

#include <exo/ipc.h>
#include <exo/types.h>

#include "../../ipc/fastpath.h"
#include "env.h"
#include "ext.h"
#include "sched.h"
#include "space.h"
#include "thread.h"
#include "trace.h"

/*
 * Page-fault error code (bits 0..4: present, write, user, reserved bit,
 * instruction fetch) to the access: a fetch is EXO_X, else a write EXO_W,
 * else EXO_R. A table (enter.c), so the fast path spends a load, not
 * branches.
 */
extern const u8 pf_access[32];
/* And to the fault message's tag: EXO_TAG(EXO_LABEL_PF(access), 2, 0). */
extern const u64 pf_tag[32];

static inline u32
fault_access(u64 error)
{
	return pf_access[error & 31];
}

static inline struct thread *
pagefault_fast(struct thread *t, u64 addr, u64 error)
{
	/* The kernel's own paging (σ0's window, a task's module pages) and
	 * the software TLB come before any pager. */
	struct thread *next;

	if (t->space->kpaged || t->space->env->stlb_live || ext_pf_hooks)
		return 0;       /* (an extension's page-fault event: kernel_exception) */
	next = ipc_fastpath_fault(t, addr, fault_access(error), pf_tag[error & 31]);
	if (next)
		TRACE_KAB(PAGEFAULT, EXO_TRACE_PF_PAGER, addr, t->ctx.rip);
	return next;
}

/* With the timer armed, decline once its deadline has passed: the general
 * path (leave) does its work. Out of line, reached by a tail call. */
static __attribute__((noinline)) struct thread *
pagefault_fast_armed(struct thread *t, u64 addr, u64 error)
{
	if (sched_overdue())
		return 0;
	return pagefault_fast(t, addr, error);
}

/* kernel_pagefault_fast (platform.h): what the #PF entry calls. */
static inline struct thread *
pagefault_fast_entry(struct thread *t, u64 addr, u64 error)
{
	if (__builtin_expect(sched_deadline != 0, 0))
		return pagefault_fast_armed(t, addr, error);
	return pagefault_fast(t, addr, error);
}

#endif
