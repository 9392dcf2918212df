/*
 * The IPC core (ipc/ipc.c, transfer.c, irq.c, fastpath.c) on the fake
 * platform, driven the way the machine drives it: a thread that is current
 * puts its system call in its saved registers (rax SYS_ipc, rdi to, rsi
 * from, rdx timeouts, r8 MR0, <exo/ipc.h>) and the kernel is entered through
 * kernel_syscall, kernel_exception or kernel_interrupt; the thread that
 * comes back is the one the machine would resume. Every blocked state a
 * test relies on is reached through such calls, never written by hand.
 *
 * The world: spaces S1 (a task's root, privileged) and S2 (its child),
 * threads A and C in S1, B and D in S2, all of priority PRIO_DEFAULT, and
 * MEM_PAGES pages of memory that S1 owns at MEM_VA (mapping-database roots,
 * as a boot module's segments are).
 *
 * The last part runs the fast path (ipc_fastpath) and the general path on
 * the same worlds and compares what they leave behind (STYLE.md, habit 5).
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>
#include <exo/syscall.h>

#include "guest/core/exocall.h"
#include "guest/core/kernel.h"
#include "guest/core/mdb.h"
#include "guest/core/sched.h"
#include "ipc/fastpath.h"
#include "ipc/ipc.h"
#include "guest/core/platform.h"

#include "kernel_fixture.h"

#define PAGE       EXO_PAGE_SIZE
#define NEVER      EXO_TIMEOUTS(EXO_TIMEOUT_NEVER, EXO_TIMEOUT_NEVER)
#define ZERO_SEND  EXO_TIMEOUTS(EXO_TIMEOUT_ZERO, EXO_TIMEOUT_NEVER)
#define ZERO_RECV  EXO_TIMEOUTS(EXO_TIMEOUT_NEVER, EXO_TIMEOUT_ZERO)
#define NIL        EXO_NILTHREAD
#define ANY        EXO_ANYTHREAD
#define MEM_VA     0x400000ULL          /* S1's memory */
#define MEM_PA     FIX_MODULE_PA
#define MEM_PAGES  16
#define IRQ        EXO_IRQ_TID(EXO_IRQ_CONSOLE)

static struct space *S1, *S2;
static struct thread *A, *B, *C, *D;

/* The world with n threads (2..4); A runs. */
static void
world(unsigned n)
{
	fake_reset();
	kopts = (struct kernel_opts){ 0 };
	fix_core_boot();
	S1 = fix_space(NULL, true);
	S2 = fix_space(S1, false);
	A = fix_thread(S1, PRIO_DEFAULT);
	B = fix_thread(S2, PRIO_DEFAULT);
	C = n > 2 ? fix_thread(S1, PRIO_DEFAULT) : NULL;
	D = n > 3 ? fix_thread(S2, PRIO_DEFAULT) : NULL;
	cr_assert_eq(mdb_map_root(S1, MEM_VA, MEM_PA, MEM_PAGES * PAGE, EXO_RWX), 0);
	cr_assert_eq(fix_schedule(), A);
}

/* Message register i of t, where <exo/ipc.h> puts it. */
static u64 *
mr(struct thread *t, u32 i)
{
	switch (i) {
	case 0: return &t->ctx.r8;
	case 1: return &t->ctx.r9;
	case 2: return &t->ctx.r10;
	case 3: return &t->ctx.r12;
	case 4: return &t->ctx.r13;
	case 5: return &t->ctx.r14;
	case 6: return &t->ctx.r15;
	case 7: return &t->ctx.rbx;
	}
	return &t->utcb->mr[i];
}

/* t's message: the tag in MR0, then the u + t words of w. */
static void
put(struct thread *t, u64 tag, const u64 *w)
{
	*mr(t, 0) = tag;
	for (u32 i = 1; i <= EXO_TAG_U(tag) + EXO_TAG_T(tag); i++)
		*mr(t, i) = w[i - 1];
}
#define PUT(t, tag, ...) put(t, tag, (const u64[]){ 0, ##__VA_ARGS__ } + 1)

/* t received a message from the thread with id from: tag and words. */
static void
got(struct thread *t, u64 from, u64 tag, const u64 *w)
{
	cr_assert_eq(t->ctx.rdx, 0, "thread %u: error word %#lx", EXO_TID_NO(t->id),
		     t->ctx.rdx);
	cr_assert_eq(t->ctx.rax, from, "thread %u: message from %#lx, want %#lx",
		     EXO_TID_NO(t->id), t->ctx.rax, from);
	cr_assert_eq(*mr(t, 0), tag, "tag %#lx, want %#lx", *mr(t, 0), tag);
	for (u32 i = 1; i <= EXO_TAG_U(tag) + EXO_TAG_T(tag); i++)
		cr_assert_eq(*mr(t, i), w[i - 1], "MR%u is %#lx, want %#lx", i,
			     *mr(t, i), w[i - 1]);
}
#define GOT(t, from, tag, ...) got(t, from, tag, (const u64[]){ 0, ##__VA_ARGS__ } + 1)

/* t's IPC failed with code in the send (recv false) or receive phase. */
static void
failed(struct thread *t, u32 code, bool recv)
{
	u64 e = EXO_IPC_ERR(code, recv);

	cr_assert_eq(t->ctx.rdx, e, "thread %u: error word %#lx, want %#lx",
		     EXO_TID_NO(t->id), t->ctx.rdx, e);
	cr_assert(t->ctx.r8 & EXO_TAG_E, "no E bit in the received tag");
	cr_assert_eq(t->utcb->error, e, "UTCB error word");
}

/* t, which runs, enters the kernel with system call no: who runs next. */
static struct thread *
enter(struct thread *t, u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	struct thread *next;

	cr_assert_eq(t, current, "thread %u calls but does not run", EXO_TID_NO(t->id));
	t->ctx.rax = no;
	t->ctx.rdi = a0;
	t->ctx.rsi = a1;
	t->ctx.rdx = a2;
	t->ctx.r10 = a3;
	t->ctx.r8 = a4;
	next = kernel_syscall(t);
	cr_assert_not_null(next);
	cr_assert_eq(next, current, "the kernel resumes a thread that is not current");
	cr_assert_eq(next->state, TS_READY, "the kernel resumes a blocked thread");
	cr_assert_null(next->rnext, "the kernel resumes a thread on the ready queue");
	return next;
}

/* A system call that returns to its caller: its rax. */
static i64
call(struct thread *t, u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	cr_assert_eq(enter(t, no, a0, a1, a2, a3, a4), t, "the caller does not go on");
	return (i64)t->ctx.rax;
}

/* SYS_ipc from t (its message in its registers already): who runs next. */
static struct thread *
ipc(struct thread *t, u64 to, u64 from, u64 timeouts)
{
	/* r10 and r8 are MR2 and MR0 here: they keep the message's values. */
	return enter(t, SYS_ipc, to, from, timeouts, t->ctx.r10, t->ctx.r8);
}

/* Give the CPU to x (ready) with thread_switch from whoever runs. */
static void
make_current(struct thread *x)
{
	if (current == x)
		return;
	cr_assert_eq(x->state, TS_READY, "thread %u is not ready", EXO_TID_NO(x->id));
	cr_assert_eq(enter(current, SYS_thread_switch, x->id, 0, 0, 0, 0), x);
}

/* x runs and blocks in an IPC (it must not complete). */
static void
block(struct thread *x, u64 to, u64 from, u64 timeouts)
{
	make_current(x);
	cr_assert_neq(ipc(x, to, from, timeouts), x, "thread %u did not block",
		      EXO_TID_NO(x->id));
	cr_assert(x->state == TS_SENDING || x->state == TS_RECEIVING);
}

/* A privileged thread deletes x through thread_control. */
static void
delete_thread(struct thread *by, struct thread *x)
{
	make_current(by);
	cr_assert_eq(call(by, SYS_thread_control, x->id, NIL, NIL, 0, 0), 0);
	cr_assert_eq(x->state, TS_FREE);
}

/* The frame behind va in s with exactly the rights want (-1: unmapped). */
static void
mapped(struct space *s, u64 va, u64 pa, int want)
{
	u64 got_pa;
	int rights = 0;

	if (arch_space_lookup(&s->pt, va, 0, &got_pa) < 0) {
		cr_assert_eq(want, -1, "%#lx is not mapped", va);
		return;
	}
	cr_assert_neq(want, -1, "%#lx is mapped (to %#lx)", va, got_pa);
	cr_assert_eq(got_pa, pa, "%#lx maps %#lx, want %#lx", va, got_pa, pa);
	for (u32 b = EXO_X; b <= EXO_R; b <<= 1)
		if (arch_space_lookup(&s->pt, va, b, &got_pa) == 0)
			rights |= (int)b;
	cr_assert_eq(rights, want, "%#lx has rights %d, want %d", va, rights, want);
}

TestSuite(ipc);

/* Rendezvous */

Test(ipc, send_to_waiting_receiver)
{
	world(2);
	block(B, NIL, ANY, NEVER);
	cr_assert_eq(B->partner, ANY);
	cr_assert_eq(current, A);
	PUT(A, EXO_TAG(0x42, 3, 0), 11, 22, 33);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A, "a send-only IPC blocked");
	cr_assert_eq(A->ctx.rdx, 0);
	cr_assert_eq(B->state, TS_READY);
	cr_assert_not_null(B->rnext, "the receiver is not on the ready queue");
	GOT(B, A->id, EXO_TAG(0x42, 3, 0), 11, 22, 33);
}

Test(ipc, send_blocks_until_receiver_arrives)
{
	world(2);
	PUT(A, EXO_TAG(7, 2, 0), 5, 6);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), B);
	cr_assert_eq(A->state, TS_SENDING);
	cr_assert_eq(A->partner, B->id);
	cr_assert_eq(A->wakeup, 0, "a send without timeout has a wakeup");
	cr_assert_eq(B->sendq, A);
	/* The rendezvous happens on the receiver's system call. */
	cr_assert_eq(ipc(B, NIL, ANY, NEVER), B, "the receiver did not go on");
	GOT(B, A->id, EXO_TAG(7, 2, 0), 5, 6);
	cr_assert_null(B->sendq);
	cr_assert_eq(A->state, TS_READY);
	cr_assert_eq(A->ctx.rdx, 0);
	cr_assert_not_null(A->rnext);
}

Test(ipc, closed_receive_takes_the_blocked_sender)
{
	world(2);
	PUT(A, EXO_TAG(7, 1, 0), 5);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), B);
	cr_assert_eq(ipc(B, NIL, A->id, NEVER), B);
	GOT(B, A->id, EXO_TAG(7, 1, 0), 5);
}

Test(ipc, call_is_send_and_closed_receive)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(1, 1, 0), 100);
	cr_assert_eq(ipc(A, B->id, B->id, NEVER), B, "no direct switch to the receiver");
	GOT(B, A->id, EXO_TAG(1, 1, 0), 100);
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(A->partner, B->id);
	/* A waits for B alone: C's send does not reach it. */
	make_current(C);
	PUT(C, EXO_TAG(3, 1, 0), 300);
	cr_assert_neq(ipc(C, A->id, NIL, NEVER), C);
	cr_assert_eq(C->state, TS_SENDING);
	cr_assert_eq(A->sendq, C);
	cr_assert_eq(A->state, TS_RECEIVING);
	/* B's reply does. */
	make_current(B);
	PUT(B, EXO_TAG(2, 1, 0), 200);
	cr_assert_eq(ipc(B, A->id, NIL, NEVER), B);
	GOT(A, B->id, EXO_TAG(2, 1, 0), 200);
	cr_assert_eq(A->state, TS_READY);
	cr_assert_eq(A->sendq, C, "the other sender left the queue");
	cr_assert_eq(C->state, TS_SENDING);
}

Test(ipc, call_blocked_in_send_then_waits_for_the_reply)
{
	world(2);
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, B->id, B->id, NEVER), B);
	cr_assert_eq(A->state, TS_SENDING);
	/* B takes the message: A's receive phase starts and waits for B. */
	cr_assert_eq(ipc(B, NIL, ANY, NEVER), B);
	GOT(B, A->id, EXO_TAG(1, 0, 0));
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(A->partner, B->id);
	PUT(B, EXO_TAG(2, 1, 0), 9);
	cr_assert_eq(ipc(B, A->id, NIL, NEVER), B);
	GOT(A, B->id, EXO_TAG(2, 1, 0), 9);
}

