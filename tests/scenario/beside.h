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
	unsigned long long stalls;      /* sleeps late by a save window or more */
	unsigned long long max_late_ns;
};

/* The host noise a timed case tolerates: a tenth of a slot. */
#define BESIDE_NOISE_US (EXO_SLICE_US / 10)

/*
 * Did the host, by what was measured beside exo, run late enough to make an
 * environment that yields in time overrun EXO_SLICE_STRIKES times in a row:
 * late on average past the noise a case tolerates, or stalled past a save
 * window at least that many times, or once for that many slots?
 */
static inline int
beside_host_late(const struct beside *b, unsigned long long mean_us)
{
	return mean_us > BESIDE_NOISE_US || b->stalls >= EXO_SLICE_STRIKES ||
	       b->max_late_ns >= EXO_SLICE_STRIKES * EXO_SLICE_US * 1000ULL;
}

/* Start measuring (0, or an errno from pthread_create). */
int beside_start(struct beside *b);
/* Stop: the mean lateness of its sleeps, microseconds. */
unsigned long long beside_stop(struct beside *b);

#endif
