/* The host's lateness beside exo (beside.h). */
#include "beside.h"

#include <sys/prctl.h>
#include <time.h>

static unsigned long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec;
}

static void *
beside_run(void *arg)
{
	struct beside *b = arg;
	struct timespec ms = { 0, 1000000 };

	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	while (!b->stop) {
		unsigned long long t0 = now_ns(), dt;

		nanosleep(&ms, NULL);
		dt = now_ns() - t0;
		dt = dt > 1000000 ? dt - 1000000 : 0;
		b->late_ns += dt;
		b->stalls += dt >= EXO_SLICE_SAVE_US * 1000ULL;
		b->max_late_ns = dt > b->max_late_ns ? dt : b->max_late_ns;
		b->n++;
	}
	return NULL;
}

int
beside_start(struct beside *b)
{
	*b = (struct beside){ .stop = 0 };
	return pthread_create(&b->thread, NULL, beside_run, b);
}

unsigned long long
beside_stop(struct beside *b)
{
	b->stop = 1;
	pthread_join(b->thread, NULL);
	return b->n ? b->late_ns / b->n / 1000 : 0;
}
