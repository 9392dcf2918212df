/*
 * ExOS threads' scheduler core (libos/exos/thr_sched.c) and LRPC's A-stack
 * and binding table (lrpc_astack.c) on the host: round robin order,
 * mutex hand-over, condition variables taking the mutex back, sleeps,
 * joins, and the server's checks of what a client may send.
 */
#include <criterion/criterion.h>

#include <exo/error.h>

#include "lrpc_astack.h"
#include "thr_sched.h"

static struct thr_sched s;

static void
fresh(void)
{
	thr_sched_init(&s);
}

TestSuite(exos_thr, .init = fresh);

/* Switch as thread.c would: the running one blocked or requeued. */
static u16
next(void)
{
	return thr_pick(&s);
}

Test(exos_thr, queue_is_fifo)
{
	struct thr_q q;

	thr_q_init(&q);
	cr_assert(thr_q_empty(&q));
	thr_q_push(&s, &q, 3);
	thr_q_push(&s, &q, 1);
	thr_q_push(&s, &q, 2);
	cr_assert_eq(thr_q_pop(&s, &q), 3);
	cr_assert_eq(thr_q_pop(&s, &q), 1);
	cr_assert_eq(thr_q_pop(&s, &q), 2);
	cr_assert_eq(thr_q_pop(&s, &q), THR_NONE);
	cr_assert(thr_q_empty(&q));
}

Test(exos_thr, round_robin_in_order_of_readiness)
{
	u16 a = thr_new(&s), b = thr_new(&s);

	cr_assert_eq(a, 1);
	cr_assert_eq(b, 2);
	/* 0 runs; preempted, it goes behind a and b. */
	for (int round = 0; round < 3; round++) {
		thr_requeue(&s);
		cr_assert_eq(next(), 1);
		thr_requeue(&s);
		cr_assert_eq(next(), 2);
		thr_requeue(&s);
		cr_assert_eq(next(), 0);
	}
}

Test(exos_thr, table_full)
{
	for (int i = 1; i < THR_MAX; i++)
		cr_assert_neq(thr_new(&s), THR_NONE);
	cr_assert_eq(thr_new(&s), THR_NONE);
}

Test(exos_thr, mutex_handed_to_first_waiter)
{
	struct thr_mutex m;
	u16 a = thr_new(&s), b = thr_new(&s);

	thr_mutex_init(&m);
	cr_assert_eq(thr_mutex_lock(&s, &m), THR_RUNS);        /* 0 holds it */
	cr_assert_eq(thr_mutex_lock(&s, &m), -E_INVAL);        /* again: refused */
	thr_requeue(&s);
	cr_assert_eq(next(), a);
	cr_assert_eq(thr_mutex_lock(&s, &m), THR_BLOCKED);
	cr_assert_eq(s.state[a], THR_MUTEX);
	cr_assert_eq(thr_mutex_unlock(&s, &m), -E_PERM, "a does not hold it");
	cr_assert_eq(next(), b);
	cr_assert_eq(thr_mutex_lock(&s, &m), THR_BLOCKED);
	cr_assert_eq(next(), 0);
	cr_assert_eq(thr_mutex_unlock(&s, &m), 0);
	cr_assert_eq(m.owner, a, "handed over, not freed: no barging");
	cr_assert_eq(s.state[a], THR_READY);
	cr_assert_eq(s.state[b], THR_MUTEX);
	cr_assert_eq(thr_mutex_lock(&s, &m), THR_BLOCKED, "0 queues behind b");
	cr_assert_eq(next(), a);
	cr_assert_eq(thr_mutex_unlock(&s, &m), 0);
	cr_assert_eq(m.owner, b);
	cr_assert_eq(m.contended, 3);
}

Test(exos_thr, condvar_wait_signal_relock)
{
	struct thr_mutex m;
	struct thr_cond c;
	u16 a = thr_new(&s);

	thr_mutex_init(&m);
	thr_cond_init(&c);
	cr_assert_eq(thr_cond_wait(&s, &c, &m), -E_PERM, "the mutex is not held");
	cr_assert_eq(thr_mutex_lock(&s, &m), THR_RUNS);
	cr_assert_eq(thr_cond_wait(&s, &c, &m), THR_BLOCKED);
	cr_assert_eq(m.owner, THR_NONE, "released while waiting");
	cr_assert_eq(s.state[0], THR_COND);
	cr_assert_eq(next(), a);
	cr_assert_eq(thr_mutex_lock(&s, &m), THR_RUNS);
	cr_assert_eq(thr_cond_signal(&s, &c), 1);
	cr_assert_eq(s.state[0], THR_MUTEX, "woken, it waits for the mutex a holds");
	cr_assert_eq(thr_cond_signal(&s, &c), 0, "nobody else waits");
	cr_assert_eq(thr_mutex_unlock(&s, &m), 0);
	cr_assert_eq(m.owner, 0, "it runs again holding the mutex");
	cr_assert_eq(s.state[0], THR_READY);
}

Test(exos_thr, broadcast_wakes_all_one_holds)
{
	struct thr_mutex m;
	struct thr_cond c;
	u16 a = thr_new(&s), b = thr_new(&s);

	thr_mutex_init(&m);
	thr_cond_init(&c);
	thr_requeue(&s);
	for (u16 t = 0; t < 2; t++) {
		cr_assert_eq(next(), t == 0 ? a : b);
		cr_assert_eq(thr_mutex_lock(&s, &m), THR_RUNS);
		cr_assert_eq(thr_cond_wait(&s, &c, &m), THR_BLOCKED);
	}
	cr_assert_eq(next(), 0);
	cr_assert_eq(thr_cond_broadcast(&s, &c), 2);
	cr_assert_eq(m.owner, a);
	cr_assert_eq(s.state[a], THR_READY);
	cr_assert_eq(s.state[b], THR_MUTEX);
}

