/*
 * Exokernel scenarios for the test suite: `exotest CASE...`. Exit status 0
 * means every check held; otherwise the status is the failing check's line
 * (low byte) and a console line says which. `nested` and `badentry` end by
 * being killed, on purpose: the suite checks the status and the report.
 * `xforge` and `xforgebusy` need two CPUs (--cpus 2).
 */
#include "exo.h"
#include "libos.h"
#include "scenario.h"
#include "task.h"

static u64 main_tid;
static u8 xstack[16384] __attribute__((aligned(16)));
#define XSTACK_TOP (xstack + sizeof(xstack))

/* ---- demand-zero paging over bindings, from the library OS's own handler ---- */

#define DEMAND_BASE     0x380000000000ULL
#define DEMAND_PAGES    64
#define DEMAND_CLUSTER  8       /* pages bound per upcall: one now, the rest lazily */

static struct {
	u64 upcalls, bound;
	exo_cap_t caps[DEMAND_PAGES];
} demand;

static int
demand_fault(struct exo_xframe *x)
{
	u64 page = x->cr2 & ~(EXO_PAGE_SIZE - 1), first;

	if (x->vector != 14 || page < DEMAND_BASE ||
	    page >= DEMAND_BASE + DEMAND_PAGES * EXO_PAGE_SIZE)
		return 1;       /* not ours: decline, the thread dies */
	demand.upcalls++;
	first = page & ~(DEMAND_CLUSTER * EXO_PAGE_SIZE - 1);
	for (u64 i = 0; i < DEMAND_CLUSTER; i++) {
		u64 va = first + i * EXO_PAGE_SIZE;
		u64 n = (va - DEMAND_BASE) / EXO_PAGE_SIZE;
		long c;

		if (demand.caps[n])
			continue;
		if ((c = frame_alloc(0)) < 0)
			return 1;
		if (bind((exo_cap_t)c, va, EXO_BIND_R | EXO_BIND_W |
			 (va == page ? EXO_BIND_NOW : 0)) < 0)
			return 1;
		demand.caps[n] = (exo_cap_t)c;
		demand.bound++;
	}
	return 0;
}

static void
case_demand(void)
{
	volatile u64 *p;

	memset(&demand, 0, sizeof(demand));
	CHECK(exo_handler_set(demand_fault, XSTACK_TOP) == 0);
	/* Frames come zero-filled: every first read sees 0. */
	for (u64 i = 0; i < DEMAND_PAGES; i++) {
		p = (volatile u64 *)(DEMAND_BASE + i * EXO_PAGE_SIZE);
		CHECK(p[i % 512] == 0);
		p[i % 512] = 0xd0d0 + i;
	}
	for (u64 i = 0; i < DEMAND_PAGES; i++) {
		p = (volatile u64 *)(DEMAND_BASE + i * EXO_PAGE_SIZE);
		CHECK(p[i % 512] == 0xd0d0 + i);
		CHECK(bind_query((u64)p + 8) == (long)demand.caps[i]);
	}
	/* One upcall per cluster; every other first touch was the software TLB's. */
	CHECK(demand.upcalls == DEMAND_PAGES / DEMAND_CLUSTER);
	CHECK(demand.bound == DEMAND_PAGES);
	printf("exotest demand: %d pages, %d upcalls, %d software-TLB fills (%d%%)\n",
	       DEMAND_PAGES, (int)demand.upcalls, (int)(DEMAND_PAGES - demand.upcalls),
	       (int)(100 * (DEMAND_PAGES - demand.upcalls) / DEMAND_PAGES));
	for (u64 i = 0; i < DEMAND_PAGES; i++)
		CHECK(frame_free(demand.caps[i]) == 0);
	CHECK(bind_query(DEMAND_BASE) == -E_NOENT);
	CHECK(exo_handler_set(0, 0) == 0);
}

/* ---- capabilities: forged, stale, under-privileged, wrong type ---- */

#define CAPS_VA 0x390000000000ULL

