/*
 * count: how many lines came, their numbers' sum, and whether they came in
 * increasing order (a pipe that lost, doubled or reordered a line says no).
 */
#include "lineio.h"

#include "../../guest/core/fmt.h"

static struct lineio in, out;

int
main(int argc, char **argv)
{
	char line[64], msg[128];
	long n, lines = 0, sum = 0, last = -1;
	bool ordered = true;

	(void)argc, (void)argv;
	while ((n = line_read(&in, line, sizeof line)) >= 0) {
		long v = atoi(line);

		ordered = ordered && v > last;
		last = v;
		lines++;
		sum += v;
	}
	n = fmt_snprintf(msg, sizeof msg, "count: %ld lines, sum %ld, %s\n", lines, sum,
			 ordered ? "in order" : "OUT OF ORDER");
	return out_put(&out, msg, (u32)n) && out_flush(&out) ? 0 : 1;
}
