#include "iothread.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "jail.h"

static void
iothread_on_stop(struct ev_loop *loop, ev_async *w, int revents)
{
	(void)w, (void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int
iothread_init(struct iothread *t, struct diag *d)
{
	*t = (struct iothread){ 0 };
	/* NOSIGMASK: the thread's signal mask is ours (iothread_start), not libev's. */
	t->loop = ev_loop_new(EVFLAG_AUTO | EVFLAG_NOSIGMASK);
	if (!t->loop)
		return diag_fail(d, ENOMEM, "cannot create the I/O thread's event loop "
				 "(libev): out of memory or file descriptors");
	ev_async_init(&t->stop, iothread_on_stop);
	ev_async_start(t->loop, &t->stop);
	return 0;
}

static void *
iothread_main(void *arg)
{
	struct iothread *t = arg;

	t->jail_r = t->jail ? jail_enter("the I/O thread", &t->jail_d) : 0;
	sem_post(&t->ready);
	if (t->jail_r == 0)
		ev_run(t->loop, 0);
	return NULL;
}

int
iothread_start(struct iothread *t, struct diag *d)
{
	sigset_t all, old;
	int r;

	/* The new thread inherits the mask: no window in which it takes a signal. */
	sigfillset(&all);
	if (sem_init(&t->ready, 0, 0) < 0)
		return diag_fail(d, errno, "cannot start the I/O thread: %s", strerror(errno));
	pthread_sigmask(SIG_BLOCK, &all, &old);
	r = pthread_create(&t->thread, NULL, iothread_main, t);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r != 0) {
		sem_destroy(&t->ready);
		return diag_fail(d, r, "cannot start the I/O thread: %s", strerror(r));
	}
	while (sem_wait(&t->ready) < 0 && errno == EINTR)
		;
	sem_destroy(&t->ready);
	if (t->jail_r < 0) {
		pthread_join(t->thread, NULL);
		*d = t->jail_d;
		return t->jail_r;
	}
	t->running = true;
	return 0;
}

void
iothread_stop(struct iothread *t)
{
	if (t->running) {
		ev_async_send(t->loop, &t->stop);
		pthread_join(t->thread, NULL);
		t->running = false;
	}
	if (t->loop) {
		ev_loop_destroy(t->loop);
		t->loop = NULL;
	}
}
