/*
 * bench-tlb, the program of `exo bench tlb` (booted with 4 vCPUs and ktest):
 * what a TLB shootdown costs, against pages per shootdown and CPUs
 * interrupted, and what the same unmap costs when no other CPU runs the
 * space.
 *
 * Each iteration unmaps P pages at X_VA that a mapper thread of this space
 * mapped there from a pool of ours (untimed, in prep: the host leaves it out
 * of the counts). T spinner threads of this space, on CPUs 1..T, keep the
 * space loaded there, so the unmap's shootdown interrupts exactly T CPUs.
 *
 *   unmap_Pp_0cpu      T = 0: the unmap with a local invalidation only;
 *                      cycles as the caller sees them
 *   shootdown_Pp_Tcpu  T = 1..3: cycles are the kernel's own count, TSC
 *                      ticks from the first request to the last
 *                      acknowledgement (KTEST_SHOOTDOWN, read untimed after
 *                      each iteration, which also checks that exactly one
 *                      shootdown went to T CPUs with the expected pages)
 *
 * ring-0/op is the whole unmap, shootdown included, summed over every vCPU
 * (the targets' interrupt handling too); its excess over unmap_Pp_0cpu is
 * what the shootdown costs in ring-0 instructions. Above the kernel's
 * kip->tlb_full_pages (2 on PVM, 16 natively) the targets flush the whole
 * space.
 *
 * On a host with fewer cores than vCPUs the spinners and CPU 0 share cores,
 * so medians include host scheduling; min is the protocol itself.
 */
#include <exo/syscall.h>

#include "bench.h"
#include "l4.h"
#include "libos.h"
#include "task.h"

#define X_VA      0x500000000ULL
#define POOL_S    18            /* 64 pages */
#define NSPIN     3

static u8 *pool;
static u64 mapper, spinner[NSPIN + 1], main_tid;
static volatile int spin_on[NSPIN + 1], spinning[NSPIN + 1];
static u32 want_pages, want_cpus;
static long sd_count;

static void
spin(u64 i)
{
	struct l4_msg m;

	l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0);
	for (;;) {
		spinning[i] = 1;        /* this space is loaded on our CPU now */
		while (spin_on[i])
			;
		spinning[i] = 0;
		/* Stopped: say so and wait for the next start in one call. */
		m = (struct l4_msg){ { 0 } };
		l4_call(main_tid, &m);
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
			while (!spinning[i])
				;
		} else if (!on && spin_on[i]) {
			struct l4_msg m;

			/*
			 * Block until it has stopped: it calls us and waits there
			 * for our next start (a reply). A poll here took most of
			 * a nested run's minutes: on a host with fewer cores than
			 * vCPUs it kept the spinner's CPU from running.
			 */
			spin_on[i] = 0;
			if (l4_receive(spinner[i], &m, EXO_TIMEOUT_NEVER, 0))
				return -E_INVAL;
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
	if (ktest(KTEST_SHOOTDOWN, KTEST_SD_COUNT) < 0) {
		printf("bench-tlb: needs the ktest boot option (exo bench adds it)\n");
		return -E_NOSYS;
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

	if (l4_call(mapper, &m))
		return -E_INVAL;
	sd_count = ktest(KTEST_SHOOTDOWN, KTEST_SD_COUNT);
	return 0;
}

static long
unmap_pages(void)
{
	long n = l4_unmap(EXO_FPAGE((u64)pool, log2_pages(want_pages), EXO_RWX), 0);

	return n == (long)want_pages ? 0 : -E_FAULT;
}

/* The kernel's time to acknowledgement of the unmap's one shootdown. */
static long
shootdown_ticks(void)
{
	long mask = ktest(KTEST_SHOOTDOWN, KTEST_SD_TARGETS);
	long pages = ktest(KTEST_SHOOTDOWN, KTEST_SD_PAGES);

	if (ktest(KTEST_SHOOTDOWN, KTEST_SD_COUNT) != sd_count + 1 ||
	    mask != (long)(((1u << want_cpus) - 1) << 1) ||
	    pages != (want_pages > l4_kip()->tlb_full_pages ? 0 : (long)want_pages)) {
		printf("bench-tlb: %u pages, %u CPUs: not one shootdown to CPUs 1..%u "
		       "(count %ld -> %ld, mask %lx, pages %ld)\n", want_pages, want_cpus,
		       want_cpus, sd_count, ktest(KTEST_SHOOTDOWN, KTEST_SD_COUNT),
		       mask, pages);
		return -E_FAULT;
	}
	return ktest(KTEST_SHOOTDOWN, KTEST_SD_ACK);
}

static void
stop_all(void)
{
	want_cpus = 0;
	spinners_set();
}

#define SETUP(pages, cpus)						\
	static long setup_##pages##_##cpus(void)			\
	{								\
		long r = setup_once();					\
		want_pages = pages;					\
		want_cpus = cpus;					\
		return r < 0 ? r : spinners_set();			\
	}
#define PAGES(X) X(1) X(4) X(16) X(64)
#define SETUPS(p) SETUP(p, 0) SETUP(p, 1) SETUP(p, 2) SETUP(p, 3)
PAGES(SETUPS)

#define UNMAP(p) { "unmap_" #p "p_0cpu", setup_##p##_0, unmap_pages, 0, prep_map, 0 },
#define SHOOT(p, c) { "shootdown_" #p "p_" #c "cpu", setup_##p##_##c, unmap_pages, \
		      stop_all, prep_map, shootdown_ticks },
#define SHOOTS(p) SHOOT(p, 1) SHOOT(p, 2) SHOOT(p, 3)

static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	PAGES(UNMAP)
	PAGES(SHOOTS)
};

int
main(int argc, char **argv)
{
	/* exo bench gives 12 iterations and 3 warm-up ones (host/bench.c):
	 * a shootdown can take milliseconds. */
	return bench_main(ops, sizeof(ops) / sizeof(ops[0]), argc, argv);
}
