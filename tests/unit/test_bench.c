/*
 * exo bench's host side (host/bench_result.c, host/bench.c): statistics of
 * known samples, what it makes of marks and result records, the rules it
 * holds records to, its verdicts, and the JSON document it writes.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <exo/bench.h>
#include <exo/bootinfo.h>
#include <exo/error.h>

#include "host/bench.h"
#include "vmm/stats.h"
#include "tests/common/jv.h"

/* Statistics */

static void
shuffle(uint32_t *x, size_t n)
{
	srand(12345);
	for (size_t i = n; i > 1; i--) {
		size_t k = (size_t)rand() % i;
		uint32_t t = x[i - 1];

		x[i - 1] = x[k];
		x[k] = t;
	}
}

Test(bench_stats, one_to_a_hundred)
{
	uint32_t x[100];
	struct bench_stats st;

	for (uint32_t i = 0; i < 100; i++)
		x[i] = i + 1;
	shuffle(x, 100);
	cr_assert_eq(bench_stats_compute(x, 100, &st), 0);
	cr_assert_eq(st.n, 100);
	cr_assert_eq(st.min, 1);
	cr_assert_eq(st.median, 50, "nearest rank: the 50th of 100");
	cr_assert_eq(st.p99, 99);
	cr_assert_eq(st.max, 100);
	cr_assert_float_eq(st.mean, 50.5, 1e-12);
	for (uint32_t i = 0; i < 100; i++)
		cr_assert_eq(x[i], i + 1, "sorted in place");
}

Test(bench_stats, a_thousand)
{
	static uint32_t x[1000];
	struct bench_stats st;

	for (uint32_t i = 0; i < 1000; i++)
		x[i] = 1000 * (i + 1);
	shuffle(x, 1000);
	cr_assert_eq(bench_stats_compute(x, 1000, &st), 0);
	cr_assert_eq(st.min, 1000);
	cr_assert_eq(st.median, 500000);
	cr_assert_eq(st.p99, 990000);
	cr_assert_eq(st.max, 1000000);
}

Test(bench_stats, small_counts)
{
	uint32_t one[] = { 7 }, two[] = { 20, 10 }, three[] = { 5, 1, 3 };
	struct bench_stats st;

	cr_assert_eq(bench_stats_compute(one, 1, &st), 0);
	cr_assert(st.min == 7 && st.median == 7 && st.p99 == 7 && st.max == 7);
	cr_assert_eq(bench_stats_compute(two, 2, &st), 0);
	cr_assert_eq(st.median, 10, "rank ceil(0.5 * 2) = 1");
	cr_assert_eq(st.p99, 20, "rank ceil(0.99 * 2) = 2");
	cr_assert_eq(bench_stats_compute(three, 3, &st), 0);
	cr_assert_eq(st.median, 3);
	cr_assert_eq(st.p99, 5);
	cr_assert_float_eq(st.mean, 3.0, 1e-12);
}

Test(bench_stats, outliers_and_ties)
{
	/* 98 equal samples and two outliers: p99 of 100 is the 99th. */
	uint32_t x[100];
	struct bench_stats st;

	for (int i = 0; i < 100; i++)
		x[i] = 129;
	x[3] = 4000000000u;
	x[50] = 5;
	cr_assert_eq(bench_stats_compute(x, 100, &st), 0);
	cr_assert_eq(st.min, 5);
	cr_assert_eq(st.median, 129);
	cr_assert_eq(st.p99, 129);
	cr_assert_eq(st.max, 4000000000u, "no overflow at the top of u32");
	cr_assert_float_eq(st.mean, (98.0 * 129 + 5 + 4e9) / 100, 1e-3);
}

Test(bench_stats, percentile_ranks)
{
	uint32_t x[10] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };

	cr_assert_eq(bench_percentile(x, 10, 1), 1);
	cr_assert_eq(bench_percentile(x, 10, 10), 1);
	cr_assert_eq(bench_percentile(x, 10, 11), 2);
	cr_assert_eq(bench_percentile(x, 10, 50), 5);
	cr_assert_eq(bench_percentile(x, 10, 91), 10);
	cr_assert_eq(bench_percentile(x, 10, 100), 10);
}

