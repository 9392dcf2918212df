/*
 * Revocation scenarios for the test suite: `exorevoke CASE...`. Exit status 0
 * means every check held; otherwise the status names the first check that
 * failed (its line number, low byte) and a line on the console says which.
 *
 * Each case spawns a child environment (a task: a new space) that allocates
 * NFR frames outside its reserve and NRES in it, binds them, fills each with
 * a pattern of its own, and passes a copy of every one to us (cap_pass).
 * Then we ask it for frames back:
 *   coop     its REVOKE entry gives back frames of its choice (frame_free);
 *            those die here too, the others and the reserve stay intact.
 *            A host that keeps the child from running until the deadline
 *            passed makes this an abort: then every frame asked for was
 *            either given back or taken, and only after the deadline
 *   abort    its REVOKE entry ignores the request: at the deadline the
 *            kernel takes frames itself; the REPOSSESS upcall finds them in
 *            the repossession vector, autosaved ones intact in the backing
 *            store, the reserve untouched; our copies of them are dead
 *   noentry  no REVOKE entry at all: the abort protocol at the deadline
 *   errors   bad requests refused, nothing changed
 *
 * With a second CPU (exo run --cpus 2), abort and noentry also run a reader
 * thread of ours on CPU 1 that reads our copies in a loop while the kernel
 * takes the frames: once we know which it took, no read that starts
 * afterwards may reach one of them without a fault (the revocation's TLB
 * shootdown reached CPU 1).
 */
#include "exo.h"
#include "libos.h"
#include "scenario.h"
#include "l4.h"
#include "task.h"

#define PAGE      EXO_PAGE_SIZE
#define NFR       8                     /* frames outside the reserve */
#define NRES      2                     /* frames in the reserve */
#define NALL      (NFR + NRES)
#define CHILD_VA  0x500000000ULL        /* the child's frames, one a page */
#define SCRATCH   0x580000000ULL        /* the child reads saved blocks here */
#define PEEK_VA   0x600000000ULL        /* our view of the copies */
#define WORDS     (PAGE / 8)

enum mode { COOP = 1, ABORT = 2, NOENTRY = 3 };

static u64 main_tid;

static u64
pattern(u32 i, u32 w)
{
	return 0x5eed000000000000ULL | (u64)i << 32 | w * 0x9e3779b1u;
}

/*
 * The kernel writes results only to memory that is mapped (it never takes a
 * fault for us): write the pages of a stack or .bss buffer first.
 */
static void
touch(void *p, u64 len)
{
	for (u64 off = 0; off < len; off += PAGE)
		((volatile u8 *)p)[off] = 0;
	((volatile u8 *)p)[len - 1] = 0;
}

static bool
page_holds(const volatile u64 *p, u32 i)
{
	for (u32 w = 0; w < WORDS; w++)
		if (p[w] != pattern(i, w))
			return false;
	return true;
}

/* Frames autosaved in the abort cases: the odd ones. */
static bool
autosaved(u32 i)
{
	return i < NFR && i % 2;
}

/* Nobody sends to us meanwhile: a receive that times out. */
static void
sleep_us(u32 us)
{
	struct l4_msg m;

	l4_receive(EXO_ANYTHREAD, &m, EXO_TIMEOUT_US(us), 0);
}

/* ---- the child ---- */

static exo_cap_t fr[NALL];              /* the child's frames (its copy of .bss) */
static enum mode child_mode;
static u8 upcall_stack[8192] __attribute__((aligned(16)));

static void
child_report(u64 a, u64 b, u64 c)
{
	struct l4_msg m = { { EXO_TAG(0, 3, 0), a, b, c } };

	CHECK(l4_send(main_tid, &m, EXO_TIMEOUT_NEVER) == 0);
}

