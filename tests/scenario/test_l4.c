/*
 * L4 scenarios: libos/programs/l4test runs one case in a real boot (σ0, a root
 * task, tasks spawned with a pager) and exits 0 only if every check held.
 * Judged by exit status and the report, never by console wording.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "run.h"

static struct exo_run r;

struct l4_case {
	char name[16];
};

ParameterizedTestParameters(l4, case_holds)
{
	static struct l4_case cases[] = {
		{ "pingpong" },         /* call/reply between two spaces, fast and slow */
		{ "pager" },            /* σ0 -> pager -> client: data, bss, stack faults */
		{ "df" },               /* IPC made with DF=1: long and short messages intact */
		{ "flush" },            /* flush in a 3-level map chain: exact descendants */
		{ "grant" },            /* grant moves the page */
		{ "abortfault" },       /* exchange_registers aborts a fault's IPC */
		{ "priority" },         /* the direct switch respects priorities */
		{ "dead" },             /* ids unique in time: no such partner */
		{ "openclosed" },       /* closed receive picks its sender */
		{ "timeouts" },         /* zero, relative, never */
		{ "irq" },              /* timer interrupts as IPC, ack, detach */
		{ "hostile" },          /* bad fpages, ids, windows; no foreign memory */
		{ "starve" },           /* a tight loop of kernel entries cannot keep timeouts out */
	};
	return cr_make_param_array(struct l4_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct l4_case *c, l4, case_holds)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "l4test", c->name, NULL });
	cr_assert_eq(r.status, 0, "l4test %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->name, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
}

/* Console input through the driver's console_read (l4test's CONSOLE_TEXT). */
Test(l4, console_read_by_the_driver)
{
	char path[256];
	FILE *f;

	scratch_path(path, sizeof(path), "console");
	f = fopen(path, "w");
	cr_assert(f);
	fputs("exo console input\n", f);
	fclose(f);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--input", path,
					    "l4test", "console", NULL });
	unlink(path);
	cr_assert_eq(r.status, 0, "l4test console: exit %d (the failing check's line)\n%s%s",
		     r.status, r.out, r.err);
}

/* All cases in one boot: they must not disturb each other. */
Test(l4, all_cases_in_one_boot)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "l4test", "pingpong",
					    "pager", "flush", "grant", "abortfault", "dead", "openclosed",
					    "hostile", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
}

/* Every thread blocked for ever: the kernel ends the task and says so. */
Test(l4, deadlock_is_detected_and_reported)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "l4test", "deadlock",
					    "--", "hello", NULL });
	cr_assert_eq(r.status, 0, "hello runs after; exit %d\n%s", r.status, r.err);
	ev = report_event(&r, "program_deadlock", 0);
	cr_assert(ev, "no program_deadlock:\n%s", r.report);
	cr_assert_eq(report_num(ev, "index"), 0);
	cr_assert_eq(report_num(ev, "status"), 124);
}