Test(bench_stats, no_samples)
{
	uint32_t x[1] = { 1 };
	struct bench_stats st;

	cr_assert_eq(bench_stats_compute(x, 0, &st), -EINVAL);
	cr_assert_eq(st.n, 0);
}

/* Marks and records */

static struct bench_run run;
static struct exo_bench_result rec;

static void
run_setup(void)
{
	bench_run_init(&run, "ipc", "bench-ipc");
	run.ran = true;
	run.res = (struct vmm_result){ .outcome = VMM_EXITED, .status = 0,
				       .platform = EXO_PLATFORM_KVM_PVM, .tsc_khz = 2000000 };
}

static void
run_teardown(void)
{
	bench_run_free(&run);
}

TestSuite(bench_run, .init = run_setup, .fini = run_teardown);

/* A mark whose counters are insn, then 10 * insn, 0, 0, 0. */
static void
mark(uint32_t code, int64_t insn)
{
	int64_t v[BENCH_NCOUNTERS] = { insn, 10 * insn, 0, 0, 0 };

	bench_mark_add(&run, code, v);
}

/* An operation's four marks: the empty pair costs empty, the loop loop. */
static void
four_marks(uint32_t base, int64_t at, int64_t empty, int64_t loop)
{
	mark(base | EXO_BENCH_EMPTY_BEGIN, at);
	mark(base | EXO_BENCH_EMPTY_END, at + empty);
	mark(base | EXO_BENCH_BEGIN, at + empty + 500);
	mark(base | EXO_BENCH_END, at + empty + 500 + loop);
}

/* A record of n samples: sample i is first + i. */
static size_t
make_rec(const char *name, uint32_t base, uint32_t n, uint32_t first)
{
	memset(&rec, 0, EXO_BENCH_RESULT_HDR);
	rec.magic = EXO_BENCH_MAGIC;
	rec.mark = base;
	snprintf(rec.name, sizeof(rec.name), "%s", name);
	rec.iterations = n;
	rec.warmup = 10;
	rec.loop_cycles = 123456;
	rec.nsamples = n;
	for (uint32_t i = 0; i < n; i++)
		rec.samples[i] = first + i;
	return EXO_BENCH_RESULT_LEN(n);
}

Test(bench_run, per_operation_counts_less_the_empty_pair)
{
	size_t len = make_rec("null_syscall", 4, 1000, 1);

	four_marks(4, 1000, 138, 138 + 1000 * 129);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0, "%s", run.error);
	cr_assert_eq(run.nops, 1);
	cr_assert_str_eq(run.ops[0].name, "null_syscall");
	cr_assert_eq(run.ops[0].empty[BENCH_INSN], 138);
	cr_assert_float_eq(bench_op_per_iter(&run.ops[0], BENCH_INSN), 129.0, 1e-12);
	cr_assert_float_eq(bench_op_per_iter(&run.ops[0], 1), 1290.0, 1e-12);
	cr_assert_eq(run.ops[0].cycles.min, 1);
	cr_assert_eq(run.ops[0].cycles.median, 500);
	cr_assert_eq(run.ops[0].cycles.p99, 990);
	cr_assert_eq(run.ops[0].loop_cycles, 123456);
	cr_assert(bench_run_ring0_exact(&run));
	cr_assert(bench_run_ok(&run));
}

