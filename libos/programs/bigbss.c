/*
 * bigbss: a 3 MiB bss, so one segment crosses 2 MiB page-table boundaries.
 * Every page must be mapped, zero and writable. Exit status = bad pages.
 */
#include <exo/layout.h>

#include "libos.h"

#define BIG (3u << 20)

static volatile unsigned char big[BIG] __attribute__((aligned(4096)));

int
main(void)
{
	int bad = 0;

	for (unsigned off = 0; off < BIG; off += EXO_PAGE_SIZE) {
		if (big[off] || big[off + EXO_PAGE_SIZE - 1])
			bad++;
		big[off] = 1;
		big[off + EXO_PAGE_SIZE - 1] = 1;
	}
	printf("bigbss: %u pages from %p, %d bad\n", BIG / (unsigned)EXO_PAGE_SIZE,
	       (void *)big, bad);
	return bad;
}
