/*
 * Scenario programs for the test suite (`PROGRAM CASE...`): each case is a
 * function that returns if every check held. A failed CHECK ends the program
 * with the check's line number (low byte) as its status and says on the
 * console which check it was; the suite judges by the status and the report.
 */
#ifndef LIBOS_SCENARIO_H
#define LIBOS_SCENARIO_H

#include <exo/types.h>

struct scenario_case {
	const char *name;
	void (*run)(void);
};

#define CHECK(c) do { if (!(c)) scenario_fail(__LINE__, #c); } while (0)

__attribute__((noreturn)) void scenario_fail(int line, const char *what);
/*
 * Run the cases argv[1..] names, in order; 0 when all returned, 2 (and the
 * list of cases) for a name that is not one of them.
 */
int scenario_main(const char *prog, const struct scenario_case *cases, unsigned n,
		  int argc, char **argv);

/*
 * Sleep 50 ms while a thread of ours runs looper(arg) (then delete it): the
 * sleep must end within a second, however looper enters the kernel. Says
 * on the console (as "starve: ...") how long it took, beside what.
 */
void scenario_sleep_beside(void (*looper)(u64), u64 arg, const char *what);

#endif
