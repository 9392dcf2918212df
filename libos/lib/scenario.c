#include "scenario.h"

#include "l4.h"
#include "libos.h"
#include "task.h"

static const char *scenario_prog = "scenario";

void
scenario_fail(int line, const char *what)
{
	printf("%s: check failed at line %d: %s\n", scenario_prog, line, what);
	exit(line & 0xff ? line & 0xff : 1);
}

static void
scenario_cases(const struct scenario_case *cases, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		printf(" %s", cases[i].name);
	printf("\n");
}

/* Exit status 2 for a usage error, as crash and ktest: a run that names no
 * case would otherwise pass having checked nothing. */
int
scenario_main(const char *prog, const struct scenario_case *cases, unsigned n,
	      int argc, char **argv)
{
	scenario_prog = prog;
	if (argc < 2) {
		printf("usage: %s CASE... (run in order); the cases:", prog);
		scenario_cases(cases, n);
		return 2;
	}
	for (int a = 1; a < argc; a++) {
		unsigned i;

		for (i = 0; i < n && strcmp(argv[a], cases[i].name) != 0; i++)
			;
		if (i == n) {
			printf("%s: unknown case '%s'; the cases are:", prog, argv[a]);
			scenario_cases(cases, n);
			return 2;
		}
		cases[i].run();
	}
	return 0;
}

void
scenario_sleep_beside(void (*looper)(u64), u64 arg, const char *what)
{
	struct l4_msg m;
	u64 khz = l4_kip()->tsc_khz, t0 = l4_rdtsc(), ms;
	u64 loop = thread_spawn(looper, arg);

	CHECK(loop);
	CHECK(l4_receive(l4_myself(), &m, EXO_TIMEOUT_US(50000), 0) ==
	      EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1));
	ms = (l4_rdtsc() - t0) / khz;
	printf("starve: slept 50 ms beside %s: woke after %lu ms\n", what, ms);
	CHECK(l4_thread_control(loop, EXO_NILTHREAD, 0, 0, -1) == 0);
	CHECK(ms >= 50 && ms < 1000);
}
