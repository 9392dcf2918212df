/* The benchmark loop of the guest programs: see bench.h and <exo/bench.h>. */
#include "bench.h"

#include <exo/layout.h>

#include "l4.h"
#include "libos.h"
#include "task.h"

#define MIN_WARMUP         10

/* One record, reused by every operation: 256 KiB of bss, mapped at start. */
static struct exo_bench_result rec;

long
bench_null_syscall(void)
{
	return l4_bench_mark(0, 0, 0);
}

static long
mark(u32 base, enum exo_bench_phase phase)
{
	return l4_bench_mark(base | phase, 0, 0);
}

/*
 * Write every page of samples[0..n) now, so that no first touch of a page
 * (a fault the host takes on shadow-paging hosts) lands in the timed loop.
 */
static void
touch_samples(u64 n)
{
	volatile u32 *s = rec.samples;

	for (u64 i = 0; i < n; i += EXO_PAGE_SIZE / sizeof(u32))
		s[i] = 0;
	if (n)
		s[n - 1] = 0;
}

/* The timed loop, between BEGIN and END: returns < 0 if an iteration failed. */
static long
timed_loop(const struct bench_op *op, u32 base, u64 n)
{
	u64 start, end, t0, t1;
	long r = 0;

	mark(base, EXO_BENCH_BEGIN);
	start = l4_rdtsc();
	for (u64 i = 0; i < n; i++) {
		if (op->prep) {
			mark(base | EXO_BENCH_PREP, 0);
			r = op->prep();
			mark(base | EXO_BENCH_PREP | 1, 0);
			if (r < 0)
				break;
		}
		t0 = l4_rdtsc();
		r = op->iter();
		t1 = l4_rdtsc();
		if (r < 0)
			break;
		if (op->sample) {       /* out of the counts, as a prep is */
			mark(base | EXO_BENCH_PREP, 0);
			r = op->sample();
			mark(base | EXO_BENCH_PREP | 1, 0);
			if (r < 0)
				break;
			t0 = 0;
			t1 = (u64)r;
		}
		if (t1 - t0 > 0xffffffffULL) {
			rec.samples[i] = 0xffffffffu;
			rec.flags |= EXO_BENCH_F_CLIPPED;
		} else {
			rec.samples[i] = (u32)(t1 - t0);
		}
	}
	end = l4_rdtsc();
	mark(base, EXO_BENCH_END);
	rec.loop_cycles = end - start;
	return r;
}

/* Warm up, then the marks and the timed loop; < 0 (said why) on failure. */
static long
bench_measure(const struct bench_op *op, u32 base, u64 n, u64 warmup)
{
	long r;

	for (u64 i = 0; i < warmup; i++) {
		r = op->prep ? op->prep() : 0;
		if (r >= 0)
			r = op->iter();
		if (r >= 0 && op->sample)
			r = op->sample();
		if (r < 0) {
			printf("bench: %s: warm-up iteration %llu failed: %ld\n", op->name,
			       (unsigned long long)i, r);
			return r;
		}
	}
	memset(&rec, 0, EXO_BENCH_RESULT_HDR);
	touch_samples(n);
	r = mark(base, EXO_BENCH_EMPTY_BEGIN);
	if (r < 0) {
		printf("bench: SYS_bench_mark refused a mark: %ld\n", r);
		return r;
	}
	mark(base, EXO_BENCH_EMPTY_END);
	r = timed_loop(op, base, n);
	if (r < 0)
		printf("bench: %s: an iteration failed: %ld\n", op->name, r);
	return r;
}

/* Measure one operation and report it; < 0 if it failed (and said why). */
static long
bench_one(const struct bench_op *op, u32 base, u64 n, u64 warmup)
{
	size_t len = strlen(op->name);
	long r;

	if (len == 0 || len >= EXO_BENCH_NAME_MAX) {
		printf("bench: operation name '%s': 1 to %d characters\n", op->name,
		       EXO_BENCH_NAME_MAX - 1);
		return -E_INVAL;
	}
	if (op->setup && (r = op->setup()) < 0) {
		printf("bench: %s: setup failed: %ld\n", op->name, r);
		return r;
	}
	r = bench_measure(op, base, n, warmup);
	if (op->teardown)
		op->teardown();
	if (r < 0)
		return r;
	rec.magic = EXO_BENCH_MAGIC;
	rec.mark = base;
	memcpy(rec.name, op->name, len + 1);
	rec.iterations = n;
	rec.warmup = warmup;
	rec.nsamples = (u32)n;
	r = l4_bench_mark(0, &rec, EXO_BENCH_RESULT_LEN(n));
	if (r < 0)
		printf("bench: %s: the host refused the result: %ld\n", op->name, r);
	return r;
}

int
bench_main(const struct bench_op *ops, unsigned nops, int argc, char **argv)
{
	long n = argc > 1 ? atoi(argv[1]) : 0;
	long warmup = argc > 2 ? atoi(argv[2]) : n / 10;
	int failed = 0;

	if (argc <= 2 && warmup < MIN_WARMUP)
		warmup = MIN_WARMUP;
	/* exo bench always gives the iterations: without them this is a
	 * person running it by hand. */
	if (n < 1 || n > EXO_BENCH_SAMPLES_MAX || warmup < 0 || argc > 3) {
		printf("usage: %s ITERATIONS (1..%d) [WARMUP (>= 0)]: its results go to "
		       "the host's benchmark device, which exo bench reads (exo bench "
		       "--help; docs/bench.md)\n", argv[0], EXO_BENCH_SAMPLES_MAX);
		return 2;
	}
	for (unsigned i = 0; i < nops; i++)
		if (bench_one(&ops[i], (i + 1) * EXO_BENCH_PHASES, (u64)n, (u64)warmup) < 0)
			failed++;
	return failed;
}

static u64 echo_server;

static void
echo(u64 arg)
{
	struct l4_msg m;
	u64 from;

	(void)arg;
	l4_wait(&m, &from);
	for (;;) {
		m.mr[0] = EXO_TAG(0, EXO_TAG_U(m.mr[0]), 0);
		l4_reply_wait(from, &m, &from);
	}
}

long
bench_echo_setup(void)
{
	if (!echo_server)
		echo_server = task_spawn(echo, 0);
	return echo_server ? 0 : -E_NOMEM;
}

long
bench_echo_call(u32 words)
{
	struct l4_msg m = { { EXO_TAG(1, words, 0), 1, 2 } };
	u64 err = l4_call(echo_server, &m);

	return err ? -(long)EXO_IPC_ERR_CODE(err) - 1 : 0;
}

int
bench_main_capped(const struct bench_op *ops, unsigned nops, int argc, char **argv,
		  char *max)
{
	char *capped[] = { argv[0], max, 0 };

	if (argc >= 2 && (atoi(argv[1]) > atoi(max) || atoi(argv[1]) <= 0)) {
		argc = 2;
		argv = capped;
	}
	return bench_main(ops, nops, argc, argv);
}
