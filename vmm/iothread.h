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
#include <semaphore.h>
#include <stdbool.h>

#include <ev.h>

#include "diag.h"

struct iothread {
	struct ev_loop *loop;    /* NULL until iothread_init */
	ev_async stop;
	pthread_t thread;
	bool running;
	bool jail;               /* enter the VMM's jail (jail.h) before the loop */
	sem_t ready;             /* posted once the thread is in its jail (or not) */
	int jail_r;
	struct diag jail_d;      /* why jail_enter failed */
};

/* Create the loop (-ENOMEM). Watchers may be added once this returned. */
int iothread_init(struct iothread *t, struct diag *d);
/*
 * Run the loop in a new thread that blocks every signal, so SIGALRM and
 * SIGINT keep reaching the main thread, which kicks the vCPUs. With t->jail
 * the thread enters the jail before its loop runs; an error then (-errno,
 * d says why) stops and joins it.
 */
int iothread_start(struct iothread *t, struct diag *d);
/*
 * Stop the loop, join the thread and free the loop. Safe to call on a
 * thread that was never initialised or started, and more than once.
 */
void iothread_stop(struct iothread *t);

#endif
