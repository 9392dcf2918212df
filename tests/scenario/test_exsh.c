/*
 * ExOS processes and pipes in a real boot: exsh (libos/programs/exsh.c)
 * runs a pipeline of processes given on `exo run`'s command line and exits
 * with the last one's status (128 + vector if it was killed). The expected
 * counts are computed here from what gen and filter are defined to do.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

static struct exo_run r;

static void
exsh(const char *line)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "120", "exsh", line, NULL });
}

/* gen N | filter K | count: every multiple of K below N, in order. */
Test(exsh, pipeline_counts_exact)
{
	const unsigned long n = 100000, k = 3;
	unsigned long lines = 0, sum = 0;
	char want[128];

	for (unsigned long i = 0; i < n; i += k)
		lines++, sum += i;
	snprintf(want, sizeof want, "count: %lu lines, sum %lu, in order", lines, sum);
	exsh("gen 100000 | filter 3 | count");
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, want), "want '%s' in:\n%s", want, r.out);
}

/* The last process's exit status is exsh's, and so exo run's. */
Test(exsh, exit_status_passes_through)
{
	exsh("gen 5 | exitn 7");
	cr_assert_eq(r.status, 7, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 7);
}

/* A process that faults is killed; the parent (exsh's manager) sees how,
 * and the rest of the pipeline goes on: count reads end of file. */
Test(exsh, faulting_process_is_killed_and_reported)
{
	exsh("fault");
	cr_assert_eq(r.status, 128 + 14, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "killed by fault 14 at 0x5a5a00000000"), "%s", r.out);
	exsh("gen 3 | fault | count");
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "fault (pid 2): killed by fault 14"), "%s", r.out);
	cr_assert(strstr(r.out, "count: 0 lines"), "%s", r.out);
}

/* exec: a process becomes another program (same pid, same pipes); exec of
 * a program that does not exist is an error the process sees and goes on. */
Test(exsh, exec_and_exec_of_a_missing_program)
{
	exsh("execs gen 4 | count");
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "count: 4 lines, sum 6, in order"), "%s", r.out);
	exsh("execs nosuch");
	cr_assert_eq(r.status, 1, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "cannot become nosuch: error -7"), "%s", r.out);
	exsh("nosuch");
	cr_assert_eq(r.status, 127, "exit %d\n%s%s", r.status, r.out, r.err);
}

/* fork: copy-on-write children see the parent's memory and keep their own
 * writes; each status comes back to the parent's exos_waitpid; a forked
 * child execs (a program, then a missing one). */
Test(exsh, fork_copy_on_write_wait_exec)
{
	exsh("forks 20 exitn 42");
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "forks: 20 children"), "%s", r.out);
	cr_assert(strstr(r.out, "ran exitn: exit 42"), "%s", r.out);
	exsh("forks 1 nosuch");
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "child cannot become nosuch: error -7"), "%s", r.out);
	cr_assert(strstr(r.out, "ran nosuch: exit 1"), "%s", r.out);
}

/* Authority a process never received: refused (caps exits with the
 * number of the check that wrongly held). */
Test(exsh, capabilities_never_received_are_refused)
{
	exsh("caps");
	cr_assert_eq(r.status, 0, "caps: check %d held\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "caps: holds"), "%s", r.out);
}

/* The n in "...for <n> frames" (after prefix) of the output, or 0. */
static unsigned
number_after(const char *prefix)
{
	const char *at = strstr(r.out, prefix);
	unsigned n = 0;

	if (at)
		sscanf(at + strlen(prefix), "%u", &n);
	return n;
}

/* A process that ignores revocation: the manager asks for the frames it
 * owns beyond EXOS_OWN_FRAMES (8), the kernel's abort protocol takes them
 * at the deadline, the manager ends it and exsh reports how (status 125,
 * as exo run's for an aborted environment). The process after it in the
 * pipeline goes on and sees end of file. One that answers gives them back
 * and ends as it chose. (A request made while it still allocates asks for
 * fewer than 8: the report must name what was asked and taken.) */
Test(exsh, process_ignoring_revocation_is_aborted_and_reported)
{
	unsigned asked, taken;
	char want[160];

	exsh("hoard 16");
	cr_assert_eq(r.status, 125, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 125);
	asked = number_after("hoard: ignores a request for ");
	taken = number_after("did not answer revocation (");
	cr_assert(asked >= 1 && asked <= 16 - 8, "asked %u\n%s", asked, r.out);
	snprintf(want, sizeof want, "exsh: hoard (pid 1): aborted by the kernel: "
		 "did not answer revocation (%u frames taken)", asked);
	cr_assert(strstr(r.out, want), "want '%s' (taken %u) in:\n%s", want, taken, r.out);

	exsh("hoard 16 | count");
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "exsh: hoard (pid 1): aborted by the kernel: did not answer "
			  "revocation ("), "%s", r.out);
	cr_assert(strstr(r.out, "count: 0 lines, sum 0, in order"), "%s", r.out);

	exsh("hoard 16 give");
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "hoard: gave back "), "%s", r.out);
	cr_assert(!strstr(r.out, "aborted"), "%s", r.out);
	asked = number_after("hoard: gave back ");
	cr_assert(asked >= 1 && asked <= 16 - 8, "gave back %u\n%s", asked, r.out);
	snprintf(want, sizeof want, "gave back %u frames, kept %u intact", asked, 16 - asked);
	cr_assert(strstr(r.out, want), "want '%s' in:\n%s", want, r.out);
}
