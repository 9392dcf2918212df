/*
 * The general IPC path. One system call has a send phase and a receive phase
 * (either may be nil); a thread blocked in either waits in the kernel as pure
 * state, and the partner that completes the rendezvous does the transfer and
 * writes the results into the blocked thread's saved registers.
 *
 * Senders that are not user threads speak through the same queues: a faulting
 * thread sends its page-fault message (TS_SEND_FAULT) and waits for the
 * pager's reply (TS_RECV_FAULT) without its registers being touched; an
 * interrupt thread sends an empty message (TS_IRQ_PENDING) and waits for the
 * driver's acknowledgement (TS_IRQ_ACK).
 */
#include "ipc.h"

#include <exo/error.h>

#include "../guest/core/ext.h"
#include "../guest/core/kernel.h"
#include "../guest/core/sched.h"
#include "../guest/core/trace.h"
#include "irq.h"
#include "transfer.h"

enum send_result { SEND_DONE, SEND_FAILED, SEND_BLOCKED };

/* Threads whose send phase completed and whose receive phase is still to run:
 * a worklist, so a chain of rendezvous never recurses on the kernel stack. */
static struct thread *pending_recv[NTHREADS];
static u32 npending;

void
ipc_set_error(struct thread *t, u32 code, bool recv)
{
	u64 e = EXO_IPC_ERR(code, recv);

	TRACE_SA(IPC_ERROR, e, t->id);
	t->ctx.rdx = e;
	t->ctx.r8 = EXO_TAG_E;
	t->utcb->error = e;
}

void
ipc_sendq_add(struct thread *dst, struct thread *t)
{
	struct thread *head = dst->sendq;

	t->qnext = 0;
	if (!head) {
		t->qprev = t;           /* the head's qprev is the tail */
		dst->sendq = t;
		return;
	}
	t->qprev = head->qprev;
	head->qprev->qnext = t;
	head->qprev = t;
}

static void
sendq_remove(struct thread *dst, struct thread *t)
{
	struct thread *head = dst->sendq;

	if (t == head) {
		dst->sendq = t->qnext;
		if (t->qnext)
			t->qnext->qprev = t->qprev;
	} else {
		t->qprev->qnext = t->qnext;
		if (t->qnext)
			t->qnext->qprev = t->qprev;
		else
			head->qprev = t->qprev;
	}
	t->qnext = t->qprev = 0;
}

static bool
is_sender(u32 state)
{
	return state == TS_SENDING || state == TS_SEND_FAULT || state == TS_IRQ_PENDING;
}

/* Is dst blocked in a receive phase that accepts src? */
bool
ipc_accepts(const struct thread *dst, const struct thread *src)
{
	if (dst->state == TS_RECEIVING)
		return dst->partner == src->id || dst->partner == EXO_ANYTHREAD;
	if (dst->state == TS_RECV_FAULT)
		return dst->partner == src->id;
	return false;
}

/* A blocked thread may run again: off the timeout list, onto the ready queue. */
static __attribute__((noinline)) void
wake_raising(struct thread *t)
{
	bool was_blocked = t->state != TS_READY;

	sched_timeout_cancel(t);
	t->state = TS_READY;
	if (was_blocked)
		ext_thread_raise(t, EXT_TH_UNBLOCK);
	sched_ready(t);
}

void
ipc_wake(struct thread *t)
{
	/* TF_EXT: its environment hears of it, out of line (a tail call). */
	if (__builtin_expect(t->flags & TF_EXT, 0)) {
		wake_raising(t);
		return;
	}
	sched_timeout_cancel(t);
	t->state = TS_READY;
	sched_ready(t);
}

/* A page fault nobody will resolve: the thread cannot go on. */
static void
fault_failed(struct thread *t)
{
	sched_timeout_cancel(t);
	thread_doom(t, 14, t->fault_access, t->fault_addr, t->fault_ip);
}

