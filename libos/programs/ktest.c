/*
 * ktest OP [ARGS]: the kernel's self-test hooks (boot with --cmdline ktest).
 *   panic | triple         fail on purpose; returns only if the kernel refused
 *   timer US MAX [COUNT]   COUNT times (default 1): arm the timer US
 *                          microseconds ahead and wait for it; every wait
 *                          must take from US to MAX-1 microseconds
 *   getc TEXT              read strlen(TEXT) bytes of console input, each
 *                          waiting for the input interrupt; they must be TEXT
 * Exit status: 0 as expected, 1 the kernel refused (a negative result),
 * 2 usage, 3 the kernel answered but not as expected.
 */
#include "libos.h"

static int
usage(void)
{
	printf("usage: ktest panic|triple | timer US MAX [COUNT] | getc TEXT\n");
	return 2;
}

static int
refused(const char *what, long r)
{
	printf("ktest: %s: kernel returned %ld\n", what, r);
	return 1;
}

static int
ktest_timer(long us, long max, long count)
{
	long r, lo = -1, hi = -1, sum = 0;

	if (count < 1)
		return usage();
	for (long i = 0; i < count; i++) {
		r = ktest(KTEST_TIMER, us);
		if (r < 0)
			return refused("timer", r);
		if (lo < 0 || r < lo)
			lo = r;
		if (r > hi)
			hi = r;
		sum += r;
	}
	printf("ktest: timer %ld us x%ld: elapsed %ld..%ld us, mean %ld us\n", us,
	       count, lo, hi, sum / count);
	return lo >= us && hi < max ? 0 : 3;
}

static int
ktest_getc(const char *want)
{
	size_t n = strlen(want);
	char got[64];
	long r;

	if (n >= sizeof(got))
		return usage();
	for (size_t i = 0; i < n; i++) {
		r = ktest(KTEST_GETC, 0);
		if (r < 0)
			return refused("getc", r);
		got[i] = (char)r;
	}
	got[n] = '\0';
	printf("ktest: getc: read \"%s\"\n", got);
	return strcmp(got, want) ? 3 : 0;
}

int
main(int argc, char **argv)
{
	const char *op = argc > 1 ? argv[1] : "";

	if (!strcmp(op, "panic"))
		return refused("panic", ktest(KTEST_PANIC, 0));
	if (!strcmp(op, "triple"))
		return refused("triple", ktest(KTEST_TRIPLEFAULT, 0));
	if (!strcmp(op, "timer") && (argc == 4 || argc == 5))
		return ktest_timer(atoi(argv[2]), atoi(argv[3]),
				   argc == 5 ? atoi(argv[4]) : 1);
	if (!strcmp(op, "getc") && argc == 3)
		return ktest_getc(argv[2]);
	return usage();
}