/* The child's frames that are still its own: a mask, each one checked intact. */
static u64
child_intact(void)
{
	u64 mask = 0;

	for (u32 i = 0; i < NALL; i++) {
		struct exo_capinfo ci;

		touch(&ci, sizeof(ci));
		if (cap_info(fr[i], &ci) < 0) {
			CHECK(bind_query(CHILD_VA + i * PAGE) < 0);
			continue;
		}
		CHECK(ci.va == CHILD_VA + i * PAGE);
		CHECK(bind_query(ci.va) == (long)fr[i]);
		CHECK(page_holds((u64 *)ci.va, i));
		mask |= 1ULL << i;
	}
	return mask;
}

/*
 * Read the repossession vector: every entry is a frame of ours outside the
 * reserve, at its address, dead; an autosaved one is read back from the
 * backing store and compared. Returns the mask of frames taken.
 */
static u64
child_repossessed(u64 told)
{
	struct exo_repossession v[EXO_REPOSSESS_MAX];
	long r;
	u64 taken = 0;

	touch(v, sizeof(v));
	r = repossessed(v, EXO_REPOSSESS_MAX);

	CHECK(r >= 0 && (u32)r == told && r >> 32 == 0);
	for (u32 k = 0; k < (u32)r; k++) {
		u32 i;

		for (i = 0; i < NALL && fr[i] != v[k].cap; i++)
			;
		CHECK(i < NFR);                 /* ours, and never the reserve */
		CHECK(v[k].va == CHILD_VA + i * PAGE);
		CHECK(!(taken >> i & 1));
		taken |= 1ULL << i;
		CHECK(bind_query(v[k].va) < 0);
		CHECK(cap_info(fr[i], &(struct exo_capinfo){ 0 }) == -E_STALE);
		if (child_mode == COOP || !autosaved(i)) {
			CHECK(v[k].block == 0);
			continue;
		}
		CHECK(v[k].block != 0);
		{
			long c = frame_alloc(0);

			CHECK(c >= 0);
			CHECK(backing_read(v[k].block - 1, c) == 0);
			CHECK(bind(c, SCRATCH, EXO_BIND_W | EXO_BIND_NOW) == 0);
			CHECK(page_holds((u64 *)SCRATCH, i));
			CHECK(frame_free(c) == 0);
		}
	}
	CHECK(repossessed(v, EXO_REPOSSESS_MAX) == 0);      /* cleared */
	CHECK(repossessed(0, 0) == 0);
	return taken;
}

/* The REVOKE entry: rdi the upcall, rsi and rdx its arguments. */
static void __attribute__((noreturn))
child_upcall(u64 kind, u64 a1, u64 a2)
{
	(void)a2;
	if (kind == EXO_UPCALL_REVOKE && child_mode == COOP) {
		/*
		 * Our choice: every other frame from 1, as many as asked. If
		 * the host kept us from running until the deadline passed, the
		 * kernel took what was still owed (the abort protocol): a frame
		 * it took is stale here, the vector is not empty, and the
		 * REPOSSESS upcall comes next. We report the vector's size.
		 */
		u64 freed = 0;
		long r;

		CHECK(a1 == 3);
		for (u32 i = 1; i < NFR && a1; i += 2, a1--) {
			r = frame_free(fr[i]);
			CHECK(r == 0 || r == -E_STALE);
			if (r == 0)
				freed |= 1ULL << i;
		}
		r = repossessed(0, 0);
		CHECK(r >= 0 && r >> 32 == 0);
		child_report(freed, child_intact(), (u64)r);
	} else if (kind == EXO_UPCALL_REVOKE) {
		CHECK(a1 == 4);                 /* and ignore it */
	} else if (kind == EXO_UPCALL_REPOSSESS) {
		u64 taken = child_repossessed(a1);

		child_report(taken, child_intact(), a1);
	} else {
		CHECK(!"unexpected upcall");
	}
	upcall_wait();
	CHECK(!"upcall_wait returned");
	for (;;)
		;
}

