/* execs PROG [ARG...]: becomes PROG (exos_exec); says why if it cannot. */
#include "exos.h"
#include "libos.h"

int
main(int argc, char **argv)
{
	long r;

	if (argc < 2) {
		printf("execs: no program; give one to become\n");
		return 2;
	}
	r = exos_exec(argv[1], (u32)argc - 1, argv + 1);
	printf("execs: cannot become %s: error %ld%s\n", argv[1], r,
	       r == -E_NOENT ? " (no such program)" : "");
	return 1;
}
