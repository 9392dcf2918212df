/*
 * exo bench: one boot per suite; the suite's program reports marks and
 * results (<exo/bench.h>, collected by bench_result.c), which become a table
 * and, with --json, a JSON document (docs/bench.md).
 */
#include "bench.h"
#include "bench_child.h"
#include "bench_vm.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"
#include "../tests/common/jv.h"

#define DEFAULT_ITERATIONS 1000
#define DEFAULT_TIMEOUT    60.0      /* seconds per boot */
#define BENCH_RUNS_MAX     16        /* suites on one command line */

/* Suites: a name on the command line, the program it boots. */
static const struct bench_suite {
	const char *name;
	const char *program;             /* in build/programs */
	const char *summary;
	const char *cmdline;             /* added to the kernel's, or NULL */
	unsigned cpus;                   /* at least this many vCPUs */
	long iterations, warmup;         /* without --iterations (0: the defaults) */
} suites[] = {
	{ "ipc", "bench-ipc", "system calls and IPC: null_syscall, console_write_1, "
	  "ipc_call_reply(_slow), pagefault_pager, unmap_nothing", NULL, 1, 0, -1 },
	{ "exo", "bench-exo", "exokernel: exception_upcall, bind, unbind, stlb_fill, "
	  "frame_alloc_free, revoke_upcall_roundtrip", NULL, 1, 0, -1 },
	{ "trace", "bench-trace", "trace-point overhead: null_syscall and "
	  "ipc_call_reply with tracing off, then on (_traced), in one boot", "ktest", 1,
	  0, -1 },
	{ "spin", "bench-spin", "SPIN's extensions: null_syscall_counted (a counting "
	  "extension on every call), null_syscall_guard_no (its guard says no), "
	  "ext_syscall_add(_guarded) (a call answered by an extension), stlb_fill, "
	  "pf_appel (a write fault resolved by an extension), pf_upcall_rebind (the same "
	  "by the exception upcall), null_syscall_guards_8 (eight guards say no), "
	  "ext_load_drop, ext_load_100, ext_load_1000 (check and compile a handler of "
	  "19, 100, 1,000 instructions, then drop it)", NULL, 1, 0, -1 },
	{ "vm", "bench-vm", "Appel and Li's VM operations (dirty, prot1, prot100, "
	  "unprot100, trap, appel1, appel2) in ExOS (exos_*) and with an L4 pager "
	  "(l4_*), beside Linux's mprotect and SIGSEGV measured on this host in the "
	  "same run", NULL, 1, 0, -1 },
	{ "tlb", "bench-tlb", "TLB shootdowns: unmap of 1, 4, 16, 64 pages with 0, 1, 2, 3 "
	  "other CPUs running the space (4 vCPUs)", "ktest", 4,
	  12, 3 },      /* a shootdown can take milliseconds here: ~20 s */
};
#define NSUITES (sizeof(suites) / sizeof(suites[0]))

/* Verdicts: what happened to a boot, as an exit status and a sentence */

static const char *const outcome_names[] = {
	[VMM_EXITED] = "exited", [VMM_TIMEOUT] = "timeout",
	[VMM_CRASHED] = "crashed", [VMM_INTERRUPTED] = "interrupted",
};

int
bench_run_verdict(const struct bench_run *r, char *msg, size_t len)
{
	msg[0] = '\0';
	if (!r->ran) {
		snprintf(msg, len, "not run");
		return EXIT_HOST;
	}
	switch (r->res.outcome) {
	case VMM_TIMEOUT:
		snprintf(msg, len, "the guest was still running at --timeout and was "
			 "stopped (a slow or hung operation; raise --timeout or lower "
			 "--iterations)");
		return EXIT_TIMEOUT;
	case VMM_CRASHED:
		snprintf(msg, len, "the guest crashed (the kernel's report is above)");
		return EXIT_CRASH;
	case VMM_INTERRUPTED:
		snprintf(msg, len, "interrupted");
		return EXIT_INTERRUPTED;
	case VMM_EXITED:
		break;
	}
	if (r->res.status != 0)
		snprintf(msg, len, "the program %s exited with status %d (its console "
			 "output is below)", r->program, r->res.status);
	else if (r->error[0])
		snprintf(msg, len, "the program %s broke the bench protocol: %s",
			 r->program, r->error);
	else if (r->nops == 0)
		snprintf(msg, len, "the program %s reported no results", r->program);
	else
		return 0;
	return 1;
}