static void
case_caps(void)
{
	struct exo_capinfo ci;
	long c, r, d, e, c2, d2;

	CHECK((c = frame_alloc(0)) > 0);
	CHECK(cap_info((exo_cap_t)c, &ci) == 0);
	CHECK(ci.type == EXO_CAP_FRAME && ci.rights == EXO_CAP_ALL && !ci.va && !ci.derived);
	/* Forged: an index past the table, a free slot, a generation never issued. */
	CHECK(bind(EXO_CAP(EXO_NCAPS, 1), CAPS_VA, EXO_BIND_R) == -E_BADCAP);
	CHECK(bind(EXO_CAP(EXO_NCAPS - 1, 1), CAPS_VA, EXO_BIND_R) == -E_BADCAP);
	CHECK(bind(EXO_CAP(EXO_CAP_INDEX(c), EXO_CAP_GEN(c) + 7), CAPS_VA, EXO_BIND_R) == -E_BADCAP);
	CHECK(bind((exo_cap_t)c | 1ULL << 40, CAPS_VA, EXO_BIND_R) == -E_BADCAP);
	/* Under-privileged: a read-only copy binds read-only, never writable. */
	CHECK((r = cap_derive((exo_cap_t)c, EXO_CAP_R)) > 0);
	CHECK(cap_derive((exo_cap_t)r, EXO_CAP_R | EXO_CAP_W) == -E_PERM);
	CHECK(bind((exo_cap_t)r, CAPS_VA, EXO_BIND_R | EXO_BIND_W) == -E_PERM);
	CHECK(frame_free((exo_cap_t)r) == -E_PERM);     /* only the owner frees */
	/* Wrong type: an environment is not a frame. */
	CHECK((e = env_cap(main_tid, EXO_CAP_X)) > 0);
	CHECK(bind((exo_cap_t)e, CAPS_VA, EXO_BIND_R) == -E_BADTYPE);
	/* Bad places: below user memory, over our own text, twice. */
	CHECK(bind((exo_cap_t)c, EXO_USER_KIP, EXO_BIND_R) == -E_INVAL);
	CHECK(bind((exo_cap_t)c, CAPS_VA + 1, EXO_BIND_R) == -E_INVAL);
	CHECK(bind((exo_cap_t)c, EXO_PAGE_DOWN((u64)case_caps), EXO_BIND_R) == -E_EXIST);
	CHECK(bind((exo_cap_t)c, CAPS_VA, EXO_BIND_R | EXO_BIND_W | EXO_BIND_NOW) == 0);
	CHECK(bind((exo_cap_t)c, CAPS_VA + EXO_PAGE_SIZE, EXO_BIND_R) == -E_EXIST);
	CHECK(bind((exo_cap_t)r, CAPS_VA, EXO_BIND_R) == -E_EXIST);
	/* An alias through the read-only copy sees the same frame. */
	CHECK(bind((exo_cap_t)r, CAPS_VA + EXO_PAGE_SIZE, EXO_BIND_R) == 0);
	*(volatile u64 *)CAPS_VA = 0x1234;
	CHECK(*(volatile u64 *)(CAPS_VA + EXO_PAGE_SIZE) == 0x1234);
	CHECK(bind_query(CAPS_VA + EXO_PAGE_SIZE + 5) == r);
	CHECK(cap_info((exo_cap_t)r, &ci) == 0);
	CHECK(ci.rights == EXO_CAP_R && ci.va == CAPS_VA + EXO_PAGE_SIZE && ci.derived);
	CHECK(unbind((exo_cap_t)r) == 0);
	CHECK(unbind((exo_cap_t)r) == -E_NOENT);
	CHECK(bind_query(CAPS_VA + EXO_PAGE_SIZE) == -E_NOENT);
	/* Stale: dropped capabilities, and copies of a dropped one. */
	CHECK(cap_drop((exo_cap_t)r) == 0);
	CHECK(bind((exo_cap_t)r, CAPS_VA + EXO_PAGE_SIZE, EXO_BIND_R) == -E_STALE);
	CHECK(cap_info((exo_cap_t)r, &ci) == -E_STALE);
	CHECK((c2 = frame_alloc(0)) > 0);
	CHECK((d2 = cap_derive((exo_cap_t)c2, EXO_CAP_R | EXO_CAP_W)) > 0);
	CHECK(bind((exo_cap_t)d2, CAPS_VA + 2 * EXO_PAGE_SIZE, EXO_BIND_W) == 0);
	CHECK(frame_free((exo_cap_t)c2) == 0);
	CHECK(bind_query(CAPS_VA + 2 * EXO_PAGE_SIZE) == -E_NOENT);
	CHECK(unbind((exo_cap_t)d2) == -E_STALE);
	/* The slot is reused with a new generation; the old name stays stale. */
	CHECK((d = frame_alloc(0)) > 0);
	CHECK(cap_info((exo_cap_t)c2, &ci) == -E_STALE);
	CHECK(frame_free((exo_cap_t)d) == 0);
	CHECK(frame_free((exo_cap_t)c) == 0);
	CHECK(bind_query(CAPS_VA) == -E_NOENT);
	CHECK(cap_drop((exo_cap_t)e) == 0);
}

/* ---- another environment cannot bind our frame; a passed copy is limited ---- */

#define FOREIGN_VA 0x3a0000000000ULL

static void
foreign_child(u64 arg)
{
	struct l4_msg m = { 0 };
	u64 from, bad = 0;
	long passed;

	/* The parent's own name for its frame means nothing here. Before the
	 * parent passes a copy (which could land under that very name). */
	bad |= (bind((exo_cap_t)arg, FOREIGN_VA, EXO_BIND_R) >= 0) << 0;
	m.mr[0] = EXO_TAG(0, 1, 0);
	m.mr[1] = bad;
	CHECK(l4_call(main_tid, &m) == 0);
	passed = (long)m.mr[1];
	bad |= (bind((exo_cap_t)passed, FOREIGN_VA, EXO_BIND_R | EXO_BIND_W) != -E_PERM) << 1;
	bad |= (cap_pass((exo_cap_t)passed, main_tid, EXO_CAP_R) != -E_PERM) << 2;
	bad |= (bind((exo_cap_t)passed, FOREIGN_VA, EXO_BIND_R | EXO_BIND_NOW) != 0) << 3;
	bad |= (*(volatile u64 *)FOREIGN_VA != 0xfeed) << 4;
	m.mr[0] = EXO_TAG(0, 1, 0);
	m.mr[1] = bad;
	l4_call(main_tid, &m);                  /* the parent revokes, then replies */
	bad |= (bind_query(FOREIGN_VA) != -E_NOENT) << 5;
	bad |= (unbind((exo_cap_t)passed) != -E_STALE) << 6;
	m.mr[0] = EXO_TAG(0, 1, 0);
	m.mr[1] = bad;
	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
	for (;;)
		l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, &from);
}

static void
case_foreign(void)
{
	struct l4_msg m = { 0 };
	u64 child, from;
	long c, passed;

	CHECK((c = frame_alloc(0)) > 0);
	CHECK(bind((exo_cap_t)c, FOREIGN_VA, EXO_BIND_W | EXO_BIND_NOW) == 0);
	*(volatile u64 *)FOREIGN_VA = 0xfeed;
	CHECK((child = task_spawn(foreign_child, (u64)c)) != 0);
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	CHECK(m.mr[1] == 0);            /* it tried our name first */
	CHECK((passed = cap_pass((exo_cap_t)c, child, EXO_CAP_R)) > 0);
	CHECK(cap_pass((exo_cap_t)c, EXO_TID(200, 77), EXO_CAP_R) == -E_NOENT);
	m.mr[0] = EXO_TAG(0, 1, 0);
	m.mr[1] = (u64)passed;
	CHECK(l4_send(child, &m, EXO_TIMEOUT_NEVER) == 0);
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	CHECK(m.mr[1] == 0);
	/* Dropping our capability takes the child's copy and its binding. */
	CHECK(frame_free((exo_cap_t)c) == 0);
	m.mr[0] = EXO_TAG(0, 0, 0);
	CHECK(l4_send(child, &m, EXO_TIMEOUT_NEVER) == 0);
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	CHECK(m.mr[1] == 0);
}