Test(ipc, reply_and_wait)
{
	world(3);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);           /* server A waits */
	PUT(B, EXO_TAG(1, 1, 0), 10);
	cr_assert_eq(ipc(B, A->id, A->id, NEVER), A);       /* client B calls */
	GOT(A, B->id, EXO_TAG(1, 1, 0), 10);
	PUT(A, EXO_TAG(2, 1, 0), 20);
	cr_assert_eq(ipc(A, B->id, ANY, NEVER), B);         /* reply, wait again */
	GOT(B, A->id, EXO_TAG(2, 1, 0), 20);
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(A->partner, ANY);
	/* The next client's message reaches A at once. */
	make_current(C);
	PUT(C, EXO_TAG(3, 1, 0), 30);
	cr_assert_eq(ipc(C, A->id, NIL, NEVER), C);
	GOT(A, C->id, EXO_TAG(3, 1, 0), 30);
}

Test(ipc, reply_and_wait_takes_a_queued_sender)
{
	world(3);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);
	PUT(B, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(B, A->id, A->id, NEVER), A);
	/* While A serves B, C calls A and waits in A's queue. */
	make_current(C);
	PUT(C, EXO_TAG(3, 1, 0), 30);
	cr_assert_neq(ipc(C, A->id, A->id, NEVER), C);
	make_current(A);
	PUT(A, EXO_TAG(2, 1, 0), 20);
	cr_assert_eq(ipc(A, B->id, ANY, NEVER), A, "A did not go on with C's message");
	GOT(A, C->id, EXO_TAG(3, 1, 0), 30);
	GOT(B, A->id, EXO_TAG(2, 1, 0), 20);
	cr_assert_eq(B->state, TS_READY);
	cr_assert_eq(C->state, TS_RECEIVING, "C's call did not go on to its receive");
	cr_assert_eq(C->partner, A->id);
}

Test(ipc, closed_receive_leaves_other_senders_queued_in_order)
{
	world(4);
	/* B, C and D send to A, which is not receiving: queued in that order. */
	PUT(B, EXO_TAG(0, 1, 0), 0xb);
	block(B, A->id, NIL, NEVER);
	PUT(C, EXO_TAG(0, 1, 0), 0xc);
	block(C, A->id, NIL, NEVER);
	PUT(D, EXO_TAG(0, 1, 0), 0xd);
	block(D, A->id, NIL, NEVER);
	cr_assert_eq(current, A);
	cr_assert_eq(A->sendq, B);
	/* A closed receive takes C from the middle of the queue. */
	cr_assert_eq(ipc(A, NIL, C->id, NEVER), A);
	GOT(A, C->id, EXO_TAG(0, 1, 0), 0xc);
	cr_assert_eq(C->state, TS_READY);
	/* A closed receive from one who is not sending ignores the others. */
	cr_assert_eq(ipc(A, NIL, C->id, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
	cr_assert_eq(B->state, TS_SENDING);
	cr_assert_eq(D->state, TS_SENDING);
	/* Open receives: first come, first served. */
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), A);
	GOT(A, B->id, EXO_TAG(0, 1, 0), 0xb);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), A);
	GOT(A, D->id, EXO_TAG(0, 1, 0), 0xd);
	cr_assert_null(A->sendq);
}

Test(ipc, nil_to_and_from_do_nothing)
{
	world(2);
	A->ctx.rdx = 0x1234;
	cr_assert_eq(ipc(A, NIL, NIL, NEVER), A);
	cr_assert_eq(A->ctx.rdx, 0);
	cr_assert_eq(A->state, TS_READY);
}

/* Timeouts */

Test(ipc, zero_send_timeout_fails_in_the_send_phase)
{
	world(2);
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, B->id, NIL, ZERO_SEND), A);
	failed(A, EXO_IPC_TIMEOUT, false);
	cr_assert_null(B->sendq);
	/* A call that cannot send does not go on to receive. */
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, B->id, B->id, ZERO_SEND), A);
	failed(A, EXO_IPC_TIMEOUT, false);
	cr_assert_eq(A->state, TS_READY);
}

Test(ipc, zero_receive_timeout_fails_in_the_receive_phase)
{
	world(2);
	cr_assert_eq(ipc(A, NIL, ANY, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
	/* A call whose send succeeds and whose reply is not there yet. */
	block(B, NIL, ANY, NEVER);
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, B->id, B->id, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
	GOT(B, A->id, EXO_TAG(1, 0, 0));
}

Test(ipc, zero_receive_timeout_after_a_blocked_send)
{
	world(2);
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, B->id, B->id, ZERO_RECV), B);
	cr_assert_eq(A->state, TS_SENDING);
	cr_assert_eq(ipc(B, NIL, ANY, NEVER), B);
	cr_assert_eq(A->state, TS_READY, "the receive phase with a zero timeout blocked");
	failed(A, EXO_IPC_TIMEOUT, true);
}

Test(ipc, receive_timeout_expires)
{
	world(2);
	fake_now = 1000;
	cr_assert_eq(ipc(A, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100))), B);
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(A->wakeup, 1000 + 100 + 1);
	cr_assert_eq(fake_timer, A->wakeup, "the timer is not armed for the timeout");
	/* A timer interrupt before the deadline wakes nobody. */
	fake_now = 1100;
	cr_assert_eq(fake_interrupt(B, true, 0), B);
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(fake_timer_fire(B), B);
	cr_assert_eq(A->state, TS_READY);
	failed(A, EXO_IPC_TIMEOUT, true);
	cr_assert_eq(A->wakeup, 0);
}

/* A send that leaves both threads ready (whichever the kernel runs) arms
 * the end of the running one's slice, so the other gets its turn. */
Test(ipc, equal_priority_ready_arms_the_slice_end)
{
	struct thread *run, *other;

	world(2);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(1, 0, 0));
	run = ipc(A, B->id, NIL, NEVER);
	other = run == A ? B : A;
	cr_assert(run == A || run == B);
	cr_assert_eq(other->state, TS_READY);
	cr_assert_neq(fake_timer, 0, "nothing ends the slice: thread %u would wait for ever",
		      EXO_TID_NO(other->id));
	cr_assert_eq(fake_timer_fire(run), other, "the slice ended and the other did not run");
}

Test(ipc, send_timeout_expires)
{
	world(2);
	fake_now = 50;
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, B->id, B->id, EXO_TIMEOUTS(EXO_TIMEOUT_US(10), 0)), B);
	cr_assert_eq(B->sendq, A);
	cr_assert_eq(fake_timer, 50 + 10 + 1);
	cr_assert_eq(fake_timer_fire(B), B);
	failed(A, EXO_IPC_TIMEOUT, false);
	cr_assert_eq(A->state, TS_READY, "the receive phase ran after a failed send");
	cr_assert_null(B->sendq, "the timed-out sender is still queued");
	/* B's receive finds nothing. */
	cr_assert_eq(ipc(B, NIL, ANY, ZERO_RECV), B);
	failed(B, EXO_IPC_TIMEOUT, true);
}

Test(ipc, timeouts_expire_in_order_and_rearm)
{
	world(3);
	cr_assert_eq(ipc(A, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(300))), B);
	block(B, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100)));
	cr_assert_eq(current, C);
	cr_assert_eq(fake_timer, B->wakeup, "not armed for the earliest deadline");
	cr_assert_eq(fake_timer_fire(C), C);
	failed(B, EXO_IPC_TIMEOUT, true);
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(fake_timer, A->wakeup, "not re-armed for the next deadline");
	fake_timer_fire(C);
	failed(A, EXO_IPC_TIMEOUT, true);
}

Test(ipc, timeout_expires_while_the_kernel_idles)
{
	world(2);
	cr_assert_eq(ipc(A, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100))), B);
	/* B blocks too: nothing is ready, the kernel waits for the timer. */
	cr_assert_eq(ipc(B, NIL, ANY, NEVER), A);
	cr_assert_eq(fake_idles, 1);
	cr_assert_eq(fake_now, 101);
	failed(A, EXO_IPC_TIMEOUT, true);
	cr_assert_eq(B->state, TS_RECEIVING);
}

Test(ipc, rendezvous_cancels_the_timeout)
{
	world(2);
	cr_assert_eq(ipc(A, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100))), B);
	PUT(B, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(B, A->id, NIL, NEVER), B);
	GOT(A, B->id, EXO_TAG(1, 0, 0));
	cr_assert_eq(A->wakeup, 0);
	/* The deadline passes: nothing happens to A. */
	fake_now = 1000;
	fake_interrupt(B, true, 0);
	GOT(A, B->id, EXO_TAG(1, 0, 0));
	cr_assert_eq(A->state, TS_READY);
}

Test(ipc, never_means_never)
{
	world(2);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);
	cr_assert_eq(A->wakeup, 0);
	cr_assert_eq(fake_timer, 0, "a timer armed for an IPC without timeout");
	fake_now = 1ULL << 40;
	cr_assert_eq(fake_interrupt(B, true, 0), B);
	cr_assert_eq(A->state, TS_RECEIVING);
}

/* Partners that do not exist, die, or are aborted */

Test(ipc, send_to_no_thread_fails_in_the_send_phase)
{
	u64 nobody[] = { EXO_TID(100, 1), EXO_TID(NTHREADS + 3, 1), ANY,
			 EXO_TID(0, 1) };

	world(2);
	for (unsigned i = 0; i < sizeof(nobody) / sizeof(nobody[0]); i++) {
		PUT(A, EXO_TAG(1, 0, 0));
		cr_assert_eq(ipc(A, nobody[i], nobody[i], NEVER), A);
		failed(A, EXO_IPC_NOPARTNER, false);
	}
	/* Nor to itself. */
	cr_assert_eq(ipc(A, A->id, ANY, NEVER), A);
	failed(A, EXO_IPC_NOPARTNER, false);
	cr_assert_eq(A->state, TS_READY, "receive phase after a failed send");
}

Test(ipc, send_to_dead_or_stale_id_fails)
{
	u64 old_b;
	struct thread *e;

	world(3);
	old_b = B->id;
	delete_thread(A, B);
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, old_b, NIL, NEVER), A);
	failed(A, EXO_IPC_NOPARTNER, false);
	/* A new thread takes B's number: the old id still names nobody. */
	e = fix_thread(fix_space(S1, false), PRIO_DEFAULT);   /* S2 died with B */
	cr_assert_eq(EXO_TID_NO(e->id), EXO_TID_NO(old_b));
	cr_assert_neq(e->id, old_b);
	block(e, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, old_b, NIL, NEVER), A);
	failed(A, EXO_IPC_NOPARTNER, false);
	cr_assert_eq(e->state, TS_RECEIVING, "the new thread got the old id's message");
	/* Receiving from the dead id fails in the receive phase, at once. */
	cr_assert_eq(ipc(A, NIL, old_b, NEVER), A);
	failed(A, EXO_IPC_NOPARTNER, true);
}

Test(ipc, receiver_learns_its_partner_died)
{
	world(4);
	block(B, NIL, ANY, NEVER);
	/* D calls B: B has the message, D waits for the reply. */
	make_current(D);
	PUT(D, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(D, B->id, B->id, NEVER), B);
	cr_assert_eq(D->state, TS_RECEIVING);
	/* A waits for a message from B alone. */
	block(A, NIL, B->id, NEVER);
	delete_thread(C, B);
	cr_assert_eq(A->state, TS_READY);
	failed(A, EXO_IPC_NOPARTNER, true);
	cr_assert_eq(D->state, TS_READY);
	failed(D, EXO_IPC_NOPARTNER, true);
}

Test(ipc, sender_learns_its_receiver_died)
{
	world(4);
	PUT(A, EXO_TAG(1, 0, 0));
	block(A, B->id, NIL, NEVER);
	PUT(D, EXO_TAG(1, 0, 0));
	block(D, B->id, B->id, NEVER);
	cr_assert_eq(B->sendq, A);
	delete_thread(C, B);
	failed(A, EXO_IPC_NOPARTNER, false);
	failed(D, EXO_IPC_NOPARTNER, false);
	cr_assert_eq(D->state, TS_READY, "a call went on to receive from the dead");
	cr_assert_null(A->qnext);
}

