/*
 * bench-tlb, the program of `exo bench tlb` (booted with 4 vCPUs): what an
 * unmap costs when other CPUs run the space and must drop the translations
 * (TLB shootdown), against pages per unmap and CPUs interrupted.
 *
 * Each iteration unmaps N pages at X_VA that a mapper thread of this space
 * mapped there (untimed, in prep) from a pool of ours; T spinner threads of
 * this space, on CPUs 1..T, keep the space loaded there, so the shootdown
 * interrupts exactly T CPUs. T = 0 is the same unmap with no other CPU
 * running the space: a local invalidation only.
 */
#include "bench.h"
#include "l4.h"
#include "libos.h"
#include "task.h"

#define X_VA      0x500000000ULL
#define POOL_S    18            /* 64 pages */
#define NSPIN     3

static u8 *pool;
static u64 mapper, spinner[NSPIN + 1], main_tid;
static volatile int spin_on[NSPIN + 1];
static u32 want_pages, want_cpus;

static void
spin(u64 i)
{
	struct l4_msg m;

	for (;;) {
		l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0);
		while (spin_on[i])
			;
	}
}

/* Replies to each call with a map of 2^s bytes of the pool at X_VA. */
static void
map_server(u64 arg)
{
	struct l4_msg m;
	u64 from;

	(void)arg;
	l4_wait(&m, &from);
	for (;;) {
		u32 s = (u32)m.mr[1];

		m.mr[0] = EXO_TAG(0, 0, 2);
		m.mr[1] = EXO_ITEM_MAP | X_VA;
		m.mr[2] = EXO_FPAGE((u64)pool, s, EXO_RW);
		l4_reply_wait(from, &m, &from);
	}
}

static u32
log2_pages(u32 n)
{
	u32 s = 12;

	while ((1u << (s - 12)) < n)
		s++;
	return s;
}

/* Run exactly spinners 1..want_cpus; the others blocked (their CPUs idle). */
static long
spinners_set(void)
{
	for (u32 i = 1; i <= NSPIN; i++) {
		bool on = i <= want_cpus;

		if (on && !spin_on[i]) {
			struct l4_msg m = { { 0 } };

			spin_on[i] = 1;
			if (l4_send(spinner[i], &m, EXO_TIMEOUT_NEVER))
				return -E_INVAL;
		} else if (!on && spin_on[i]) {
			spin_on[i] = 0;
			while (!(l4_exchange_registers(spinner[i], 0, 0, 0, 0, 0, 0) &
				 EXR_WAS_RECEIVING))
				l4_thread_switch(EXO_NILTHREAD);
		}
	}
	return 0;
}

static long
setup_once(void)
{
	if (pool)
		return 0;
	if (l4_kip()->ncpus < NSPIN + 1) {
		printf("bench-tlb: needs %d CPUs (exo bench --cpus)\n", NSPIN + 1);
		return -E_INVAL;
	}
	main_tid = l4_myself();
	pool = mem_alloc(POOL_S);
	mapper = thread_spawn(map_server, 0);
	if (!pool || !mapper)
		return -E_NOMEM;
	for (u32 i = 1; i <= NSPIN; i++)
		if (!(spinner[i] = thread_spawn_on((int)i, spin, i)))
			return -E_NOMEM;
	l4_utcb()->acceptor = EXO_FPAGE_COMPLETE;
	return 0;
}

static long
prep_map(void)
{
	struct l4_msg m = { { EXO_TAG(0, 1, 0), log2_pages(want_pages) } };

	return l4_call(mapper, &m) ? -E_INVAL : 0;
}

static long
unmap_pages(void)
{
	long n = l4_unmap(EXO_FPAGE((u64)pool, log2_pages(want_pages), EXO_RWX), 0);

	return n == (long)want_pages ? 0 : -E_FAULT;
}

static void
stop_all(void)
{
	want_cpus = 0;
	spinners_set();
}

#define OP(pages, cpus)							\
	static long setup_##pages##_##cpus(void)			\
	{								\
		long r = setup_once();					\
		want_pages = pages;					\
		want_cpus = cpus;					\
		return r < 0 ? r : spinners_set();			\
	}
OP(1, 0) OP(1, 1) OP(1, 3) OP(16, 0) OP(16, 1) OP(16, 3) OP(64, 0) OP(64, 1) OP(64, 3)
#define ENTRY(pages, cpus) { "unmap_" #pages "p_" #cpus "cpu", setup_##pages##_##cpus, \
			     unmap_pages, 0, prep_map }

static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	ENTRY(1, 0), ENTRY(1, 1), ENTRY(1, 3),
	ENTRY(16, 0), ENTRY(16, 1), ENTRY(16, 3),
	{ "unmap_64p_0cpu", setup_64_0, unmap_pages, 0, prep_map },
	{ "unmap_64p_1cpu", setup_64_1, unmap_pages, 0, prep_map },
	{ "unmap_64p_3cpu", setup_64_3, unmap_pages, stop_all, prep_map },
};

int
main(int argc, char **argv)
{
	return bench_main(ops, sizeof(ops) / sizeof(ops[0]), argc, argv);
}
