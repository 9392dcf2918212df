/*
 * Extensions in the kernel (SPIN): loading (check, compile, map), the
 * system-call and page-fault events' handlers and their dispatchers
 * (ext.c); the thread, IPC, timer and interrupt events (ext_events.c);
 * domains (ext_domain.c). <exo/extcall.h> is the user's view; guest/ebpf/
 * the checker and the compiler.
 */
#ifndef CORE_EXT_H
#define CORE_EXT_H

#include <exo/ext.h>
#include <exo/types.h>

#include "thread.h"

struct cap;
struct env;

/*
 * Handlers attached to system calls, all environments together: the
 * dispatcher's one test on the system-call path (syscall.c) is that this
 * is not 0.
 */
extern u32 ext_syscall_hooks;

/* Run the handlers t's environment has for its call (rax); true if one
 * answered it (t->ctx.rax is then the result). */
bool ext_syscall_raise(struct thread *t);

/* Handlers attached to page faults, all environments, and environments
 * with thread or IPC handlers (whose faults must take the general path to
 * raise their events): kernel_exception's (enter.c), the pager fast path's
 * and the software TLB's (entry.S) gate. */
extern u32 ext_pf_hooks;

/* Run the page-fault handlers of t's environment on its fault at addr (the
 * #PF error code); true if one resolved it: t retries the instruction. */
bool ext_pagefault_raise(struct thread *t, u64 addr, u64 error);
/* The context a page-fault handler sees (the #PF error code classified). */
struct ext_pagefault_ctx;
void ext_pf_ctx(struct ext_pagefault_ctx *ctx, u64 addr, u64 ip, u64 error, u32 space);

/*
 * The thread, IPC and interrupt events (ext_events.c): the gate is TF_EXT
 * on the thread, so that with no handler the general path pays one test
 * of a flag word and the fast paths nothing (they refuse flagged threads).
 */
/* Both return what their callers return next (t; 0, transfer's success),
 * so that a call of them is a tail call and the paths without a handler
 * keep no register for them. */
__attribute__((cold)) struct thread *ext_thread_raise(struct thread *t, u32 what);
/* The CPU passes from prev (entered as prev_id; NULL: none) to t: the
 * checkpoint and resume thread events (ext_events.c). */
__attribute__((cold)) void ext_thread_switch(struct thread *prev, u64 prev_id,
					     struct thread *t);
/* A message arrived at dst (its tag in dst's MR0). */
__attribute__((cold)) u32 ext_ipc_raise(struct thread *src, struct thread *dst);
/* t's IPC timeout expired: its environment's timer handlers; true if one
 * answered EXT_HANDLED with a next deadline, for which t waits on. */
bool ext_timer_raise(struct thread *t);
/* The line's handlers; true if one consumed the interrupt. */
bool ext_irq_raise(struct thread *line_thread);
/* A new thread of s: TF_EXT if its environment has thread or IPC handlers. */
u32 ext_thread_flags(const struct space *s);

/* t blocks (EXT_TH_BLOCK) or is woken (EXT_TH_UNBLOCK) in IPC. */
static inline void
ext_thread_event(struct thread *t, u32 what)
{
	if (__builtin_expect(t->flags & TF_EXT, 0))
		ext_thread_raise(t, what);
}

/* The same when the caller returns t next: return ext_thread_event_ret(..). */
static inline struct thread *
ext_thread_event_ret(struct thread *t, u32 what)
{
	if (__builtin_expect(t->flags & TF_EXT, 0))
		return ext_thread_raise(t, what);
	return t;
}

i64 ext_load(struct thread *t, u64 insns, u64 n, u64 event, u64 err, u64 domain);
i64 ext_domain(struct thread *t, u64 op, u64 a, u64 b);
i64 ext_attach(struct thread *t, u64 ext, u64 env, u64 point, u64 guard);
i64 ext_counter(struct thread *t, u64 ext, u64 slot);

/* The root EXT capability c dies: the extension goes (cap_release). */
void ext_release(struct cap *c);
/* Environment e dies: its handlers go. */
void ext_env_destroy(struct env *e);
/* For the self-check: fn for every frame the extensions hold. */
void ext_walk_frames(void (*fn)(u64 pa, void *ctx), void *ctx);

#endif
