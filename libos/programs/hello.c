/* The default program: prints from ring 3 through a system call, then exits. */
#include "libos.h"

int
main(int argc, char **argv)
{
	printf("hello from ring 3: %s", argv[0]);
	for (int i = 1; i < argc; i++)
		printf(" %s", argv[i]);
	printf("\n");
	return 0;
}
