/* exit N: ends with status N, so the host's exit code can be checked. */
#include "libos.h"

int
main(int argc, char **argv)
{
	return argc > 1 ? atoi(argv[1]) : 0;
}