Test(bench_run, ratio_to_null_and_latest_marks)
{
	size_t len;

	/* Stale marks of the same codes before: the latest ones count. */
	four_marks(4, 0, 999, 999);
	four_marks(4, 10000, 100, 100 + 10 * 200);
	len = make_rec("null_syscall", 4, 10, 1000);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0, "%s", run.error);
	four_marks(8, 50000, 100, 100 + 10 * 300);
	len = make_rec("console_write_1", 8, 10, 2500);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0, "%s", run.error);
	bench_run_finish(&run);
	cr_assert_float_eq(bench_op_per_iter(&run.ops[0], BENCH_INSN), 200.0, 1e-12);
	cr_assert_float_eq(bench_op_per_iter(&run.ops[1], BENCH_INSN), 300.0, 1e-12);
	cr_assert_float_eq(run.ops[0].ratio_to_null, 1.0, 1e-12);
	cr_assert_float_eq(run.ops[1].ratio_to_null, 2504.0 / 1004.0, 1e-12);
}

Test(bench_run, no_null_no_ratio)
{
	size_t len = make_rec("other", 4, 5, 10);

	four_marks(4, 0, 10, 20);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	bench_run_finish(&run);
	cr_assert(isnan(run.ops[0].ratio_to_null));
}

Test(bench_run, counters_missing)
{
	int64_t none[BENCH_NCOUNTERS] = { -1, -1, -1, -1, -1 };
	size_t len = make_rec("null_syscall", 4, 5, 10);

	for (uint32_t p = 0; p < EXO_BENCH_PHASES; p++)
		bench_mark_add(&run, 4 | p, none);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	cr_assert(!run.ops[0].have[BENCH_INSN]);
	cr_assert(isnan(bench_op_per_iter(&run.ops[0], BENCH_INSN)));
	cr_assert(!bench_run_ring0_exact(&run), "no statistic: cycles only");
	cr_assert(bench_run_ok(&run), "cycles alone are a result");
}

Test(bench_run, hardware_kvm_is_not_exact)
{
	size_t len = make_rec("null_syscall", 4, 5, 10);

	run.res.platform = EXO_PLATFORM_KVM_HW;
	four_marks(4, 0, 10, 20);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	cr_assert(!bench_run_ring0_exact(&run));
}

/* A record that breaks a rule: refused, and run.error says so. */
static void
refused(size_t len, const char *needle)
{
	unsigned nops = run.nops;

	cr_assert_eq(bench_result_add(&run, &rec, len), -E_INVAL, "accepted (%s)", needle);
	cr_assert(strstr(run.error, needle), "error '%s' lacks '%s'", run.error, needle);
	cr_assert_eq(run.nops, nops, "a refused record was kept");
	cr_assert(!bench_run_ok(&run));
	run.error[0] = '\0';
}

Test(bench_run, refuses_broken_records)
{
	size_t len;

	four_marks(4, 0, 10, 20);
	len = make_rec("op", 4, 5, 1);
	rec.magic = 0;
	refused(len, "magic");
	refused(EXO_BENCH_RESULT_HDR - 1, "magic");
	make_rec("", 4, 5, 1);
	refused(len, "name");
	make_rec("has space", 4, 5, 1);
	refused(len, "name");
	make_rec("op", 4, 5, 1);
	memset(rec.name, 'a', sizeof(rec.name));        /* no NUL */
	refused(len, "name");
	make_rec("op", 0, 5, 1);
	refused(len, "mark base");
	make_rec("op", 6, 5, 1);
	refused(len, "mark base");
	make_rec("op", 4, 5, 1);
	rec.nsamples = 0;
	refused(len, "samples");
	make_rec("op", 4, 5, 1);
	rec.iterations = 4;
	refused(len, "samples");
	make_rec("op", 4, 5, 1);
	rec.nsamples = EXO_BENCH_SAMPLES_MAX + 1;
	rec.iterations = EXO_BENCH_SAMPLES_MAX + 1;
	refused(EXO_BENCH_RESULT_MAX, "samples");
	make_rec("op", 4, 5, 1);
	refused(len - 1, "cannot hold");
}