/* The table */

static const char *
platform_name(uint32_t p)
{
	return exo_platform_name(p);
}

/* A count that is usually whole: no decimals then. */
static void
print_count(FILE *f, int width, double v)
{
	if (isnan(v))
		fprintf(f, " %*s", width, "-");
	else if (v == floor(v) && fabs(v) < 1e15)
		fprintf(f, " %*.0f", width, v);
	else
		fprintf(f, " %*.2f", width, v);
}

static void
bench_table_note(FILE *f, const struct bench_run *r)
{
	bool have = r->nops > 0;

	for (unsigned i = 0; i < r->nops; i++)
		have = have && r->ops[i].have[BENCH_INSN];
	if (exo_platform_in_process(r->res.platform)) {
		fprintf(f, "  %s: no ring 0 and no VM exits; cycles only (Linux's own "
			"crossings are measured below, in the same run)\n",
			exo_platform_name(r->res.platform));
		return;
	}
	if (bench_run_ring0_exact(r))
		fprintf(f, "  ring-0/op: ring-0 instructions per operation, exact "
			"(PVM: KVM's insn_emulation), less an empty mark pair (%lld)\n",
			r->nops ? (long long)r->ops[0].empty[BENCH_INSN] : 0LL);
	else if (!have)
		fprintf(f, "  ring-0/op: not available: this KVM has no insn_emulation "
			"statistic (KVM_GET_STATS_FD); cycles only\n");
	else
		fprintf(f, "  ring-0/op: not measurable on hardware KVM (ring 0 runs "
			"natively); emul/op: the instructions KVM emulated (insn_emulation)\n");
	fprintf(f, "  exits/op: VM exits per operation (KVM's exits statistic), "
		"less an empty mark pair (0 where the empty pair had more); on "
		"hardware KVM a kernel path that needs no device should make none\n");
}

/*
 * Where the exits come from: for each operation that has any, its exits
 * per operation by reason (kvm:kvm_exit, counted per reason).
 */
static void
bench_table_reasons(FILE *f, const struct bench_run *r)
{
	bool title = false;

	if (!r->nreasons) {
		if (r->res.platform != EXO_PLATFORM_KVM_PVM && r->exits_why[0])
			fprintf(f, "  exits by reason: not counted: %s\n", r->exits_why);
		return;
	}
	for (unsigned i = 0; i < r->nops; i++) {
		const struct bench_op *op = &r->ops[i];
		bool any = false;

		for (unsigned k = 0; k < r->nreasons; k++) {
			double v = bench_op_per_iter(op, BENCH_REASON + (int)k);

			if (isnan(v) || fabs(v) < 0.005)
				continue;
			if (!title)
				fprintf(f, "  exits/op by reason (kvm:kvm_exit), where 0.01 or more:\n");
			title = true;
			if (!any)
				fprintf(f, "    %s:", op->name);
			fprintf(f, "%s %s %.2f", any ? "," : "", r->reason_names[k], v);
			any = true;
		}
		if (any)
			fputc('\n', f);
	}
}

/*
 * What tracing adds, for each operation X measured again as X_traced in the
 * same boot: the ratio of the medians and the ring-0 instructions added.
 * The target (docs/tracing.md) is a ratio of at most 1.05 for ipc_call_reply.
 */
