/*
 * The VMM's I/O thread: one libev loop, run in a thread of its own while the
 * vCPU thread sits in KVM_RUN. Devices that wait on the host (console input
 * today) register watchers on iothread.loop before iothread_start; after
 * that, only the loop's own thread touches them, and other threads reach it
 * through ev_async watchers (the one libev call that is thread-safe).
 */
#ifndef VMM_IOTHREAD_H
#define VMM_IOTHREAD_H

#include <pthread.h>
#include <stdbool.h>

#include <ev.h>

#include "diag.h"

struct iothread {
	struct ev_loop *loop;    /* NULL until iothread_init */
	ev_async stop;
	pthread_t thread;
	bool running;
};

/* Create the loop (-ENOMEM). Watchers may be added once this returned. */
int iothread_init(struct iothread *t, struct diag *d);
/*
 * Run the loop in a new thread that blocks every signal, so SIGALRM and
 * SIGINT keep reaching the vCPU thread and interrupting KVM_RUN.
 */
int iothread_start(struct iothread *t, struct diag *d);
/*
 * Stop the loop, join the thread and free the loop. Safe to call on a
 * thread that was never initialised or started, and more than once.
 */
void iothread_stop(struct iothread *t);

#endif
