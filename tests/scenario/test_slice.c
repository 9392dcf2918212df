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

#include "run.h"

static struct exo_run r;

struct slice_case {
	char name[16];
};

ParameterizedTestParameters(slice, case_holds)
{
	static struct slice_case cases[] = {
		{ "pct" },      /* sync and async round trips, registers intact, refusals */
		{ "share" },    /* two environments, 3 slots to 1: their proportions */
		{ "overrun" },  /* one overrun: the next slice is shorter, then forgiven */
	};
	return cr_make_param_array(struct slice_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct slice_case *c, slice, case_holds)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exoslice", c->name,
					    NULL });
	if (r.status == 77)     /* the host ran the vCPU too late to judge */
		cr_skip_test("exoslice %s: %s", c->name, r.out);
	cr_assert_eq(r.status, 0, "exoslice %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->name, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
}

/*
 * The time-slice vector is CPU 0's (guest/core/slice.c): with a second CPU
 * up, every case holds for an environment on CPU 0 as with one (share and
 * overrun skip, as above, when the host runs the vCPU too late to judge),
 * and an environment that overruns its slices is aborted.
 */
ParameterizedTestParameters(slice, case_holds_with_two_cpus)
{
	static struct slice_case cases[] = { { "pct" }, { "share" }, { "overrun" } };

	return cr_make_param_array(struct slice_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct slice_case *c, slice, case_holds_with_two_cpus)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "exoslice", c->name, NULL });
	if (r.status == 77)
		cr_skip_test("--cpus 2 exoslice %s: %s", c->name, r.out);
	cr_assert_eq(r.status, 0, "--cpus 2 exoslice %s: exit %d (the failing check's "
		     "line)\n%s%s", c->name, r.status, r.out, r.err);
}

Test(slice, overrun_aborted_with_two_cpus)
{
	const char *ev;

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
