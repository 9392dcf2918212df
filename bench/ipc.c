/*
 * bench-ipc, the program of `exo bench ipc`: what it costs to enter the
 * kernel and, with L4 IPC, to call a thread in another address space and get
 * its reply. null_syscall is the reference the host divides by.
 */
#include "bench.h"
#include "l4.h"
#include "libos.h"
#include "task.h"

/* One byte to the console: a system call that leaves the guest for the VMM. */
static long
console_write_1(void)
{
	long r = console_write(".", 1);

	return r == 1 ? 0 : (r < 0 ? r : -E_INVAL);
}

/* Short messages take the fast path both ways. */
static long
ipc_call_reply(void)
{
	return bench_echo_call(2);
}

/* Nine words: MR8 travels in the UTCB, so both ways take the general path. */
static long
ipc_call_reply_slow(void)
{
	return bench_echo_call(EXO_REG_MRS + 1);
}

/*
 * A page fault resolved by a pager: this thread's pager is a thread of our
 * own space that answers every fault with a map of one page it holds.
 *
 * pagefault_pager is the fault alone, from the faulting access to its retry:
 * each iteration touches the next page of a fresh region (FAULT_VA on), all
 * of them mapped to the same pool page, and the teardown unmaps them all at
 * once, after the measurement. The setup faults once in every 2 MiB of the
 * region and unmaps again, so that the page tables exist (unmap leaves
 * them), as they do in memory a program has used. pagefault_unmap: a fault
 * at one address and the unmap that resets it, so the next one faults too;
 * the difference of the two is the unmap of one derived page.
 */
#define FAULT_VA  0x500000000ULL        /* pagefault_pager: one page a call */
#define RESET_VA  0x400000000ULL        /* pagefault_unmap: always this page */
/* Pages pagefault_pager may touch: the most iterations and warm-up. */
#define FAULT_PAGES (EXO_BENCH_SAMPLES_MAX + EXO_BENCH_SAMPLES_MAX / 10 + 1)
static u8 *pool;
static u64 fault_next;

static void
pager(u64 arg)
{
	struct l4_msg m;
	u64 from;

	(void)arg;
	l4_wait(&m, &from);
	for (;;) {
		u64 addr = EXO_PAGE_DOWN(m.mr[1]);

		m.mr[0] = EXO_TAG(0, 0, 2);
		m.mr[1] = EXO_ITEM_MAP | addr;
		m.mr[2] = EXO_FPAGE((u64)pool, 12, EXO_RW);
		l4_reply_wait(from, &m, &from);
	}
}

static long
fault_setup(void)
{
	u64 p;

	pool = mem_alloc(12);
	if (!pool)
		return -E_NOMEM;
	p = thread_spawn(pager, 0);
	if (!p)
		return -E_NOMEM;
	if (l4_exchange_registers(l4_myself(), EXR_SET_PAGER, 0, 0, p, 0, 0) < 0)
		return -E_INVAL;
	for (u64 va = FAULT_VA; va < FAULT_VA + FAULT_PAGES * EXO_PAGE_SIZE;
	     va += 512 * EXO_PAGE_SIZE)
		if (*(volatile u64 *)va != 0)
			return -E_INVAL;
	return l4_unmap(EXO_FPAGE(pool, 12, EXO_RWX), 0) < 0 ? -E_INVAL : 0;
}

static long
pagefault_pager(void)
{
	volatile u64 *x = (u64 *)(FAULT_VA + fault_next++ * EXO_PAGE_SIZE);

	return *x == 0 ? 0 : -E_INVAL;  /* the pool page is zero */
}

/* Every page pagefault_pager had mapped goes (the pool page stays). */
static void
fault_flush(void)
{
	l4_unmap(EXO_FPAGE(pool, 12, EXO_RWX), 0);
}

static long
pagefault_unmap(void)
{
	volatile u64 *x = (u64 *)RESET_VA;

	if (*x != 0)
		return -E_INVAL;
	return l4_unmap(EXO_FPAGE(pool, 12, EXO_RWX), 0) == 1 ? 0 : -E_FAULT;
}

/* The unmap part alone, with nothing derived to revoke: a lower bound. */
static long
unmap_nothing(void)
{
	return l4_unmap(EXO_FPAGE(pool, 12, EXO_RWX), 0) == 0 ? 0 : -E_FAULT;
}

static void
fault_teardown(void)
{
	l4_exchange_registers(l4_myself(), EXR_SET_PAGER, 0, 0, EXO_NILTHREAD, 0, 0);
}

static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	{ "console_write_1", 0, console_write_1, 0, 0, 0 },
	{ "ipc_call_reply", bench_echo_setup, ipc_call_reply, 0, 0, 0 },
	{ "ipc_call_reply_slow", bench_echo_setup, ipc_call_reply_slow, 0, 0, 0 },
	{ "pagefault_pager", fault_setup, pagefault_pager, fault_flush, 0, 0 },
	{ "pagefault_unmap", 0, pagefault_unmap, 0, 0, 0 },
	{ "unmap_nothing", 0, unmap_nothing, fault_teardown, 0, 0 },
};

int
main(int argc, char **argv)
{
	return bench_main(ops, sizeof(ops) / sizeof(ops[0]), argc, argv);
}
