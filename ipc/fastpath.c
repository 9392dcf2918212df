/*
 * The IPC fast path, after L3/L4 and seL4's fastpath.c: a short call or
 * reply-and-wait whose partner already waits. The message stays in the CPU
 * registers (the entry code does not even save it), so the whole operation is
 * a few checks and a switch. Every case it does not handle returns NULL
 * before anything is changed, and the caller takes the general path
 * (ipc_syscall), which gives the same result; tests/unit/test_ipc.c runs both
 * on the same cases and compares.
 *
 * Conditions: receive timeout never (the caller will block), a tag with at
 * most EXO_REG_MRS - 1 untyped words, no typed items, no flags; the partner is
 * a user thread blocked in an untimed receive that accepts us, and not halted
 * (exchange_registers: it gets the message but must not run); the caller's
 * receive is closed on that partner (call), or open with nobody queued to
 * send to it (reply-and-wait).
 */
#include "ipc.h"

#include <exo/layout.h>

#include "../guest/core/mdb.h"
#include "transfer.h"

/* u > 7, any typed word, any flag or error bit. */
#define FAST_TAG_MASK 0xfff8ULL
_Static_assert(EXO_REG_MRS == 8, "FAST_TAG_MASK assumes MR1..MR7 in registers");

struct thread *
ipc_fastpath(u64 to, u64 from, u64 timeouts, struct thread *cur, u64 tag)
{
	struct thread *dst = &threads[EXO_TID_NO(to) & (NTHREADS - 1)];

	if (EXO_TIMEOUT_RCV(timeouts) != EXO_TIMEOUT_NEVER || tag & FAST_TAG_MASK)
		return 0;
	if (dst->id != to || dst->state != TS_RECEIVING || dst->wakeup || dst->flags)
		return 0;
	if (dst->partner != cur->id && dst->partner != EXO_ANYTHREAD)
		return 0;
	if (from != to && (from != EXO_ANYTHREAD || cur->sendq))
		return 0;
	/* Point of no return: cur blocks receiving, dst runs with the message. */
	cur->timeouts = timeouts;
	cur->ctx.rdx = 0;       /* its error word, until the receive ends otherwise */
	cur->state = TS_RECEIVING;
	cur->partner = from;
	dst->state = TS_READY;
	dst->ctx.rax = cur->id;
	current = dst;
	return dst;
}

/*
 * The page-fault fast path, both halves of L4's fault IPC.
 *
 * The fault (ipc_fastpath_fault, from the arch layer's #PF entry): t faulted
 * at addr; its pager waits in an untimed receive that accepts t, is not
 * halted, and is a user thread. Then the kernel-made message goes straight
 * into the pager's saved registers and t waits for the reply, exactly as
 * ipc_pagefault does through the queues. t's own registers stay untouched.
 */
struct thread *
ipc_fastpath_fault(struct thread *t, u64 addr, u32 access)
{
	struct thread *p = &threads[EXO_TID_NO(t->pager) & (NTHREADS - 1)];

	/* Interrupt threads and t itself are never TS_RECEIVING; threads[0]
	 * (the nil pager's slot) is never used. */
	if (p->id != t->pager || p->state != TS_RECEIVING || p->wakeup || p->flags)
		return 0;
	if (p->partner != t->id && p->partner != EXO_ANYTHREAD)
		return 0;
	/* Point of no return: t waits for the reply, p runs with the message. */
	t->fault_addr = addr;
	t->fault_ip = t->ctx.rip;
	t->fault_access = access;
	t->state = TS_RECV_FAULT;
	t->partner = p->id;
	p->state = TS_READY;
	p->ctx.rax = t->id;
	p->ctx.rdx = 0;
	p->ctx.r8 = EXO_TAG(EXO_LABEL_PF(access), 2, 0);
	p->ctx.r9 = addr;
	p->ctx.r10 = t->ctx.rip;
	current = p;
	return p;
}

/*
 * The reply (ipc_fastpath_map, from the IPC entry once ipc_fastpath has
 * declined): cur, a pager, replies and waits, ipc(to, any, timeouts) with
 * the tag (0, u 0, t 2) and one map item of one 4 KiB page, to a thread
 * waiting for cur's reply to its fault and not halted. The page must be
 * cur's (a mapping-database node), passed on with at least EXO_R to a place
 * of the faulting space where nothing is mapped and the page tables exist
 * (mdb_map_fast), and cur's receive must be untimed with nobody queued to
 * send to it. Then cur blocks receiving and the faulting thread runs on
 * with all its registers as they were: the general path (ipc_syscall,
 * transfer, fault_reply, mdb_map, receive_block) gives the same result.
 * Everything else returns NULL with nothing changed (the mapping database's
 * node pool may have grown by a frame, which nobody sees).
 */
struct thread *
ipc_fastpath_map(struct thread *cur)
{
	u64 to = cur->ctx.rdi, w0 = cur->ctx.r9, fp = cur->ctx.r10;
	struct thread *dst = &threads[EXO_TID_NO(to) & (NTHREADS - 1)];

	if ((cur->ctx.r8 & 0xffff) != EXO_TAG(0, 0, 2) ||
	    EXO_TIMEOUT_RCV(cur->ctx.rdx) != EXO_TIMEOUT_NEVER ||
	    cur->ctx.rsi != EXO_ANYTHREAD || cur->sendq)
		return 0;
	/* Invariant: a thread waiting for a fault's reply has no timeout. */
	if (dst->id != to || dst->state != TS_RECV_FAULT || dst->partner != cur->id ||
	    dst->flags)
		return 0;
	/* A map item of a size-12 fpage whose base is below EXO_USER_END (what
	 * fpage_decode accepts), placed where the complete window puts it. */
	if (EXO_ITEM_TYPE(w0) != EXO_ITEM_MAP ||
	    (fp & (~(EXO_USER_END - 1) | 0x7f0)) != 12 << 4)
		return 0;
	w0 &= (EXO_USER_END - 1) & ~(EXO_PAGE_SIZE - 1);
	if (w0 < EXO_USER_MIN ||
	    !mdb_map_fast(cur->space, EXO_FPAGE_BASE(fp), dst->space, w0,
			  EXO_FPAGE_RIGHTS(fp)))
		return 0;
	/* Point of no return (the page is mapped): cur waits, dst runs. */
	cur->timeouts = cur->ctx.rdx;
	cur->ctx.rdx = 0;
	cur->state = TS_RECEIVING;
	cur->partner = EXO_ANYTHREAD;
	dst->state = TS_READY;
	current = dst;
	return dst;
}
