/*
 * ExOS scenarios: libos/programs/exosvm runs one case of the library's
 * virtual memory (libos/exos/) in a real boot and exits 0 only if every
 * check held. Judged by the exit status and the report, never by wording.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include "run.h"

static struct exo_run r;

struct exos_case {
	char name[16];
};

ParameterizedTestParameters(exos, vm_case_holds)
{
	static struct exos_case cases[] = {
		{ "demand" },           /* demand-zero regions, frames on first touch */
		{ "mprotect" },         /* read-only and no-access pages, one and ranges */
		{ "dirty" },            /* dirty bits the library keeps itself */
		{ "cow" },              /* one frame, two pages, a write separates them */
		{ "refuse" },           /* capabilities never received: refused */
	};
	return cr_make_param_array(struct exos_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct exos_case *c, exos, vm_case_holds)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exosvm", c->name, NULL });
	cr_assert_eq(r.status, 0, "exosvm %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->name, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
}

/* Every case in one boot, twice: the library leaves no state behind a case. */
Test(exos, vm_all_cases_in_one_boot)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exosvm", "demand",
					    "mprotect", "dirty", "cow", "refuse", "demand",
					    "cow", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0);
}
