/*
 * The guest side of `exo bench`: a suite program is a table of operations.
 * bench_main runs each one N times after a warm-up, times every iteration
 * with rdtsc, puts the marks of <exo/bench.h> around the timed loop (and an
 * empty pair before it, which the host subtracts), and hands the samples to
 * the host in a result record.
 *
 * Adding an operation is one table entry:
 *
 *	{ "ipc_call_reply", ipc_setup, ipc_call_reply, ipc_teardown },
 *
 * setup (NULL: none) runs once before the warm-up and returns < 0 if the
 * operation cannot run; iter is one operation and returns < 0 if it failed
 * (the loop stops there and the operation is reported as failed); teardown
 * (NULL: none) runs after, also after a failure; sample (NULL: none), if
 * given, replaces the iteration's own timing (see below); prep (NULL: none) runs
 * before every iteration, outside the timing (it sets up what the
 * iteration undoes, e.g. the mappings an unmap removes). The name is what the host
 * reports: [A-Za-z0-9_.-], shorter than EXO_BENCH_NAME_MAX.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <exo/bench.h>

struct bench_op {
	const char *name;
	long (*setup)(void);
	long (*iter)(void);
	void (*teardown)(void);
	long (*prep)(void);     /* before each iteration, untimed (NULL: none) */
	/* After each iteration, untimed (NULL: none): the iteration's sample
	 * itself (cycles >= 0), for what only the kernel can time. */
	long (*sample)(void);
};

/* SYS_bench_mark(0, 0, 0): a system call that does nothing. */
long bench_null_syscall(void);

/*
 * An echo server: a thread in another address space (task_spawn) that
 * replies to every call with the words it got. bench_echo_setup starts it
 * once (a setup for bench_op); bench_echo_call makes one call of words
 * untyped words (<= EXO_REG_MRS - 1: the fast path both ways; more: the
 * general path) and returns 0 or the negated IPC error code less one.
 */
long bench_echo_setup(void);
long bench_echo_call(u32 words);

/* The reference every suite measures first; the host's ratios divide by it. */
#define BENCH_NULL_SYSCALL { "null_syscall", 0, bench_null_syscall, 0, 0, 0 }

/*
 * argv: PROGRAM [ITERATIONS [WARMUP]]; ITERATIONS 1..EXO_BENCH_SAMPLES_MAX
 * (default 1000), WARMUP default ITERATIONS/10, at least 10.
 * Returns the exit status: 0, 2 for bad arguments, else the number of
 * operations that failed.
 */
int bench_main(const struct bench_op *ops, unsigned nops, int argc, char **argv);
/* bench_main for a suite whose operations draw on a pool: ITERATIONS above
 * max (a decimal string), or not a positive number, run max iterations with
 * the default warm-up (the JSON's n says so). */
int bench_main_capped(const struct bench_op *ops, unsigned nops, int argc, char **argv,
		      char *max);

#endif