/* ---- exceptions handled in user mode, registers intact ---- */

static int ex_count[32];

static int
skip_fault(struct exo_xframe *x)
{
	ex_count[x->vector & 31]++;
	switch (x->vector) {
	case 6:  x->rip += 2; return 0;         /* ud2 */
	case 0:  x->rip += 3; return 0;         /* div %rcx */
	case 13: x->rip += 1; return 0;         /* hlt */
	}
	return 1;
}

static void
case_exceptions(void)
{
	u64 a = 0x1111, b = 0x2222, c = 0x3333, d = 0x4444;

	CHECK(exo_handler_set(skip_fault, XSTACK_TOP) == 0);
	for (int i = 0; i < 10; i++) {
		__asm__ volatile("ud2" : "+b"(a), "+r"(b), "+r"(c), "+r"(d) : : "memory");
		CHECK(a == 0x1111 && b == 0x2222 && c == 0x3333 && d == 0x4444);
	}
	CHECK(ex_count[6] == 10);
	{
		register u64 rax __asm__("rax") = 77;
		register u64 rdx __asm__("rdx") = 0;
		register u64 rcx __asm__("rcx") = 0;

		__asm__ volatile(".byte 0x48, 0xf7, 0xf1"     /* div %rcx: #DE */
				 : "+a"(rax), "+d"(rdx), "+c"(rcx) : : "memory");
		CHECK(rax == 77);
	}
	CHECK(ex_count[0] == 1);
	__asm__ volatile("hlt" ::: "memory");         /* #GP in ring 3 */
	CHECK(ex_count[13] == 1);
	CHECK(exo_xframe()->vector == 0);
	CHECK(exo_handler_set(0, 0) == 0);
}

/* ---- a handler that faults is not upcalled again: the thread dies ---- */

static int
fault_in_handler(struct exo_xframe *x)
{
	(void)x;
	__asm__ volatile("ud2");
	return 0;
}

static void
case_nested(void)
{
	CHECK(exo_handler_set(fault_in_handler, XSTACK_TOP) == 0);
	__asm__ volatile("ud2");
	scenario_fail(__LINE__, "survived a fault in its exception handler");
}

/* ---- an entry point that is no user address kills the thread, not the kernel ---- */

static void
case_badentry(void)
{
	CHECK(exo_handler_set(skip_fault, XSTACK_TOP) == 0);
	exo_xframe()->entry_pc = 0x8000000000000000ULL;  /* our own frame: we may */
	__asm__ volatile("ud2");
	scenario_fail(__LINE__, "survived a bad exception entry");
}

static u8 loop_xstack[4096] __attribute__((aligned(16)));

static void
exception_loop(u64 arg)
{
	(void)arg;
	CHECK(exo_handler_set(skip_fault, loop_xstack + sizeof(loop_xstack)) == 0);
	for (;;)
		__asm__ volatile("ud2" ::: "memory");
}

/*
 * A thread of main's priority that takes exceptions to its own handler in
 * a tight loop must not keep main's timeout out. (Measured: on a PVM host
 * this loop lets the timer in, unlike a loop of system calls; the case
 * keeps it so.)
 */
static void
case_starve(void)
{
	scenario_sleep_beside(exception_loop, 0, "an exception loop");
}

/* ---- the bind and unbind fast paths (bind_fast.S) do what the general path does ---- */

/*
 * A seeded random run of binds (good and bad capabilities, addresses and
 * flags), unbinds, queries and touches, once with the fast entry on and once
 * with it off (KTEST_FASTPATH): every result and the kernel's binding state
 * (KTEST_BIND_DIGEST, every 100 operations and at the end) must match.
 * Needs the ktest boot option; where the platform has no fast entry
 * (-E_INVAL) it checks the general path against itself.
 */
#define BF_BASE         0x3a0000000000ULL
#define BF_FRAMES       24
#define BF_COPIES       4       /* read-only copies of the first frames */
#define BF_OPS          1200
#define BF_MARK(i)      (0xb1d0000ULL + (i))

static struct {
	u64 rand;
	exo_cap_t frame[BF_FRAMES], copy[BF_COPIES], env, stale;
	bool writable[BF_FRAMES + BF_COPIES];
	unsigned binds, unbinds;        /* calls made (a traced run counts them) */
} bf;

static u64
bf_next(void)
{
	bf.rand = bf.rand * 6364136223846793005ULL + 1442695040888963407ULL;
	return bf.rand >> 33;
}

/* A capability to present, and which of ours it is (-1: none of ours). */
static exo_cap_t
bf_cap(int *which)
{
	u64 r = bf_next() % 100, i = bf_next();

	*which = -1;
	if (r < 70) {
		*which = (int)(i % BF_FRAMES);
		return bf.frame[*which];
	}
	if (r < 80) {
		*which = BF_FRAMES + (int)(i % BF_COPIES);
		return bf.copy[i % BF_COPIES];
	}
	if (r < 84)
		return bf.env;
	if (r < 88)
		return bf.stale;
	if (r < 92)
		return EXO_CAP(i % EXO_NCAPS, i >> 9 & 3);     /* forged, mostly */
	if (r < 96)
		return bf.frame[i % BF_FRAMES] | 1ULL << (32 + i % 32);
	return EXO_CAP(EXO_NCAPS + i % 1000, 1);
}

