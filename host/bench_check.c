/*
 * exo bench --baseline FILE [--check]: compare this run with a stored one
 * (an exo bench --json document). Cycles move by 10% and more from run to
 * run on these machines, so a regression is judged only on what does not:
 *   - ring-0 instructions per operation, exact on PVM hosts: a regression
 *     if it grew by more than ring0_tol (a fraction; default 2%);
 *   - the ratio of an operation's median to the null system call's, both
 *     measured in the same boot: a regression if it grew by more than
 *     ratio_tol (default 50%, generous: on a loaded machine a median can
 *     swing by half between runs).
 * Operations missing from either side are listed and not judged, and so
 * are suites the baseline measured on another platform.
 */
#include "bench.h"

#include <math.h>
#include <string.h>

#include "../tests/common/jv.h"

/* key's value if it is a string (bench_baseline_check made sure), else NULL. */
static const char *
jstr(const struct jv *o, const char *key)
{
	const struct jv *v = jv_get(o, key);

	return v && v->type == JV_STRING ? v->str : NULL;
}

static const struct jv *
base_suite(const struct jv *doc, const char *suite)
{
	const struct jv *s;
	const char *name;

	for (size_t i = 0; (s = jv_at(jv_get(doc, "suites"), i)); i++) {
		name = jstr(s, "suite");
		if (name && !strcmp(name, suite))
			return s;
	}
	return NULL;
}

static const struct jv *
base_op(const struct jv *s, const char *op)
{
	const struct jv *o;
	const char *name;

	for (size_t k = 0; (o = jv_at(jv_get(s, "operations"), k)); k++) {
		name = jstr(o, "name");
		if (name && !strcmp(name, op))
			return o;
	}
	return NULL;
}

/*
 * The platform a baseline suite was measured on differs from this run's:
 * its costs are another machine's (ring 0 emulated on PVM, natively on
 * hardware, none on hosted), so nothing of it is compared. A baseline
 * without the field is taken as this run's platform.
 */
static bool
other_platform(FILE *out, const struct jv *s, const struct bench_run *r)
{
	const char *base = s ? jstr(s, "platform") : NULL;
	const char *here = exo_platform_name(r->res.platform);

	if (!base || !strcmp(base, here))
		return false;
	fprintf(out, "  %s: not compared: the baseline was measured on %s, this run is "
		"on %s\n", r->suite, base, here);
	return true;
}

static double
jnum(const struct jv *o, const char *key)
{
	const struct jv *v = jv_get(o, key);

	return v && v->type == JV_NUMBER ? v->num : NAN;
}

/* One comparison: true if it is a regression. */
static bool
judge(FILE *out, const char *what, double cur, double base, double tol)
{
	double change;
	bool bad;

	if (isnan(cur) || isnan(base) || base <= 0) {
		fprintf(out, " %s -", what);
		return false;
	}
	change = cur / base - 1;
	bad = change > tol;
	fprintf(out, " %s %.4g vs %.4g (%+.1f%%%s)", what, cur, base, 100 * change,
		bad ? ", REGRESSION" : "");
	return bad;
}

int
bench_check(FILE *out, const char *path, const struct jv *doc,
	    const struct bench_run *runs, unsigned nruns, double ring0_tol,
	    double ratio_tol)
{
	int regressions = 0;

	fprintf(out, "exo bench: against %s (regression: ring-0/op over +%.0f%%, "
		"x null over +%.0f%%)\n", path, 100 * ring0_tol, 100 * ratio_tol);
	for (unsigned i = 0; i < nruns; i++) {
		const struct bench_run *r = &runs[i];
		const struct jv *bs = base_suite(doc, r->suite);
		bool exact = bench_run_ring0_exact(r);

		if (other_platform(out, bs, r))
			continue;
		for (unsigned k = 0; k < r->nops; k++) {
			const struct bench_op *op = &r->ops[k];
			const struct jv *b = bs ? base_op(bs, op->name) : NULL;
			bool bad;

			fprintf(out, "  %s/%s:", r->suite, op->name);
			if (!b) {
				fprintf(out, " not in the baseline\n");
				continue;
			}
			bad = judge(out, "ring-0/op", exact ? bench_op_per_iter(op, BENCH_INSN)
				    : NAN, jnum(b, "ring0_insns_per_op"), ring0_tol);
			if (strcmp(op->name, "null_syscall"))
				bad |= judge(out, "x null", op->ratio_to_null,
					     jnum(b, "ratio_to_null"), ratio_tol);
			fprintf(out, "\n");
			regressions += bad;
		}
	}
	fprintf(out, "exo bench: %d regression(s)\n", regressions);
	return regressions;
}
