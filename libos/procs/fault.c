/* fault: writes where nothing is mapped; the manager kills it for that. */
#include "exos.h"
#include "libos.h"

#define NOWHERE 0x00005a5a00000000ULL

int
main(int argc, char **argv)
{
	(void)argc, (void)argv;
	*(volatile u64 *)NOWHERE = 1;
	return 0;
}
