/*
 * bench-trace, the program of `exo bench trace`: what the kernel's trace
 * points cost. The same operations run with tracing off and then on
 * (KTEST_TRACE; the suite boots with "ktest"), in one boot, so the ratio
 * traced / untraced is measured in the same run, and the ring-0 difference
 * is exactly what the trace points executed. Nobody drains the ring here:
 * the kernel's side of a record costs the same whether or not anyone reads.
 */
#include "bench.h"
#include "l4.h"
#include "libos.h"
#include "task.h"

/* A short call: the fast path both ways, one IPC_FAST record each way. */
static long
ipc_call_reply(void)
{
	return bench_echo_call(2);
}

static long
trace_on(void)
{
	return ktest(KTEST_TRACE, 1) < 0 ? -E_NOSYS : 0;
}

static long
ipc_setup_traced(void)
{
	long r = bench_echo_setup();

	return r < 0 ? r : trace_on();
}

static void
trace_off(void)
{
	ktest(KTEST_TRACE, 0);
}

static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	{ "ipc_call_reply", bench_echo_setup, ipc_call_reply, 0, 0, 0 },
	{ "null_syscall_traced", trace_on, bench_null_syscall, trace_off, 0, 0 },
	{ "ipc_call_reply_traced", ipc_setup_traced, ipc_call_reply, trace_off, 0, 0 },
};

int
main(int argc, char **argv)
{
	return bench_main(ops, sizeof(ops) / sizeof(ops[0]), argc, argv);
}
