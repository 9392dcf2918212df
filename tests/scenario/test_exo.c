/*
 * Exokernel scenarios: libos/programs/exotest runs one case in a real boot
 * and exits 0 only if every check held; the cases that must end in a kill
 * are judged by the report's program_fault. Never by console wording.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "run.h"

static struct exo_run r;

struct exo_case {
	char name[16];
};

ParameterizedTestParameters(exo, case_holds)
{
	static struct exo_case cases[] = {
		{ "demand" },           /* demand-zero paging on its own fault handler */
		{ "caps" },             /* forged, stale, under-privileged, wrong type */
		{ "foreign" },          /* another's frame: no; a passed copy: limited */
		{ "exceptions" },       /* #UD #DE #GP handled in user mode */
		{ "starve" },           /* an exception loop cannot keep timeouts out */
		{ "fpu" },              /* XMM kept over a preemption and page faults */
		{ "xiopl" },            /* a handler's own CS/SS/IOPL 3 in its frame: still ring 3 */
		{ "fpuipc" },           /* no XMM word crosses to another space by IPC */
	};
	return cr_make_param_array(struct exo_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct exo_case *c, exo, case_holds)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exotest", c->name, NULL });
	cr_assert_eq(r.status, 0, "exotest %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->name, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
}

/*
 * The bind fast path against the general path (KTEST_FASTPATH off and on),
 * over seeded random runs of good and bad binds: the same results and the
 * same kernel state (KTEST_BIND_DIGEST).
 */
Test(exo, bind_fast_path_equals_general_path)
{
	exo_run(&r, true, (const char *[]){ "run", "--cmdline", "ktest", "--timeout", "180",
					    "exotest", "bindfast", NULL });
	cr_assert_eq(r.status, 0, "exotest bindfast: exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0);
}

/* Every case in one boot, then hello: they leave the kernel as they found it. */
Test(exo, all_cases_in_one_boot)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exotest", "demand",
					    "caps", "foreign", "exceptions", "demand", "--",
					    "hello", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0);
}

static void
assert_killed(const char *name, unsigned vector)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exotest", name,
					    "--", "hello", NULL });
	ev = report_event(&r, "program_fault", 0);
	cr_assert(ev, "%s: no program_fault:\n%s\n%s", name, r.report, r.out);
	cr_assert_eq(report_num(ev, "vector"), vector, "%s", ev);
	cr_assert_eq(report_num(ev, "status"), 128 + vector);
	/* The kernel went on: hello ran after. */
	cr_assert_eq(r.status, 0, "%s: hello after the kill: exit %d\n%s", name, r.status, r.err);
}

/* A fault inside the exception handler is not upcalled again: killed by it. */
Test(exo, fault_in_handler_kills_the_thread)
{
	assert_killed("nested", 6);
}

/* A non-user entry_pc written into its own frame: #GP for the thread, not the kernel. */
Test(exo, bad_entry_kills_the_thread_not_the_kernel)
{
	assert_killed("badentry", 13);
}

/*
 * A thread on CPU 1 keeps writing kernel selectors and IOPL 3 into the
 * exception frame of a thread faulting on CPU 0 (it was a kernel fault:
 * panic). xforge: 3,000 #UD, each handled as the thread's, in ring 3;
 * xforgebusy: the frame forged in use too, 500 threads of another space
 * each killed for its #UD (or upcalled, if its frame was free at the
 * fault; at least one killed), the kernel going on.
 */
ParameterizedTestParameters(exo, forged_frame_on_another_cpu)
{
	static struct exo_case cases[] = { { "xforge" }, { "xforgebusy" } };

	return cr_make_param_array(struct exo_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct exo_case *c, exo, forged_frame_on_another_cpu)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "120", "--cpus", "2",
					    "exotest", c->name, NULL });
	cr_assert_eq(r.status, 0, "exotest %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0);
}