Test(exos_thr, sleep_and_wake)
{
	u64 at = 0;
	u16 a = thr_new(&s);

	cr_assert_not(thr_next_wake(&s, &at));
	cr_assert_eq(thr_sleep_until(&s, 500), THR_BLOCKED);
	cr_assert_eq(next(), a);
	cr_assert_eq(thr_sleep_until(&s, 300), THR_BLOCKED);
	cr_assert_eq(next(), THR_NONE, "nobody ready: the carrier idles");
	cr_assert(thr_next_wake(&s, &at));
	cr_assert_eq(at, 300);
	cr_assert_eq(thr_wake_due(&s, 299), 0);
	cr_assert_eq(thr_wake_due(&s, 300), 1);
	cr_assert_eq(next(), a);
	cr_assert_eq(thr_wake_due(&s, 1000), 1);
	cr_assert_eq(s.state[0], THR_READY);
}

Test(exos_thr, join_waits_for_exit_then_frees)
{
	u16 a = thr_new(&s), b;

	cr_assert_eq(thr_join(&s, 0), -E_INVAL, "not itself");
	cr_assert_eq(thr_join(&s, 9), -E_INVAL, "not a free number");
	cr_assert_eq(thr_join(&s, a), THR_BLOCKED);
	cr_assert_eq(next(), a);
	thr_exit(&s);
	cr_assert_eq(s.state[a], THR_DONE);
	cr_assert_eq(next(), 0, "the joiner is ready");
	cr_assert_eq(thr_join(&s, a), THR_RUNS);
	cr_assert_eq(s.state[a], THR_FREE);
	b = thr_new(&s);
	cr_assert_eq(b, a, "the number is reused once joined");
	/* Joining a thread that is done already does not block. */
	thr_requeue(&s);
	cr_assert_eq(next(), b);
	thr_exit(&s);
	cr_assert_eq(next(), 0);
	cr_assert_eq(thr_join(&s, b), THR_RUNS);
}

/* ---- LRPC ---- */

Test(exos_thr, astack_is_one_frame)
{
	cr_assert_eq(sizeof(struct lrpc_astack), 4096);
	cr_assert_eq(offsetof(struct lrpc_astack, in_len), 0);
	cr_assert_eq(offsetof(struct lrpc_astack, out_len), 8);
	cr_assert_eq(offsetof(struct lrpc_astack, data), LRPC_ASTACK_HDR);
}

Test(exos_thr, astack_out_checks_the_servers_length)
{
	static struct lrpc_astack as;
	u8 out[8] = { 0 };

	for (int i = 0; i < 8; i++)
		as.data[i] = (u8)(i + 1);
	as.out_len = 5;
	cr_assert_eq(lrpc_astack_out(&as, out, sizeof(out)), 5);
	cr_assert_eq(out[4], 5);
	cr_assert_eq(out[5], 0, "no more than the server wrote");
	as.out_len = 3;
	cr_assert_eq(lrpc_astack_out(&as, out, 2), 2, "no more than asked");
	as.out_len = LRPC_ASTACK_DATA + 1;
	cr_assert_eq(lrpc_astack_out(&as, out, 8), -E_INVAL, "a hostile length");
}

Test(exos_thr, bindings_are_caller_and_handle)
{
	struct lrpc_table t;
	struct lrpc_bind_rec *r;
	int err = 0;

	lrpc_table_init(&t, 3);
	cr_assert_null(lrpc_table_find(&t, 0x100, 7), "nobody is bound");
	r = lrpc_table_add(&t, 0x100, 7, &err);
	cr_assert_not_null(r);
	cr_assert_eq(lrpc_table_find(&t, 0x100, 7), r);
	cr_assert_null(lrpc_table_find(&t, 0x200, 7), "another caller with its handle");
	cr_assert_null(lrpc_table_find(&t, 0x100, 8), "the caller with another handle");
	cr_assert_null(lrpc_table_add(&t, 0x200, 7, &err));
	cr_assert_eq(err, -E_EXIST, "a handle binds once");
	for (u64 h = 100; h < 100 + LRPC_BINDINGS - 1; h++)
		cr_assert_not_null(lrpc_table_add(&t, 0x300, h, &err));
	cr_assert_null(lrpc_table_add(&t, 0x300, 999, &err));
	cr_assert_eq(err, -E_NOMEM);
}

Test(exos_thr, calls_checked_against_procs_and_astack)
{
	struct lrpc_table t;

	lrpc_table_init(&t, 3);
	cr_assert_eq(lrpc_check_call(&t, 0, 0), 0);
	cr_assert_eq(lrpc_check_call(&t, 2, LRPC_ASTACK_DATA), 0);
	cr_assert_eq(lrpc_check_call(&t, 3, 0), -E_INVAL, "procedure out of range");
	cr_assert_eq(lrpc_check_call(&t, ~0ULL, 0), -E_INVAL);
	cr_assert_eq(lrpc_check_call(&t, 0, LRPC_ASTACK_DATA + 1), -E_INVAL,
		     "more bytes than the A-stack holds");
}
