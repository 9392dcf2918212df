/*
 * The time-slice vector and protected control transfer (#4):
 * libos/programs/exoslice runs one case in a real boot and exits 0 only if
 * every check held (the failing check's line otherwise). The abort case ends
 * by the kernel's abort of the task: status 125, reported as program_abort,
 * and the next program still runs. Judged by exit status and the report,
 * never by console wording.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <exo/exo.h>

#include "beside.h"
#include "jv.h"

#include "run.h"

static struct exo_run r;

/* The kernel aborted the case's task (status 125, program_abort): skip,
 * with the evidence, if the host ran late meanwhile. */
static void
skip_if_aborted_late(const char *name, const struct beside *b, unsigned long long late_us)
{
	if (r.status != 125 || !report_event(&r, "program_abort", 0) ||
	    !beside_host_late(b, late_us))
		return;
	cr_skip_test("exoslice %s was aborted for overruns while the host ran late: 1 ms "
		     "sleeps beside it ended %llu us late on average (the cases tolerate %u), "
		     "%llu of them %u us late or more, the latest %llu us: its yields reached "
		     "the kernel late by the host's doing", name, late_us, BESIDE_NOISE_US,
		     b->stalls, EXO_SLICE_SAVE_US, b->max_late_ns / 1000);
}

struct slice_case {
	char name[16];
};

ParameterizedTestParameters(slice, case_holds)
{
	static struct slice_case cases[] = {
		{ "pct" },      /* sync and async round trips, registers intact, refusals */
		{ "share" },    /* two environments, 3 slots to 1: their proportions */
		{ "overrun" },  /* one overrun: the next slice is shorter, then forgiven */
		{ "hog" },      /* a child with no quota gets no slot; given every slot
				   of CPU 0 and no SLICE entry, it loses them (and the
				   quota) after EXO_SLICE_STRIKES ends: our timed sleep
				   returns (skips only if the hog ran after it) */
	};
	return cr_make_param_array(struct slice_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct slice_case *c, slice, case_holds)
{
	const char *ev;

	struct beside b = { 0 };
	unsigned long long late;

	if (strcmp(c->name, "pct"))
		skip_if_emulated(c->name);
	cr_assert_eq(beside_start(&b), 0);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exoslice", c->name,
					    NULL });
	late = beside_stop(&b);
	if (r.status == 77)     /* the host ran the vCPU too late to judge */
		cr_skip_test("exoslice %s: %s", c->name, r.out);
	skip_if_aborted_late(c->name, &b, late);
	cr_assert_eq(r.status, 0, "exoslice %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->name, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
}

/*
 * Every CPU has its own time-slice vector (guest/core/slice.c): with a
 * second CPU up, every case holds for an environment on CPU 0 as with one
 * (share and overrun skip, as above, when the host runs the vCPU too late
 * to judge, or aborted them for overruns while measured late), and an
 * environment that overruns its slices is aborted.
 */
ParameterizedTestParameters(slice, case_holds_with_two_cpus)
{
	static struct slice_case cases[] = { { "pct" }, { "share" }, { "overrun" }, { "hog" } };

	return cr_make_param_array(struct slice_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct slice_case *c, slice, case_holds_with_two_cpus)
{
	struct beside b = { 0 };
	unsigned long long late;

	if (strcmp(c->name, "pct"))
		skip_if_emulated(c->name);
	skip_unless_cpus(2);
	/* As with one CPU: an abort for overruns is judged beside the host's
	 * own lateness, measured meanwhile. */
	cr_assert_eq(beside_start(&b), 0);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "exoslice", c->name, NULL });
	late = beside_stop(&b);
	if (r.status == 77)
		cr_skip_test("--cpus 2 exoslice %s: %s", c->name, r.out);
	skip_if_aborted_late(c->name, &b, late);
	cr_assert_eq(r.status, 0, "--cpus 2 exoslice %s: exit %d (the failing check's "
		     "line)\n%s%s", c->name, r.status, r.out, r.err);
}

Test(slice, overrun_aborted_with_two_cpus)
{
	const char *ev;

	skip_if_emulated("overrun on two CPUs");
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "exoslice", "abort", "--", "hello", NULL });
	cr_assert_eq(r.status, 0, "hello runs after; exit %d\n%s", r.status, r.err);
	ev = report_event(&r, "program_abort", 0);
	cr_assert(ev && report_num(ev, "status") == 125, "no program_abort:\n%s", r.report);
}

/* The pct case with the PCT fast entry off: the general path, same checks. */
Test(slice, pct_general_path_passes_the_same_checks)
{
	exo_run(&r, true, (const char *[]){ "run", "--cmdline", "ktest", "--timeout", "60",
					    "exoslice", "pctgeneral", NULL });
	cr_assert_eq(r.status, 0, "exoslice pctgeneral: exit %d\n%s%s", r.status, r.out,
		     r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0);
}

/* Overruns every time: after EXO_SLICE_STRIKES the kernel aborts the task. */
Test(slice, overrunning_environment_is_aborted)
{
	const char *ev;

	skip_if_emulated("abort (three overruns by the kernel's clock)");
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exoslice", "abort",
					    "--", "hello", NULL });
	cr_assert_eq(r.status, 0, "hello runs after; exit %d\n%s", r.status, r.err);
	ev = report_event(&r, "program_abort", 0);
	cr_assert(ev, "no program_abort:\n%s", r.report);
	cr_assert_eq(report_num(ev, "index"), 0);
	cr_assert_eq(report_num(ev, "status"), 125);
	cr_assert(!report_event(&r, "program_exit", 1), "exoslice exited itself:\n%s",
		  r.report);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev && report_num(ev, "index") == 1 && report_num(ev, "status") == 0,
		  "hello did not run after the abort:\n%s", r.report);
}