static void
bench_table_traced(FILE *f, const struct bench_run *r, bool exact)
{
	for (unsigned i = 0; i < r->nops; i++) {
		const struct bench_op *on = &r->ops[i];
		size_t n = strlen(on->name);

		if (n <= 7 || strcmp(on->name + n - 7, "_traced"))
			continue;
		for (unsigned k = 0; k < r->nops; k++) {
			const struct bench_op *off = &r->ops[k];

			if (strlen(off->name) != n - 7 || strncmp(off->name, on->name, n - 7) ||
			    !off->cycles.median)
				continue;
			fprintf(f, "  tracing on: %s x%.3f cycles (medians), x%.3f (minimums)",
				off->name, (double)on->cycles.median / off->cycles.median,
				off->cycles.min ? (double)on->cycles.min / off->cycles.min : NAN);
			if (exact)
				fprintf(f, ", %+.0f ring-0 instructions",
					bench_op_per_iter(on, BENCH_INSN) -
					bench_op_per_iter(off, BENCH_INSN));
			fprintf(f, "\n");
		}
	}
}

void
bench_table_print(FILE *f, const struct bench_run *r)
{
	bool exact = bench_run_ring0_exact(r);
	uint64_t khz = r->res.tsc_khz;

	fprintf(f, "exo bench %s (%s) on %s", r->suite, r->program,
		platform_name(r->res.platform));
	if (khz)
		fprintf(f, ", TSC %.0f MHz", (double)khz / 1000);
	/* PVM: every ring-0 instruction is emulated, so the count is exact.
	 * Elsewhere the same statistic counts what KVM had to emulate. */
	fprintf(f, "\n  %-23s %7s %10s %10s %10s %10s %10s %8s %7s\n", "operation", "n",
		"min", "median", "p99", "median us", exact ? "ring-0/op" : "emul/op",
		"exits/op", "x null");
	for (unsigned i = 0; i < r->nops; i++) {
		const struct bench_op *op = &r->ops[i];

		fprintf(f, "  %-23s %7llu %10u %10u %10u", op->name,
			(unsigned long long)op->iterations, op->cycles.min,
			op->cycles.median, op->cycles.p99);
		if (khz)
			fprintf(f, " %10.2f", op->cycles.median * 1000.0 / (double)khz);
		else
			fprintf(f, " %10s", "-");
		print_count(f, 10, op->have[BENCH_INSN] ? bench_op_per_iter(op, BENCH_INSN) : NAN);
		print_count(f, 8, op->have[BENCH_EXITS] ? bench_op_per_iter(op, BENCH_EXITS) : NAN);
		if (isnan(op->ratio_to_null))
			fprintf(f, " %7s\n", "-");
		else
			fprintf(f, " %7.2f\n", op->ratio_to_null);
	}
	fprintf(f, "  cycles: TSC cycles per iteration (min, median, p99 by nearest "
		"rank), after %llu warm-up iterations\n",
		r->nops ? (unsigned long long)r->ops[0].warmup : 0ULL);
	bench_table_note(f, r);
	bench_table_reasons(f, r);
	bench_table_traced(f, r, exact);
	for (unsigned i = 0; i < r->nops; i++) {
		const struct bench_op *op = &r->ops[i];

		if (op->flags & EXO_BENCH_F_CLIPPED)
			fprintf(f, "  %s: some iterations took over 2^32 cycles and were "
				"clipped to it\n", op->name);
		if (op->have[BENCH_IRQ] && (op->loop[BENCH_IRQ] || op->empty[BENCH_IRQ]))
			fprintf(f, "  %s: %lld interrupt(s) reached the guest between its "
				"marks: ring-0/op includes their handlers\n", op->name,
				(long long)(op->loop[BENCH_IRQ] + op->empty[BENCH_IRQ]));
	}
}

/* JSON */

static void
json_key_double(struct json *j, const char *key, double v)
{
	json_key(j, key);
	json_double(j, v);
}

static void
bench_json_counters(struct json *j, const struct bench_op *op, bool per_iter)
{
	json_object(j);
	for (int c = 0; c < BENCH_NSTATS; c++) {
		json_key(j, bench_counter_names[c]);
		if (!op->have[c])
			json_null(j);
		else if (per_iter)
			json_double(j, bench_op_per_iter(op, c));
		else
			json_i64(j, op->empty[c]);
	}
	json_close(j);
}