static u64
bf_va(void)
{
	static const u64 odd[] = { BF_BASE + 8, 0x1000, 0, EXO_USER_END,
				   0xffff800000000000ULL, EXO_USER_END - EXO_PAGE_SIZE };
	u64 r = bf_next() % 100, i = bf_next();

	if (r < 60)
		return BF_BASE + (i % 32) * EXO_PAGE_SIZE;
	if (r < 75)     /* the same software-TLB entries as the first 8 */
		return BF_BASE + (EXO_STLB_ENTRIES + i % 8) * EXO_PAGE_SIZE;
	if (r < 88)     /* another leaf table */
		return BF_BASE + 0x200000 + (i % 8) * EXO_PAGE_SIZE;
	if (r < 92)     /* mapped, not bound: this program's own data */
		return (u64)&bf & ~(EXO_PAGE_SIZE - 1);
	return odd[i % (sizeof(odd) / sizeof(odd[0]))];
}

static u64
bf_flags(void)
{
	static const u64 f[] = {
		EXO_BIND_R, EXO_BIND_W, EXO_BIND_R | EXO_BIND_W | EXO_BIND_X, EXO_BIND_X, 0,
		EXO_BIND_W | EXO_BIND_NOW, EXO_BIND_NOW, EXO_BIND_X | EXO_BIND_NOW,
		EXO_BIND_R | EXO_BIND_W | EXO_BIND_X | EXO_BIND_NOW, EXO_BIND_W | EXO_BIND_NOW,
		EXO_BIND_W, EXO_BIND_R | EXO_BIND_NOW,
		EXO_BIND_GUARANTEED, EXO_BIND_W | EXO_BIND_GUARANTEED, 0x40,
		EXO_BIND_W | 1ULL << 32,
	};

	return f[bf_next() % (sizeof(f) / sizeof(f[0]))];
}

/* Read (and maybe write) the page a capability of ours is bound at, if any. */
static u64
bf_touch(int which, bool write)
{
	exo_cap_t c = which < BF_FRAMES ? bf.frame[which] : bf.copy[which - BF_FRAMES];
	int frame = which < BF_FRAMES ? which : which - BF_FRAMES;
	struct exo_capinfo ci;
	volatile u64 *p;

	CHECK(cap_info(c, &ci) == 0);
	if (!ci.va)
		return 0;
	CHECK(bind_query(ci.va) == (long)c);
	p = (volatile u64 *)ci.va;
	CHECK(*p == 0 || *p == BF_MARK(frame));        /* the right frame */
	if (write && bf.writable[which])
		*p = BF_MARK(frame);
	return ci.va;
}

static u64
bf_fold(u64 h, u64 v)
{
	return (h ^ v) * 0x100000001b3ULL;
}

/* One run from seed: the hash of every result and of the state on the way. */
static u64
bf_run(u64 seed)
{
	u64 h = 0;

	bf.rand = seed;
	ktest(KTEST_BIND_DIGEST, 1);
	for (int n = 0; n < BF_OPS; n++) {
		u64 r = bf_next() % 100, flags;
		int which;
		exo_cap_t c;
		long res;

		if (r < 55) {
			c = bf_cap(&which);
			flags = bf_flags();
			/* The raw call: flags may have bits in the high half. */
			res = l4_syscall5(SYS_bind, (long)c, (long)bf_va(), (long)flags, 0, 0);
			bf.binds++;
			if (res == 0 && which >= 0)
				bf.writable[which] = flags & EXO_BIND_W;
		} else if (r < 75) {
			res = unbind(bf_cap(&which));
			bf.unbinds++;
		} else if (r < 85) {
			res = bind_query(bf_va());
		} else {
			res = (long)bf_touch((int)(bf_next() % (BF_FRAMES + BF_COPIES)), r >= 95);
		}
		h = bf_fold(h, (u64)res);
		if (n % 100 == 99)
			h = bf_fold(h, (u64)ktest(KTEST_BIND_DIGEST, 0));
	}
	h = bf_fold(h, (u64)ktest(KTEST_BIND_DIGEST, 0));
	for (int i = 0; i < BF_FRAMES; i++)
		unbind(bf.frame[i]);
	for (int i = 0; i < BF_COPIES; i++)
		unbind(bf.copy[i]);
	bf.unbinds += BF_FRAMES + BF_COPIES;
	return h;
}

/* The bind and unbind fast entries on or off; how they were (1 on, 0 off,
 * -E_INVAL: this platform has none), the same for both or -1. */
static long
bf_fast(bool on)
{
	long b = ktest(KTEST_FASTPATH, SYS_bind | (on ? KTEST_FAST_ON : 0));
	long u = ktest(KTEST_FASTPATH, SYS_unbind | (on ? KTEST_FAST_ON : 0));

	return b == u ? b : -1;
}

static void
case_bindfast(void)
{
	long was, c;
	u64 empty;

	for (int i = 0; i < BF_FRAMES; i++) {
		CHECK((c = frame_alloc(0)) > 0);
		bf.frame[i] = (exo_cap_t)c;
	}
	for (int i = 0; i < BF_COPIES; i++) {
		CHECK((c = cap_derive(bf.frame[i], EXO_CAP_R)) > 0);
		bf.copy[i] = (exo_cap_t)c;
	}
	CHECK((c = env_cap(main_tid, EXO_CAP_ALL)) > 0);
	bf.env = (exo_cap_t)c;
	CHECK((c = frame_alloc(0)) > 0);
	CHECK(frame_free((exo_cap_t)c) == 0);
	bf.stale = (exo_cap_t)c;
	was = bf_fast(true);
	CHECK(was == 1 || was == -E_INVAL);
	empty = (u64)ktest(KTEST_BIND_DIGEST, 1);
	for (u64 seed = 1; seed <= 3; seed++) {
		u64 fast = bf_run(seed), general;

		CHECK((u64)ktest(KTEST_BIND_DIGEST, 1) == empty);
		if (was == 1)
			CHECK(bf_fast(false) == 1);
		general = bf_run(seed);
		CHECK((u64)ktest(KTEST_BIND_DIGEST, 1) == empty);
		if (was == 1)
			CHECK(bf_fast(true) == 0);
		CHECK(fast == general);
	}
	for (int i = 0; i < BF_FRAMES; i++)
		CHECK(frame_free(bf.frame[i]) == 0);
	CHECK(cap_drop(bf.env) == 0);
	/* Every call, fast or general: a traced run has a record of each. */
	printf("bindfast: %u binds, %u unbinds\n", bf.binds, bf.unbinds);
}

