#include "scenario.h"

#include "libos.h"

static const char *scenario_prog = "scenario";

void
scenario_fail(int line, const char *what)
{
	printf("%s: check failed at line %d: %s\n", scenario_prog, line, what);
	exit(line & 0xff ? line & 0xff : 1);
}

int
scenario_main(const char *prog, const struct scenario_case *cases, unsigned n,
	      int argc, char **argv)
{
	scenario_prog = prog;
	for (int a = 1; a < argc; a++) {
		unsigned i;

		for (i = 0; i < n && strcmp(argv[a], cases[i].name) != 0; i++)
			;
		if (i == n) {
			printf("%s: unknown case '%s'; the cases are:", prog, argv[a]);
			for (i = 0; i < n; i++)
				printf(" %s", cases[i].name);
			printf("\n");
			return 2;
		}
		cases[i].run();
	}
	return 0;
}