/* The exits per operation by reason that happened at all; null if uncounted. */
static void
bench_json_reasons(struct json *j, const struct bench_run *r, const struct bench_op *op)
{
	if (!r->nreasons) {
		json_null(j);
		return;
	}
	json_object(j);
	for (unsigned k = 0; k < r->nreasons; k++) {
		double v = bench_op_per_iter(op, BENCH_REASON + (int)k);

		if (!isnan(v) && v != 0) {
			json_key(j, r->reason_names[k]);
			json_double(j, v);
		}
	}
	json_close(j);
}

static void
bench_json_op(struct json *j, const struct bench_run *r, const struct bench_op *op,
	      bool exact)
{
	json_object(j);
	json_key(j, "name");
	json_string(j, op->name);
	json_key(j, "iterations");
	json_u64(j, op->iterations);
	json_key(j, "warmup");
	json_u64(j, op->warmup);
	json_key(j, "samples");
	json_u64(j, op->cycles.n);
	json_key(j, "cycles");
	json_object(j);
	json_key(j, "min");
	json_u64(j, op->cycles.min);
	json_key(j, "median");
	json_u64(j, op->cycles.median);
	json_key(j, "p99");
	json_u64(j, op->cycles.p99);
	json_key(j, "max");
	json_u64(j, op->cycles.max);
	json_key_double(j, "mean", op->cycles.mean);
	json_close(j);
	json_key(j, "loop_cycles");
	json_u64(j, op->loop_cycles);
	json_key(j, "clipped");
	json_bool(j, op->flags & EXO_BENCH_F_CLIPPED);
	json_key_double(j, "ring0_insns_per_op",
			exact ? bench_op_per_iter(op, BENCH_INSN) : NAN);
	json_key(j, "kvm_per_op");
	bench_json_counters(j, op, true);
	json_key(j, "kvm_empty_pair");
	bench_json_counters(j, op, false);
	json_key(j, "exits_by_reason_per_op");
	bench_json_reasons(j, r, op);
	json_key_double(j, "ratio_to_null", op->ratio_to_null);
	json_close(j);
}

static void
bench_json_run(struct json *j, const struct bench_run *r)
{
	char msg[512];
	int status = bench_run_verdict(r, msg, sizeof(msg));
	bool exact = bench_run_ring0_exact(r);

	json_object(j);
	json_key(j, "suite");
	json_string(j, r->suite);
	json_key(j, "program");
	json_string(j, r->program);
	json_key(j, "ok");
	json_bool(j, status == 0);
	json_key(j, "error");
	if (status)
		json_string(j, msg);
	else
		json_null(j);
	json_key(j, "outcome");
	json_string(j, r->ran ? outcome_names[r->res.outcome] : "not_run");
	json_key(j, "status");
	json_i64(j, r->res.status);
	json_key(j, "platform");
	json_string(j, platform_name(r->res.platform));
	json_key(j, "tsc_khz");
	if (r->res.tsc_khz)
		json_u64(j, r->res.tsc_khz);
	else
		json_null(j);
	json_key(j, "ring0_exact");
	json_bool(j, exact);
	json_key(j, "operations");
	json_array(j);
	for (unsigned i = 0; i < r->nops; i++)
		bench_json_op(j, r, &r->ops[i], exact);
	json_close(j);
	if (r->vm_linux) {
		json_key(j, "linux_host");
		bench_vm_json(j, r->vm_linux);
	}
	json_close(j);
}

