/* exitn N: ends with status N (its parent's wait sees it). */
#include "exos.h"
#include "libos.h"

int
main(int argc, char **argv)
{
	return argc > 1 ? atoi(argv[1]) : 0;
}