Test(bench_run, refuses_missing_or_disordered_marks)
{
	size_t len = make_rec("op", 8, 5, 1);

	refused(len, "no EMPTY_BEGIN mark");
	mark(8 | EXO_BENCH_EMPTY_BEGIN, 0);
	mark(8 | EXO_BENCH_EMPTY_END, 10);
	mark(8 | EXO_BENCH_BEGIN, 20);
	refused(len, "no END mark");
	mark(8 | EXO_BENCH_EMPTY_BEGIN, 0);              /* now after BEGIN */
	mark(8 | EXO_BENCH_END, 30);
	refused(len, "EMPTY_END mark came before EMPTY_BEGIN");
}

Test(bench_run, at_most_ops_max_results)
{
	size_t len = make_rec("op", 4, 1, 1);

	four_marks(4, 0, 10, 20);
	for (int i = 0; i < EXO_BENCH_OPS_MAX; i++)
		cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	refused(len, "results in one boot");
}

/* Verdicts */

static int
verdict(char *msg, size_t len)
{
	return bench_run_verdict(&run, msg, len);
}

Test(bench_run, verdicts)
{
	char msg[512];
	size_t len = make_rec("null_syscall", 4, 5, 1);

	cr_assert_eq(verdict(msg, sizeof(msg)), 1, "no results yet");
	cr_assert(strstr(msg, "no results"), "%s", msg);
	four_marks(4, 0, 10, 20);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	cr_assert_eq(verdict(msg, sizeof(msg)), 0);
	cr_assert_str_eq(msg, "");

	run.res.status = 3;
	cr_assert_eq(verdict(msg, sizeof(msg)), 1);
	cr_assert(strstr(msg, "status 3"), "%s", msg);
	run.res.status = 0;

	strcpy(run.error, "a broken rule");
	cr_assert_eq(verdict(msg, sizeof(msg)), 1);
	cr_assert(strstr(msg, "a broken rule"), "%s", msg);
	run.error[0] = '\0';

	run.res.outcome = VMM_CRASHED;
	cr_assert_eq(verdict(msg, sizeof(msg)), 125);
	cr_assert(strstr(msg, "crashed"), "%s", msg);
	run.res.outcome = VMM_TIMEOUT;
	cr_assert_eq(verdict(msg, sizeof(msg)), 124);
	cr_assert(strstr(msg, "--timeout"), "%s", msg);
	run.res.outcome = VMM_INTERRUPTED;
	cr_assert_eq(verdict(msg, sizeof(msg)), 130);
	run.ran = false;
	cr_assert_eq(verdict(msg, sizeof(msg)), 126);
}

/* The JSON document */

static struct jv *
json_of(const struct bench_run *runs, unsigned n)
{
	char *text = NULL, err[128];
	size_t len;
	FILE *f = open_memstream(&text, &len);
	struct jv *v;

	cr_assert_not_null(f);
	cr_assert_eq(bench_json_write(f, runs, n, NULL), 0);
	fclose(f);
	v = jv_parse(text, err, sizeof(err));
	cr_assert_not_null(v, "%s in:\n%s", err, text);
	free(text);
	return v;
}

static double
num(const struct jv *v)
{
	cr_assert_not_null(v);
	cr_assert_eq(v->type, JV_NUMBER);
	return v->num;
}