int
bench_json_write(FILE *f, const struct bench_run *runs, unsigned nruns,
		 const struct bench_linux *l)
{
	char msg[512];
	struct json j;
	bool ok = nruns > 0;

	for (unsigned i = 0; i < nruns; i++)
		ok = ok && bench_run_verdict(&runs[i], msg, sizeof(msg)) == 0;
	json_begin(&j, f);
	json_object(&j);
	json_key(&j, "schema");
	json_string(&j, BENCH_SCHEMA);
	json_key(&j, "ok");
	json_bool(&j, ok);
	json_key(&j, "suites");
	json_array(&j);
	for (unsigned i = 0; i < nruns; i++)
		bench_json_run(&j, &runs[i]);
	json_close(&j);
	if (l && l->measured) {
		/* Linux's own crossings, same run (hosted platforms). */
		json_key(&j, "linux_crossings_cycles");
		json_object(&j);
		for (unsigned i = 0; i < BL_N; i++) {
			json_key(&j, bench_linux_names[i]);
			if (l->cycles[i])
				json_u64(&j, l->cycles[i]);
			else
				json_null(&j);
		}
		json_close(&j);
	}
	json_close(&j);
	return json_end(&j);
}

/* The command */

enum { OPT_JSON = OPT_CMD, OPT_ITERATIONS, OPT_WARMUP, OPT_BASELINE, OPT_CHECK,
       OPT_TOL_RING0, OPT_TOL_RATIO, OPT_PLOT };

#define DEFAULT_TOL_RING0 2     /* percent */
#define DEFAULT_TOL_RATIO 50
#define EXIT_REGRESSION   2

