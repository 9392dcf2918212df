/*
 * ExOS scenarios: libos/programs/exosvm runs one case of the library's
 * virtual memory (libos/exos/) in a real boot and exits 0 only if every
 * check held. Judged by the exit status and the report, never by wording.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "jv.h"
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
		{ "swap" },             /* revocation takes frames, nothing is lost */
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
					    "mprotect", "dirty", "cow", "refuse", "swap",
					    "demand", "cow", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0);
}

/*
 * exo bench vm: every operation of every design measured (the guest checks
 * each iteration's outcome: a fault that was not resolved as the operation
 * says fails it), and the comparison with Linux's column measured on the
 * host in the same run.
 */
Test(exos, bench_vm_measures_every_design)
{
	static const char *const names[] = {
		"exos_dirty", "exos_prot1", "exos_prot100", "exos_unprot100", "exos_trap",
		"exos_appel1", "exos_appel2", "l4_prot1", "l4_prot100", "l4_unprot100",
		"l4_trap", "l4_appel1", "l4_appel2", "spin_prot1", "spin_prot100",
		"spin_unprot100", "spin_trap", "spin_appel1", "spin_appel2",
	};
	struct jv *doc = exo_run_json(&r, "bench", "--json", "benchvm",
				      (const char *[]){ "vm", "--iterations", "20", NULL });
	const struct jv *suite = jv_at(jv_get(doc, "suites"), 0), *ops;
	const char *lnx;

	cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
	cr_assert(jv_get(suite, "ok")->b);
	ops = jv_get(suite, "operations");
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		const struct jv *op = NULL;

		for (size_t i = 0; !op && jv_at(ops, i); i++)
			if (!strcmp(jv_get(jv_at(ops, i), "name")->str, names[k]))
				op = jv_at(ops, i);
		cr_assert(op, "no %s", names[k]);
		cr_assert_eq(json_num(jv_get(op, "samples"), "samples"), 20, "%s", names[k]);
	}
	lnx = strstr(r.out, "the designs side by side");
	cr_assert(lnx, "no comparison:\n%s", r.out);
	cr_assert(strstr(lnx, "\n  trap "), "%s", lnx);
	cr_assert_null(strstr(r.err, "could not be measured"), "%s", r.err);
	cr_assert_gt(json_num(jv_path(suite, "linux_host", "us_per_op", "trap", NULL), "trap"),
		     0);
	jv_free(doc);
}
