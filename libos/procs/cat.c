/* cat: its input to its output, as it comes (an echo for a round trip). */
#include "exos.h"
#include "libos.h"

int
main(void)
{
	char buf[2048];
	long n;

	while ((n = exos_read(0, buf, sizeof buf)) > 0)
		if (exos_write(1, buf, (u64)n) != n)
			return 1;
	return n < 0 ? 1 : 0;
}