static const struct option bench_options[] = {
	CLI_BOOT_OPTIONS,
	{ "json", required_argument, 0, OPT_JSON },
	{ "iterations", required_argument, 0, OPT_ITERATIONS },
	{ "warmup", required_argument, 0, OPT_WARMUP },
	{ "baseline", required_argument, 0, OPT_BASELINE },
	{ "check", no_argument, 0, OPT_CHECK },
	{ "ring0-tolerance", required_argument, 0, OPT_TOL_RING0 },
	{ "ratio-tolerance", required_argument, 0, OPT_TOL_RATIO },
	{ "plot", required_argument, 0, OPT_PLOT },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

struct bench_args {
	struct cli_boot boot;
	bool timeout_set;
	const char *json_path, *baseline, *plot;
	bool check;
	long tol_ring0, tol_ratio;       /* percent */
	long iterations, warmup;         /* warmup < 0: the program's default */
	bool iterations_set;             /* --iterations given */
	const struct bench_suite *suite[BENCH_RUNS_MAX];
	unsigned nsuites;
};

static void
bench_usage(FILE *f)
{
	fprintf(f,
"usage: exo bench [SUITE...] [options]\n"
"\n"
"Boot exo's kernel once per SUITE with the suite's benchmark program and\n"
"report, per operation, TSC cycles (min, median, p99), ring-0 instructions\n"
"(exact on PVM hosts) and the ratio to the null system call measured in the\n"
"same boot. The default is every suite.\n"
"\n"
"suites:\n");
	for (size_t i = 0; i < NSUITES; i++)
		fprintf(f, "  %-8s %s (program %s)\n", suites[i].name, suites[i].summary,
			suites[i].program);
	fprintf(f,
"\n"
"options:\n"
"  --json FILE       also write the results as JSON (schema in docs/bench.md)\n"
"  --iterations N    timed iterations per operation, 1..%d (default %d)\n"
"  --warmup N        untimed iterations before them (default N/10, at least 10)\n"
"  --timeout SECS    stop a boot after SECS seconds (default %g; 0: no limit)\n"
"  --baseline FILE   compare with an earlier --json FILE: ring-0 instructions\n"
"                    per operation (exact on PVM) and ratios to the null call\n"
"                    measured in the same boot, never raw cycles\n"
"  --check           with --baseline: exit 2 on a regression\n"
"  --ring0-tolerance PCT   ring-0/op may grow this much (default 2)\n"
"  --ratio-tolerance PCT   x null may grow this much (default 50)\n"
"  --plot FILE       a latency histogram per operation, as SVG\n"
"  --mem, --cpus, --kernel, --sigma0, --cmdline, --kvm, --stats, --report, --input,\n"
"  --platform, --verbose, --no-jail\n"
"                    as for exo run (--verbose also shows the guest console)\n"
"  -h, --help        this text\n"
"\n"
"exit status: 0 all measured; 1 a program failed or broke the bench protocol;\n"
"2 a regression (--check);\n"
"124 timeout; 125 guest crash; 126 host error (bad input, no usable KVM);\n"
"130 interrupted.\n", EXO_BENCH_SAMPLES_MAX, DEFAULT_ITERATIONS, DEFAULT_TIMEOUT);
}

static int
parse_count(const char *opt, const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "exo bench: %s '%s' is not a whole number from %ld to "
			"%ld\n", opt, s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int
bench_option(struct bench_args *a, int opt, const char *arg)
{
	int r;

	switch (opt) {
	case OPT_JSON:
		a->json_path = arg;
		return 0;
	case OPT_ITERATIONS:
		a->iterations_set = true;
		return parse_count("--iterations", arg, 1, EXO_BENCH_SAMPLES_MAX,
				   &a->iterations);
	case OPT_WARMUP:
		return parse_count("--warmup", arg, 0, 1000000000, &a->warmup);
	case OPT_BASELINE:
		a->baseline = arg;
		return 0;
	case OPT_CHECK:
		a->check = true;
		return 0;
	case OPT_TOL_RING0:
		return parse_count("--ring0-tolerance", arg, 0, 1000, &a->tol_ring0);
	case OPT_TOL_RATIO:
		return parse_count("--ratio-tolerance", arg, 0, 1000, &a->tol_ratio);
	case OPT_PLOT:
		a->plot = arg;
		return 0;
	case OPT_TIMEOUT:
		a->timeout_set = true;
		break;
	}
	r = cli_boot_option(&a->boot, "exo bench", opt, arg);
	if (r == -ENOENT)
		bench_usage(stderr);
	return r;
}

static int
bench_suites(struct bench_args *a, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		const struct bench_suite *s = NULL;

		for (size_t k = 0; k < NSUITES && !s; k++)
			if (!strcmp(argv[i], suites[k].name))
				s = &suites[k];
		if (!s) {
			fprintf(stderr, "exo bench: no suite '%s'; 'exo bench --help' "
				"lists them\n", argv[i]);
			return -EINVAL;
		}
		if (a->nsuites == BENCH_RUNS_MAX) {
			fprintf(stderr, "exo bench: more than %d suites\n", BENCH_RUNS_MAX);
			return -E2BIG;
		}
		a->suite[a->nsuites++] = s;
	}
	/* The default: the single-CPU suites; tlb only when named (it needs 4
	 * vCPUs, and its 1- and 3-target operations can still hang: notes/6.md). */
	for (size_t k = 0; argc == 0 && k < NSUITES; k++)
		if (suites[k].cpus <= 1)
			a->suite[a->nsuites++] = &suites[k];
	return 0;
}

/* -1 to go on with the suites, else the command's exit status (help: 0). */
static int
bench_parse(struct bench_args *a, int argc, char **argv)
{
	int opt;

	cli_boot_init(&a->boot);
	a->iterations = DEFAULT_ITERATIONS;
	a->warmup = -1;
	a->tol_ring0 = DEFAULT_TOL_RING0;
	a->tol_ratio = DEFAULT_TOL_RATIO;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", bench_options, NULL)) != -1) {
		if (opt == 'h') {
			bench_usage(stdout);
			return 0;
		}
		if (bench_option(a, opt, optarg) < 0)
			return EXIT_HOST;
	}
	if (bench_suites(a, argc - optind, argv + optind) < 0)
		return EXIT_HOST;
	if (a->check && !a->baseline) {
		fprintf(stderr, "exo bench: --check needs --baseline FILE\n");
		return EXIT_HOST;
	}
	if (!a->timeout_set)
		a->boot.cfg.timeout = DEFAULT_TIMEOUT;
	return cli_boot_ready(&a->boot, "exo bench") < 0 ? EXIT_HOST : -1;
}

