/*
 * Every guest program that needs arguments says how to run it when given
 * none: its usage line on the console and a usage status (docs/programs.md),
 * never a silent exit 0 or a failed assertion. All of them run in one boot,
 * one after another, each judged by its program_exit event.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

static const struct usage_case {
	const char *prog;
	const char *usage;      /* the start of its usage line */
	unsigned status;
} cases[] = {
	{ "crash", "usage: crash null|kread|", 2 },
	{ "ktest", "usage: ktest panic|triple", 2 },
	{ "sysfuzz", "usage: sysfuzz SEED CALLS", 4 },     /* its 2 is a leak */
	{ "l4test", "usage: l4test CASE... (run in order); the cases: pingpong", 2 },
	{ "exotest", "usage: exotest CASE... (run in order); the cases: demand", 2 },
	{ "exoslice", "usage: exoslice CASE... (run in order); the cases: spin", 2 },
	{ "exorevoke", "usage: exorevoke CASE... (run in order); the cases: coop", 2 },
	{ "spintest", "usage: spintest CASE... (run in order); the cases: accept", 2 },
	{ "exosvm", "usage: exosvm CASE... (run in order); the cases: demand", 2 },
	{ "smptest", "usage: smptest stress|flush|unbind|pingpong|pairs", 2 },
	{ "exosthr", "usage: exosthr CASE... (run in order); the cases: spin", 2 },
	{ "exosipc", "usage: exosipc CASE... (run in order); the cases: lrpc", 2 },
	{ "escape", "usage: escape CASE... (run in order); the cases: rawlinux", 2 },
	{ "exsh", "exsh: give a pipeline of up to 511 bytes", 2 },
	{ "bench-ipc", "usage: bench-ipc ITERATIONS (1..", 2 },
	{ "bench-exo", "usage: bench-exo ITERATIONS (1..", 2 },
	{ "bench-trace", "usage: bench-trace ITERATIONS (1..", 2 },
	{ "bench-spin", "usage: bench-spin ITERATIONS (1..", 2 },
	{ "bench-vm", "usage: bench-vm ITERATIONS (1..", 2 },
	{ "bench-tlb", "usage: bench-tlb ITERATIONS (1..", 2 },
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

/* Does out hold a line that starts with prefix? */
static bool
has_line(const char *out, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *l = out; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : 0)
		if (!strncmp(l, prefix, n))
			return true;
	return false;
}

/* One boot runs the cases [first, first + n), n within exo run's limit. */
static void
run_cases(unsigned first, unsigned n)
{
	static struct exo_run r;
	const char *args[3 + 2 * NCASES] = { "run", "--timeout", "60" };
	unsigned a = 3;

	for (unsigned i = 0; i < n; i++) {
		if (i)
			args[a++] = "--";
		args[a++] = cases[first + i].prog;
	}
	args[a] = NULL;
	exo_run(&r, true, args);
	for (unsigned i = 0; i < n; i++) {
		const struct usage_case *c = &cases[first + i];
		const char *ev = report_event(&r, "program_exit", (int)i);
		char prog[64];

		cr_assert(ev, "%s (#%u): no program_exit; report:\n%s\nstderr:\n%s",
			  c->prog, i, r.report, r.err);
		cr_assert(report_field(ev, "program", prog, sizeof(prog)));
		cr_assert_str_eq(prog, c->prog);
		cr_expect_eq(report_num(ev, "status"), c->status,
			     "%s without arguments: status %llu, want %u", c->prog,
			     report_num(ev, "status"), c->status);
		cr_expect(has_line(r.out, c->usage),
			  "%s without arguments: no line starting '%s' on the console:\n%s",
			  c->prog, c->usage, r.out);
	}
	cr_assert_eq(r.status, 2, "exo run: exit %d (the last program's), want 2", r.status);
}

/* exo run takes up to 16 programs a boot, sigma0 one of them. */
#define PER_BOOT 15

Test(usage, every_program_without_arguments_prints_its_usage)
{
	for (unsigned first = 0; first < NCASES; first += PER_BOOT)
		run_cases(first, NCASES - first < PER_BOOT ? NCASES - first : PER_BOOT);
}
