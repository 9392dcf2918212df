/*
 * Visible revocation and the abort protocol: libos/programs/exorevoke runs
 * one case in a real boot (a child environment with frames, a reserve and
 * copies passed to us) and exits 0 only if every check held. Judged by exit
 * status and the report, never by console wording.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "run.h"

static struct exo_run r;

struct revoke_case {
	char name[16];
};

ParameterizedTestParameters(revoke, case_holds)
{
	static struct revoke_case cases[] = {
		{ "coop" },     /* the library OS picks; the rest and the reserve intact */
		{ "abort" },    /* deadline passed: vector, autosave, reserve, copies */
		{ "noentry" },  /* no REVOKE entry: the abort protocol at the deadline */
		{ "errors" },   /* bad requests refused, nothing changed */
	};
	return cr_make_param_array(struct revoke_case, cases,
				   sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct revoke_case *c, revoke, case_holds)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exorevoke",
					    c->name, NULL });
	cr_assert_eq(r.status, 0, "exorevoke %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->name, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
}

/* All cases in one boot: stores and environments do not disturb each other. */
Test(revoke, all_cases_in_one_boot)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "exorevoke", "coop",
					    "abort", "noentry", "errors", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
}