Test(ipc, exchange_registers_aborts_ipc)
{
	world(3);
	/* A blocked sending to B. */
	PUT(A, EXO_TAG(1, 0, 0));
	block(A, B->id, B->id, NEVER);
	make_current(C);
	cr_assert_eq(call(C, SYS_exchange_registers, A->id, EXR_ABORT_RECV, 0, 0, 0),
		     EXR_WAS_SENDING);
	cr_assert_eq(A->state, TS_SENDING, "a receive abort ended a send phase");
	cr_assert_eq(call(C, SYS_exchange_registers, A->id, EXR_ABORT_SEND, 0, 0, 0),
		     EXR_WAS_SENDING);
	cr_assert_eq(A->state, TS_READY);
	failed(A, EXO_IPC_CANCELED, false);
	cr_assert_null(B->sendq, "the aborted sender is still queued");
	/* A blocked receiving. */
	block(A, NIL, ANY, NEVER);
	make_current(C);
	cr_assert_eq(call(C, SYS_exchange_registers, A->id, EXR_ABORT_SEND, 0, 0, 0),
		     EXR_WAS_RECEIVING);
	cr_assert_eq(A->state, TS_RECEIVING, "a send abort ended a receive phase");
	cr_assert_eq(call(C, SYS_exchange_registers, A->id,
			  EXR_ABORT_SEND | EXR_ABORT_RECV, 0, 0, 0), EXR_WAS_RECEIVING);
	cr_assert_eq(A->state, TS_READY);
	failed(A, EXO_IPC_CANCELED, true);
	/* The receive phase of a call. */
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(1, 0, 0));
	cr_assert_eq(ipc(A, B->id, B->id, NEVER), B);
	make_current(C);
	call(C, SYS_exchange_registers, A->id, EXR_ABORT_RECV, 0, 0, 0);
	failed(A, EXO_IPC_CANCELED, true);
}

/* Message transfer */

Test(ipc, words_past_mr7_travel_in_the_utcb)
{
	u64 w[EXO_NMR];

	world(2);
	for (u32 i = 0; i < EXO_NMR; i++)
		w[i] = 0x1000 + i;
	block(B, NIL, ANY, NEVER);
	put(A, EXO_TAG(5, 12, 0), w);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
	got(B, A->id, EXO_TAG(5, 12, 0), w);
	cr_assert_eq(B->utcb->mr[12], 0x100b);
	cr_assert_eq(B->utcb->mr[13], 0, "a word past the message arrived");
	/* The longest message: MR1..MR63. */
	block(B, NIL, ANY, NEVER);
	make_current(A);
	put(A, EXO_TAG(5, 63, 0), w);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
	got(B, A->id, EXO_TAG(5, 63, 0), w);
}

Test(ipc, registers_of_the_abi)
{
	/* MR0..MR7 are r8 r9 r10 r12 r13 r14 r15 rbx, whatever the core calls them. */
	world(2);
	block(B, NIL, ANY, NEVER);
	A->ctx.r8 = EXO_TAG(9, 7, 0);
	A->ctx.r9 = 1, A->ctx.r10 = 2, A->ctx.r12 = 3, A->ctx.r13 = 4;
	A->ctx.r14 = 5, A->ctx.r15 = 6, A->ctx.rbx = 7;
	ipc(A, B->id, NIL, NEVER);
	cr_assert_eq(B->ctx.r8, EXO_TAG(9, 7, 0));
	cr_assert_eq(B->ctx.r9 + B->ctx.r10 * 10 + B->ctx.r12 * 100 + B->ctx.r13 * 1000 +
		     B->ctx.r14 * 10000 + B->ctx.r15 * 100000 + B->ctx.rbx * 1000000,
		     7654321);
}

Test(ipc, received_tag_loses_flags)
{
	world(2);
	block(B, NIL, ANY, NEVER);
	PUT(A, EXO_TAG(9, 1, 0) | EXO_TAG_FLAGS | EXO_TAG_E, 1);
	ipc(A, B->id, NIL, NEVER);
	GOT(B, A->id, EXO_TAG(9, 1, 0), 1);
}

/* An IPC from A to B (waiting) with this tag fails with EXO_IPC_OVERFLOW in
 * A's send phase and B's receive phase. */
static void
overflows(u64 tag)
{
	block(B, NIL, ANY, NEVER);
	make_current(A);
	*mr(A, 0) = tag;
	cr_assert_eq(ipc(A, B->id, B->id, NEVER), A, "the sender blocked");
	failed(A, EXO_IPC_OVERFLOW, false);
	cr_assert_eq(B->state, TS_READY);
	failed(B, EXO_IPC_OVERFLOW, true);
}

Test(ipc, message_overflow)
{
	world(2);
	overflows(EXO_TAG(1, 62, 2));          /* 64 words */
	overflows(EXO_TAG(1, 0, 63));
	overflows(EXO_TAG(1, 63, 63));
	overflows(EXO_TAG(1, 2, 1));           /* half an item */
	/* A map item, and the receiver accepts none. */
	B->utcb->acceptor = EXO_FPAGE_NIL;
	PUT(A, EXO_TAG(1, 0, 2), EXO_MAPITEM(0, EXO_FPAGE(MEM_VA, 12, EXO_RWX)));
	overflows(*mr(A, 0));
	/* A malformed item: an fpage below 4 KiB, an unknown item type. */
	B->utcb->acceptor = EXO_FPAGE_COMPLETE;
	PUT(A, EXO_TAG(1, 0, 2), EXO_MAPITEM(0, EXO_FPAGE(MEM_VA, 11, EXO_RWX)));
	overflows(*mr(A, 0));
	PUT(A, EXO_TAG(1, 0, 2), MEM_VA | 0x4, EXO_FPAGE(MEM_VA, 12, EXO_RWX));
	overflows(*mr(A, 0));
	mapped(S2, MEM_VA, 0, -1);
}

Test(ipc, overflow_found_by_the_receiver)
{
	world(2);
	*mr(A, 0) = EXO_TAG(1, 1, 1);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), B);
	cr_assert_eq(ipc(B, NIL, ANY, NEVER), B);
	failed(B, EXO_IPC_OVERFLOW, true);
	failed(A, EXO_IPC_OVERFLOW, false);
	cr_assert_eq(A->state, TS_READY);
}

/* Map and grant items */

/* A sends B (waiting) one item, words w0 and fp (EXO_MAPITEM or
 * EXO_GRANTITEM give both); B's acceptor is window. */
static void
send_item(u64 w0, u64 fp, u64 window)
{
	block(B, NIL, ANY, NEVER);
	B->utcb->acceptor = window;
	make_current(A);
	PUT(A, EXO_TAG(0x77, 1, 2), 0xabc, w0, fp);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
	GOT(B, A->id, EXO_TAG(0x77, 1, 2), 0xabc, w0, fp);
	cr_assert(mdb_check(), "mdb_check: %s", fake_console);
}

Test(ipc, map_small_fpage_into_a_large_window)
{
	world(2);
	/* 8 KiB into a 4 MiB window at 0x800000: the send base's offset in the
	 * window (0x5000), rounded down to the fpage's size, is where it lands. */
	send_item(EXO_MAPITEM(0x5000, EXO_FPAGE(MEM_VA, 13, EXO_R | EXO_W)),
		  EXO_FPAGE(0x800000, 22, EXO_RWX));
	mapped(S2, 0x804000, MEM_PA, EXO_R | EXO_W);
	mapped(S2, 0x805000, MEM_PA + PAGE, EXO_R | EXO_W);
	mapped(S2, 0x803000, 0, -1);
	mapped(S2, 0x806000, 0, -1);
	mapped(S2, 0x800000, 0, -1);
	/* A keeps its pages; B's are derived from them. */
	mapped(S1, MEM_VA, MEM_PA, EXO_RWX);
	cr_assert_eq(mdb_lookup(S2, 0x804000)->parent, mdb_lookup(S1, MEM_VA));
	/* So A can take them back. */
	make_current(A);
	cr_assert_eq(call(A, SYS_unmap, EXO_FPAGE(MEM_VA, 13, EXO_R), 0, 0, 0, 0), 2);
	mapped(S2, 0x804000, 0, -1);
	mapped(S1, MEM_VA, MEM_PA, EXO_RWX);
}

Test(ipc, map_large_fpage_into_a_small_window)
{
	world(2);
	/* 32 KiB offered, an 8 KiB window: the send base (0x6000) picks the
	 * window-sized part of the fpage, which lands at the window's base. */
	send_item(EXO_MAPITEM(0x6000, EXO_FPAGE(MEM_VA, 15, EXO_R)),
		  EXO_FPAGE(0x900000, 13, EXO_RWX));
	mapped(S2, 0x900000, MEM_PA + 6 * PAGE, EXO_R);
	mapped(S2, 0x901000, MEM_PA + 7 * PAGE, EXO_R);
	mapped(S2, 0x902000, 0, -1);
	mapped(S2, 0x8ff000, 0, -1);
}

Test(ipc, map_into_the_complete_window)
{
	world(2);
	send_item(EXO_MAPITEM(0x7000000, EXO_FPAGE(MEM_VA + 3 * PAGE, 12, EXO_RWX)),
		  EXO_FPAGE_COMPLETE);
	mapped(S2, 0x7000000, MEM_PA + 3 * PAGE, EXO_RWX);
}

Test(ipc, grant_moves_the_page)
{
	world(2);
	send_item(EXO_GRANTITEM(0, EXO_FPAGE(MEM_VA + 2 * PAGE, 12, EXO_RWX)),
		  EXO_FPAGE(0xa00000, 12, EXO_R | EXO_W));
	mapped(S2, 0xa00000, MEM_PA + 2 * PAGE, EXO_RWX);
	mapped(S1, MEM_VA + 2 * PAGE, 0, -1);
	cr_assert_null(mdb_lookup(S1, MEM_VA + 2 * PAGE));
	cr_assert_null(mdb_lookup(S2, 0xa00000)->parent, "a granted root is no longer a root");
	mapped(S1, MEM_VA + 3 * PAGE, MEM_PA + 3 * PAGE, EXO_RWX);
}

Test(ipc, rights_are_at_most_the_senders)
{
	world(2);
	cr_assert_eq(mdb_map_root(S1, 0x500000, MEM_PA + MEM_PAGES * PAGE, PAGE, EXO_R), 0);
	send_item(EXO_MAPITEM(0, EXO_FPAGE(0x500000, 12, EXO_RWX)),
		  EXO_FPAGE(0xb00000, 12, EXO_RWX));
	mapped(S2, 0xb00000, MEM_PA + MEM_PAGES * PAGE, EXO_R);
}

/* A sends B (waiting) one item it cannot pass on: the IPC fails for both
 * with EXO_IPC_NOTMINE naming item 0, and nothing lands in the window. */
static void
send_item_notmine(u64 w0, u64 fp, u64 window)
{
	u64 e = EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 0, 0);

	block(B, NIL, ANY, NEVER);
	B->utcb->acceptor = window;
	make_current(A);
	PUT(A, EXO_TAG(0x77, 1, 2), 0xabc, w0, fp);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
	cr_assert_eq(A->ctx.rdx, e, "sender's error word %#lx, want %#lx", A->ctx.rdx, e);
	cr_assert_eq(B->ctx.rdx, e | 1, "receiver's error word %#lx, want %#lx", B->ctx.rdx,
		     e | 1);
	cr_assert_eq(EXO_IPC_ERR_CODE(B->ctx.rdx), EXO_IPC_NOTMINE);
	cr_assert_eq(B->ctx.rax, A->id);
	cr_assert(mdb_check(), "mdb_check: %s", fake_console);
}

