/*
 * ExOS threads and communication in a real boot: libos/programs/exosthr
 * (threads on the library's slice upcalls) and exosipc (LRPC, shared
 * memory) run one case and exit 0 only if every check held (the failing
 * check's line otherwise). Judged by the exit status, then by the results
 * the cases print, read back as numbers.
 *
 * The thread cases hold slices: the kernel aborts an environment that
 * answers EXO_SLICE_STRIKES slice ends in a row past the save window. On
 * an emulated CPU (nested under TCG) the END upcall itself was measured to
 * begin 3-16 ms past its deadline, before the library runs; a loaded host
 * keeps exo off the CPU past deadlines too (measured beside it): such an
 * abort is the host's doing, and is skipped with the evidence.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "beside.h"
#include "run.h"

static struct exo_run r;

/* Run PROG CASE; skip an overrun abort on an emulated CPU or a late host;
 * assert exit 0. */
static void
run_case(const char *prog, const char *name)
{
	struct beside b;
	unsigned long long late;
	bool abort;

	cr_assert_eq(beside_start(&b), 0);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", prog, name, NULL });
	late = beside_stop(&b);
	abort = r.status == 125 && report_event(&r, "program_abort", 0);
	if (abort && cpu_emulated())
		cr_skip_test("%s %s was aborted for slice overruns on an emulated CPU (%s): "
			     "its END upcalls begin past their deadline there\n%s", prog, name,
			     cpu_emulated(), r.out);
	if (abort && beside_host_late(&b, late))
		cr_skip_test("%s %s was aborted for slice overruns while the host ran late: "
			     "1 ms sleeps beside it ended %llu us late on average (tolerated "
			     "%u), %llu of them %u us late or more, the latest %llu us\n%s",
			     prog, name, late, BESIDE_NOISE_US, b.stalls, EXO_SLICE_SAVE_US,
			     b.max_late_ns / 1000, r.out);
	cr_assert_eq(r.status, 0, "%s %s: exit %d (the failing check's line)\n%s%s", prog, name,
		     r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0, "%s",
		     r.report);
}

/* The numbers after "WHAT" in the output, scanned with fmt. */
#define SCAN(what, n, fmt, ...)                                                        \
	do {                                                                           \
		const char *at_ = strstr(r.out, what);                                 \
		cr_assert(at_, "no \"%s\" in:\n%s", what, r.out);                      \
		cr_assert_eq(sscanf(at_ + strlen(what), fmt, __VA_ARGS__), n,          \
			     "unreadable after \"%s\":\n%s", what, r.out);             \
	} while (0)

/* Two threads that never enter the library both ran: a slice end switched. */
Test(exosthr, spin_preempts_at_slice_ends)
{
	unsigned long ends, pre;

	run_case("exosthr", "spin");
	SCAN("spin: slice ends ", 2, "%lu, preemptions %lu", &ends, &pre);
	cr_assert_geq(pre, 1);
	cr_assert_geq(ends, 1);
}

/* Every increment under the mutex counted, and a preemption made one wait. */
Test(exosthr, mutex_count_exact_under_preemption)
{
	unsigned long counter, added, contended, ends, pre;

	run_case("exosthr", "mutex");
	SCAN("mutex: slice ends ", 2, "%lu, preemptions %lu", &ends, &pre);
	SCAN("mutex: counter ", 2, "%lu, added %lu", &counter, &added);
	SCAN("), contended ", 1, "%lu", &contended);
	cr_assert_eq(counter, added, "lost updates: %lu of %lu", counter, added);
	cr_assert_geq(added, 1000);
	cr_assert_geq(pre, 1);
	cr_assert_geq(contended, 1);
}

/* Producer and consumer through 4 slots: all 2000 items, someone waited. */
Test(exosthr, condvar_delivers_every_item)
{
	unsigned long items, waits;

	run_case("exosthr", "condvar");
	SCAN("condvar: delivered ", 2, "%lu items, %lu waits", &items, &waits);
	cr_assert_eq(items, 2000);
	cr_assert_geq(waits, 1);
}

/* A sleeping thread lets a busy one run. */
Test(exosthr, sleep_lets_others_run)
{
	unsigned long ran;

	run_case("exosthr", "sleep");
	SCAN("sleep: the busy thread ran ", 1, "%lu", &ran);
	cr_assert_geq(ran, 1);
}

/*
 * LRPC: the refusals named (no binding, a forged ENV capability, a frame
 * named as the server), the server's results (a reverse, 40 sums of 1 + 3k
 * for k below 40, an out-length of 40) and 1000 timed round trips.
 */
Test(exosipc, lrpc_results_and_refusals)
{
	long perm, badcap, badtype, rev, sum, out;
	unsigned long trips;

	run_case("exosipc", "lrpc");
	SCAN("lrpc: refusals ", 3, "%ld %ld %ld", &perm, &badcap, &badtype);
	cr_assert_eq(perm, -6);         /* E_PERM */
	cr_assert_eq(badcap, -8);       /* E_BADCAP */
	cr_assert_eq(badtype, -10);     /* E_BADTYPE */
	SCAN("| reverse ", 3, "%ld sum %ld out %ld", &rev, &sum, &out);
	cr_assert_eq(rev, 0);
	cr_assert_eq(sum, 40 * 1 + 3 * (39 * 40 / 2));
	cr_assert_eq(out, 40);
	SCAN("| stats ", 1, "%*x | %lu round trips", &trips);
	cr_assert_eq(trips, 1000);
}

/* Shared memory: both ways, read-only kept, and the creator's revocation
 * seen by the mapper as a fault on a stale capability. */
Test(exosipc, shm_revocation_seen_by_mapper)
{
	unsigned long faults, stale;

	run_case("exosipc", "shm");
	SCAN("revoked: ", 2, "%lu faults, %lu stale", &faults, &stale);
	cr_assert_eq(faults, 2);        /* the read-only write, the revoked read */
	cr_assert_geq(stale, 1);
}