/* ---- the FPU/SSE state survives interrupts and page faults ---- */

/*
 * A thread keeps values in all sixteen XMM registers, makes no system call,
 * and is stopped by the kernel: preempted by the timer while a thread that
 * sets every XMM register to all-ones runs, or by a page fault whose pager
 * does the same before it replies. It must find its values again (trap.c
 * fpu_save; a system call may change them, <exo/syscall.h>).
 */
#define FPU_FAULT_BASE  0x3b0000000000ULL
#define FPU_FAULT_PAGES 8

static u64 fpu_want[32] __attribute__((aligned(16)));
static u64 fpu_got[32] __attribute__((aligned(16)));
static volatile u64 fpu_clobbers, fpu_stop;

#define XMM_ALL(op) \
	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) \
	op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15)
#define XMM_LOAD(n)  "movdqa " #n " * 16(%[w]), %%xmm" #n "\n\t"
#define XMM_STORE(n) "movdqa %%xmm" #n ", " #n " * 16(%[g])\n\t"
#define XMM_ONES(n)  "pcmpeqd %%xmm" #n ", %%xmm" #n "\n\t"

static void
fpu_clobber(void)
{
	__asm__ volatile(XMM_ALL(XMM_ONES) ::: EXO_SYSCALL_FPU_CLOBBERS);
}

/* Beside the main thread, same priority: runs only when it is preempted. */
static void
fpu_clobber_loop(u64 arg)
{
	(void)arg;
	while (!fpu_stop) {
		fpu_clobber();
		fpu_clobbers++;
	}
}

/*
 * Load the registers, then spin until the clobbering loop has run (read
 * with the values in place) or a second passed; store them. Returns whether
 * it ran meanwhile.
 */
static bool
fpu_hold_while_preempted(void)
{
	u64 start = fpu_clobbers, now, limit = l4_rdtsc() + l4_kip()->tsc_khz * 1000;

	__asm__ volatile(XMM_ALL(XMM_LOAD)
			 "1:\tmov (%[c]), %[now]\n\t"
			 "cmp %[start], %[now]\n\t"
			 "jne 2f\n\t"
			 "rdtsc\n\t"
			 "shl $32, %%rdx\n\t"
			 "or %%rdx, %%rax\n\t"
			 "cmp %[limit], %%rax\n\t"
			 "jb 1b\n"
			 "2:\t" XMM_ALL(XMM_STORE)
			 : [now] "=&r"(now)
			 : [w] "r"(fpu_want), [g] "r"(fpu_got), [c] "r"(&fpu_clobbers),
			   [start] "r"(start), [limit] "r"(limit)
			 : "rax", "rdx", "memory", "cc", EXO_SYSCALL_FPU_CLOBBERS);
	return now != start;
}

/* The pager of fpu_toucher: every reply comes after all-ones in every XMM. */
static void
fpu_pager(u64 arg)
{
	struct l4_msg m;
	u64 from, err, page = (u64)mem_alloc(12);

	(void)arg;
	CHECK(page);
	err = l4_wait(&m, &from);
	for (;;) {
		u64 addr = m.mr[1];

		if (err || !EXO_LABEL_IS_PF(EXO_TAG_LABEL(m.mr[0])) ||
		    addr < FPU_FAULT_BASE ||
		    addr >= FPU_FAULT_BASE + FPU_FAULT_PAGES * EXO_PAGE_SIZE) {
			err = l4_wait(&m, &from);
			continue;
		}
		m.mr[0] = EXO_TAG(0, 0, 2);
		m.mr[1] = EXO_ITEM_MAP | EXO_PAGE_DOWN(addr);
		m.mr[2] = EXO_FPAGE(page, 12, EXO_RW);
		fpu_clobber();
		fpu_clobbers++;
		err = l4_reply_wait(from, &m, &from);
	}
}

/* Waits for the go, then holds its registers over a write to each page. */
static void
fpu_toucher(u64 arg)
{
	struct l4_msg m;

	(void)arg;
	l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0);
	__asm__ volatile(XMM_ALL(XMM_LOAD)
			 "mov %[n], %%ecx\n\t"
			 "mov %[base], %%rax\n"
			 "1:\tmovq $1, (%%rax)\n\t"
			 "add $4096, %%rax\n\t"
			 "dec %%ecx\n\t"
			 "jnz 1b\n\t"
			 XMM_ALL(XMM_STORE)
			 :
			 : [w] "r"(fpu_want), [g] "r"(fpu_got), [n] "i"(FPU_FAULT_PAGES),
			   [base] "r"(FPU_FAULT_BASE)
			 : "rax", "rcx", "memory", "cc", EXO_SYSCALL_FPU_CLOBBERS);
	m = (struct l4_msg){ { EXO_TAG(0, 0, 0) } };
	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
}

static bool
fpu_intact(void)
{
	for (u32 i = 0; i < 32; i++)
		if (fpu_got[i] != fpu_want[i])
			return false;
	return true;
}