Test(ipc, memory_the_sender_does_not_have_is_not_passed)
{
	u64 pa;

	world(2);
	/* Nothing at 0x500000; the UTCB and the KIP are the kernel's. */
	send_item_notmine(EXO_MAPITEM(0, EXO_FPAGE(0x500000, 12, EXO_RWX)),
			  EXO_FPAGE(0xc00000, 12, EXO_RWX));
	mapped(S2, 0xc00000, 0, -1);
	send_item_notmine(EXO_MAPITEM(0, EXO_FPAGE(A->utcb_va, 12, EXO_R | EXO_W)),
			  EXO_FPAGE(0xc00000, 12, EXO_RWX));
	mapped(S2, 0xc00000, 0, -1);
	send_item_notmine(EXO_GRANTITEM(0, EXO_FPAGE(EXO_USER_KIP, 12, EXO_R)),
			  EXO_FPAGE(0xc00000, 12, EXO_RWX));
	mapped(S2, 0xc00000, 0, -1);
	cr_assert_eq(arch_space_lookup(&S1->pt, EXO_USER_KIP, EXO_R, &pa), 0,
		     "the KIP was granted away");
	/* Nor σ0's memory: A's space is not σ0's. */
	send_item_notmine(EXO_MAPITEM(0, EXO_FPAGE(EXO_USER_SIGMA0_BASE +
						   kernel_kip()->sigma0_first, 12, EXO_RWX)),
			  EXO_FPAGE(0xc00000, 12, EXO_RWX));
	mapped(S2, 0xc00000, 0, -1);
	/* Of an fpage partly had (32 pages, the first 16 A's), that part arrives:
	 * no error. */
	send_item(EXO_MAPITEM(0, EXO_FPAGE(MEM_VA, 17, EXO_R)),
		  EXO_FPAGE(0xe00000, 17, EXO_RWX));
	mapped(S2, 0xe00000, MEM_PA, EXO_R);
	mapped(S2, 0xe00000 + (MEM_PAGES - 1) * PAGE, MEM_PA + (MEM_PAGES - 1) * PAGE, EXO_R);
	mapped(S2, 0xe00000 + MEM_PAGES * PAGE, 0, -1);
}

/* The error names the failing item; those before it were passed, those
 * after it not. */
Test(ipc, a_failing_item_is_named_and_ends_the_transfer)
{
	u64 e = EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 1, 0);

	world(2);
	block(B, NIL, ANY, NEVER);
	B->utcb->acceptor = EXO_FPAGE(0x800000, 22, EXO_RWX);
	make_current(A);
	PUT(A, EXO_TAG(0x77, 0, 6), EXO_MAPITEM(0, EXO_FPAGE(MEM_VA, 12, EXO_R)),
	    EXO_MAPITEM(0x1000, EXO_FPAGE(0x500000, 12, EXO_R)),
	    EXO_MAPITEM(0x2000, EXO_FPAGE(MEM_VA + PAGE, 12, EXO_R)));
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
	cr_assert_eq(A->ctx.rdx, e, "error word %#lx, want %#lx", A->ctx.rdx, e);
	cr_assert_eq(EXO_IPC_ERR_ITEM(B->ctx.rdx), 1);
	cr_assert_eq(EXO_IPC_ERR_RECV(B->ctx.rdx), 1);
	mapped(S2, 0x800000, MEM_PA, EXO_R);
	mapped(S2, 0x801000, 0, -1);
	mapped(S2, 0x802000, 0, -1);
}

/* Page faults: a call from the faulting thread to its pager */

#define FAULT_VA 0x700123ULL
#define FAULT_IP 0x401234ULL

/* B's pager is A (set the way a task sets it: exchange_registers). */
static void
pager_is_a(void)
{
	make_current(A);
	cr_assert_eq(call(A, SYS_exchange_registers, B->id, EXR_SET_PAGER, 0, 0, A->id),
		     0);
	cr_assert_eq(B->pager, A->id);
	cr_assert_eq(B->utcb->pager, A->id);
}

/* B, running, faults writing FAULT_VA at FAULT_IP: who runs next. */
static struct thread *
b_faults(u64 error, struct trapframe *saved)
{
	make_current(B);
	for (u64 *r = (u64 *)&B->ctx; r < (u64 *)(&B->ctx + 1); r++)
		*r = 0xb0b0000 + (u64)(r - (u64 *)&B->ctx);
	B->ctx.rip = FAULT_IP;
	*saved = B->ctx;
	return kernel_exception(B, 14, error, FAULT_VA);
}

Test(ipc, page_fault_reaches_the_waiting_pager)
{
	struct trapframe saved;

	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	cr_assert_eq(b_faults(0x6, &saved), A, "no direct switch to the pager");
	GOT(A, B->id, EXO_TAG(EXO_LABEL_PF(EXO_W), 2, 0), FAULT_VA, FAULT_IP);
	cr_assert(EXO_LABEL_IS_PF(EXO_TAG_LABEL(A->ctx.r8)));
	cr_assert_eq(B->state, TS_RECV_FAULT);
	cr_assert_eq(B->partner, A->id);
	/* The pager maps a page where the fault was and lets B go on. */
	PUT(A, EXO_TAG(0, 0, 2), EXO_MAPITEM(FAULT_VA, EXO_FPAGE(MEM_VA, 12, EXO_R | EXO_W)));
	cr_assert_eq(ipc(A, B->id, ANY, NEVER), B);
	cr_assert_eq(A->ctx.rdx, 0);
	cr_assert_eq(A->state, TS_RECEIVING);
	mapped(S2, EXO_PAGE_DOWN(FAULT_VA), MEM_PA, EXO_R | EXO_W);
	cr_assert(mdb_check());
	cr_assert_eq(memcmp(&B->ctx, &saved, sizeof(saved)), 0,
		     "the fault's IPC changed the faulting thread's registers");
}

/*
 * An exception entry that is not a user address kills the thread at its
 * next exception (<exo/exo.h>) with the #GP the CPU's delivery raises
 * (entry.S kfault_gp), on the portable path too: a page fault is not handed
 * to the pager instead, and the fault's vector is not the one reported.
 */
Test(ipc, page_fault_with_a_bad_exception_entry_kills)
{
	struct trapframe saved;
	struct exo_xframe *x;

	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	cr_assert_eq(env_entry(B, EXO_ENTRY_EXCEPTION, 0x402000, 0x9000), 0);
	x = (struct exo_xframe *)((u8 *)B->utcb + EXO_UTCB_XFRAME);
	x->entry_pc = 1ULL << 63;       /* B's own frame: it may */
	kopts.verbose = true;   /* the kernel says what killed a thread */
	b_faults(0x6, &saved);
	cr_assert_eq(A->state, TS_RECEIVING, "the pager got no fault message");
	cr_assert_eq(B->state, TS_FREE, "B went on (state %u)", B->state);
	cr_assert_not_null(strstr(fake_console, "killed: vector 13 at 0x8000000000000000"),
			   "not the #GP at the entry:\n%s", fake_console);
}

Test(ipc, page_fault_access_kinds)
{
	struct trapframe saved;
	static const struct { u64 error; u32 access; } kinds[] = {
		{ 0x0, EXO_R }, { 0x4, EXO_R }, { 0x2, EXO_W }, { 0x7, EXO_W },
		{ 0x10, EXO_X }, { 0x15, EXO_X },
	};

	world(3);
	pager_is_a();
	for (unsigned i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		block(A, NIL, ANY, NEVER);
		cr_assert_eq(b_faults(kinds[i].error, &saved), A);
		GOT(A, B->id, EXO_TAG(EXO_LABEL_PF(kinds[i].access), 2, 0), FAULT_VA, FAULT_IP);
		/* An empty reply: B retries (and would fault again). */
		PUT(A, EXO_TAG(0, 0, 0));
		cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
		cr_assert_eq(B->state, TS_READY);
		cr_assert_eq(memcmp(&B->ctx, &saved, sizeof(saved)), 0);
	}
	mapped(S2, EXO_PAGE_DOWN(FAULT_VA), 0, -1);
}

Test(ipc, page_fault_waits_for_a_busy_pager)
{
	struct trapframe saved;

	world(3);
	pager_is_a();
	cr_assert_neq(b_faults(0x4, &saved), A);
	cr_assert_eq(B->state, TS_SEND_FAULT);
	cr_assert_eq(A->sendq, B);
	/* The pager's next receive gets it; a pager that only takes what it
	 * asked for (closed on someone else) does not. */
	make_current(A);
	cr_assert_eq(ipc(A, NIL, C->id, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), A);
	GOT(A, B->id, EXO_TAG(EXO_LABEL_PF(EXO_R), 2, 0), FAULT_VA, FAULT_IP);
	cr_assert_eq(B->state, TS_RECV_FAULT);
	/* Another thread's message does not end the fault: only the pager's. */
	make_current(C);
	PUT(C, EXO_TAG(0, 0, 0));
	cr_assert_eq(ipc(C, B->id, NIL, ZERO_SEND), C);
	failed(C, EXO_IPC_TIMEOUT, false);
	cr_assert_eq(B->state, TS_RECV_FAULT);
	make_current(A);
	PUT(A, EXO_TAG(0, 0, 2), EXO_MAPITEM(FAULT_VA, EXO_FPAGE(MEM_VA, 12, EXO_R)));
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
	mapped(S2, EXO_PAGE_DOWN(FAULT_VA), MEM_PA, EXO_R);
	cr_assert_eq(memcmp(&B->ctx, &saved, sizeof(saved)), 0);
}

/* exchange_registers aborts a fault's IPC in either phase: B's registers
 * stay as they were (it retries the instruction), the pager's queue and a
 * later reply find it gone. */
/* A receive from nil with a relative timeout sleeps; never and zero do not. */
Test(ipc, receive_from_nil_with_a_timeout_sleeps)
{
	world(3);
	cr_assert_eq(ipc(A, NIL, NIL, 0), A, "never: no receive phase");
	cr_assert_eq(A->ctx.rdx, 0);
	cr_assert_eq(ipc(A, NIL, NIL, EXO_TIMEOUTS(0, EXO_TIMEOUT_ZERO)), A,
		     "zero: no receive phase");
	cr_assert_eq(ipc(A, NIL, NIL, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(500))), B,
		     "a receive from nil returned at once");
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_neq(A->wakeup, 0, "no timeout armed");
	sched_timer(A->wakeup);        /* the timer fires at its deadline */
	cr_assert_eq(A->state, TS_READY);
	failed(A, EXO_IPC_TIMEOUT, true);
}

Test(ipc, page_fault_ipc_aborted_while_queued_at_the_pager)
{
	struct trapframe saved;

	world(3);
	pager_is_a();
	cr_assert_neq(b_faults(0x4, &saved), A);
	cr_assert_eq(B->state, TS_SEND_FAULT);
	make_current(C);
	cr_assert_eq(call(C, SYS_exchange_registers, B->id, EXR_ABORT_RECV, 0, 0, 0),
		     EXR_WAS_SENDING, "the fault's send phase is not reported");
	cr_assert_eq(B->state, TS_SEND_FAULT, "a receive abort ended a send phase");
	cr_assert_eq(call(C, SYS_exchange_registers, B->id, EXR_ABORT_SEND, 0, 0, 0),
		     EXR_WAS_SENDING);
	cr_assert_eq(B->state, TS_READY);
	cr_assert_not_null(B->rnext, "the aborted thread is not ready");
	cr_assert_null(A->sendq, "the aborted fault is still queued at the pager");
	cr_assert_eq(memcmp(&B->ctx, &saved, sizeof(saved)), 0, "registers changed");
	/* The pager's receive finds nothing. */
	make_current(A);
	cr_assert_eq(ipc(A, NIL, ANY, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
}

Test(ipc, page_fault_ipc_aborted_while_waiting_for_the_reply)
{
	struct trapframe saved;

	world(3);
	pager_is_a();
	cr_assert_neq(b_faults(0x4, &saved), A);
	make_current(A);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), A);
	cr_assert_eq(B->state, TS_RECV_FAULT);
	make_current(C);
	cr_assert_eq(call(C, SYS_exchange_registers, B->id, EXR_ABORT_RECV | EXR_HALT, 0, 0, 0),
		     EXR_WAS_RECEIVING);
	cr_assert_eq(B->state, TS_READY);
	cr_assert(B->flags & TF_HALT);
	cr_assert_eq(memcmp(&B->ctx, &saved, sizeof(saved)), 0, "registers changed");
	/* The pager's reply: B no longer waits; nothing is mapped. */
	make_current(A);
	PUT(A, EXO_TAG(0, 0, 2), EXO_MAPITEM(FAULT_VA, EXO_FPAGE(MEM_VA, 12, EXO_R)));
	cr_assert_eq(ipc(A, B->id, NIL, ZERO_SEND), A);
	failed(A, EXO_IPC_TIMEOUT, false);
	mapped(S2, EXO_PAGE_DOWN(FAULT_VA), 0, -1);
	/* Resumed, B faults again at the same place: a new fault IPC. */
	make_current(C);
	cr_assert_eq(call(C, SYS_exchange_registers, B->id, EXR_RESUME, 0, 0, 0), EXR_WAS_HALTED);
	cr_assert_neq(b_faults(0x4, &saved), B);
	cr_assert(B->state == TS_SEND_FAULT || B->state == TS_RECV_FAULT);
}