/*
 * src's send phase to dst is over (err: how it ended). A user thread goes on
 * to its receive phase, a faulting thread waits for the reply, an interrupt
 * thread for the acknowledgement.
 */
static void
send_done(struct thread *src, struct thread *dst, u32 err)
{
	if (src->state == TS_SEND_FAULT) {
		if (err) {
			fault_failed(src);
			return;
		}
		src->state = TS_RECV_FAULT;
		src->partner = dst->id;
		return;
	}
	if (src->state == TS_IRQ_PENDING) {
		src->state = TS_IRQ_ACK;
		return;
	}
	sched_timeout_cancel(src);
	if (err) {
		ipc_set_error(src, err, false);
		ipc_wake(src);
		return;
	}
	if (src->ctx.rsi == EXO_NILTHREAD) {
		ipc_wake(src);
		return;
	}
	src->state = TS_RECEIVING;
	src->partner = src->ctx.rsi;
	pending_recv[npending++] = src;
}

/*
 * Receive phase of t, a user thread (from-specifier in its ctx.rsi). Returns
 * true when it completed (a message or an error is in t's registers), false
 * when no sender is there yet.
 */
static bool
receive(struct thread *t)
{
	u64 from = t->ctx.rsi;
	struct thread *src;
	u32 err;

	if (from == EXO_ANYTHREAD) {
		src = t->sendq;
	} else {
		src = thread_lookup(from);
		if (!src) {
			ipc_set_error(t, EXO_IPC_NOPARTNER, true);
			return true;
		}
		if (!is_sender(src->state) || src->partner != t->id)
			src = 0;
	}
	if (!src)
		return false;
	sendq_remove(t, src);
	sched_timeout_cancel(src);
	err = transfer(src, t);
	if (err)
		ipc_set_error(t, err, true);
	send_done(src, t, err);
	return true;
}

/* Block t in its receive phase; with a zero timeout fail it instead.
 * (Inline, as it was before it raised the thread event: a call more on the
 * general path otherwise.) */
static inline __attribute__((always_inline)) bool
receive_block(struct thread *t, u32 timeout)
{
	if (timeout == EXO_TIMEOUT_ZERO) {
		ipc_set_error(t, EXO_IPC_TIMEOUT, true);
		return false;
	}
	/* A ready thread blocks (not a sender going on to its receive phase):
	 * the flag first, so that without it this is one test. */
	if (__builtin_expect(t->flags & TF_EXT, 0) && t->state == TS_READY)
		ext_thread_raise(t, EXT_TH_BLOCK);
	t->state = TS_RECEIVING;
	t->partner = t->ctx.rsi;
	sched_timeout(t, timeout);
	return true;
}

/* Run the receive phases that completed send phases left pending. */
static void
drain_pending(void)
{
	while (npending) {
		struct thread *t = pending_recv[--npending];

		if (receive(t) || !receive_block(t, EXO_TIMEOUT_RCV(t->timeouts)))
			ipc_wake(t);
	}
}

/* woken, ready, may run at once as its waker blocks: if priorities allow
 * (sched_direct_ok), it is the direct switch; else it joins the queue. */
static struct thread *
direct(struct thread *woken)
{
	if (!woken || sched_direct_ok(woken))
		return woken;
	sched_ready(woken);
	return 0;
}

/*
 * dst was blocked receiving and has cur's message (or err): settle it.
 * Returns dst if it may run now, else NULL.
 */
static struct thread *
receiver_done(struct thread *dst, u32 err)
{
	sched_timeout_cancel(dst);
	if (dst->state == TS_RECV_FAULT && EXO_IPC_ERR_CODE(EXO_IPC_ERR(err, 0)) ==
	    EXO_IPC_NOTMINE) {
		dst->state = TS_READY;  /* the pager erred: the thread retries */
		return ext_thread_event_ret(dst, EXT_TH_UNBLOCK);
	}
	if (dst->state == TS_RECV_FAULT && err) {
		fault_failed(dst);
		return 0;
	}
	if (err)
		ipc_set_error(dst, err, true);
	dst->state = TS_READY;
	return ext_thread_event_ret(dst, EXT_TH_UNBLOCK);
}

