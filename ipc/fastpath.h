/*
 * The fault half of the page-fault fast path, inline in the core's #PF entry
 * (kernel_pagefault_fast, guest/core/enter.c) so that it costs no call; the
 * reply half, ipc_fastpath_map, is in fastpath.c with the IPC fast path.
 */
#ifndef IPC_FASTPATH_H
#define IPC_FASTPATH_H

#include <exo/ipc.h>
#include <exo/types.h>

#include "../guest/core/thread.h"

/* A thread's state and flags in one load: TS_x for state x with no flag. */
_Static_assert(__builtin_offsetof(struct thread, flags) ==
	       __builtin_offsetof(struct thread, state) + 4, "state, then flags");
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "state in the low half");
static inline u64
state_flags(const struct thread *t)
{
	u64 v;

	__builtin_memcpy(&v, &t->state, sizeof(v));
	return v;
}

/*
 * t faulted
 * at addr; its pager waits in an untimed receive that accepts t, is not
 * halted, and is a user thread. Then the kernel-made message goes straight
 * into the pager's saved registers and t waits for the reply, exactly as
 * ipc_pagefault does through the queues. t's own registers stay untouched.
 */
static inline struct thread *
ipc_fastpath_fault(struct thread *t, u64 addr, u32 access)
{
	u64 pager = t->pager, id = t->id, ip = t->ctx.rip;
	struct thread *p = &threads[EXO_TID_NO(pager) & (NTHREADS - 1)];

	/* Interrupt threads and t itself are never TS_RECEIVING; threads[0]
	 * (the nil pager's slot) is never used. */
	if (p->id != pager || state_flags(p) != TS_RECEIVING || p->wakeup)
		return 0;
	if (p->partner != id && p->partner != EXO_ANYTHREAD)
		return 0;
	/* Point of no return: t waits for the reply, p runs with the message. */
	t->fault_addr = addr;
	t->fault_ip = ip;
	t->fault_access = access;
	t->state = TS_RECV_FAULT;
	t->partner = pager;
	p->state = TS_READY;
	p->ctx.rax = id;
	p->ctx.rdx = 0;
	p->ctx.r8 = EXO_TAG(EXO_LABEL_PF(access), 2, 0);
	p->ctx.r9 = addr;
	p->ctx.r10 = ip;
	current = p;
	return p;
}

#endif
