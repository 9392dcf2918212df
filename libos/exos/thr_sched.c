/*
 * ExOS threads' run queue and synchronisation state machines (thr_sched.h).
 * Portable: thread.c switches contexts on what these return.
 */
#include "thr_sched.h"

#include <exo/error.h>

void
thr_q_init(struct thr_q *q)
{
	q->head = q->tail = THR_NONE;
}

bool
thr_q_empty(const struct thr_q *q)
{
	return q->head == THR_NONE;
}

void
thr_q_push(struct thr_sched *s, struct thr_q *q, u16 t)
{
	s->next[t] = THR_NONE;
	if (q->head == THR_NONE)
		q->head = t;
	else
		s->next[q->tail] = t;
	q->tail = t;
}

u16
thr_q_pop(struct thr_sched *s, struct thr_q *q)
{
	u16 t = q->head;

	if (t == THR_NONE)
		return THR_NONE;
	q->head = s->next[t];
	if (q->head == THR_NONE)
		q->tail = THR_NONE;
	s->next[t] = THR_NONE;
	return t;
}

void
thr_sched_init(struct thr_sched *s)
{
	for (u16 t = 0; t < THR_MAX; t++) {
		s->state[t] = THR_FREE;
		s->next[t] = THR_NONE;
		s->joiner[t] = THR_NONE;
		s->relock[t] = 0;
		s->wake_at[t] = 0;
	}
	thr_q_init(&s->ready);
	s->state[0] = THR_READY;
	s->cur = 0;
}

static void
make_ready(struct thr_sched *s, u16 t)
{
	s->state[t] = THR_READY;
	thr_q_push(s, &s->ready, t);
}

u16
thr_new(struct thr_sched *s)
{
	for (u16 t = 0; t < THR_MAX; t++) {
		if (s->state[t] == THR_FREE) {
			s->joiner[t] = THR_NONE;
			make_ready(s, t);
			return t;
		}
	}
	return THR_NONE;
}

void
thr_requeue(struct thr_sched *s)
{
	make_ready(s, s->cur);
}

u16
thr_pick(struct thr_sched *s)
{
	s->cur = thr_q_pop(s, &s->ready);
	return s->cur;
}

void
thr_mutex_init(struct thr_mutex *m)
{
	m->owner = THR_NONE;
	thr_q_init(&m->waiters);
	m->contended = 0;
}

/* t wants m: it holds it (and is ready) or waits in its queue. */
static int
mutex_take(struct thr_sched *s, struct thr_mutex *m, u16 t)
{
	if (m->owner == THR_NONE) {
		m->owner = t;
		return THR_RUNS;
	}
	m->contended++;
	s->state[t] = THR_MUTEX;
	thr_q_push(s, &m->waiters, t);
	return THR_BLOCKED;
}

int
thr_mutex_lock(struct thr_sched *s, struct thr_mutex *m)
{
	if (m->owner == s->cur)
		return -E_INVAL;
	return mutex_take(s, m, s->cur);
}

int
thr_mutex_unlock(struct thr_sched *s, struct thr_mutex *m)
{
	u16 w;

	if (m->owner != s->cur)
		return -E_PERM;
	w = thr_q_pop(s, &m->waiters);
	m->owner = w;           /* handed over, or THR_NONE: free */
	if (w != THR_NONE)
		make_ready(s, w);
	return 0;
}

void
thr_cond_init(struct thr_cond *c)
{
	thr_q_init(&c->waiters);
}

int
thr_cond_wait(struct thr_sched *s, struct thr_cond *c, struct thr_mutex *m)
{
	u16 t = s->cur;
	int r = thr_mutex_unlock(s, m);

	if (r < 0)
		return r;
	s->state[t] = THR_COND;
	s->relock[t] = m;
	thr_q_push(s, &c->waiters, t);
	return THR_BLOCKED;
}

/* A woken waiter takes its mutex back first: ready only once it holds it. */
static void
cond_wake(struct thr_sched *s, u16 t)
{
	struct thr_mutex *m = s->relock[t];

	s->relock[t] = 0;
	if (mutex_take(s, m, t) == THR_RUNS)
		make_ready(s, t);
}

u32
thr_cond_signal(struct thr_sched *s, struct thr_cond *c)
{
	u16 t = thr_q_pop(s, &c->waiters);

	if (t == THR_NONE)
		return 0;
	cond_wake(s, t);
	return 1;
}

u32
thr_cond_broadcast(struct thr_sched *s, struct thr_cond *c)
{
	u32 n = 0;

	while (thr_cond_signal(s, c))
		n++;
	return n;
}

int
thr_sleep_until(struct thr_sched *s, u64 at)
{
	s->state[s->cur] = THR_SLEEP;
	s->wake_at[s->cur] = at;
	return THR_BLOCKED;
}

/* Sleepers are not queued: THR_MAX is small, a scan is enough. */
u32
thr_wake_due(struct thr_sched *s, u64 now)
{
	u32 n = 0;

	for (u16 t = 0; t < THR_MAX; t++) {
		if (s->state[t] == THR_SLEEP && s->wake_at[t] <= now) {
			make_ready(s, t);
			n++;
		}
	}
	return n;
}

bool
thr_next_wake(const struct thr_sched *s, u64 *at)
{
	bool any = false;

	for (u16 t = 0; t < THR_MAX; t++) {
		if (s->state[t] == THR_SLEEP && (!any || s->wake_at[t] < *at)) {
			*at = s->wake_at[t];
			any = true;
		}
	}
	return any;
}

void
thr_exit(struct thr_sched *s)
{
	u16 t = s->cur, j = s->joiner[t];

	s->state[t] = THR_DONE;
	if (j != THR_NONE && s->state[j] == THR_JOIN)
		make_ready(s, j);
}

int
thr_join(struct thr_sched *s, u16 t)
{
	if (t >= THR_MAX || t == s->cur || s->state[t] == THR_FREE ||
	    (s->joiner[t] != THR_NONE && s->joiner[t] != s->cur))
		return -E_INVAL;
	if (s->state[t] == THR_DONE) {
		s->state[t] = THR_FREE;
		s->joiner[t] = THR_NONE;
		return THR_RUNS;
	}
	s->joiner[t] = s->cur;
	s->state[s->cur] = THR_JOIN;
	return THR_BLOCKED;
}
