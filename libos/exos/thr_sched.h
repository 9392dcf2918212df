/*
 * ExOS threads, the portable part: the run queue and the state machines of
 * mutexes, condition variables, sleeps and joins, on thread numbers. No
 * context is switched and no system call made here (thread.c does both),
 * so the unit tests run it on the host.
 *
 * Each call that may block the running thread (s->cur) returns whether it
 * did: THR_BLOCKED means the caller must switch to thr_pick's choice. The
 * policy is round robin: ready threads run in the order they became ready;
 * a preempted or yielding thread goes to the tail. A mutex is handed to its
 * first waiter on release (FIFO, no barging), so no waiter starves.
 *
 * Invariant: a thread is in at most one queue (ready, a mutex's, a
 * condvar's, a join's) and its state says which kind; the running thread
 * (cur) is in none.
 */
#ifndef EXOS_THR_SCHED_H
#define EXOS_THR_SCHED_H

#include <exo/types.h>

#define THR_MAX   16
#define THR_NONE  0xffffu

enum thr_state {
	THR_FREE = 0,
	THR_READY,        /* on the ready queue, or running (cur) */
	THR_MUTEX,        /* waiting for a mutex */
	THR_COND,         /* waiting on a condition variable */
	THR_SLEEP,        /* waiting for a time (wake_at) */
	THR_JOIN,         /* waiting for another thread's exit */
	THR_DONE,         /* exited, not yet joined */
};

enum { THR_RUNS = 0, THR_BLOCKED = 1 };

/* A FIFO of thread numbers, linked through struct thr_sched's next[]. */
struct thr_q {
	u16 head, tail;
};

struct thr_mutex {
	u16 owner;              /* THR_NONE: free */
	struct thr_q waiters;
	u64 contended;          /* acquisitions that had to wait */
};

struct thr_cond {
	struct thr_q waiters;
};

struct thr_sched {
	u16 cur;
	u8 state[THR_MAX];
	u16 next[THR_MAX];
	u64 wake_at[THR_MAX];            /* THR_SLEEP: when (the caller's clock) */
	struct thr_mutex *relock[THR_MAX];   /* THR_COND: the mutex to take back */
	u16 joiner[THR_MAX];             /* who waits for this one's exit */
	struct thr_q ready;
};

void thr_q_init(struct thr_q *q);
bool thr_q_empty(const struct thr_q *q);
void thr_q_push(struct thr_sched *s, struct thr_q *q, u16 t);
u16 thr_q_pop(struct thr_sched *s, struct thr_q *q);

/* Thread 0 running, no other. */
void thr_sched_init(struct thr_sched *s);
/* A free thread number, made ready; THR_NONE if all THR_MAX are taken. */
u16 thr_new(struct thr_sched *s);
/* The running thread goes to the ready queue's tail (a yield, a preemption). */
void thr_requeue(struct thr_sched *s);
/* The next to run, off the ready queue, made cur; THR_NONE if none is ready
 * (cur is then THR_NONE too: the caller idles). */
u16 thr_pick(struct thr_sched *s);

void thr_mutex_init(struct thr_mutex *m);
/* THR_RUNS: cur holds m; THR_BLOCKED: cur waits for it. -E_INVAL: cur holds it. */
int thr_mutex_lock(struct thr_sched *s, struct thr_mutex *m);
/* cur lets m go (to its first waiter, made ready); -E_PERM: cur does not hold it. */
int thr_mutex_unlock(struct thr_sched *s, struct thr_mutex *m);

void thr_cond_init(struct thr_cond *c);
/* cur releases m and waits on c (THR_BLOCKED); -E_PERM: cur does not hold m. */
int thr_cond_wait(struct thr_sched *s, struct thr_cond *c, struct thr_mutex *m);
/* Wake one waiter (all): each takes its mutex back before it runs; the
 * number woken. */
u32 thr_cond_signal(struct thr_sched *s, struct thr_cond *c);
u32 thr_cond_broadcast(struct thr_sched *s, struct thr_cond *c);

/* cur sleeps until now >= at (THR_BLOCKED). */
int thr_sleep_until(struct thr_sched *s, u64 at);
/* Sleepers due at now made ready; how many. */
u32 thr_wake_due(struct thr_sched *s, u64 now);
/* The earliest wake time of a sleeper; false if none sleeps. */
bool thr_next_wake(const struct thr_sched *s, u64 *at);

/* cur ends: its joiner is made ready; the number is free once joined. */
void thr_exit(struct thr_sched *s);
/* cur waits for t's exit: THR_RUNS (t is done: freed now), THR_BLOCKED,
 * -E_INVAL (t is cur, free, or another already joins it). */
int thr_join(struct thr_sched *s, u16 t);

#endif