Test(bench_run, json_document)
{
	size_t len = make_rec("null_syscall", 4, 1000, 1);
	const struct jv *suite, *op;
	struct jv *v;

	four_marks(4, 1000, 138, 138 + 1000 * 129);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	len = make_rec("console_write_1", 8, 1000, 3);
	four_marks(8, 9000000, 138, 138 + 1000 * 285);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	bench_run_finish(&run);
	v = json_of(&run, 1);

	cr_assert_str_eq(jv_get(v, "schema")->str, "exo-bench/1");
	cr_assert(jv_get(v, "ok")->b);
	suite = jv_at(jv_get(v, "suites"), 0);
	cr_assert_str_eq(jv_get(suite, "suite")->str, "ipc");
	cr_assert_str_eq(jv_get(suite, "program")->str, "bench-ipc");
	cr_assert(jv_get(suite, "ok")->b);
	cr_assert_eq(jv_get(suite, "error")->type, JV_NULL);
	cr_assert_str_eq(jv_get(suite, "outcome")->str, "exited");
	cr_assert_str_eq(jv_get(suite, "platform")->str, "kvm-pvm");
	cr_assert_eq(num(jv_get(suite, "tsc_khz")), 2000000);
	cr_assert(jv_get(suite, "ring0_exact")->b);
	op = jv_at(jv_get(suite, "operations"), 0);
	cr_assert_str_eq(jv_get(op, "name")->str, "null_syscall");
	cr_assert_eq(num(jv_get(op, "iterations")), 1000);
	cr_assert_eq(num(jv_get(op, "warmup")), 10);
	cr_assert_eq(num(jv_get(op, "samples")), 1000);
	cr_assert_eq(num(jv_path(op, "cycles", "min", NULL)), 1);
	cr_assert_eq(num(jv_path(op, "cycles", "median", NULL)), 500);
	cr_assert_eq(num(jv_path(op, "cycles", "p99", NULL)), 990);
	cr_assert_eq(num(jv_path(op, "cycles", "max", NULL)), 1000);
	cr_assert_float_eq(num(jv_path(op, "cycles", "mean", NULL)), 500.5, 1e-9);
	cr_assert_eq(num(jv_get(op, "ring0_insns_per_op")), 129);
	cr_assert_eq(num(jv_path(op, "kvm_per_op", "insn_emulation", NULL)), 129);
	cr_assert_eq(num(jv_path(op, "kvm_per_op", "exits", NULL)), 1290);
	cr_assert_eq(num(jv_path(op, "kvm_empty_pair", "insn_emulation", NULL)), 138);
	cr_assert_eq(num(jv_get(op, "ratio_to_null")), 1);
	cr_assert_eq(jv_get(op, "clipped")->type, JV_BOOL);
	op = jv_at(jv_get(suite, "operations"), 1);
	cr_assert_str_eq(jv_get(op, "name")->str, "console_write_1");
	cr_assert_eq(num(jv_get(op, "ring0_insns_per_op")), 285);
	cr_assert_float_eq(num(jv_get(op, "ratio_to_null")), 502.0 / 500.0, 1e-12);
	cr_assert_null(jv_at(jv_get(suite, "operations"), 2));
	jv_free(v);
}

Test(bench_run, json_failed_run_and_unknowns)
{
	int64_t none[BENCH_NCOUNTERS] = { -1, -1, -1, -1, -1 };
	size_t len = make_rec("op", 4, 3, 1);
	const struct jv *suite, *op;
	struct jv *v;

	for (uint32_t p = 0; p < EXO_BENCH_PHASES; p++)
		bench_mark_add(&run, 4 | p, none);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	run.res.outcome = VMM_TIMEOUT;
	run.res.tsc_khz = 0;
	bench_run_finish(&run);
	v = json_of(&run, 1);
	cr_assert(!jv_get(v, "ok")->b);
	suite = jv_at(jv_get(v, "suites"), 0);
	cr_assert(!jv_get(suite, "ok")->b);
	cr_assert_eq(jv_get(suite, "error")->type, JV_STRING);
	cr_assert_str_eq(jv_get(suite, "outcome")->str, "timeout");
	cr_assert_eq(jv_get(suite, "tsc_khz")->type, JV_NULL);
	cr_assert(!jv_get(suite, "ring0_exact")->b);
	op = jv_at(jv_get(suite, "operations"), 0);
	cr_assert_eq(jv_get(op, "ring0_insns_per_op")->type, JV_NULL);
	cr_assert_eq(jv_path(op, "kvm_per_op", "insn_emulation", NULL)->type, JV_NULL);
	cr_assert_eq(jv_get(op, "ratio_to_null")->type, JV_NULL);
	jv_free(v);
}

