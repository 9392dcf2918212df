/*
 * ExOS threads in a real boot, for the test suite: `exosthr CASE...`.
 * Exit 0: every check held; else the failing check's line (low byte).
 *   spin     two threads that never yield or block both make progress:
 *            only the library's preemption at slice ends can switch them
 *   mutex    K threads add 1 to a shared counter N times each under a
 *            mutex, with the read and the write far apart; preempted
 *            meanwhile, the total is still exactly N * K
 *   condvar  a producer and a consumer through a 4-slot buffer: every
 *            item arrives once, in order
 *   sleep    a sleeping thread lets a spinning one run (the library's
 *            kernel wait), and wakes
 * No bound here is a time tuned on one host: a case gives up after
 * GIVE_UP_ROUNDS rounds of the slice vector (16 slots of EXO_SLICE_US),
 * a failure cut-off far beyond what the cases need on any host.
 */
#include "exos.h"
#include "libos.h"
#include "scenario.h"

#define SLICES          4
#define GIVE_UP_ROUNDS  400

static u64
give_up_at(void)
{
	u64 round_us = (u64)EXO_SLICE_SLOTS * EXO_SLICE_US;

	return l4_rdtsc() + GIVE_UP_ROUNDS * round_us * (l4_kip()->tsc_khz / 1000);
}

static void
init(void)
{
	CHECK(exos_thr_init(SLICES) == 0);
	CHECK(exos_thr_stats.entry_failed == 0);
}

static u64
tsc_per_us(void)
{
	u64 k = l4_kip()->tsc_khz / 1000;

	return k ? k : 1;
}

static void
report(const char *what)
{
	printf("%s: slice ends %lu, preemptions %lu, deferred %lu (taken %lu), in kernel %lu, "
	       "switches %lu, idles %lu\n", what, exos_thr_stats.slice_ends,
	       exos_thr_stats.preemptions, exos_thr_stats.deferred,
	       exos_thr_stats.deferred_taken, exos_thr_stats.in_kernel,
	       exos_thr_stats.switches, exos_thr_stats.idles);
	printf("%s: late answers %lu, longest answer %lu us, spare at upcall %lu..%lu us\n",
	       what, exos_thr_stats.late, exos_thr_stats.max_answer_tsc / tsc_per_us(),
	       exos_thr_stats.min_spare_tsc / tsc_per_us(),
	       exos_thr_stats.max_spare_tsc / tsc_per_us());
	printf("%s: preempted at the next START %lu\n", what, exos_thr_stats.owed_at_start);
	printf("%s: begun late %lu, at most %lu us late; kernel grace %lu us, ring-0 insn %lu "
	       "mcycles\n", what, exos_thr_stats.late_arrivals,
	       exos_thr_stats.max_arrival_late_tsc / tsc_per_us(), l4_kip()->slice_grace_us,
	       l4_kip()->ring0_insn_mcycles);
}

/* ---- spin ---- */

static volatile u64 spun[2], deadline;

/* Count until the other has counted too, never entering the library. */
static void
spinner(u64 me)
{
	while (l4_rdtsc() < deadline) {
		spun[me]++;
		if (spun[me] > 1000 && spun[!me] > 1000)
			break;
	}
}

static void
case_spin(void)
{
	long a, b;

	init();
	deadline = give_up_at();
	CHECK((a = exos_thr_create(spinner, 0)) > 0);
	CHECK((b = exos_thr_create(spinner, 1)) > 0);
	CHECK(exos_thr_join(a) == 0);
	CHECK(exos_thr_join(b) == 0);
	exos_thr_fini();
	report("spin");
	CHECK(spun[0] > 1000 && spun[1] > 1000);
	CHECK(exos_thr_stats.preemptions >= 1);
}

/* ---- mutex ---- */

#define K       4
#define AT_LEAST 1000

static struct exos_mutex lock;
static volatile u64 counter, lock_errors, stop, added[K];

/*
 * The read and the write are apart by a spin, so that a preemption falls
 * between them now and then: without the lock, updates would be lost.
 * Each adds until a preemption has made someone wait for the lock (and
 * each has added AT_LEAST), or the give-up time: few slice ends, so few
 * save windows for a loaded host to make the environment miss.
 */
static void
adder(u64 me)
{
	while (!stop && l4_rdtsc() < deadline) {
		u64 v;

		if (exos_mutex_lock(&lock))
			lock_errors++;
		v = counter;
		for (volatile u32 d = 0; d < 200; d++)
			;
		counter = v + 1;
		added[me]++;
		if (exos_mutex_unlock(&lock))
			lock_errors++;
		if (added[me] >= AT_LEAST && lock.m.contended && exos_thr_stats.preemptions)
			stop = 1;
	}
}