/*
 * Two vectors, one per CPU (--cpus 2): percpu, environments on CPU 0 and
 * CPU 1 in their slices at the same time; both, one environment with a
 * SLICE entry and slots on each CPU, then CPU 1's revoked; cpus, bad CPUs
 * refused and each vector filled and freed on its own; pctowned, PCT round
 * trips (the general path) while CPU 1's vector runs.
 */
ParameterizedTestParameters(slice, per_cpu_vectors)
{
	static struct slice_case cases[] = { { "percpu" }, { "both" }, { "cpus" },
					     { "pctowned" } };

	return cr_make_param_array(struct slice_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct slice_case *c, slice, per_cpu_vectors)
{
	struct beside b = { 0 };
	unsigned long long late;

	skip_if_emulated(c->name);
	skip_unless_cpus(2);
	cr_assert_eq(beside_start(&b), 0);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "exoslice", c->name, NULL });
	late = beside_stop(&b);
	if (r.status == 77)
		cr_skip_test("--cpus 2 exoslice %s: %s", c->name, r.out);
	skip_if_aborted_late(c->name, &b, late);
	cr_assert_eq(r.status, 0, "--cpus 2 exoslice %s: exit %d (the failing check's "
		     "line)\n%s%s", c->name, r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0);
}

/* One CPU (the uniprocessor kernel) and four: CPU n is refused, each of
 * the n vectors fills and frees on its own. */
Test(slice, cpu_that_does_not_exist_is_refused)
{
	static const char *const n[] = { "1", "4" };

	for (int i = 0; i < 2; i++) {
		skip_unless_cpus((unsigned)atoi(n[i]));
		exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", n[i],
						    "exoslice", "cpus", NULL });
		cr_assert_eq(r.status, 0, "--cpus %s exoslice cpus: exit %d\n%s%s", n[i],
			     r.status, r.out, r.err);
	}
}

/*
 * The trace of percpu: a CPU's SLICE_START and SLICE_END records are in its
 * own ring, so each environment's are on one vCPU's track, and the two
 * environments' on the two tracks. Nothing timed: a late host (exit 77)
 * still leaves the records; a kernel abort for overruns while the host ran
 * late (measured beside it) skips, with the evidence.
 */
Test(slice, trace_shows_each_vector_on_its_vcpu)
{
	char path[256], err[256];
	const struct jv *evs, *e;
	struct jv *doc;
	int tid_of[64];
	unsigned n[2] = { 0, 0 };
	struct beside b = { 0 };
	unsigned long long late;

	skip_if_emulated("percpu (its environments are aborted if the host runs them late)");
	skip_unless_cpus(2);
	memset(tid_of, -1, sizeof(tid_of));
	scratch_path(path, sizeof(path), "slice_trace");
	unlink(path);
	cr_assert_eq(beside_start(&b), 0);
	exo_run(&r, false, (const char *[]){ "trace", "-o", path, "--timeout", "60", "--cpus",
					     "2", "exoslice", "percpu", NULL });
	late = beside_stop(&b);
	/* exo trace writes no report: the abort is its message. */
	if (r.status == 125 && strstr(r.err, "overran its time slice") &&
	    beside_host_late(&b, late))
		cr_skip_test("exoslice percpu was aborted for overruns while the host ran late "
			     "(1 ms sleeps beside it ended %llu us late on average; tolerated %u)",
			     late, BESIDE_NOISE_US);
	cr_assert(r.status == 0 || r.status == 77, "exit %d\n%s%s", r.status, r.out, r.err);
	doc = jv_parse_file(path, err, sizeof(err));
	cr_assert_not_null(doc, "exo trace wrote no valid JSON: %s\n%s", err, r.err);
	evs = jv_get(doc, "traceEvents");
	cr_assert(evs && evs->type == JV_ARRAY);
	for (size_t i = 0; (e = jv_at(evs, i)); i++) {
		const char *name = jv_get(e, "name") ? jv_get(e, "name")->str : "";
		const struct jv *env = jv_path(e, "args", "env", NULL);
		int tid, x;

		if (strcmp(name, "slice_start") && strcmp(name, "slice_end"))
			continue;
		cr_assert(env && env->type == JV_NUMBER, "a slice record without its env");
		tid = (int)jv_get(e, "tid")->num;
		x = (int)env->num;
		cr_assert(tid == 0 || tid == 1, "slice record on track %d", tid);
		cr_assert(x >= 0 && x < 64);
		cr_assert(tid_of[x] < 0 || tid_of[x] == tid,
			  "environment %d's slices on vCPU %d and on vCPU %d", x, tid_of[x], tid);
		tid_of[x] = tid;
		n[tid]++;
	}
	if (r.status == 77 && (n[0] < 10 || n[1] < 10))  /* skipped before its slices */
		cr_skip_test("exoslice percpu ended early (%u and %u slice records): %s",
			     n[0], n[1], r.out);
	cr_assert(n[0] >= 10 && n[1] >= 10, "slice records on vCPU 0: %u, on vCPU 1: %u",
		  n[0], n[1]);
	jv_free(doc);
	unlink(path);
}