static void
case_fpu(void)
{
	struct l4_msg m = { { EXO_TAG(0, 0, 0) } };
	u64 loop, pager, toucher, c0;

	for (u32 i = 0; i < 32; i++)
		fpu_want[i] = 0x0f0f000000000000ULL | (u64)i << 32 | i * 0x01010101u;
	/* Preempted by the timer. */
	fpu_stop = 0;
	loop = thread_spawn(fpu_clobber_loop, 0);
	CHECK(loop);
	CHECK(fpu_hold_while_preempted());      /* it ran: we were preempted */
	CHECK(fpu_intact());
	fpu_stop = 1;
	CHECK(l4_thread_control(loop, EXO_NILTHREAD, 0, 0, -1) == 0);
	/* Stopped by page faults, served by a pager that clobbers. */
	for (u32 i = 0; i < 32; i++)
		fpu_got[i] = 0;
	pager = thread_spawn(fpu_pager, 0);
	toucher = thread_spawn(fpu_toucher, 0);
	CHECK(pager && toucher);
	CHECK(l4_exchange_registers(toucher, EXR_SET_PAGER, 0, 0, pager, 0, 0) >= 0);
	c0 = fpu_clobbers;
	CHECK(l4_send(toucher, &m, EXO_TIMEOUT_NEVER) == 0);
	CHECK(l4_receive(toucher, &m, EXO_TIMEOUT_NEVER, 0) == 0);
	CHECK(fpu_clobbers - c0 == FPU_FAULT_PAGES);    /* one reply a page */
	CHECK(fpu_intact());
	CHECK(l4_thread_control(toucher, EXO_NILTHREAD, 0, 0, -1) == 0);
	CHECK(l4_thread_control(pager, EXO_NILTHREAD, 0, 0, -1) == 0);
	printf("exotest fpu: XMM state kept over a preemption and %u page faults\n",
	       FPU_FAULT_PAGES);
}

/*
 * ---- the exception frame in the UTCB decides nothing ----
 * Another thread of the space may write the frame at any time; the kernel
 * must take every fault of ours as ours. The forger runs on CPU 1 and keeps
 * writing kernel selectors into CS and SS and IOPL 3 into RFLAGS (and, for
 * xforgebusy, a vector: the frame in use) while this thread faults on CPU 0.
 */
#define KERNEL_CS       0x08
#define KERNEL_SS       0x10
#define RFLAGS_IOPL3    0x3000ULL

/* The user selectors, as the platform says them: the frame's cs and ss
 * when the entry is registered (<exo/exo.h>). exo's own on KVM, Linux's on
 * the hosted platform. */
static u64 user_cs, user_ss;

static void
selectors_learn(void)
{
	user_cs = exo_xframe()->cs & 0xffff;
	user_ss = exo_xframe()->ss & 0xffff;
	CHECK((user_cs & 3) == 3 && (user_ss & 3) == 3);        /* ring 3's */
	CHECK(user_cs != KERNEL_CS && user_ss != KERNEL_SS);
}

static volatile u64 forge_rounds, forge_stop, forge_busy;
static struct exo_xframe *volatile forge_target;        /* 0: none */

/*
 * One round of stores into the frame at x. A page fault in them (in
 * xforgebusy the victim died and its UTCB went with it) resumes after them:
 * forge_fault below.
 */
static __attribute__((noinline)) void
forge_once(volatile struct exo_xframe *x, u64 busy)
{
	__asm__ volatile("forge_store_begin:\n\t"
			 "movq %[cs], %c[o_cs](%[x])\n\t"
			 "movq %[ss], %c[o_ss](%[x])\n\t"
			 "movq %[fl], %c[o_fl](%[x])\n\t"
			 "test %[busy], %[busy]\n\t"
			 "jz forge_store_end\n\t"
			 "movq $6, (%[x])\n"
			 "forge_store_end:"
			 :
			 : [x] "r"(x), [busy] "r"(busy), [cs] "i"(KERNEL_CS), [ss] "i"(KERNEL_SS),
			   [fl] "i"(RFLAGS_IOPL3 | 0x202),
			   [o_cs] "i"(__builtin_offsetof(struct exo_xframe, cs)),
			   [o_ss] "i"(__builtin_offsetof(struct exo_xframe, ss)),
			   [o_fl] "i"(__builtin_offsetof(struct exo_xframe, rflags))
			 : "memory", "cc");
}

extern const char forge_store_begin[], forge_store_end[];

static int
forge_fault(struct exo_xframe *x)
{
	if (x->vector == 14 && x->rip >= (u64)forge_store_begin &&
	    x->rip < (u64)forge_store_end) {
		x->rip = (u64)forge_store_end;
		return 0;
	}
	return skip_fault(x);
}

static void
forger(u64 arg)
{
	(void)arg;
	while (!forge_stop) {
		volatile struct exo_xframe *x = forge_target;

		if (x)
			forge_once(x, forge_busy);
		forge_rounds++;
	}
}

/* Ring 3 and IOPL 0, whatever anyone wrote into the frame. */
static bool
still_user(void)
{
	u64 cs, ss, fl;

	__asm__ volatile("mov %%cs, %0; mov %%ss, %1; pushfq; pop %2"
			 : "=r"(cs), "=r"(ss), "=r"(fl));
	return (cs & 0xffff) == user_cs && (ss & 0xffff) == user_ss &&
	       !(fl & RFLAGS_IOPL3);
}

/* Until the forger began a round after this call (it saw what we set
 * before), or ten seconds. */
static void
forger_sync(void)
{
	u64 r = forge_rounds, limit = l4_rdtsc() + 10 * l4_kip()->tsc_khz * 1000;

	while (forge_rounds - r < 2 && l4_rdtsc() < limit)
		l4_sleep(1000);
	CHECK(forge_rounds - r >= 2);
}

/* The forger on CPU 1, writing into x, started and seen running. */
static u64
forger_start(struct exo_xframe *x, bool busy)
{
	u64 f;

	CHECK(l4_kip()->ncpus >= 2);            /* run with --cpus 2 */
	forge_stop = 0;
	forge_busy = busy;
	forge_target = x;
	forge_rounds = 0;
	CHECK((f = thread_spawn_on(1, forger, 0)) != 0);
	forger_sync();
	return f;
}

#define XFORGE_FAULTS 3000