static enum send_result
send(struct thread *cur, u64 to, u32 timeout, struct thread **woken)
{
	struct thread *dst = thread_lookup(to);
	u32 err;

	if (!dst || dst == cur) {
		ipc_set_error(cur, EXO_IPC_NOPARTNER, false);
		return SEND_FAILED;
	}
	if (EXO_TID_NO(to) < THREAD_FIRST)
		return irq_ack(dst, cur) ? SEND_DONE : SEND_FAILED;
	if (ipc_accepts(dst, cur)) {
		err = transfer(cur, dst);
		*woken = receiver_done(dst, err);
		if (!err)
			return SEND_DONE;
		ipc_set_error(cur, err, false);
		return SEND_FAILED;
	}
	if (timeout == EXO_TIMEOUT_ZERO) {
		ipc_set_error(cur, EXO_IPC_TIMEOUT, false);
		return SEND_FAILED;
	}
	cur->state = TS_SENDING;
	cur->partner = to;
	ipc_sendq_add(dst, cur);
	sched_timeout(cur, timeout);
	ext_thread_event(cur, EXT_TH_BLOCK);
	return SEND_BLOCKED;
}

/*
 * A receive from nil with a relative timeout is a sleep (X.2): it waits for
 * the timeout and ends with EXO_IPC_TIMEOUT. Never and zero keep their
 * meaning of "no receive phase" (<exo/ipc.h>: never is the default of a
 * send-only IPC).
 */
static bool
sleeps(u32 rcv_timeout)
{
	return rcv_timeout != EXO_TIMEOUT_NEVER && rcv_timeout != EXO_TIMEOUT_ZERO;
}

/*
 * cur runs the system call. Returns the thread to switch to directly (the
 * receiver cur woke, when cur itself blocked and priorities allow it,
 * sched_direct_ok), cur if it goes on running, or NULL for the scheduler to
 * choose. A receiver woken by a send that does not block cur goes to the
 * ready queue, and runs first only if its priority is higher than cur's
 * (sched_ready).
 */
struct thread *
ipc_syscall(struct thread *cur)
{
	u64 to = cur->ctx.rdi, from = cur->ctx.rsi, tmo = cur->ctx.rdx;
	struct thread *woken = 0;

	TRACE_AB(IPC, to, from);
	cur->timeouts = tmo;
	cur->ctx.rdx = 0;
	if (to != EXO_NILTHREAD) {
		switch (send(cur, to, EXO_TIMEOUT_SND(tmo), &woken)) {
		case SEND_BLOCKED:
			return 0;
		case SEND_FAILED:
			from = EXO_NILTHREAD;   /* no receive phase after a failed send */
			break;
		case SEND_DONE:
			break;
		}
	}
	if (from == EXO_NILTHREAD) {
		if (to == EXO_NILTHREAD && sleeps(EXO_TIMEOUT_RCV(tmo))) {
			receive_block(cur, EXO_TIMEOUT_RCV(tmo));
			return 0;       /* nobody sends as nil: the timeout ends it */
		}
	} else if (!receive(cur) && receive_block(cur, EXO_TIMEOUT_RCV(tmo))) {
		drain_pending();
		return direct(woken);
	}
	drain_pending();
	if (woken)
		sched_ready(woken);     /* preempts cur if of a higher priority */
	return cur;
}

/* t's timed IPC expired (t is off the timeout list already). */
void
ipc_timeout(struct thread *t)
{
	/* TF_EXT: its environment's timer handlers may keep it waiting. */
	if (__builtin_expect(t->flags & TF_EXT, 0) && ext_timer_raise(t))
		return;
	if (t->state == TS_SENDING) {
		struct thread *dst = thread_lookup(t->partner);

		if (dst)
			sendq_remove(dst, t);
		ipc_set_error(t, EXO_IPC_TIMEOUT, false);
		ipc_wake(t);
	} else if (t->state == TS_RECEIVING) {
		ipc_set_error(t, EXO_IPC_TIMEOUT, true);
		ipc_wake(t);
	}
}