static void
child_main(u64 mode)
{
	struct l4_msg m = { { EXO_TAG(0, NALL, 0) } };

	child_mode = (enum mode)mode;
	if (mode != COOP)
		CHECK(env_backing(mode == ABORT ? 1 : 2) == 0);
	/*
	 * The reserve first: its frames take the lowest slots of the table,
	 * where the abort protocol looks first, so a reserve it did not spare
	 * would show in what it took.
	 */
	for (u32 n = 0; n < NALL; n++) {
		u32 i = (n + NFR) % NALL;
		long c = frame_alloc(mode != COOP && autosaved(i) ? EXO_FRAME_AUTOSAVE : 0);
		u64 *p = (u64 *)(CHILD_VA + i * PAGE);

		CHECK(c >= 0);
		fr[i] = (exo_cap_t)c;
		CHECK(bind(fr[i], (u64)p, EXO_BIND_W |
			   (i >= NFR ? EXO_BIND_GUARANTEED : EXO_BIND_NOW)) == 0);
		for (u32 w = 0; w < WORDS; w++)
			p[w] = pattern(i, w);
		c = cap_pass(fr[i], main_tid, EXO_CAP_R);
		CHECK(c >= 0);
		if (i + 1 < EXO_REG_MRS)
			m.mr[i + 1] = (u64)c;
		else
			l4_utcb()->mr[i + 1] = (u64)c;
	}
	/* Upcalls raised before upcall_wait below are held until then. */
	if (mode != NOENTRY)
		CHECK(env_entry(EXO_ENTRY_REVOKE, (u64)child_upcall,
				(u64)(upcall_stack + sizeof(upcall_stack)) - 8) == 0);
	CHECK(l4_send(main_tid, &m, EXO_TIMEOUT_NEVER) == 0);
	if (mode != NOENTRY) {
		upcall_wait();
		CHECK(!"upcall_wait returned");
	}
	/* No entry: look at the vector now and then. */
	for (;;) {
		long r = repossessed(0, 0);

		CHECK(r >= 0);
		if (r) {
			u64 taken = child_repossessed((u64)r);

			child_report(taken, child_intact(), (u64)r);
			l4_receive(EXO_ANYTHREAD, &m, EXO_TIMEOUT_NEVER, 0);
		}
		sleep_us(2000);
	}
}

/* ---- our side ---- */

static exo_cap_t copy[NALL];            /* ours, passed by the child */
static u64 peek_base;

/* Spawn a child in mode, take its copies, bind them here and check them. */
static u64
spawn_child(enum mode mode)
{
	struct l4_msg m;
	u64 child = task_spawn(child_main, mode), from;

	CHECK(child);
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0 && from == child);
	CHECK(EXO_TAG_U(m.mr[0]) == NALL);
	peek_base += 0x1000000;
	for (u32 i = 0; i < NALL; i++) {
		u64 va = PEEK_VA + peek_base + i * PAGE;

		copy[i] = i + 1 < EXO_REG_MRS ? m.mr[i + 1] : l4_utcb()->mr[i + 1];
		CHECK(bind(copy[i], va, EXO_BIND_R | EXO_BIND_NOW) == 0);
		CHECK(page_holds((u64 *)va, i));
	}
	return child;
}

/* Our copies: the ones in dead must be gone, every other one intact. */
static void
check_copies(u64 dead)
{
	for (u32 i = 0; i < NALL; i++) {
		u64 va = PEEK_VA + peek_base + i * PAGE;
		struct exo_capinfo ci;

		touch(&ci, sizeof(ci));
		if (dead >> i & 1) {
			CHECK(cap_info(copy[i], &ci) == -E_STALE);
			CHECK(bind_query(va) < 0);
		} else {
			CHECK(cap_info(copy[i], &ci) == 0 && ci.va == va && ci.derived);
			CHECK(page_holds((u64 *)va, i));
		}
	}
}

static u64
bits(u64 x)
{
	u64 n = 0;

	for (; x; x &= x - 1)
		n++;
	return n;
}


