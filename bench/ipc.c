/*
 * bench-ipc, the program of `exo bench ipc`: what it costs to enter the
 * kernel and, with L4 IPC, to call a thread in another address space and get
 * its reply. null_syscall is the reference the host divides by.
 */
#include "bench.h"
#include "libos.h"

/* One byte to the console: a system call that leaves the guest for the VMM. */
static long
console_write_1(void)
{
	long r = console_write(".", 1);

	return r == 1 ? 0 : (r < 0 ? r : -E_INVAL);
}

/*
 * ipc_call_reply (to come with SYS_ipc): setup starts a server thread in a
 * new space that loops on l4_reply_wait; an iteration is one l4_call to it.
 */
static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	{ "console_write_1", 0, console_write_1, 0 },
};

int
main(int argc, char **argv)
{
	return bench_main(ops, sizeof(ops) / sizeof(ops[0]), argc, argv);
}