Test(ipc, page_fault_ipc_of_a_deleted_thread)
{
	struct trapframe saved;

	world(3);
	pager_is_a();
	cr_assert_neq(b_faults(0x4, &saved), A);
	make_current(A);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), A);
	cr_assert_eq(B->state, TS_RECV_FAULT);
	delete_thread(C, B);
	make_current(A);
	PUT(A, EXO_TAG(0, 0, 2), EXO_MAPITEM(FAULT_VA, EXO_FPAGE(MEM_VA, 12, EXO_R)));
	cr_assert_eq(ipc(A, B->id, NIL, ZERO_SEND), A);
	failed(A, EXO_IPC_NOPARTNER, false);
}

/* A pager that answers a fault with memory it does not have learns it; the
 * faulting thread is not killed: it retries (and faults again). */
Test(ipc, a_pager_reply_with_memory_it_has_not_fails)
{
	struct trapframe saved;

	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	cr_assert_eq(b_faults(0x6, &saved), A);
	PUT(A, EXO_TAG(0, 0, 2), EXO_MAPITEM(FAULT_VA, EXO_FPAGE(0x900000, 12, EXO_RW)));
	cr_assert_eq(ipc(A, B->id, ANY, EXO_TIMEOUTS(EXO_TIMEOUT_ZERO, 0)), A);
	failed(A, EXO_IPC_NOTMINE, false);
	cr_assert_eq(B->state, TS_READY);
	cr_assert_not_null(thread_lookup(B->id), "the faulting thread was killed");
	cr_assert_eq(memcmp(&B->ctx, &saved, sizeof(saved)), 0);
	mapped(S2, EXO_PAGE_DOWN(FAULT_VA), 0, -1);
}

Test(ipc, page_fault_without_pager_kills_the_thread)
{
	struct trapframe saved;
	u64 id;

	world(3);
	id = B->id;
	/* B is not in its task's root space: it dies alone, with no report. */
	cr_assert_eq(b_faults(0x6, &saved), C);
	cr_assert_null(thread_lookup(id));
	cr_assert_eq(fake_nevents, 0);
	cr_assert_eq(A->state, TS_READY);
}

Test(ipc, page_fault_pager_dies)
{
	struct trapframe saved;
	u64 id;

	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	cr_assert_eq(b_faults(0x6, &saved), A);
	id = B->id;
	/* The pager goes away before it replies: the fault stays unresolved. */
	make_current(C);
	cr_assert_eq(call(C, SYS_thread_control, A->id, NIL, NIL, 0, 0), 0);
	cr_assert_null(thread_lookup(id), "the faulting thread outlived its pager");
}

Test(ipc, page_fault_reply_overflow_kills_the_thread)
{
	struct trapframe saved;
	u64 id;

	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	cr_assert_eq(b_faults(0x6, &saved), A);
	id = B->id;
	*mr(A, 0) = EXO_TAG(0, 0, 1);
	cr_assert_eq(ipc(A, B->id, NIL, NEVER), A);
	failed(A, EXO_IPC_OVERFLOW, false);
	cr_assert_null(thread_lookup(id));
}

/* Interrupts: messages from interrupt threads */

static void
a_drives_irq(void)
{
	make_current(A);
	cr_assert_eq(call(A, SYS_irq_control, IRQ, A->id, 0, 0, 0), 0);
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].handler, A->id);
}

#define IRQ_TAG EXO_TAG(EXO_LABEL_INTERRUPT, 0, 0)

Test(ipc, interrupt_to_a_waiting_driver)
{
	struct thread *irq = &threads[EXO_IRQ_CONSOLE];

	world(2);
	a_drives_irq();
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);
	cr_assert_eq(fake_interrupt(B, false, EXO_IRQ_CONSOLE), B);
	GOT(A, IRQ, IRQ_TAG);
	cr_assert_eq(A->state, TS_READY);
	cr_assert_eq(irq->state, TS_IRQ_ACK);
	/* Fired again before the ack: nothing more is delivered. */
	fake_interrupt(B, false, EXO_IRQ_CONSOLE);
	fake_interrupt(B, false, EXO_IRQ_CONSOLE);
	make_current(A);
	cr_assert_eq(ipc(A, NIL, ANY, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
	cr_assert_null(A->sendq);
	/* The ack (a reply to the interrupt thread) unmasks the line: what
	 * fired meanwhile comes once, in the same system call. */
	PUT(A, EXO_TAG(0, 0, 0));
	cr_assert_eq(ipc(A, IRQ, ANY, NEVER), A);
	GOT(A, IRQ, IRQ_TAG);
	cr_assert_eq(irq->state, TS_IRQ_ACK);
	cr_assert_eq(irq->irq_missed, 0);
	/* Acked again with nothing pending: nothing comes. */
	cr_assert_eq(ipc(A, IRQ, IRQ, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
	cr_assert_eq(irq->state, TS_IRQ_IDLE);
}

Test(ipc, interrupt_queued_while_the_driver_is_busy)
{
	struct thread *irq = &threads[EXO_IRQ_CONSOLE];

	world(2);
	a_drives_irq();
	cr_assert_eq(fake_interrupt(A, false, EXO_IRQ_CONSOLE), A);
	cr_assert_eq(irq->state, TS_IRQ_PENDING);
	cr_assert_eq(A->sendq, irq);
	/* One delivery while pending, as while unacknowledged. */
	fake_interrupt(A, false, EXO_IRQ_CONSOLE);
	cr_assert_eq(ipc(A, NIL, IRQ, NEVER), A);
	GOT(A, IRQ, IRQ_TAG);
	cr_assert_eq(irq->state, TS_IRQ_ACK);
	PUT(A, EXO_TAG(0, 0, 0));
	cr_assert_eq(ipc(A, IRQ, ANY, NEVER), A);
	GOT(A, IRQ, IRQ_TAG);
	cr_assert_eq(ipc(A, IRQ, ANY, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
}

Test(ipc, interrupt_without_driver_is_dropped)
{
	world(2);
	cr_assert_eq(fake_interrupt(A, false, EXO_IRQ_CONSOLE), A);
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].state, TS_IRQ_IDLE);
	/* The arch layer never raises a line that does not exist (kernel_irq
	 * asserts it); the IPC core drops one anyway. */
	cr_assert_null(ipc_irq(EXO_NIRQ + 1));
	cr_assert_null(ipc_irq(0));
	a_drives_irq();
	cr_assert_eq(ipc(A, NIL, ANY, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
}

Test(ipc, only_the_driver_acks)
{
	world(2);
	a_drives_irq();
	fake_interrupt(A, false, EXO_IRQ_CONSOLE);
	make_current(B);
	PUT(B, EXO_TAG(0, 0, 0));
	cr_assert_eq(ipc(B, IRQ, NIL, NEVER), B);
	failed(B, EXO_IPC_NOPARTNER, false);
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].state, TS_IRQ_PENDING);
}

Test(ipc, irq_control_checks)
{
	world(3);
	/* B's space is not privileged. */
	make_current(B);
	cr_assert_eq(call(B, SYS_irq_control, IRQ, B->id, 0, 0, 0), -E_PERM);
	make_current(A);
	cr_assert_eq(call(A, SYS_irq_control, IRQ, B->id, 0, 0, 0), -E_INVAL,
		     "a driver in another space");
	cr_assert_eq(call(A, SYS_irq_control, C->id, A->id, 0, 0, 0), -E_INVAL,
		     "not an interrupt thread");
	cr_assert_eq(call(A, SYS_irq_control, EXO_TID(EXO_IRQ_CONSOLE, 2), A->id, 0, 0, 0),
		     -E_INVAL, "a wrong version");
	cr_assert_eq(call(A, SYS_irq_control, IRQ, A->id, 0, 0, 0), 0);
	cr_assert_eq(call(A, SYS_irq_control, IRQ, C->id, 0, 0, 0), -E_FAULT,
		     "a second driver");
	/* Detach, and the line is dropped again. */
	cr_assert_eq(call(A, SYS_irq_control, IRQ, NIL, 0, 0, 0), 0);
	fake_interrupt(A, false, EXO_IRQ_CONSOLE);
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].state, TS_IRQ_IDLE);
	cr_assert_null(A->sendq);
}

Test(ipc, detach_takes_a_pending_interrupt_back)
{
	world(2);
	a_drives_irq();
	fake_interrupt(A, false, EXO_IRQ_CONSOLE);
	cr_assert_eq(A->sendq, &threads[EXO_IRQ_CONSOLE]);
	cr_assert_eq(call(A, SYS_irq_control, IRQ, NIL, 0, 0, 0), 0);
	cr_assert_null(A->sendq);
	cr_assert_eq(ipc(A, NIL, ANY, ZERO_RECV), A);
	failed(A, EXO_IPC_TIMEOUT, true);
}

Test(ipc, driver_death_detaches)
{
	world(3);
	a_drives_irq();
	fake_interrupt(A, false, EXO_IRQ_CONSOLE);
	make_current(C);
	cr_assert_eq(call(C, SYS_thread_control, A->id, NIL, NIL, 0, 0), 0);
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].handler, NIL);
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].state, TS_IRQ_IDLE);
	/* The line is free for another driver. */
	cr_assert_eq(call(C, SYS_irq_control, IRQ, C->id, 0, 0, 0), 0);
}

Test(ipc, timer_interrupt_ticks)
{
	u64 timer = EXO_IRQ_TID(EXO_IRQ_TIMER);

	world(2);
	fake_now = 5000;
	make_current(A);
	cr_assert_eq(call(A, SYS_irq_control, timer, A->id, 0, 0, 0), 0);
	cr_assert_eq(fake_timer, 5000 + EXO_TIMER_IRQ_US, "the tick is not armed");
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);
	cr_assert_eq(fake_timer_fire(B), B);
	GOT(A, timer, IRQ_TAG);
	cr_assert_eq(fake_timer, 5000 + 2 * EXO_TIMER_IRQ_US, "the next tick is not armed");
	/* Detached: the tick stops. */
	make_current(A);
	cr_assert_eq(call(A, SYS_irq_control, timer, NIL, 0, 0, 0), 0);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);
	fake_now += 10 * EXO_TIMER_IRQ_US;
	if (fake_timer)
		fake_timer_fire(B);
	cr_assert_eq(A->state, TS_RECEIVING);
}

/*
 * The fast path equals the general path.
 *
 * A case builds a world and leaves the caller running with its IPC in its
 * registers, as the entry code saves them. The world is then doubled with
 * fork(): the core keeps state in file-scope statics (scheduler queues, the
 * space table, the mapping database) that have no reset, and a forked
 * process has all of it identical to the byte, at the same addresses, so
 * pointers compare. The child takes the general path (trap_ipc_slow does
 * kernel_syscall) and writes down what it left; the parent takes the fast
 * path and, if it declines, checks it changed nothing and goes on as the
 * entry code does: the general path. Then every field of every thread, each
 * UTCB, current and the GS base (the UTCB) must be the same in both worlds.
 *
 * The fast path leaves the message in the CPU registers and the exit code
 * (entry.S, ipc_entry) zeroes rdx: the model below writes those registers
 * into the receiver's saved ones, so they compare. The registers a message
 * does not use keep no promise (<exo/ipc.h>) and are not compared. The
 * other registers ipc_entry leaves in the CPU or does not save (rbp among
 * them) are the asm's business, outside this model.
 */
