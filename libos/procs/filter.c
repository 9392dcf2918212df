/* filter [K]: the lines whose number is a multiple of K (3 if not given). */
#include "lineio.h"

static struct lineio in, out;

int
main(int argc, char **argv)
{
	long k = argc > 1 ? atoi(argv[1]) : 3;
	char line[64];
	long n;

	if (k <= 0) {
		printf("filter: %s: not a divisor; give a number above 0\n", argv[1]);
		return 2;
	}
	while ((n = line_read(&in, line, sizeof line)) >= 0) {
		if (atoi(line) % k)
			continue;
		line[n] = '\n';
		if (!out_put(&out, line, (u32)n + 1))
			return 1;
	}
	return out_flush(&out) ? 0 : 1;
}