/* The end of what the guest wrote, for a run that failed. */
static void
bench_console_tail(FILE *console)
{
	char buf[2048];
	long size;
	size_t n;

	fflush(console);
	size = ftell(console);
	if (size <= 0)
		return;
	fseek(console, size > (long)sizeof(buf) - 1 ? size - (long)sizeof(buf) + 1 : 0,
	      SEEK_SET);
	n = fread(buf, 1, sizeof(buf) - 1, console);
	buf[n] = '\0';
	fprintf(stderr, "exo bench: the guest console%s:\n%s%s", size > (long)n ?
		" (its end)" : "", buf, n && buf[n - 1] != '\n' ? "\n" : "");
}

/* Boot the suite's program and collect what it reports into r. */
static int
bench_boot(const struct bench_args *a, const struct bench_suite *s,
	   struct bench_run *r)
{
	static char path[PATH_MAX], iters[24], warmup[24];
	static char *argv[4];
	struct vmm_config cfg = a->boot.cfg;
	struct vmm_bench_sink sink = { r, bench_on_mark, bench_on_result };
	struct diag d = { "" };
	char msg[512];
	FILE *console = a->boot.cfg.verbose ? stderr : tmpfile();
	struct bench_vm_linux lx;
	bool vm = !strcmp(s->name, "vm");
	int err, status, lx_err = -ENOENT;

	bench_run_init(r, s->name, s->program);
	if (!console)
		console = stderr;
	if (cli_resolve_program(&cfg.progs[0], "exo bench", s->program, path,
				sizeof(path)) < 0) {
		status = EXIT_HOST;
		goto out;
	}
	{
		bool own = !a->iterations_set && s->iterations;
		long n = own ? s->iterations : a->iterations;
		long w = own && a->warmup < 0 ? s->warmup : a->warmup;

		snprintf(iters, sizeof(iters), "%ld", n);
		snprintf(warmup, sizeof(warmup), "%ld", w);
		argv[0] = (char *)s->program;
		argv[1] = iters;
		argv[2] = w >= 0 ? warmup : NULL;
		argv[3] = NULL;
		cfg.progs[0].argc = w >= 0 ? 3 : 2;
		/* vm: Linux's column, here and now, before the boot. */
		if (vm && (lx_err = bench_vm_linux(&lx, (unsigned)n)) < 0)
			fprintf(stderr, "exo bench vm: Linux's column could not be measured "
				"on this host: %s\n", strerror(-lx_err));
		if (!lx_err && (r->vm_linux = malloc(sizeof(lx))))
			*r->vm_linux = lx;      /* for --json */
	}
	cfg.progs[0].argv = argv;
	cfg.nprogs = 1;
	if (cfg.ncpus < s->cpus)
		cfg.ncpus = s->cpus;    /* the suite needs them (--cpus may give more) */
	cli_kernel_for_cpus(&a->boot, &cfg);
	if (cli_add_sigma0(&a->boot, &cfg, "exo bench") < 0) {
		status = EXIT_HOST;
		goto out;
	}
	cfg.console = console;
	cfg.bench = &sink;
	if (s->cmdline) {
		static char cmdline[1024];

		snprintf(cmdline, sizeof(cmdline), "%s %s", cfg.cmdline, s->cmdline);
		cfg.cmdline = cmdline;
	}
	err = vmm_run(&cfg, &r->res, &d);
	if (err < 0) {
		fprintf(stderr, "exo bench: %s\n", d.msg);
		status = EXIT_HOST;
		goto out;
	}
	r->ran = true;
	bench_run_finish(r);
	status = bench_run_verdict(r, msg, sizeof(msg));
	if (status) {
		fprintf(stderr, "exo bench %s: %s\n", s->name, msg);
		if (console != stderr)
			bench_console_tail(console);
	} else {
		bench_table_print(stdout, r);
		if (vm)
			bench_vm_table(stdout, r, lx_err ? NULL : &lx);
		fflush(stdout);
	}
out:
	if (vm && status && !lx_err)        /* the guest failed: Linux's alone */
		bench_vm_table(stdout, NULL, &lx);
	if (console != stderr)
		fclose(console);
	return status;
}

