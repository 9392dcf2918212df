/* ktest panic|triple: asks a kernel booted with "ktest" to fail on purpose. */
#include "libos.h"

int
main(int argc, char **argv)
{
	long op = 0;

	if (argc > 1 && !strcmp(argv[1], "panic"))
		op = KTEST_PANIC;
	else if (argc > 1 && !strcmp(argv[1], "triple"))
		op = KTEST_TRIPLEFAULT;
	if (!op) {
		printf("usage: ktest panic|triple (boot with --cmdline ktest)\n");
		return 2;
	}
	printf("ktest: kernel returned %ld\n", ktest(op));
	return 1;
}
