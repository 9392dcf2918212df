/*
 * SMP scenarios: boot and hello on 1, 2 and 4 vCPUs (more than the two host
 * cores of CI), the TLB shootdown stress of smptest over L4 unmap, L4 flush
 * and exokernel unbind, revocation with a reader on the other CPU, IPC
 * across CPUs, the L4 and exokernel cases on two CPUs, and a trace that
 * shows a shootdown. Judged by exit status (the failing check's line) and
 * the JSON of exo stat.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "run.h"

static struct exo_run r;

ParameterizedTestParameters(smp, hello_on_n_cpus)
{
	static int n[] = { 1, 2, 4 };

	return cr_make_param_array(int, n, 3);
}

ParameterizedTest(int *n, smp, hello_on_n_cpus)
{
	char cpus[8];

	skip_unless_cpus((unsigned)*n);
	snprintf(cpus, sizeof(cpus), "%d", *n);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "30", "--cpus", cpus,
					    "--stats", "hello", NULL });
	cr_assert_eq(r.status, 0, "--cpus %d: exit %d\n%s%s", *n, r.status, r.out, r.err);
	cr_assert(strstr(r.out, "hello from ring 3"), "--cpus %d:\n%s", *n, r.out);
}

/*
 * The smallest guest (--mem 4M) boots the SMP kernel too: what the kernel
 * keeps per CPU beyond CPU 0 (trace ring, stacks, the environments' per-CPU
 * slice state) takes memory only for CPUs that exist.
 */
ParameterizedTestParameters(smp, hello_in_4m_on_n_cpus)
{
	static int n[] = { 2, 4 };

	return cr_make_param_array(int, n, 2);
}

ParameterizedTest(int *n, smp, hello_in_4m_on_n_cpus)
{
	char cpus[8];
	const char *ev;

	skip_unless_cpus((unsigned)*n);
	snprintf(cpus, sizeof(cpus), "%d", *n);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "30", "--mem", "4M", "--cpus",
					    cpus, "hello", NULL });
	cr_assert_eq(r.status, 0, "--mem 4M --cpus %d: exit %d\n%s%s", *n, r.status, r.out,
		     r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev && report_num(ev, "status") == 0, "--cpus %d:\n%s", *n, r.report);
}

/*
 * Once an unmap (flush, unbind) returns, the reader on the other CPU never
 * reads the page again: 200 rounds each, a shootdown per round (about a
 * second each here). xspace's reader is in a space of its own (on the
 * hosted platform a process of its own, which no flush of main's reaches).
 */
struct stress_mode {
	char name[16];          /* by value: the test may run in another process */
};

ParameterizedTestParameters(smp, shootdown_stress)
{
	static struct stress_mode mode[] = { { "stress" }, { "flush" }, { "unbind" },
					     { "xspace" } };

	return cr_make_param_array(struct stress_mode, mode, 4);
}

ParameterizedTest(struct stress_mode *mode, smp, shootdown_stress)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "smptest", mode->name, "200", NULL });
	cr_assert_eq(r.status, 0, "smptest %s: exit %d (the failing check's line)\n%s%s",
		     mode->name, r.status, r.out, r.err);
}

/* The abort protocol takes frames a reader on CPU 1 is reading. */
Test(smp, revocation_across_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "exorevoke", "abort", "noentry", "coop", NULL });
	cr_assert_eq(r.status, 0, "exit %d (the failing check's line)\n%s%s", r.status,
		     r.out, r.err);
}

/* A thread made ready on a CPU whose thread enters the kernel in a tight
 * loop runs (hosted: the reschedule was answered where its re-arm was lost,
 * and the second thread never ran). */
Test(smp, ready_thread_runs_beside_a_busy_one)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "smptest", "share", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
}

/* A thread moved between two CPUs 300 times goes on each time, with its
 * registers (ptrace: a hand-over between tracers, each). */
Test(smp, thread_hops_between_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "smptest", "hop", "300", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "smptest hop: 300 moves"), "%s", r.out);
}

Test(smp, ipc_pingpong_across_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "smptest", "pingpong", "500", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
}

/* The L4 cases (flush across spaces among them) with a second CPU up. */
Test(smp, l4_cases_on_two_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "l4test", "pingpong", "pager", "flush", "grant",
					    "dead", "openclosed", "hostile", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
}

/* The exokernel cases (software TLB, bindings and their fast entries,
 * upcalls) with a second CPU up. */
Test(smp, exo_cases_on_two_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "--cpus", "2",
					    "--cmdline", "ktest", "exotest", "bindfast",
					    "demand", "caps", "foreign", "exceptions", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
}