struct boot_ctx {
	const struct bench_args *a;
	const struct bench_suite *s;
};

static int
bench_boot_ctx(const void *ctx, struct bench_run *r)
{
	const struct boot_ctx *c = ctx;

	return bench_boot(c->a, c->s, r);
}

/* A suite's boot; on the hosted platform in a child of its own, since the
 * kernel core there boots once per process (bench_child.h). */
static int
bench_boot_one(const struct bench_args *a, const struct bench_suite *s,
	       struct bench_run *r)
{
	struct boot_ctx c = { a, s };
	int st;

	if (!exo_platform_in_process(a->boot.cfg.platform))
		return bench_boot(a, s, r);
	st = bench_boot_in_child(r, bench_boot_ctx, &c);
	if (st >= 0)
		return st;
	bench_run_init(r, s->name, s->program);
	fprintf(stderr, "exo bench %s: the boot's process %s: %s\n", s->name,
		st == -EPIPE ? "died before it reported" : "could not be started",
		strerror(-st));
	return EXIT_HOST;
}

int
bench_cmd(int argc, char **argv)
{
	static struct bench_args a;
	static struct bench_run runs[BENCH_RUNS_MAX];
	struct bench_linux host = { 0 };
	struct jv *base = NULL;
	char err[256];
	FILE *json = NULL;
	unsigned n = 0;
	int status = 0, r;

	memset(&a, 0, sizeof(a));
	r = bench_parse(&a, argc, argv);
	if (r >= 0)
		return r;
	/* The baseline first: a wrong one must fail before anything boots. */
	if (a.baseline && bench_baseline_load(a.baseline, &base, err, sizeof(err)) < 0) {
		fprintf(stderr, "exo bench: --baseline %s: %s; give a file written by "
			"exo bench --json FILE\n", a.baseline, err);
		cli_boot_close(&a.boot, "exo bench");
		return EXIT_HOST;
	}
	if (a.json_path && !(json = fopen(a.json_path, "w"))) {
		fprintf(stderr, "exo bench: --json %s: cannot create: %s\n", a.json_path,
			strerror(errno));
		jv_free(base);
		cli_boot_close(&a.boot, "exo bench");
		return EXIT_HOST;
	}
	for (; n < a.nsuites; n++) {
		r = bench_boot_one(&a, a.suite[n], &runs[n]);
		if (r && !status)
			status = r;
		if (r == EXIT_HOST || r == EXIT_INTERRUPTED) {
			n++;
			break;
		}
	}
	if (n && exo_platform_in_process(runs[0].res.platform)) {
		bench_linux_measure(&host);
		bench_linux_print(stdout, &host, runs[0].res.tsc_khz);
		bench_linux_targets(stdout, runs, n, &host);
	}
	if (json) {
		r = bench_json_write(json, runs, n, &host);
		if (fclose(json) != 0 || r < 0) {
			fprintf(stderr, "exo bench: --json %s: could not write it whole\n",
				a.json_path);
			if (!status)
				status = EXIT_HOST;
		}
	}
	if (a.plot) {
		FILE *f = fopen(a.plot, "w");

		if (!f || bench_plot_svg(f, runs, n) < 0 || fclose(f) != 0) {
			fprintf(stderr, "exo bench: --plot %s: could not write it\n", a.plot);
			if (!status)
				status = EXIT_HOST;
		}
	}
	if (a.baseline && !status) {
		r = bench_check(stdout, a.baseline, base, runs, n, a.tol_ring0 / 100.0,
				a.tol_ratio / 100.0);
		if (r > 0 && a.check)
			status = EXIT_REGRESSION;
	}
	jv_free(base);
	for (unsigned i = 0; i < n; i++)
		bench_run_free(&runs[i]);
	if (cli_boot_close(&a.boot, "exo bench") < 0 && !status)
		status = EXIT_HOST;
	return status;
}