static void
case_xforge(void)
{
	u64 a = 0x1111, b = 0x2222, c = 0x3333, d = 0x4444, f, r0;

	memset(ex_count, 0, sizeof(ex_count));
	CHECK(exo_handler_set(skip_fault, XSTACK_TOP) == 0);
	selectors_learn();
	f = forger_start(exo_xframe(), false);
	r0 = forge_rounds;
	for (int i = 0; i < XFORGE_FAULTS; i++) {
		__asm__ volatile("ud2" : "+b"(a), "+r"(b), "+r"(c), "+r"(d) : : "memory");
		CHECK(a == 0x1111 && b == 0x2222 && c == 0x3333 && d == 0x4444);
		CHECK(still_user());
	}
	CHECK(forge_rounds != r0);              /* it wrote while we faulted */
	forge_stop = 1;
	CHECK(l4_thread_control(f, EXO_NILTHREAD, 0, 0, -1) == 0);
	CHECK(ex_count[6] == XFORGE_FAULTS);    /* each one ours, handled in ring 3 */
	CHECK(exo_handler_set(0, 0) == 0);
	memset(ex_count, 0, sizeof(ex_count));  /* as the next case expects it */
	printf("exotest xforge: %u faults handled as the thread's, %lu frame rewrites\n",
	       XFORGE_FAULTS, (unsigned long)(forge_rounds - r0));
}

/*
 * The frame forged in use as well: each fault goes to the kernel, which
 * must kill the faulting thread for its #UD (or, if its frame was free at
 * the fault, upcall it) and go on. In a space of their
 * own (a fault kills a thread of ours with the program): the forger, the
 * space's first thread, moves to CPU 1; the victims, one at a time on CPU
 * 0, each publish their frame, tell us they are armed, and fault once.
 */
#define XFORGE_VICTIMS  500
#define VICTIM_STACK    (TASK_STACK_TOP - 0x8000)       /* in the pager's stack range */
#define VICTIM_UTCB(i)  (TASK_UTCB + 0x10000 + (u64)(i) * EXO_PAGE_SIZE)

static u8 victim_xstack[4096] __attribute__((aligned(16)));
static u8 forger_xstack[4096] __attribute__((aligned(16)));

extern char __image_start[], __image_rw[], __image_end[];       /* libos/user.ld */

/* 16 KiB of the stack below the caller's frame. */
static __attribute__((noinline)) void
touch_stack(void)
{
	volatile u8 below[16384];

	for (u32 o = 0; o < sizeof(below); o += EXO_PAGE_SIZE)
		below[o] = 0;
}

/*
 * In the forgers' space, before a thread registers its handler: with one,
 * every page fault goes to the handler (not to the task's pager), and
 * forge_fault only knows the forger's own. So the image and the stack are
 * touched first (the pager maps text, copies data, gives stack pages).
 */
static void
forge_prefault(void)
{
	for (char *p = __image_start; p < __image_rw; p += EXO_PAGE_SIZE)
		(void)*(volatile char *)p;
	for (char *p = __image_rw; p < __image_end; p += EXO_PAGE_SIZE)
		__atomic_fetch_add(p, 0, __ATOMIC_RELAXED);     /* a write that changes nothing */
	touch_stack();
}

/* The space's first thread: the forger, on CPU 1; it outlives the victims' UTCBs. */
static void
forger_task(u64 arg)
{
	(void)arg;
	forge_stop = 0;
	forge_target = 0;
	forge_busy = 1;
	forge_prefault();
	CHECK(exo_handler_set(forge_fault, forger_xstack + sizeof(forger_xstack)) == 0);
	CHECK(l4_exchange_registers(l4_myself(), EXR_CPU(1), 0, 0, 0, 0, 0) >= 0);
	forger(0);
}

/* Started by exchange_registers, with no argument. */
static void
forge_victim(void)
{
	struct l4_msg m = { { EXO_TAG(0, 0, 0) } };

	forge_prefault();
	CHECK(exo_handler_set(forge_fault, victim_xstack + sizeof(victim_xstack)) == 0);
	forge_target = exo_xframe();
	forger_sync();
	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);       /* armed */
	__asm__ volatile("ud2" ::: "memory");
	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);       /* handled */
	for (;;)
		l4_sleep(1000000);
}

static void
case_xforgebusy(void)
{
	u64 child, killed = 0, handled = 0;

	CHECK(l4_kip()->ncpus >= 2);            /* run with --cpus 2 */
	CHECK((child = task_spawn(forger_task, 0)) != 0);
	for (int i = 0; i < XFORGE_VICTIMS; i++) {
		struct l4_msg m;
		long v = l4_thread_control(EXO_NILTHREAD, child, task_pager(), VICTIM_UTCB(i), -1);
		u64 err;

		CHECK(v > 0);
		CHECK(l4_exchange_registers((u64)v, EXR_RESUME | EXR_SET_SP | EXR_SET_IP | EXR_CPU(0),
					    VICTIM_STACK - 8, (u64)forge_victim, 0, 0, 0) >= 0);
		CHECK(l4_receive((u64)v, &m, EXO_TIMEOUT_NEVER, 0) == 0);       /* armed */
		/*
		 * Killed (the wait ends: no such partner), or, should its frame
		 * have been free at the fault, handled by its handler (a message):
		 * either is the thread's fault taken as the thread's.
		 */
		err = l4_receive((u64)v, &m, EXO_TIMEOUT_NEVER, 0);
		if (err == 0) {
			handled++;
			CHECK(l4_thread_control((u64)v, EXO_NILTHREAD, 0, 0, -1) == 0);
		} else {
			CHECK(EXO_IPC_ERR_CODE(err) == EXO_IPC_NOPARTNER);
			killed++;
		}
	}
	CHECK(killed > 0);                      /* the frame was forged in use */
	CHECK(l4_thread_control(child, EXO_NILTHREAD, 0, 0, -1) == 0);
	printf("exotest xforgebusy: %u faults, %lu threads killed, %lu handled; the kernel went on\n",
	       XFORGE_VICTIMS, (unsigned long)killed, (unsigned long)handled);
}

/*
 * One CPU: the thread's own handler writes kernel selectors and IOPL 3
 * into the frame it returns through. The return is the library's popfq and
 * ret, in ring 3, where the processor ignores IOPL; the kernel never reads
 * the frame back. Still ring 3 with IOPL 0 after, and cli is a #GP.
 */