static void
case_mutex(void)
{
	long t[K];
	u64 sum = 0;

	init();
	deadline = give_up_at();
	exos_mutex_init(&lock);
	for (int k = 0; k < K; k++)
		CHECK((t[k] = exos_thr_create(adder, (u64)k)) > 0);
	for (int k = 0; k < K; k++)
		CHECK(exos_thr_join(t[k]) == 0);
	exos_thr_fini();
	for (int k = 0; k < K; k++)
		sum += added[k];
	report("mutex");
	printf("mutex: counter %lu, added %lu (%lu %lu %lu %lu), contended %lu\n", counter, sum,
	       added[0], added[1], added[2], added[3], lock.m.contended);
	CHECK(lock_errors == 0);
	CHECK(counter == sum && sum >= AT_LEAST);
	/* Preempted while holding it: someone had to wait. */
	CHECK(exos_thr_stats.preemptions >= 1);
	CHECK(lock.m.contended >= 1);
	/* Misuse is refused: unlock of a mutex not held, lock of one held. */
	CHECK(exos_mutex_unlock(&lock) == -E_PERM);
	CHECK(exos_mutex_lock(&lock) == 0 && exos_mutex_lock(&lock) == -E_INVAL);
	CHECK(exos_mutex_unlock(&lock) == 0);
}

/* ---- condvar ---- */

#define SLOTS 4
#define ITEMS 2000

static struct exos_cond not_full, not_empty;
static u64 buf[SLOTS], head, tail;
static volatile u64 consumed, sum, out_of_order, waits;

static void
producer(u64 arg)
{
	(void)arg;
	for (u64 i = 1; i <= ITEMS; i++) {
		exos_mutex_lock(&lock);
		while (tail - head == SLOTS) {
			waits++;
			exos_cond_wait(&not_full, &lock);
		}
		buf[tail++ % SLOTS] = i;
		exos_cond_signal(&not_empty);
		exos_mutex_unlock(&lock);
	}
}

static void
consumer(u64 arg)
{
	(void)arg;
	for (u64 i = 1; i <= ITEMS; i++) {
		u64 v;

		exos_mutex_lock(&lock);
		while (tail == head) {
			waits++;
			exos_cond_wait(&not_empty, &lock);
		}
		v = buf[head++ % SLOTS];
		exos_cond_signal(&not_full);
		exos_mutex_unlock(&lock);
		out_of_order += v != i;
		sum += v;
		consumed++;
	}
}

static void
case_condvar(void)
{
	long p, c;

	init();
	exos_mutex_init(&lock);
	exos_cond_init(&not_full);
	exos_cond_init(&not_empty);
	CHECK((c = exos_thr_create(consumer, 0)) > 0);
	CHECK((p = exos_thr_create(producer, 0)) > 0);
	CHECK(exos_thr_join(p) == 0);
	CHECK(exos_thr_join(c) == 0);
	exos_thr_fini();
	report("condvar");
	printf("condvar: delivered %lu items, %lu waits\n", consumed, waits);
	CHECK(consumed == ITEMS && out_of_order == 0);
	CHECK(sum == (u64)ITEMS * (ITEMS + 1) / 2);
	CHECK(waits >= 1);      /* the buffer filled or emptied: both blocked */
	CHECK(exos_cond_wait(&not_full, &lock) == -E_PERM);    /* lock not held */
}

/* ---- sleep ---- */

static volatile u64 slept_done, spins_while_asleep;

static void
sleeper(u64 us)
{
	exos_thr_sleep((u32)us);
	slept_done = 1;
}

static void
busy(u64 arg)
{
	(void)arg;
	while (!slept_done && l4_rdtsc() < deadline) {
		spins_while_asleep++;
		exos_thr_yield();
	}
}

static void
case_sleep(void)
{
	long s, b;

	init();
	deadline = give_up_at();
	CHECK((s = exos_thr_create(sleeper, 2000)) > 0);
	CHECK((b = exos_thr_create(busy, 0)) > 0);
	CHECK(exos_thr_join(s) == 0);
	CHECK(exos_thr_join(b) == 0);
	exos_thr_fini();
	report("sleep");
	printf("sleep: the busy thread ran %lu times while the other slept\n",
	       spins_while_asleep);
	CHECK(slept_done && spins_while_asleep >= 1);
	/* Alone, a sleep idles the carrier in the kernel. */
	exos_thr_sleep(1000);
	CHECK(exos_thr_stats.idles >= 1);
}

static const struct scenario_case cases[] = {
	{ "spin", case_spin },
	{ "mutex", case_mutex },
	{ "condvar", case_condvar },
	{ "sleep", case_sleep },
};

int
main(int argc, char **argv)
{
	return scenario_main("exosthr", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
