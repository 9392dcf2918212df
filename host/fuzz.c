/*
 * exo fuzz: boot the kernel with --cmdline ktest running sysfuzz, seed after
 * seed, until the time is up or a seed finds something; report the calls,
 * boots and self-checks, and the first failing seed, which `--seed S
 * --seconds 0` replays (one boot).
 */
#define _GNU_SOURCE  /* memmem */
#include "fuzz.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "boot_child.h"
#include "cli.h"
#include "json.h"
#include "../tests/common/jv.h"

#define RESULT_TAG      "sysfuzz-result "
#define EXIT_FINDING    1

struct fuzz_args {
	struct cli_boot boot;
	double seconds;
	unsigned long long seed, calls, batch;
	const char *json_path;
};

/* What one boot found; the totals add up the counts. */
struct fuzz_run {
	const char *verdict;     /* "clean", or what went wrong */
	unsigned long long calls, checks, violations, leaks, kind, object;
};

struct fuzz_totals {
	unsigned long long boots, calls, checks, violations, leaks;
	unsigned long long failing_seed;
	const char *failure;     /* NULL: none */
	double elapsed;
};

enum { OPT_SECONDS = OPT_CMD, OPT_SEED, OPT_CALLS, OPT_BATCH, OPT_JSON };

static const struct option fuzz_options[] = {
	CLI_BOOT_OPTIONS,
	{ "seconds", required_argument, 0, OPT_SECONDS },
	{ "seed", required_argument, 0, OPT_SEED },
	{ "calls", required_argument, 0, OPT_CALLS },
	{ "batch", required_argument, 0, OPT_BATCH },
	{ "json", required_argument, 0, OPT_JSON },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

static void
fuzz_usage(FILE *f)
{
	fprintf(f,
"usage: exo fuzz [--seconds N] [--seed S] [--cpus N] [--calls N] [--batch N]\n"
"                [--json FILE] [boot options]\n"
"\n"
"Fuzz the kernel's system calls: boot with --cmdline ktest running the\n"
"sysfuzz program with seed S, S+1, ... until N seconds have passed (0: one\n"
"boot), each boot making --calls calls (default 20000) in batches of --batch\n"
"(default 2000), with the kernel's self-check after every batch. Stops at\n"
"the first seed that finds something: a kernel panic, a guest that hangs\n"
"past --timeout (default 600 s a boot), a broken invariant, a leaked frame,\n"
"or a fuzzer that could not finish; replay it with --seed S --seconds 0.\n"
"\n"
"exit status: 0 nothing found, 1 something found (the seed is printed and in\n"
"--json), 126 bad arguments or host error, 130 interrupted.\n");
}

static int
parse_num(const char *opt, const char *s, double lo, double hi, double *out)
{
	char *end;

	errno = 0;
	*out = strtod(s, &end);
	if (errno || end == s || *end || *out < lo || *out > hi) {
		fprintf(stderr, "exo fuzz: %s '%s': want a number from %g to %g\n", opt, s,
			lo, hi);
		return -EINVAL;
	}
	return 0;
}

static int
fuzz_option(struct fuzz_args *a, int opt, const char *arg)
{
	double v;
	int r = 0;

	switch (opt) {
	case OPT_SECONDS:
		r = parse_num("--seconds", arg, 0, 1e7, &a->seconds);
		break;
	case OPT_SEED:
		if (!(r = parse_num("--seed", arg, 0, 2e9, &v)))
			a->seed = (unsigned long long)v;
		break;
	case OPT_CALLS:
		if (!(r = parse_num("--calls", arg, 1, 2e9, &v)))
			a->calls = (unsigned long long)v;
		break;
	case OPT_BATCH:
		if (!(r = parse_num("--batch", arg, 1, 2e9, &v)))
			a->batch = (unsigned long long)v;
		break;
	case OPT_JSON:
		a->json_path = arg;
		break;
	default:
		r = cli_boot_option(&a->boot, "exo fuzz", opt, arg);
	}
	return r;
}

/* The last result line the guest wrote (children may scribble before it). */
static struct jv *
fuzz_result(FILE *console)
{
	static char text[1 << 20];
	char err[128], *p, *line = NULL, *nl;
	size_t n;

	fflush(console);
	rewind(console);
	n = fread(text, 1, sizeof(text) - 1, console);
	text[n] = '\0';
	for (p = text; (p = memmem(p, n - (size_t)(p - text), RESULT_TAG,
				   strlen(RESULT_TAG))); p++)
		line = p + strlen(RESULT_TAG);
	if (!line)
		return NULL;
	if ((nl = strchr(line, '\n')))
		*nl = '\0';
	return jv_parse(line, err, sizeof(err));
}

static unsigned long long
num(const struct jv *r, const char *key)
{
	const struct jv *v = jv_get(r, key);

	return v && v->type == JV_NUMBER ? (unsigned long long)v->num : 0;
}

/* Judge a boot by how it ended and by the program's result line. */
static void
fuzz_judge(const struct vmm_result *res, const struct jv *r, struct fuzz_run *run)
{
	if (r) {
		run->calls = num(r, "calls");
		run->checks = num(r, "checks");
		run->violations = num(r, "violations");
		run->leaks = num(r, "leaks");
		run->kind = num(r, "first_kind");
		run->object = num(r, "first_object");
	}
	if (res->outcome == VMM_CRASHED)
		run->verdict = "kernel crash";
	else if (res->outcome == VMM_TIMEOUT)
		run->verdict = "hang (timeout)";
	else if (res->outcome == VMM_INTERRUPTED)
		run->verdict = "interrupted";
	else if (!r)
		run->verdict = "no result (the task ended early)";
	else if (run->violations)
		run->verdict = "invariant broken";
	else if (run->leaks)
		run->verdict = "frame leak";
	else if (res->status != 0)
		run->verdict = "fuzzer failed";
	else
		run->verdict = "clean";
}

static int
fuzz_boot(const struct fuzz_args *a, unsigned long long seed, struct fuzz_run *run)
{
	static char path[PATH_MAX], s_seed[24], s_calls[24], s_batch[24], cmdline[1100];
	static char *argv[5];
	struct vmm_config cfg = a->boot.cfg;
	struct vmm_result res = { 0 };
	struct diag d = { "" };
	FILE *console = tmpfile();
	struct jv *r;
	int err;

	if (!console) {
		fprintf(stderr, "exo fuzz: cannot make a temporary file: %s\n", strerror(errno));
		return -errno;
	}
	if ((err = cli_resolve_program(&cfg.progs[0], "exo fuzz", "sysfuzz", path,
				       sizeof(path))) < 0)
		goto out;
	snprintf(s_seed, sizeof(s_seed), "%llu", seed);
	snprintf(s_calls, sizeof(s_calls), "%llu", a->calls);
	snprintf(s_batch, sizeof(s_batch), "%llu", a->batch);
	argv[0] = "sysfuzz", argv[1] = s_seed, argv[2] = s_calls, argv[3] = s_batch;
	cfg.progs[0].argv = argv;
	cfg.progs[0].argc = 4;
	cfg.nprogs = 1;
	cli_kernel_for_cpus(&a->boot, &cfg);
	if ((err = cli_add_sigma0(&a->boot, &cfg, "exo fuzz")) < 0)
		goto out;
	snprintf(cmdline, sizeof(cmdline), "%s ktest", cfg.cmdline);
	cfg.cmdline = cmdline;
	cfg.console = console;
	if ((err = vmm_run(&cfg, &res, &d)) < 0) {
		fprintf(stderr, "exo fuzz: %s\n", d.msg);
		goto out;
	}
	r = fuzz_result(console);
	fuzz_judge(&res, r, run);
	jv_free(r);
out:
	fclose(console);
	return err;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
fuzz_json(const struct fuzz_args *a, const struct fuzz_totals *t)
{
	FILE *f = fopen(a->json_path, "w");
	struct json j;

	if (!f) {
		fprintf(stderr, "exo fuzz: --json %s: cannot create: %s\n", a->json_path,
			strerror(errno));
		return -errno;
	}
	json_begin(&j, f);
	json_object(&j);
	json_key(&j, "cpus"), json_u64(&j, a->boot.cfg.ncpus);
	json_key(&j, "first_seed"), json_u64(&j, a->seed);
	json_key(&j, "boots"), json_u64(&j, t->boots);
	json_key(&j, "calls"), json_u64(&j, t->calls);
	json_key(&j, "checks"), json_u64(&j, t->checks);
	json_key(&j, "violations"), json_u64(&j, t->violations);
	json_key(&j, "leaks"), json_u64(&j, t->leaks);
	json_key(&j, "seconds"), json_double(&j, t->elapsed);
	json_key(&j, "calls_per_second"), json_double(&j, t->elapsed > 0 ? t->calls / t->elapsed : 0);
	json_key(&j, "failure");
	t->failure ? json_string(&j, t->failure) : json_null(&j);
	json_key(&j, "failing_seed");
	t->failure ? json_u64(&j, t->failing_seed) : json_null(&j);
	json_close(&j);
	if (json_end(&j) < 0 || fclose(f) != 0) {
		fprintf(stderr, "exo fuzz: --json %s: could not write it whole\n", a->json_path);
		return -EIO;
	}
	return 0;
}

static int
fuzz_parse(struct fuzz_args *a, int argc, char **argv)
{
	int opt;

	cli_boot_init(&a->boot);
	a->seconds = 60, a->seed = 1, a->calls = 20000, a->batch = 2000;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", fuzz_options, NULL)) != -1) {
		if (opt == 'h') {
			fuzz_usage(stdout);
			return 0;
		}
		if (fuzz_option(a, opt, optarg) < 0) {
			if (opt == '?')
				fuzz_usage(stderr);
			return EXIT_HOST;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "exo fuzz: unexpected argument '%s'\n", argv[optind]);
		return EXIT_HOST;
	}
	if (!a->boot.cfg.timeout)
		a->boot.cfg.timeout = 600;      /* a hang is a finding, not a wait */
	return cli_boot_ready(&a->boot, "exo fuzz") < 0 ? EXIT_HOST : -1;
}

struct seed_boot {
	const struct fuzz_args *a;
	unsigned long long seed;
};

/* In the child: 0, or 1 if the boot could not be made (said already). */
static int
seed_boot(const void *ctx, void *out)
{
	const struct seed_boot *s = ctx;

	return fuzz_boot(s->a, s->seed, out) < 0 ? 1 : 0;
}

/* A run is flat: its verdict points at a literal, the same after the fork. */
static int
run_send(int fd, const void *out)
{
	return boot_child_write(fd, out, sizeof(struct fuzz_run));
}

static int
run_receive(int fd, void *out)
{
	return boot_child_read(fd, out, sizeof(struct fuzz_run));
}

/* One seed's boot; on the hosted platform in a child of its own, since the
 * kernel core there boots once per process (boot_child.h). <0: no boot. */
static int
fuzz_boot_one(const struct fuzz_args *a, unsigned long long seed, struct fuzz_run *run)
{
	struct seed_boot s = { a, seed };
	struct boot_child b = { seed_boot, run_send, run_receive, &s, run };
	int st;

	if (!exo_platform_in_process(a->boot.cfg.platform))
		return fuzz_boot(a, seed, run);
	st = boot_in_child(&b);
	if (st == 0)
		return 0;
	if (st < 0)
		fprintf(stderr, "exo fuzz: seed %llu: the boot's process %s\n", seed,
			st == -EPIPE ? "died before it reported" : "could not be started");
	return -EIO;
}

int
fuzz_cmd(int argc, char **argv)
{
	static struct fuzz_args a;
	struct fuzz_totals t = { 0 };
	double start = now();
	int r, status = 0;

	memset(&a, 0, sizeof(a));
	if ((r = fuzz_parse(&a, argc, argv)) >= 0)
		return r;
	for (unsigned long long seed = a.seed; !t.failure; seed++) {
		struct fuzz_run run = { 0 };

		if (fuzz_boot_one(&a, seed, &run) < 0) {
			status = EXIT_HOST;
			break;
		}
		t.boots++, t.calls += run.calls, t.checks += run.checks;
		t.violations += run.violations, t.leaks += run.leaks;
		printf("seed %llu: %llu calls, %llu self-checks: %s", seed, run.calls,
		       run.checks, run.verdict);
		if (run.violations)
			printf(" (first: kind %llu, object %#llx)", run.kind, run.object);
		printf("\n");
		fflush(stdout);
		if (strcmp(run.verdict, "clean")) {
			t.failure = run.verdict;
			t.failing_seed = seed;
			status = strcmp(run.verdict, "interrupted") ? EXIT_FINDING : EXIT_INTERRUPTED;
		}
		if (now() - start >= a.seconds)
			break;
	}
	t.elapsed = now() - start;
	printf("exo fuzz: %llu boot(s), %llu calls (%.0f a second), %llu self-checks, "
	       "%llu violation(s), %llu leak(s)", t.boots, t.calls,
	       t.elapsed > 0 ? t.calls / t.elapsed : 0, t.checks, t.violations, t.leaks);
	if (t.failure)
		printf("; seed %llu: %s (replay: exo fuzz --seed %llu --seconds 0 --cpus %u)",
		       t.failing_seed, t.failure, t.failing_seed, a.boot.cfg.ncpus);
	printf("\n");
	if (a.json_path && fuzz_json(&a, &t) < 0 && !status)
		status = EXIT_HOST;
	if (cli_boot_close(&a.boot, "exo fuzz") < 0 && !status)
		status = EXIT_HOST;
	return status;
}