struct snap {
	struct thread th[NTHREADS];
	struct exo_utcb utcb[NTHREADS];
	struct thread *running;
	u64 cur_utcb;
	u64 nodes;
};

#define FIELD(f) { #f, offsetof(struct thread, f), sizeof(((struct thread *)0)->f) }
static const struct field {
	const char *name;
	size_t off, size;
} fields[] = {
	FIELD(ctx.r15), FIELD(ctx.r14), FIELD(ctx.r13), FIELD(ctx.r12),
	FIELD(ctx.r11), FIELD(ctx.r10), FIELD(ctx.r9), FIELD(ctx.r8),
	FIELD(ctx.rbp), FIELD(ctx.rdi), FIELD(ctx.rsi), FIELD(ctx.rdx),
	FIELD(ctx.rcx), FIELD(ctx.rbx), FIELD(ctx.rax), FIELD(ctx.vector),
	FIELD(ctx.error), FIELD(ctx.rip), FIELD(ctx.cs), FIELD(ctx.rflags),
	FIELD(ctx.rsp), FIELD(ctx.ss),
	FIELD(id), FIELD(state), FIELD(flags), FIELD(partner), FIELD(wakeup),
	FIELD(timeouts), FIELD(root), FIELD(space), FIELD(utcb), FIELD(utcb_va),
	FIELD(utcb_pa), FIELD(pager), FIELD(handler), FIELD(sendq), FIELD(qnext),
	FIELD(qprev), FIELD(rnext), FIELD(rprev), FIELD(tnext), FIELD(tprev),
	FIELD(fault_addr), FIELD(fault_ip), FIELD(fault_access), FIELD(prio),
	FIELD(irq_missed), FIELD(arch_fpu_saved), FIELD(doom_vector), FIELD(doom_error), FIELD(doom_addr),
	FIELD(doom_ip),
};
/* A new field of struct thread must be compared: add it above, then here
 * (392 bytes of fields, padded to 1024: the guard below the next thread's
 * ctx, thread.h). */
_Static_assert(__builtin_offsetof(struct thread, doom_ip) + 8 == 392 &&
	       sizeof(struct thread) == 1024, "struct thread changed: see fields[]");

static void
snap(struct snap *s)
{
	memcpy(s->th, threads, sizeof(threads));
	memset(s->utcb, 0, sizeof(s->utcb));
	for (u32 i = 0; i < NTHREADS; i++)
		if (threads[i].state != TS_FREE && threads[i].utcb)
			s->utcb[i] = *threads[i].utcb;
	s->running = current;
	s->cur_utcb = fake_gs_base;
	s->nodes = mdb_nodes_live();
}

static u64
field_value(const struct thread *t, const struct field *f)
{
	u64 v = 0;

	memcpy(&v, (const char *)t + f->off, f->size);
	return v;
}

/* Is field f of the receiver one of MR(u+1)..MR7, which carry no promise? */
static bool
unused_mr(const struct field *f, u32 u)
{
	struct thread t;

	for (u32 i = u + 1; i < EXO_REG_MRS; i++)
		if ((size_t)((char *)mr(&t, i) - (char *)&t) == f->off)
			return true;
	return false;
}

/* x and y (what) the same; for thread rcv (if any), only MR0..MRu of the
 * message registers. */
static void
same(const char *what, const struct snap *x, const struct snap *y,
     const struct thread *rcv, u32 u)
{
	cr_assert_eq(x->running, y->running, "%s: current is thread %ld, not %ld", what,
		     x->running ? x->running - threads : -1L,
		     y->running ? y->running - threads : -1L);
	cr_assert_eq(x->cur_utcb, y->cur_utcb, "%s: the UTCB in the GS base", what);
	cr_assert_eq(x->nodes, y->nodes, "%s: mapping nodes", what);
	for (u32 i = 0; i < NTHREADS; i++) {
		for (size_t k = 0; k < sizeof(fields) / sizeof(fields[0]); k++) {
			const struct field *f = &fields[k];
			u64 a = field_value(&x->th[i], f), b = field_value(&y->th[i], f);

			if (&threads[i] == rcv && unused_mr(f, u))
				continue;
			cr_assert_eq(a, b, "%s: thread %u: %s is %#lx, not %#lx", what, i,
				     f->name, a, b);
		}
		cr_assert_eq(memcmp(&x->utcb[i], &y->utcb[i], sizeof(x->utcb[i])), 0,
			     "%s: thread %u: UTCB", what, i);
	}
}

/* The registers of an IPC, as ipc_entry hands them to ipc_fastpath. */
struct ipc_call {
	struct thread *t;
	u64 to, from, timeouts;
};

struct fs_case {
	const char *name;
	struct ipc_call (*build)(void);
	bool fast;                          /* the fast path takes it */
	void (*check)(void);                /* the outcome, in the fast world */
};

/* The caller's registers as the entry code leaves them. */
static struct ipc_call
ready_call(struct thread *t, u64 to, u64 from, u64 timeouts)
{
	cr_assert_eq(t, current);
	t->ctx.rax = SYS_ipc;
	t->ctx.rdi = to;
	t->ctx.rsi = from;
	t->ctx.rdx = timeouts;
	return (struct ipc_call){ t, to, from, timeouts };
}

/* What ipc_entry does after the fast path said yes, in saved registers:
 * MR0..MR7 come from the caller's CPU registers, rdx is zeroed, the KIP
 * and the CPU switch to the receiver (sched_switch's work in C). */
static void
fast_exit(struct thread *caller, struct thread *rcv)
{
	for (u32 i = 0; i < EXO_REG_MRS; i++)
		*mr(rcv, i) = *mr(caller, i);
	rcv->ctx.rdx = 0;
	fake_gs_base = rcv->utcb_va;   /* entry.S: wrgsbase */
	fake_switched = rcv;
}

static void
fast_equals_slow(const struct fs_case *c)
{
	struct snap *slow, *before, *fast;
	struct ipc_call k;
	struct thread *rcv;
	int status;
	pid_t pid;

	slow = mmap(NULL, sizeof(*slow), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(slow, MAP_FAILED);
	before = malloc(sizeof(*before));
	fast = malloc(sizeof(*fast));
	cr_assert(before && fast);
	k = c->build();
	snap(before);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		fake_arm();             /* a noreturn call would be a failure */
		if (setjmp(fake_jmp) == 0) {
			kernel_syscall(k.t);
			snap(slow);
			_exit(0);
		}
		_exit(3);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s: the general path failed (status %#x)", c->name, status);

	rcv = ipc_fastpath(k.to, k.from, k.timeouts, k.t, *mr(k.t, 0));
	if (rcv) {
		cr_assert_eq(rcv, current, "%s: the fast path's receiver is not current",
			     c->name);
		fast_exit(k.t, rcv);
	} else {
		snap(fast);
		same("declined, yet changed", fast, before, NULL, 0);
		kernel_syscall(k.t);
	}
	snap(fast);
	cr_assert_eq(rcv != NULL, c->fast, "%s: the fast path %s it", c->name,
		     rcv ? "took" : "declined");
	same(c->name, fast, slow, rcv, EXO_TAG_U(*mr(k.t, 0)));
	if (c->check)
		c->check();
	munmap(slow, sizeof(*slow));
	free(before);
	free(fast);
}

/* Cases. The world has A, B, C (D where named); A calls unless said. */

static struct ipc_call
build_call_open(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 3, 0), 1, 2, 3);
	return ready_call(A, B->id, B->id, NEVER);
}

static void
check_call(void)
{
	cr_assert_eq(current, B);
	GOT(B, A->id, EXO_TAG(0x11, 3, 0), 1, 2, 3);
	cr_assert_eq(A->state, TS_RECEIVING);
}

static struct ipc_call
build_call_closed_on_us(void)
{
	world(3);
	block(B, NIL, A->id, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 3, 0), 1, 2, 3);
	return ready_call(A, B->id, B->id, NEVER);
}

static struct ipc_call
build_call_closed_on_other(void)
{
	world(3);
	block(B, NIL, C->id, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, B->id, NEVER);
}

static void
check_blocked_sending(void)
{
	cr_assert_eq(A->state, TS_SENDING);
	cr_assert_eq(B->sendq, A);
}

static struct ipc_call
build_call_with_queued_senders(void)
{
	world(3);
	PUT(C, EXO_TAG(0, 0, 0));
	block(C, A->id, NIL, NEVER);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 2, 0), 1, 2);
	return ready_call(A, B->id, B->id, NEVER);
}

/* A serves: B called it and waits for the reply. */
static void
a_serves_b(void)
{
	world(3);
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);
	PUT(B, EXO_TAG(1, 1, 0), 10);
	cr_assert_eq(ipc(B, A->id, A->id, NEVER), A);
}

static struct ipc_call
build_reply_and_wait(void)
{
	a_serves_b();
	PUT(A, EXO_TAG(0x22, 2, 0), 7, 8);
	return ready_call(A, B->id, ANY, NEVER);
}

static void
check_reply_and_wait(void)
{
	cr_assert_eq(current, B);
	GOT(B, A->id, EXO_TAG(0x22, 2, 0), 7, 8);
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(A->partner, ANY);
}

static struct ipc_call
build_reply_and_wait_queued(void)
{
	a_serves_b();
	make_current(C);
	PUT(C, EXO_TAG(3, 1, 0), 30);
	block(C, A->id, A->id, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x22, 2, 0), 7, 8);
	return ready_call(A, B->id, ANY, NEVER);
}

static void
check_reply_and_wait_queued(void)
{
	cr_assert_eq(current, A);
	GOT(A, C->id, EXO_TAG(3, 1, 0), 30);
	GOT(B, A->id, EXO_TAG(0x22, 2, 0), 7, 8);
}

static struct ipc_call
build_receiver_with_timeout(void)
{
	world(3);
	block(B, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(500)));
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, B->id, NEVER);
}

static struct ipc_call
build_typed_items(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	B->utcb->acceptor = EXO_FPAGE(0x800000, 22, EXO_RWX);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 2), 1, EXO_MAPITEM(0, EXO_FPAGE(MEM_VA, 12, EXO_R)));
	return ready_call(A, B->id, B->id, NEVER);
}

static void
check_typed_items(void)
{
	mapped(S2, 0x800000, MEM_PA, EXO_R);
}

static struct ipc_call
build_u(u32 u)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	for (u32 i = 1; i <= u; i++)
		*mr(A, i) = 0xa0 + i;
	*mr(A, 0) = EXO_TAG(0x11, u, 0);
	return ready_call(A, B->id, B->id, NEVER);
}

static struct ipc_call build_u7(void) { return build_u(7); }
static struct ipc_call build_u8(void) { return build_u(8); }

static void
check_u8(void)
{
	cr_assert_eq(B->utcb->mr[8], 0xa8);
}

static struct ipc_call
build_zero_send_timeout(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, B->id, ZERO_SEND);
}

static struct ipc_call
build_zero_send_timeout_no_receiver(void)
{
	world(3);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, B->id, ZERO_SEND);
}

static void
check_send_timeout(void)
{
	failed(A, EXO_IPC_TIMEOUT, false);
}

static struct ipc_call
build_caller_receive_timeout(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, B->id, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100)));
}

static struct ipc_call
build_dead_id(void)
{
	u64 old;

	world(3);
	old = B->id;
	delete_thread(A, B);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, old, old, NEVER);
}

static void
check_nopartner(void)
{
	failed(A, EXO_IPC_NOPARTNER, false);
}

static struct ipc_call
build_stale_id(void)
{
	struct thread *e;
	u64 old;

	world(3);
	old = B->id;
	delete_thread(A, B);
	e = fix_thread(fix_space(S1, false), PRIO_DEFAULT);
	cr_assert_eq(EXO_TID_NO(e->id), EXO_TID_NO(old));
	block(e, NIL, ANY, NEVER);           /* the new thread waits: a trap */
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, old, old, NEVER);
}

static struct ipc_call
build_to_self(void)
{
	world(3);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, A->id, A->id, NEVER);
}