/*
 * A page fault's IPC is a send phase while the message waits for the pager
 * (TS_SEND_FAULT) and a receive phase while the thread waits for the reply
 * (TS_RECV_FAULT). Aborting it (X.2) leaves the thread's registers as they
 * were, no error word: the thread was not in an IPC of its own, and it
 * retries the faulting instruction when it runs again (and faults again if
 * nothing was mapped meanwhile). A later reply of the pager finds it not
 * waiting and fails like any send to a thread that is not receiving
 * (EXO_IPC_TIMEOUT at a zero send timeout; EXO_IPC_NOPARTNER once it was
 * deleted).
 */
void
ipc_cancel(struct thread *t, bool send_phase, bool recv_phase)
{
	if ((t->state == TS_SENDING || t->state == TS_SEND_FAULT) && send_phase) {
		struct thread *dst = thread_lookup(t->partner);

		if (dst)
			sendq_remove(dst, t);
		if (t->state == TS_SENDING)
			ipc_set_error(t, EXO_IPC_CANCELED, false);
		ipc_wake(t);
	} else if (t->state == TS_RECEIVING && recv_phase) {
		ipc_set_error(t, EXO_IPC_CANCELED, true);
		ipc_wake(t);
	} else if (t->state == TS_RECV_FAULT && recv_phase) {
		ipc_wake(t);
	}
}

/* A thread waiting on t learns that t is gone. */
static void
partner_gone(struct thread *w)
{
	switch (w->state) {
	case TS_SENDING:
		ipc_set_error(w, EXO_IPC_NOPARTNER, false);
		ipc_wake(w);
		break;
	case TS_RECEIVING:
		ipc_set_error(w, EXO_IPC_NOPARTNER, true);
		ipc_wake(w);
		break;
	case TS_SEND_FAULT:
	case TS_RECV_FAULT:
		fault_failed(w);
		break;
	case TS_IRQ_PENDING:
	case TS_IRQ_ACK:
		irq_detach(w);
		break;
	}
}

void
ipc_detach(struct thread *t)
{
	if (is_sender(t->state)) {
		struct thread *dst = thread_lookup(t->partner);

		if (dst)
			sendq_remove(dst, t);
	}
	while (t->sendq) {
		struct thread *w = t->sendq;

		sendq_remove(t, w);
		partner_gone(w);
	}
	for (u32 i = 1; i < NTHREADS; i++) {
		struct thread *w = &threads[i];

		if (w == t)
			continue;
		if ((w->state == TS_RECEIVING || w->state == TS_RECV_FAULT) &&
		    w->partner == t->id)
			partner_gone(w);
		else if (i < THREAD_FIRST && w->handler == t->id)
			irq_detach(w);
	}
}

/*
 * A page fault of t becomes a call to its pager: the kernel makes the message
 * (<exo/ipc.h>), t's own registers stay as they were, and the pager's reply
 * maps the page and lets t retry the instruction. Returns false if t has no
 * live pager.
 */
bool
ipc_pagefault(struct thread *t, u64 addr, u64 ip, u32 access, struct thread **next)
{
	struct thread *pager = thread_lookup(t->pager);

	*next = 0;
	if (!pager || pager == t || EXO_TID_NO(t->pager) < THREAD_FIRST)
		return false;
	t->fault_addr = addr;
	t->fault_ip = ip;
	t->fault_access = access;
	t->state = TS_SEND_FAULT;
	t->partner = pager->id;
	ext_thread_event(t, EXT_TH_BLOCK);
	if (!ipc_accepts(pager, t)) {
		ipc_sendq_add(pager, t);
		return true;
	}
	transfer(t, pager);             /* two words: cannot fail */
	*next = direct(receiver_done(pager, 0));
	send_done(t, pager, 0);
	return true;
}