/*
 * The child's REVOKE entry ran late: the host held it past the deadline and
 * the kernel took what it still owed. Whatever the timing, every frame asked
 * for was given back or taken (a frame given back after the abort is one
 * more), none of the reserve was taken, what is left is intact, and nothing
 * was taken before the deadline. Returns the frames the child lost.
 */
static u64
coop_late(u64 child, u64 freed, u64 intact, u64 told, u64 t0)
{
	struct l4_msg m;
	u64 from, taken;

	CHECK(l4_rdtsc() - t0 > 30000 * l4_kip()->tsc_khz / 1000);  /* not before */
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0);  /* REPOSSESS */
	taken = m.mr[1];
	CHECK(m.mr[3] == told && bits(taken) == told);
	CHECK(!(taken & freed) && !(taken >> NFR));
	CHECK(bits(taken) <= 3 && bits(freed) + bits(taken) >= 3);
	CHECK(intact == (((1ULL << NALL) - 1) & ~(freed | taken)));
	CHECK(m.mr[2] == intact);
	printf("exorevoke coop: the child ran after its deadline (host late): "
	       "gave back 0x%lx, %lu taken (0x%lx)\n", freed, told, taken);
	return freed | taken;
}

static void
case_coop(void)
{
	u64 child = spawn_child(COOP), from, dead, t0;
	u64 chosen = 1 << 1 | 1 << 3 | 1 << 5;
	long ec = env_cap(child, EXO_CAP_W);
	struct l4_msg m;

	CHECK(ec >= 0);
	t0 = l4_rdtsc();
	CHECK(revoke_request(ec, 3, 30000) == 0);
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	dead = m.mr[1];
	CHECK(!(dead & ~chosen));                       /* what it chose */
	if (m.mr[3] == 0) {                             /* in time: all of it */
		CHECK(dead == chosen);
		CHECK(m.mr[2] == (((1ULL << NALL) - 1) & ~dead));
	} else {
		dead = coop_late(child, dead, m.mr[2], m.mr[3], t0);
	}
	check_copies(dead);
	sleep_us(50000);                /* past the deadline: paid, nothing taken */
	check_copies(dead);
	CHECK(revoke_request(ec, NFR - bits(dead) + 1, 30000) == -E_INVAL);  /* more than it has */
}

/* ---- a reader of our copies on another CPU ---- */

static volatile u64 rd_on, rd_done, rd_after, rd_dead, rd_faults, rd_stale, rd_passes;
static u8 rd_xstack[8192] __attribute__((aligned(16)));

/* A read of a copy that is gone: skip the 3-byte load (rd_load) and go on. */
static int
rd_fault(struct exo_xframe *x)
{
	if (x->vector != 14)
		return 1;
	rd_faults++;
	x->rip += 3;
	return 0;
}

static inline u64
rd_load(const volatile u64 *p)
{
	u64 v;

	__asm__ volatile("movq (%%rdi), %%rax" : "=a"(v) : "D"(p) : "memory");
	return v;
}

static void
rd_main(u64 arg)
{
	struct l4_msg m;

	(void)arg;
	if (exo_handler_set(rd_fault, rd_xstack + sizeof(rd_xstack)) < 0)
		exit(91);
	while (rd_on) {
		for (u32 i = 0; i < NFR; i++) {
			u64 a = rd_after, dead = rd_dead, f = rd_faults;

			rd_load((const volatile u64 *)(PEEK_VA + peek_base + i * PAGE));
			if (a && dead >> i & 1 && rd_faults == f)
				rd_stale++;
		}
		rd_passes++;
	}
	exo_handler_set(0, 0);
	rd_done = 1;
	l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0);        /* for ever */
}