Test(bench_run, json_no_runs)
{
	struct jv *v = json_of(NULL, 0);

	cr_assert(!jv_get(v, "ok")->b, "nothing measured is not ok");
	cr_assert_eq(jv_get(v, "suites")->n, 0);
	jv_free(v);
}

/* A baseline is any JSON: a suite or operation name that is not a string
 * (a number, null) is no match, not a NULL handed to strcmp (SIGSEGV before;
 * fuzz/baseline.c reports it as UBSan's null argument). */
Test(bench_check, names_that_are_not_strings_match_nothing)
{
	static const char *const docs[] = {
		"{\"suites\":[{\"suite\":1}]}",
		"{\"suites\":[{\"suite\":null,\"operations\":[]}]}",
		"{\"suites\":[{\"suite\":\"ipc\",\"operations\":[{\"name\":7}]}]}",
	};
	static struct bench_run run;
	FILE *null = fopen("/dev/null", "w");
	char err[256];

	cr_assert_not_null(null);
	bench_run_init(&run, "ipc", "bench-ipc");
	run.nops = 1;
	strcpy(run.ops[0].name, "null_syscall");
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct jv *doc = jv_parse(docs[i], err, sizeof(err));

		cr_assert_not_null(doc, "%s: %s", docs[i], err);
		cr_assert_eq(bench_check(null, "b.json", doc, &run, 1, 0.02, 0.5), 0,
			     "%s", docs[i]);
		jv_free(doc);
	}
	fclose(null);
}

/* Exits by reason come with each mark from the VMM and are judged per op. */
static void
mark_exits(uint32_t code, int64_t ud, int64_t npf)
{
	static const char *const names[] = { "npf", "exception_ud" };
	struct kvm_stats none = { .fd = -1 };
	struct vmm_exits e = { .n = 2, .names = names, .count = { npf, ud } };

	bench_on_mark(&run, code, &none, &e);
}

Test(bench_run, exits_by_reason_per_operation)
{
	size_t len = make_rec("exception_upcall", 4, 100, 1);
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	mark_exits(4 | EXO_BENCH_EMPTY_BEGIN, 0, 7);
	mark_exits(4 | EXO_BENCH_EMPTY_END, 0, 7);
	mark_exits(4 | EXO_BENCH_BEGIN, 0, 9);
	mark_exits(4 | EXO_BENCH_END, 100, 9);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0, "%s", run.error);
	bench_run_finish(&run);
	cr_assert_eq(run.nreasons, 2);
	cr_assert_float_eq(bench_op_per_iter(&run.ops[0], BENCH_REASON + 1), 1.0, 1e-12);
	cr_assert_float_eq(bench_op_per_iter(&run.ops[0], BENCH_REASON), 0.0, 1e-12);
	cr_assert(!run.ops[0].have[BENCH_INSN], "no statistics, no count");
	f = open_memstream(&out, &outlen);
	cr_assert_not_null(f);
	bench_table_print(f, &run);
	fclose(f);
	cr_assert(strstr(out, "    exception_upcall: exception_ud 1.00\n"), "%s", out);
	cr_assert(!strstr(out, "npf"), "a reason with no exit is not shown:\n%s", out);
	free(out);
}

/* An interrupt in the empty pair, none in the loop: no negative exits. */
Test(bench_run, exits_below_the_empty_pair_are_zero)
{
	size_t len = make_rec("exception_upcall", 4, 100, 1);
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	mark_exits(4 | EXO_BENCH_EMPTY_BEGIN, 0, 7);
	mark_exits(4 | EXO_BENCH_EMPTY_END, 0, 10);
	mark_exits(4 | EXO_BENCH_BEGIN, 0, 10);
	mark_exits(4 | EXO_BENCH_END, 100, 11);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0, "%s", run.error);
	bench_run_finish(&run);
	cr_assert_float_eq(bench_op_per_iter(&run.ops[0], BENCH_REASON), 0.0, 1e-12);
	f = open_memstream(&out, &outlen);
	cr_assert_not_null(f);
	bench_table_print(f, &run);
	fclose(f);
	cr_assert(!strstr(out, "npf"), "npf -0.02 shown:\n%s", out);
	free(out);
}

