/* gen N: the lines 0 to N - 1, one number each. */
#include "lineio.h"

#include "../../guest/core/fmt.h"

static struct lineio out;

int
main(int argc, char **argv)
{
	long n = argc > 1 ? atoi(argv[1]) : 10;
	char line[24];

	if (n < 0) {
		printf("gen: %s: not a count; give a number of lines\n", argv[1]);
		return 2;
	}
	for (long i = 0; i < n; i++)
		if (!out_put(&out, line, (u32)fmt_snprintf(line, sizeof line, "%ld\n", i)))
			return 1;
	return out_flush(&out) ? 0 : 1;
}
