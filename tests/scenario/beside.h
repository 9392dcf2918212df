/*
 * The host's lateness while exo runs, measured beside it: a thread of the
 * test sleeping 1 ms at a time (timer slack 1 ns, so what it sees is the
 * host's scheduling, nothing of Linux's own rounding). Evidence independent
 * of the kernel for a case it aborted: an environment that yields in time
 * by its own clock still overruns by the kernel's when the host keeps its
 * process (hosted) or its vCPU (kvm) off the CPU past the deadline.
 */
#ifndef TESTS_BESIDE_H
#define TESTS_BESIDE_H

#include <pthread.h>

#include <exo/exo.h>

struct beside {
	pthread_t thread;
	volatile int stop;
	unsigned long long late_ns, n;
};

/* The host noise a timed case tolerates: a tenth of a slot. */
#define BESIDE_NOISE_US (EXO_SLICE_US / 10)

/* Start measuring (0, or an errno from pthread_create). */
int beside_start(struct beside *b);
/* Stop: the mean lateness of its sleeps, microseconds. */
unsigned long long beside_stop(struct beside *b);

#endif