Test(bench_run, exits_not_counted_say_why)
{
	struct kvm_stats none = { .fd = -1 };
	struct vmm_exits e = { .n = 0, .why = "neither kvm_amd nor kvm_intel is loaded" };
	size_t len = make_rec("null_syscall", 4, 5, 10);
	char *out = NULL;
	size_t outlen = 0;
	FILE *f;

	for (uint32_t p = 0; p < EXO_BENCH_PHASES; p++)
		bench_on_mark(&run, 4 | p, &none, &e);
	cr_assert_eq(bench_result_add(&run, &rec, len), 0);
	run.res.platform = EXO_PLATFORM_KVM_HW;
	f = open_memstream(&out, &outlen);
	bench_table_print(f, &run);
	fclose(f);
	cr_assert(strstr(out, "exits by reason: not counted: neither kvm_amd"), "%s", out);
	free(out);
}

/* The hosted platform's targets: this run's medians over Linux's crossings
 * measured beside them; only hosted runs count, a missing side prints
 * nothing; and the JSON carries Linux's crossings. */
Test(bench, hosted_targets_are_ratios_of_this_run)
{
	static struct bench_run runs[2];
	struct bench_linux l = { .measured = true };
	char *text = NULL;
	size_t len;
	FILE *f = open_memstream(&text, &len);
	struct jv *v;
	char err[128];

	bench_run_init(&runs[0], "ipc", "bench-ipc");
	bench_run_init(&runs[1], "exo", "bench-exo");
	runs[0].res.platform = EXO_PLATFORM_KVM_PVM;    /* not hosted: passed over */
	snprintf(runs[0].ops[0].name, sizeof(runs[0].ops[0].name), "null_syscall");
	runs[0].ops[0].cycles = (struct bench_stats){ .n = 1, .median = 100 };
	runs[0].nops = 1;
	runs[1].res.platform = EXO_PLATFORM_HOSTED;
	snprintf(runs[1].ops[0].name, sizeof(runs[1].ops[0].name), "null_syscall");
	runs[1].ops[0].cycles = (struct bench_stats){ .n = 1, .median = 7000 };
	snprintf(runs[1].ops[1].name, sizeof(runs[1].ops[1].name), "ipc_call_reply");
	runs[1].ops[1].cycles = (struct bench_stats){ .n = 1, .median = 31000 };
	runs[1].nops = 2;
	l.cycles[BL_SIGSYS] = 3500;
	l.cycles[BL_FUTEX] = 10000;
	l.cycles[BL_SIGSEGV] = 9000;    /* no exception_upcall: no line */
	cr_assert_not_null(f);
	bench_linux_targets(f, runs, 2, &l);
	fclose(f);
	cr_assert(strstr(text, "null_syscall     / sigsys_roundtrip        2.00  (target <= 2)  met"),
		  "%s", text);
	cr_assert(strstr(text, "ipc_call_reply   / futex_roundtrip_2proc   3.10  (target <= 3)  MISSED"),
		  "%s", text);
	cr_assert_null(strstr(text, "exception_upcall"), "%s", text);
	free(text);

	f = open_memstream(&text, &len);
	cr_assert_eq(bench_json_write(f, runs, 2, &l), 0);
	fclose(f);
	v = jv_parse(text, err, sizeof(err));
	cr_assert_not_null(v, "%s", err);
	cr_assert_eq(num(jv_get(jv_get(v, "linux_crossings_cycles"), "sigsys_roundtrip")), 3500);
	cr_assert_eq(jv_get(jv_get(v, "linux_crossings_cycles"), "getppid")->type, JV_NULL);
	jv_free(v);
	free(text);
	bench_run_free(&runs[0]);
	bench_run_free(&runs[1]);
}