static struct ipc_call
build_to_interrupt_thread(void)
{
	world(3);
	a_drives_irq();
	cr_assert_eq(ipc(A, NIL, ANY, NEVER), B);
	fake_interrupt(B, false, EXO_IRQ_CONSOLE);
	make_current(A);
	PUT(A, EXO_TAG(0, 0, 0));
	return ready_call(A, IRQ, IRQ, NEVER);
}

static void
check_acked(void)
{
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].state, TS_IRQ_IDLE);
	cr_assert_eq(A->state, TS_RECEIVING);
}

static struct ipc_call
build_receiver_halted(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(C);
	cr_assert_eq(call(C, SYS_exchange_registers, B->id, EXR_HALT, 0, 0, 0),
		     EXR_WAS_RECEIVING);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, B->id, NEVER);
}

static void
check_receiver_halted(void)
{
	cr_assert_neq(current, B, "a halted thread runs");
	GOT(B, A->id, EXO_TAG(0x11, 1, 0), 1);
}

static struct ipc_call
build_send_only(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, NIL, NEVER);
}

static struct ipc_call
build_send_and_receive_from_another(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0), 1);
	return ready_call(A, B->id, C->id, NEVER);
}

static struct ipc_call
build_tag_flags(void)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	PUT(A, EXO_TAG(0x11, 1, 0) | (1ULL << 12), 1);
	return ready_call(A, B->id, B->id, NEVER);
}

static struct ipc_call
build_reply_to_page_fault(void)
{
	struct trapframe saved;

	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	cr_assert_eq(b_faults(0x6, &saved), A);
	PUT(A, EXO_TAG(0, 0, 0));
	return ready_call(A, B->id, ANY, NEVER);
}

/*
 * Priorities and the direct switch: A (150) calls B (100) while D (120) is
 * ready. B gets the message but does not run at once: it is queued, and D,
 * the highest ready, runs. With D at B's priority, B runs (the fast path).
 */
static struct ipc_call
build_call_higher_ready(u32 d_prio)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(A);
	A->prio = 150;          /* current: on no queue */
	D = fix_thread(S2, d_prio);
	PUT(A, EXO_TAG(0x11, 2, 0), 1, 2);
	return ready_call(A, B->id, B->id, NEVER);
}
static struct ipc_call build_call_higher_ready_120(void) { return build_call_higher_ready(120); }
static struct ipc_call
build_call_equal_ready(void)
{
	return build_call_higher_ready(PRIO_DEFAULT);
}

static void
check_higher_ready_runs(void)
{
	cr_assert_eq(current, D, "the woken thread ran before a higher priority");
	GOT(B, A->id, EXO_TAG(0x11, 2, 0), 1, 2);
	cr_assert_eq(B->state, TS_READY);
	cr_assert_not_null(B->rnext, "the woken thread is not queued");
	cr_assert_eq(A->state, TS_RECEIVING);
}

static void
check_equal_ready_switches(void)
{
	cr_assert_eq(current, B);
	GOT(B, A->id, EXO_TAG(0x11, 2, 0), 1, 2);
	cr_assert_not_null(D->rnext);
}

/* C's receive timed out, but the timer's interrupt has not come (on a PVM
 * host a thread that keeps entering the kernel can keep it out): the fast
 * path declines, and the general path does the timer's work on the way. */
static struct ipc_call
build_timer_overdue(void)
{
	world(3);
	fake_now = 1000;
	block(C, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100)));
	block(B, NIL, ANY, NEVER);
	make_current(A);
	fake_now = 5000;
	PUT(A, EXO_TAG(0x11, 1, 0), 9);
	return ready_call(A, B->id, B->id, NEVER);
}

static void
check_timer_overdue(void)
{
	GOT(B, A->id, EXO_TAG(0x11, 1, 0), 9);
	cr_assert_eq(C->state, TS_READY);
	failed(C, EXO_IPC_TIMEOUT, true);
}

static const struct fs_case fs_cases[] = {
	{ "a timer overdue", build_timer_overdue, false, check_timer_overdue },
	{ "call to an open receiver", build_call_open, true, check_call },
	{ "call to a receiver closed on us", build_call_closed_on_us, true, check_call },
	{ "call to a receiver closed on another", build_call_closed_on_other, false,
	  check_blocked_sending },
	{ "call with senders queued on us", build_call_with_queued_senders, true, NULL },
	{ "reply and wait", build_reply_and_wait, true, check_reply_and_wait },
	{ "reply and wait, a sender queued", build_reply_and_wait_queued, false,
	  check_reply_and_wait_queued },
	{ "receiver with a timeout", build_receiver_with_timeout, false, NULL },
	{ "typed items", build_typed_items, false, check_typed_items },
	{ "u = 7", build_u7, true, NULL },
	{ "u = 8", build_u8, false, check_u8 },
	{ "zero send timeout, receiver waiting", build_zero_send_timeout, true, NULL },
	{ "zero send timeout, no receiver", build_zero_send_timeout_no_receiver, false,
	  check_send_timeout },
	{ "caller with a receive timeout", build_caller_receive_timeout, false, NULL },
	{ "to a dead id", build_dead_id, false, check_nopartner },
	{ "to a stale version", build_stale_id, false, check_nopartner },
	{ "to itself", build_to_self, false, check_nopartner },
	{ "to an interrupt thread", build_to_interrupt_thread, false, check_acked },
	{ "to a halted receiver", build_receiver_halted, false, check_receiver_halted },
	{ "send only", build_send_only, false, NULL },
	{ "receive from a third thread", build_send_and_receive_from_another, false, NULL },
	{ "tag with flags", build_tag_flags, false, NULL },
	{ "reply to a page fault", build_reply_to_page_fault, false, NULL },
	{ "call, a higher priority than the receiver ready", build_call_higher_ready_120, false,
	  check_higher_ready_runs },
	{ "call, the receiver's priority ready", build_call_equal_ready, true,
	  check_equal_ready_switches },
};

#define NCASES (sizeof(fs_cases) / sizeof(fs_cases[0]))

ParameterizedTestParameters(ipc, fast_equals_slow)
{
	static unsigned idx[NCASES];

	for (unsigned i = 0; i < NCASES; i++)
		idx[i] = i;
	return cr_make_param_array(unsigned, idx, NCASES);
}

ParameterizedTest(unsigned *i, ipc, fast_equals_slow)
{
	fast_equals_slow(&fs_cases[*i]);
}

Test(ipc, fast_call_then_general_reply_is_a_success)
{
	u64 w[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct thread *rcv;

	/* A calls B with a zero send timeout (as a server replies to a client
	 * it does not trust); B waits, so the fast path takes it. */
	world(2);
	block(B, NIL, ANY, NEVER);
	PUT(A, EXO_TAG(1, 0, 0));
	ready_call(A, B->id, B->id, ZERO_SEND);
	rcv = ipc_fastpath(B->id, B->id, ZERO_SEND, A, *mr(A, 0));
	cr_assert_eq(rcv, B);
	fast_exit(A, B);
	/* B's reply does not fit the fast path (8 words): the general path
	 * delivers it into A's saved registers, rdx included. */
	put(B, EXO_TAG(2, 8, 0), w);
	cr_assert_eq(ipc(B, A->id, NIL, NEVER), B);
	got(A, B->id, EXO_TAG(2, 8, 0), w);
}

Test(ipc, halted_receiver_gets_the_message_and_waits_for_resume)
{
	world(3);
	block(B, NIL, ANY, NEVER);
	make_current(C);
	call(C, SYS_exchange_registers, B->id, EXR_HALT, 0, 0, 0);
	make_current(A);
	PUT(A, EXO_TAG(1, 1, 0), 5);
	cr_assert_eq(ipc(A, B->id, B->id, NEVER), C, "a halted thread was run");
	GOT(B, A->id, EXO_TAG(1, 1, 0), 5);
	cr_assert_null(B->rnext, "a halted thread is on the ready queue");
	cr_assert_eq(call(C, SYS_exchange_registers, B->id, EXR_RESUME, 0, 0, 0),
		     EXR_WAS_HALTED);
	make_current(B);
	GOT(B, A->id, EXO_TAG(1, 1, 0), 5);
}

/*
 * The page-fault fast path equals the general path, the same way: a case
 * builds a world, the general path runs in a forked child, the fast path
 * (with the general path after it if it declines) in the parent, and
 * everything the fast-path comparison above compares must be the same,
 * and the mapping database too: mdb_check in both worlds, the node at the
 * fault's page and the pager's node it derives from, byte for byte (a
 * forked world has its nodes at the same addresses).
 *
 * The fault half: B faults at FAULT_VA (kernel_pagefault_fast, then
 * kernel_exception if it declines). The reply half: A, B's pager, answers
 * the fault with a map item (ipc_fastpath_map when the tag's low bits say
 * one map item, as ipc_entry calls it, then kernel_syscall if it declines).
 * After either half the machine resumes the thread that came back with all
 * its saved registers (RESUME_RAX in entry.S), which the model below does
 * by switching to it as sched_switch would.
 */
struct pf_snap {
	struct snap s;
	bool mdb_ok;
	bool has_dst;
	struct mdb_node dst, src;
};

#define PF_FAULT_PAGE EXO_PAGE_DOWN(FAULT_VA)

static void
pf_snap(struct pf_snap *p)
{
	struct mdb_node *n;

	snap(&p->s);
	p->mdb_ok = mdb_check();
	n = mdb_lookup(S2, PF_FAULT_PAGE);
	p->has_dst = n != NULL;
	p->dst = n ? *n : (struct mdb_node){ 0 };
	n = mdb_lookup(S1, MEM_VA);
	p->src = n ? *n : (struct mdb_node){ 0 };
}

static void
pf_same(const char *what, const struct pf_snap *x, const struct pf_snap *y,
	const struct thread *rcv, u32 u)
{
	same(what, &x->s, &y->s, rcv, u);
	cr_assert(x->mdb_ok && y->mdb_ok, "%s: mdb_check fails", what);
	cr_assert_eq(x->has_dst, y->has_dst, "%s: the fault's page has a node in one world only",
		     what);
	cr_assert_eq(memcmp(&x->dst, &y->dst, sizeof(x->dst)), 0, "%s: the new node differs",
		     what);
	cr_assert_eq(memcmp(&x->src, &y->src, sizeof(x->src)), 0, "%s: its parent differs",
		     what);
}

/* What the entry code does with a thread the fast path hands back. */
static void
pf_exit(struct thread *next)
{
	cr_assert_eq(next, current, "the fast path's thread is not current");
	fake_gs_base = next->utcb_va;   /* the entry code's wrgsbase */
	fake_switched = next;
}

enum pf_half { PF_FAULT, PF_REPLY };

struct pf_case {
	const char *name;
	enum pf_half half;
	void (*build)(void);
	bool fast;
	void (*check)(void);
};

#define PF_ERROR 0x6            /* a user write to a page not present */

static struct thread *
pf_run_fast(enum pf_half half)
{
	if (half == PF_FAULT)
		return kernel_pagefault_fast(B, FAULT_VA, PF_ERROR);
	if ((u16)*mr(A, 0) != EXO_TAG(0, 0, 2))
		return NULL;            /* ipc_entry goes to ipc_fastpath */
	return ipc_fastpath_map(A->ctx.rdi, A->ctx.rsi, A->ctx.rdx, A, *mr(A, 1), *mr(A, 2));
}

static struct thread *
pf_run_slow(enum pf_half half)
{
	if (half == PF_FAULT)
		return kernel_exception(B, 14, PF_ERROR, FAULT_VA);
	return kernel_syscall(A);
}

static void
pf_fast_equals_slow(const struct pf_case *c)
{
	struct pf_snap *slow, *before, *fast;
	struct thread *next;
	int status;
	pid_t pid;

	slow = mmap(NULL, sizeof(*slow), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(slow, MAP_FAILED);
	before = malloc(sizeof(*before));
	fast = malloc(sizeof(*fast));
	cr_assert(before && fast);
	c->build();
	cr_assert_eq(current, c->half == PF_FAULT ? B : A, "%s: who enters", c->name);
	pf_snap(before);
	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		fake_arm();
		if (setjmp(fake_jmp) == 0) {
			pf_run_slow(c->half);
			pf_snap(slow);
			_exit(0);
		}
		_exit(3);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		  "%s: the general path failed (status %#x)", c->name, status);

	next = pf_run_fast(c->half);
	if (next) {
		pf_exit(next);
	} else {
		pf_snap(fast);
		pf_same("declined, yet changed", fast, before, NULL, 0);
		pf_run_slow(c->half);
	}
	pf_snap(fast);
	cr_assert_eq(next != NULL, c->fast, "%s: the fast path %s it", c->name,
		     next ? "took" : "declined");
	/* The pager receives MR1, MR2 of the fault message; the rest keep no
	 * promise. A resumed faulting thread keeps every register. */
	pf_same(c->name, fast, slow, c->half == PF_FAULT ? A : NULL, 2);
	if (c->check)
		c->check();
	munmap(slow, sizeof(*slow));
	free(before);
	free(fast);
}

/* Fault-half worlds: B runs and is about to fault; A is its pager. */

static void
b_runs(void)
{
	make_current(B);
	for (u64 *r = (u64 *)&B->ctx; r < (u64 *)(&B->ctx + 1); r++)
		*r = 0xb0b0000 + (u64)(r - (u64 *)&B->ctx);
	B->ctx.rip = FAULT_IP;
}

static void build_pf_open(void) { world(3); pager_is_a(); block(A, NIL, ANY, NEVER); b_runs(); }
static void build_pf_closed_on_b(void)
{
	world(3); pager_is_a(); block(A, NIL, B->id, NEVER); b_runs();
}
static void build_pf_closed_on_c(void)
{
	world(3); pager_is_a(); block(A, NIL, C->id, NEVER); b_runs();
}
static void build_pf_pager_timeout(void)
{
	world(3); pager_is_a(); block(A, NIL, ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(500)));
	b_runs();
}
static void build_pf_pager_busy(void) { world(3); pager_is_a(); b_runs(); }
static void build_pf_no_pager(void) { world(3); b_runs(); }
static void
build_pf_pager_halted(void)
{
	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	make_current(C);
	cr_assert_eq(call(C, SYS_exchange_registers, A->id, EXR_HALT, 0, 0, 0),
		     EXR_WAS_RECEIVING);
	b_runs();
}
static void
build_pf_pager_dead(void)
{
	world(3);
	pager_is_a();
	delete_thread(C, A);
	b_runs();
}

