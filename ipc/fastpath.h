/*
 * The page-fault fast path, both halves inline: the fault half in the
 * core's #PF entry (kernel_pagefault_fast, guest/core/enter.c), the reply
 * half in the arch layer's (guest/arch/x86_64/pfmap.c), so that neither
 * costs a call. The short-message IPC fast path is in fastpath.c.
 */
#ifndef IPC_FASTPATH_H
#define IPC_FASTPATH_H

#include <exo/ipc.h>
#include <exo/types.h>

#include "../guest/core/mdb_fast.h"
#include "../guest/core/sched.h"
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
 * t faulted at addr with access (EXO_R/W/X), whose fault message has tag
 * EXO_TAG(EXO_LABEL_PF(access), 2, 0) (the caller's, from a table); t's
 * pager waits in an untimed receive that accepts t, is not halted, is a
 * user thread, is homed on t's CPU (one elsewhere is woken there by the
 * general path), and no ready thread has a higher priority
 * (sched_direct_ok). Then the kernel-made message goes straight into the
 * pager's saved registers and t waits for the reply, exactly as
 * ipc_pagefault does through the queues. t's own registers stay untouched.
 */
static inline struct thread *
ipc_fastpath_fault(struct thread *t, u64 addr, u32 access, u64 tag)
{
	u64 pager = t->pager, id = t->id, ip = t->ctx.rip;
	struct thread *p = &threads[EXO_TID_NO(pager) & (NTHREADS - 1)];

	/* Interrupt threads and t itself are never TS_RECEIVING; threads[0]
	 * (the nil pager's slot) is never used. */
	if (p->id != pager || state_flags(p) != TS_RECEIVING || p->wakeup ||
	    p->prio < sched_ready_top ||        /* sched_direct_ok: t blocks */
	    HOME_OF(p) != HOME_OF(t))           /* it runs only on its home CPU */
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
	p->ctx.r8 = tag;
	p->ctx.r9 = addr;
	p->ctx.r10 = ip;
	current = p;
	return p;
}

/*
 * The reply (ipc_fastpath_map, from the IPC entry when the tag's low bits
 * say one map item): cur, a pager, replies and waits, ipc(to, from,
 * timeouts) with tag (label, u 0, t 2) and the item w0, fp in MR1, MR2, to
 * a thread waiting for cur's reply to its fault and not halted. The item
 * maps one 4 KiB page that is cur's (a mapping-database node), with at
 * least EXO_R, to a place of the faulting space where nothing is mapped
 * and the page tables exist (mdb_map_fast); the faulting thread is homed
 * on cur's CPU; cur's receive is open (from
 * any), untimed, with nobody queued to send to it; no ready thread has a
 * higher priority than the faulting thread. Then cur blocks
 * receiving and the faulting thread runs on with all its registers as they
 * were: the general path (ipc_syscall, transfer, fault_reply, mdb_map,
 * receive_block) gives the same result. Everything else returns NULL, and
 * the general path runs.
 *
 * The entry code saved cur's registers but rbx, r12-r15 in its frame, so
 * the tag (MR0) is read from there: w0 and fp take its argument register.
 *
 * Inline, so that the kernel's arch layer can compile it into its entry
 * with its own map of one page and its own register convention
 * (guest/arch/x86_64/pfmap.c); the unit tests call it as it is.
 */
static inline struct thread *
ipc_fastpath_map(u64 to, u64 from, u64 timeouts, struct thread *cur, u64 w0, u64 fp)
{
	struct thread *dst = &threads[EXO_TID_NO(to) & (NTHREADS - 1)];
	u64 page;

	/* cur's flags (TF_EXT: its block is an event) folded into the test
	 * of its send queue: one instruction more, not three. */
	if ((u16)cur->ctx.r8 != EXO_TAG(0, 0, 2) || from != EXO_ANYTHREAD ||
	    ((u64)cur->sendq | cur->flags) || EXO_TIMEOUT_RCV(timeouts) != EXO_TIMEOUT_NEVER)
		return 0;
	/* Invariant: a thread waiting for a fault's reply has no timeout. */
	if (dst->id != to || state_flags(dst) != TS_RECV_FAULT ||
	    dst->partner != cur->id || dst->prio < sched_ready_top ||
	    HOME_OF(dst) != HOME_OF(cur))
		return 0;
	/* A map item of a size-12 fpage whose base is below EXO_USER_END (what
	 * fpage_decode accepts), placed where the complete window puts it. */
	if (EXO_ITEM_TYPE(w0) != EXO_ITEM_MAP ||
	    (fp & (~(EXO_USER_END - 1) | 0x7f0)) != 12 << 4)
		return 0;
	page = w0 & (EXO_USER_END - 1) & ~(EXO_PAGE_SIZE - 1);
	if (page < EXO_USER_MIN ||
	    !mdb_map_fast(cur->space, EXO_FPAGE_BASE(fp), dst->space, page,
			  EXO_FPAGE_RIGHTS(fp)))
		return 0;
	/* Point of no return (the page is mapped): cur waits, dst runs. */
	cur->timeouts = cur->ctx.rdx;  /* not the argument: one register fewer */
	cur->ctx.rdx = 0;
	cur->state = TS_RECEIVING;
	cur->partner = EXO_ANYTHREAD;
	dst->state = TS_READY;
	current = dst;
	mdb_pool_refill();
	return dst;
}

#endif
