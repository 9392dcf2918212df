/* sink: reads its input to the end; exit 0 if byte i was i mod 251 for
 * every i (what bench-vm's bandwidth writes), 1 if one was not, 2 if
 * nothing came. */
#include "exos.h"
#include "libos.h"

int
main(void)
{
	static u8 buf[2048];
	u64 at = 0;
	long n;

	while ((n = exos_read(0, buf, sizeof buf)) > 0)
		for (long i = 0; i < n; i++, at++)
			if (buf[i] != at % 251)
				return 1;
	return n < 0 || !at ? 2 : 0;
}