static void
check_pf_delivered(void)
{
	cr_assert_eq(current, A);
	GOT(A, B->id, EXO_TAG(EXO_LABEL_PF(EXO_W), 2, 0), FAULT_VA, FAULT_IP);
	cr_assert_eq(B->state, TS_RECV_FAULT);
	cr_assert_eq(B->fault_addr, FAULT_VA);
	cr_assert_eq(B->fault_ip, FAULT_IP);
}

/* Reply-half worlds: B faulted and waits; A, its pager, has the message
 * and answers with the tag and words given, from-specifier from. */

static void
pf_delivered(void)
{
	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	b_runs();
	cr_assert_eq(kernel_exception(B, 14, PF_ERROR, FAULT_VA), A);
}

static void
a_replies(u64 from, u64 timeouts, u64 tag, u64 w0, u64 fp)
{
	make_current(A);
	PUT(A, tag, w0, fp);
	ready_call(A, B->id, from, timeouts);
}

#define MAP_REPLY(fp)  EXO_TAG(0, 0, 2), EXO_MAPITEM(FAULT_VA, fp)
#define POOL_RW        EXO_FPAGE(MEM_VA, 12, EXO_RW)

static void build_map_one(void) { pf_delivered(); a_replies(ANY, NEVER, MAP_REPLY(POOL_RW)); }
static void
build_map_labelled(void)
{
	pf_delivered();
	a_replies(ANY, NEVER, EXO_TAG(0x77, 0, 2), EXO_MAPITEM(FAULT_VA, POOL_RW));
}
static void build_map_reply_only(void) { pf_delivered(); a_replies(NIL, NEVER, MAP_REPLY(POOL_RW)); }
static void
build_map_recv_timeout(void)
{
	pf_delivered();
	a_replies(ANY, EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100)), MAP_REPLY(POOL_RW));
}
static void
build_map_grant(void)
{
	pf_delivered();
	a_replies(ANY, NEVER, EXO_TAG(0, 0, 2), EXO_GRANTITEM(FAULT_VA, POOL_RW));
}
static void
build_map_two_pages(void)
{
	pf_delivered();
	a_replies(ANY, NEVER, MAP_REPLY(EXO_FPAGE(MEM_VA, 13, EXO_RW)));
}
static void
build_map_not_the_pagers(void)
{
	pf_delivered();
	a_replies(ANY, NEVER, MAP_REPLY(EXO_FPAGE(0x900000, 12, EXO_RW)));
}
static void
build_map_no_read(void)
{
	pf_delivered();
	a_replies(ANY, NEVER, MAP_REPLY(EXO_FPAGE(MEM_VA, 12, EXO_W)));
}
static void
build_map_low_address(void)
{
	pf_delivered();
	a_replies(ANY, NEVER, EXO_TAG(0, 0, 2), EXO_MAPITEM(0x1000, POOL_RW));
}
static void
build_map_no_table(void)
{
	pf_delivered();
	fake_map_page_fail = true;      /* in both worlds: the fork copies it */
	a_replies(ANY, NEVER, MAP_REPLY(POOL_RW));
}
static void
build_map_queued_sender(void)
{
	pf_delivered();
	make_current(C);
	PUT(C, EXO_TAG(3, 1, 0), 30);
	block(C, A->id, A->id, NEVER);
	a_replies(ANY, NEVER, MAP_REPLY(POOL_RW));
}
static void
build_map_faulter_halted(void)
{
	pf_delivered();
	make_current(C);
	call(C, SYS_exchange_registers, B->id, EXR_HALT, 0, 0, 0);
	a_replies(ANY, NEVER, MAP_REPLY(POOL_RW));
}

/* The fault's page is mapped already: once from another page of the pager
 * (the general path replaces it), once from the same one (rights grow). */
static void
fault_again_mapped(u64 first_fp)
{
	pf_delivered();
	make_current(A);
	PUT(A, EXO_TAG(0, 0, 2), EXO_MAPITEM(FAULT_VA, first_fp));
	cr_assert_eq(ipc(A, B->id, ANY, NEVER), B);
	cr_assert_eq(kernel_exception(B, 14, PF_ERROR, FAULT_VA), A);
	a_replies(ANY, NEVER, MAP_REPLY(POOL_RW));
}
static void build_map_over_other(void) { fault_again_mapped(EXO_FPAGE(MEM_VA + PAGE, 12, EXO_RW)); }
static void build_map_over_same(void) { fault_again_mapped(EXO_FPAGE(MEM_VA, 12, EXO_R)); }

static void
check_map_one(void)
{
	cr_assert_eq(current, B);
	cr_assert_eq(B->state, TS_READY);
	cr_assert_eq(A->state, TS_RECEIVING);
	cr_assert_eq(A->ctx.rdx, 0);
	mapped(S2, PF_FAULT_PAGE, MEM_PA, EXO_RW);
	cr_assert_eq(mdb_lookup(S2, PF_FAULT_PAGE)->parent, mdb_lookup(S1, MEM_VA));
	for (u64 *r = (u64 *)&B->ctx; r < (u64 *)&B->ctx.vector; r++)
		cr_assert_eq(*r, 0xb0b0000 + (u64)(r - (u64 *)&B->ctx),
			     "the faulting thread's registers changed");
}

static void
check_killed(void)
{
	cr_assert_eq(B->state, TS_FREE, "the faulting thread lives on (state %u)", B->state);
}

/* Priorities: the faulting thread (150) and its pager (100) while D (120)
 * is ready. The pager gets the fault but D runs first; then the pager
 * replies, and the faulting thread, back at 100, waits for D too. */
static void
build_pf_higher_ready(void)
{
	world(3);
	pager_is_a();
	block(A, NIL, ANY, NEVER);
	b_runs();
	B->prio = 150;          /* current: on no queue */
	D = fix_thread(S2, 120);
}

static void
check_pf_higher_ready(void)
{
	cr_assert_eq(current, D, "the pager ran before a higher priority");
	GOT(A, B->id, EXO_TAG(EXO_LABEL_PF(EXO_W), 2, 0), FAULT_VA, FAULT_IP);
	cr_assert_eq(A->state, TS_READY);
	cr_assert_not_null(A->rnext, "the pager is not queued");
	cr_assert_eq(B->state, TS_RECV_FAULT);
}

static void
build_map_higher_ready(void)
{
	pf_delivered();
	make_current(A);
	A->prio = 150;
	D = fix_thread(S2, 120);
	a_replies(ANY, NEVER, MAP_REPLY(POOL_RW));
}

static void
check_map_higher_ready(void)
{
	cr_assert_eq(current, D, "the faulting thread ran before a higher priority");
	mapped(S2, PF_FAULT_PAGE, MEM_PA, EXO_RW);
	cr_assert_eq(B->state, TS_READY);
	cr_assert_not_null(B->rnext, "the faulting thread is not queued");
	cr_assert_eq(A->state, TS_RECEIVING);
}

static const struct pf_case pf_cases[] = {
	{ "fault, pager waits for anyone", PF_FAULT, build_pf_open, true, check_pf_delivered },
	{ "fault, pager waits for it", PF_FAULT, build_pf_closed_on_b, true, check_pf_delivered },
	{ "fault, pager waits for another", PF_FAULT, build_pf_closed_on_c, false, NULL },
	{ "fault, pager waits with a timeout", PF_FAULT, build_pf_pager_timeout, false,
	  check_pf_delivered },
	{ "fault, pager busy", PF_FAULT, build_pf_pager_busy, false, NULL },
	{ "fault, no pager", PF_FAULT, build_pf_no_pager, false, check_killed },
	{ "fault, pager halted", PF_FAULT, build_pf_pager_halted, false, NULL },
	{ "fault, pager dead", PF_FAULT, build_pf_pager_dead, false, check_killed },
	{ "reply, one page", PF_REPLY, build_map_one, true, check_map_one },
	{ "reply, one page, a label", PF_REPLY, build_map_labelled, true, check_map_one },
	{ "reply only (from nil)", PF_REPLY, build_map_reply_only, false, NULL },
	{ "reply, receive timeout", PF_REPLY, build_map_recv_timeout, false, NULL },
	{ "reply, grant", PF_REPLY, build_map_grant, false, NULL },
	{ "reply, two pages", PF_REPLY, build_map_two_pages, false, NULL },
	{ "reply, a page the pager has not", PF_REPLY, build_map_not_the_pagers, false, NULL },
	{ "reply, no read right", PF_REPLY, build_map_no_read, false, NULL },
	{ "reply, below the user range", PF_REPLY, build_map_low_address, false, NULL },
	{ "reply, no page table yet", PF_REPLY, build_map_no_table, false, check_map_one },
	{ "reply, a sender queued", PF_REPLY, build_map_queued_sender, false, NULL },
	{ "reply, faulting thread halted", PF_REPLY, build_map_faulter_halted, false, NULL },
	{ "reply over another mapping", PF_REPLY, build_map_over_other, false, NULL },
	{ "reply over the same mapping", PF_REPLY, build_map_over_same, false, NULL },
	{ "fault, a higher priority than the pager ready", PF_FAULT, build_pf_higher_ready,
	  false, check_pf_higher_ready },
	{ "reply, a higher priority than the faulting thread ready", PF_REPLY,
	  build_map_higher_ready, false, check_map_higher_ready },
};

#define NPF (sizeof(pf_cases) / sizeof(pf_cases[0]))

ParameterizedTestParameters(ipc, pagefault_fast_equals_slow)
{
	static unsigned idx[NPF];

	for (unsigned i = 0; i < NPF; i++)
		idx[i] = i;
	return cr_make_param_array(unsigned, idx, NPF);
}

ParameterizedTest(unsigned *i, ipc, pagefault_fast_equals_slow)
{
	pf_fast_equals_slow(&pf_cases[*i]);
}