static int
forge_own_frame(struct exo_xframe *x)
{
	ex_count[x->vector & 31]++;
	x->cs = KERNEL_CS;
	x->ss = KERNEL_SS;
	x->rflags |= RFLAGS_IOPL3;
	switch (x->vector) {
	case 6:  x->rip += 2; return 0;         /* ud2 */
	case 13: x->rip += 1; return 0;         /* cli */
	}
	return 1;
}

static void
case_xiopl(void)
{
	memset(ex_count, 0, sizeof(ex_count));
	CHECK(exo_handler_set(forge_own_frame, XSTACK_TOP) == 0);
	selectors_learn();
	for (int i = 0; i < 10; i++) {
		__asm__ volatile("ud2" ::: "memory");
		CHECK(still_user());
	}
	CHECK(ex_count[6] == 10);
	__asm__ volatile("cli" ::: "memory");   /* IOPL 0: #GP in ring 3 */
	CHECK(ex_count[13] == 1);
	CHECK(still_user());
	CHECK(exo_handler_set(0, 0) == 0);
	memset(ex_count, 0, sizeof(ex_count));
}

/*
 * ---- no FPU/SSE state crosses to another space with an IPC ----
 * This thread loads a pattern into every XMM register and calls a thread
 * of another space, which stores its XMM registers as it returns from its
 * receive, in the same asm statement, and replies how many of the 32 words
 * hold the pattern: none may. Twice: the peer's receive untimed (the IPC
 * fast path) and timed (the general path). The arrays are reached by name:
 * the raw IPC leaves no register free for a pointer.
 */
u64 xipc_in[32] __attribute__((aligned(16)));
u64 xipc_out[32] __attribute__((aligned(16)));

#define XIPC_LOAD(n)  "movdqa xipc_in + " #n " * 16(%%rip), %%xmm" #n "\n\t"
#define XIPC_STORE(n) "movdqa %%xmm" #n ", xipc_out + " #n " * 16(%%rip)\n\t"
#define XIPC_A(i)     (0xa5a5a5a500000000ULL | (i))     /* the caller's */
#define XIPC_B(i)     (0x5b5b5b5b00000000ULL | (i))     /* the peer's own */
#define XIPC_ROUNDS   4

/* IPC with one word (MR1 in and out), XMM loaded before and stored after. */
static __attribute__((noinline)) u64
xipc(u64 to, u64 from_spec, u64 timeouts, u64 *mr1, u64 *from)
{
	register u64 r8 __asm__("r8") = EXO_TAG(0, 1, 0);
	register u64 r9 __asm__("r9") = *mr1;
	u64 rax = SYS_ipc, rdx = timeouts;

	__asm__ volatile(XMM_ALL(XIPC_LOAD) "syscall\n\t" XMM_ALL(XIPC_STORE)
			 : "+a"(rax), "+D"(to), "+S"(from_spec), "+d"(rdx), "+r"(r8),
			   "+r"(r9)
			 :
			 : "rcx", "r10", "r11", "r12", "r13", "r14", "r15", "rbx", "memory",
			   EXO_SYSCALL_FPU_CLOBBERS);
	*mr1 = r9;
	if (from)
		*from = rax;
	return rdx;
}

/* In another space: answer each call with the words of the caller's pattern seen. */
static void
xipc_peer(u64 timed)
{
	u32 rcv = timed ? EXO_TIMEOUT_US(60000000) : EXO_TIMEOUT_NEVER;
	u64 from = EXO_NILTHREAD, mr1 = 0, err;

	for (u32 i = 0; i < 32; i++) {
		xipc_in[i] = XIPC_B(i);
		xipc_out[i] = 0;
	}
	err = xipc(EXO_NILTHREAD, EXO_ANYTHREAD, EXO_TIMEOUTS(0, rcv), &mr1, &from);
	for (;;) {
		u64 to = err ? EXO_NILTHREAD : from;   /* a timeout: wait again */

		mr1 = 0;
		for (u32 i = 0; i < 32; i++)
			mr1 += xipc_out[i] == XIPC_A(i);
		/* Reply and wait in one call: it waits before the caller runs. */
		err = xipc(to, EXO_ANYTHREAD, EXO_TIMEOUTS(EXO_TIMEOUT_ZERO, rcv), &mr1, &from);
	}
}

static void
case_fpuipc(void)
{
	u64 crossed = 0;

	for (u64 timed = 0; timed < 2; timed++) {
		u64 peer = task_spawn(xipc_peer, timed), seen = 0;

		CHECK(peer);
		for (u32 i = 0; i < 32; i++)
			xipc_in[i] = XIPC_A(i);
		/* Round 0 meets the peer wherever it is; later ones find it waiting. */
		for (u32 round = 0; round <= XIPC_ROUNDS; round++) {
			u64 mr1 = 0;

			CHECK(xipc(peer, peer, 0, &mr1, 0) == 0);
			if (round)
				seen += mr1;
		}
		CHECK(l4_thread_control(peer, EXO_NILTHREAD, 0, 0, -1) == 0);
		printf("exotest fpuipc: %s path, %lu of %u XMM words crossed\n",
		       timed ? "general" : "fast", (unsigned long)seen, 32 * XIPC_ROUNDS);
		crossed += seen;
	}
	CHECK(crossed == 0);
}

static const struct scenario_case cases[] = {
	{ "demand", case_demand },
	{ "caps", case_caps },
	{ "foreign", case_foreign },
	{ "exceptions", case_exceptions },
	{ "starve", case_starve },
	{ "nested", case_nested },
	{ "badentry", case_badentry },
	{ "bindfast", case_bindfast },
	{ "fpu", case_fpu },
	{ "xforge", case_xforge },
	{ "xforgebusy", case_xforgebusy },
	{ "xiopl", case_xiopl },
	{ "fpuipc", case_fpuipc },
};

int
main(int argc, char **argv)
{
	main_tid = l4_myself();
	return scenario_main("exotest", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