static void
case_abort(enum mode mode)
{
	u64 child = spawn_child(mode), from;
	long ec = env_cap(child, EXO_CAP_W);
	u64 want = mode == ABORT ? 4 : 2;
	bool smp = l4_kip()->ncpus >= 2;
	struct l4_msg m;
	u64 t0;

	CHECK(ec >= 0);
	if (smp) {
		rd_on = 1;
		rd_done = rd_after = rd_dead = rd_faults = rd_stale = rd_passes = 0;
		CHECK(thread_spawn_on(1, rd_main, 0));
		while (rd_passes < 3)   /* it reads our copies on CPU 1 */
			;
	}
	t0 = l4_rdtsc();
	CHECK(revoke_request(ec, want, 20000) == 0);
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	if (smp) {
		u64 p;

		rd_dead = m.mr[1];      /* taken: the shootdown is long done */
		rd_after = 1;
		p = rd_passes;
		while (rd_passes < p + 3)
			;
		rd_on = 0;
		while (!rd_done)
			;
		CHECK(rd_stale == 0);
		CHECK(rd_faults >= 3 * bits(m.mr[1]));
		printf("exorevoke %s: a reader on CPU 1 faulted %lu times on the frames "
		       "taken, 0 stale reads\n", mode == ABORT ? "abort" : "noentry", rd_faults);
	}
	CHECK(l4_rdtsc() - t0 > 20000 * l4_kip()->tsc_khz / 1000);  /* not before */
	CHECK(m.mr[3] == want);                                     /* taken */
	CHECK(bits(m.mr[1]) == want);
	CHECK(!(m.mr[1] >> NFR));                                  /* no reserve */
	CHECK(m.mr[1] & 0xaa);                                     /* an autosave one */
	CHECK(m.mr[2] == (((1ULL << NALL) - 1) & ~m.mr[1]));
	check_copies(m.mr[1]);
}

static void
case_errors(void)
{
	u64 child = spawn_child(COOP);
	long ec = env_cap(child, EXO_CAP_W), er = env_cap(child, EXO_CAP_R);
	struct exo_repossession v[2];

	CHECK(ec >= 0 && er >= 0);
	CHECK(revoke_request(er, 1, 1000) == -E_PERM);
	CHECK(revoke_request(copy[0], 1, 1000) == -E_BADTYPE);
	CHECK(revoke_request(EXO_CAP(EXO_NCAPS - 1, 1), 1, 1000) == -E_BADCAP);
	CHECK(revoke_request(ec, 0, 1000) == -E_INVAL);
	CHECK(revoke_request(ec, NFR + 1, 1000) == -E_INVAL);      /* not the reserve */
	CHECK(revoke_request(ec, ~0ULL, 1000) == -E_INVAL);
	CHECK(revoke_request(ec, 1, 0) == -E_INVAL);
	CHECK(revoke_request(ec, 1, 10000001) == -E_INVAL);
	CHECK(repossessed(v, EXO_REPOSSESS_MAX + 1) == -E_INVAL);
	CHECK(repossessed((void *)0x10, 1) == 0);       /* nothing to copy: untouched */
	CHECK(env_backing(0) == -E_INVAL);
	CHECK(env_backing(EXO_BACKING_STORES + 1) == -E_INVAL);
	CHECK(env_backing(3) == 0);
	CHECK(env_backing(3) == -E_EXIST);
	CHECK(env_backing(4) == -E_EXIST);
	CHECK(backing_read(0, copy[0]) == -E_PERM);                /* copy is R only */
	{
		long c = frame_alloc(0);

		CHECK(c >= 0);
		CHECK(backing_read(0, c) == -E_NOENT);                 /* never saved */
		CHECK(backing_read(1ULL << 40, c) == -E_NOENT);
		CHECK(frame_free(c) == 0);
	}
	CHECK(upcall_wait() == -E_PERM);                /* no entry thread here */
	check_copies(0);                                /* nothing changed */
}

static void
case_abort_entry(void)
{
	case_abort(ABORT);
}

static void
case_abort_noentry(void)
{
	case_abort(NOENTRY);
}

static const struct scenario_case cases[] = {
	{ "coop", case_coop },
	{ "abort", case_abort_entry },
	{ "noentry", case_abort_noentry },
	{ "errors", case_errors },
};

int
main(int argc, char **argv)
{
	main_tid = l4_myself();
	return scenario_main("exorevoke", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
