/*
 * bench-spin, the program of `exo bench spin`: what SPIN's extensions cost,
 * beside what they replace, in one boot.
 *  - null_syscall_counted: the null system call with ext/count_syscalls
 *    attached to every call of ours (a handler that counts and declines);
 *  - ext_syscall_add: call 0x4000, which ext/syscall_add answers wholly in
 *    the kernel (SPIN's application-specific call); _guarded: behind
 *    syscall_add's own guard is_add (a guard that says yes, then the
 *    handler); null_syscall_guard_no: count_syscalls behind is_add, which
 *    says no to the null call (the guard runs, the handler does not);
 *  - null_syscall_guards_8: the null call raised to eight handlers
 *    (count_syscalls loaded eight times), each behind is_add, which says no:
 *    eight guards run, no handler (with null_syscall_guard_no, one guard,
 *    and null_syscall_counted, one handler and no guard: a raise with 1, 8
 *    and 0 guards);
 *  - ext_load_drop: loading pf_appel's dirty handler (19 instructions:
 *    copy, check, compile, map) and dropping it; ext_load_100 and
 *    ext_load_1000: the same for a generated handler of 100 and of 1,000
 *    instructions (gen_handler);
 *  - stlb_fill: a lazily bound page's first touch, fixed by the software
 *    TLB (the exokernel's own path, as in `exo bench exo`);
 *  - pf_appel: a write to a page bound read-only, resolved in the kernel
 *    by ext/pf_appel.c's dirty handler (upgrade, dirty bit), fault to retry;
 *  - pf_upcall_rebind: the same write resolved the exokernel way, by the
 *    library OS's exception handler, which unbinds the page and binds it
 *    again writable (two system calls inside the upcall).
 * Each iteration of the last three takes a page of its own from a pool of
 * bound frames (a capability each, under EXO_NCAPS): at most
 * POOL_ITERATIONS iterations per operation.
 */
#include <exo/bpf.h>
#include <exo/ext.h>
#include <exo/extcall.h>

#include "bench.h"
#include "exo.h"
#include "libos.h"

#include "ext_count_syscalls.h"
#include "ext_pf_appel_dirty.h"
#include "ext_syscall_add.h"
#include "ext_syscall_add_is_add.h"

#define POOL                400
#define POOL_ITERATIONS     360         /* plus a warm-up of a tenth: < POOL */
#define STR_(x)             #x
#define STR(x)              STR_(x)
#define POOL_BASE           0x3d0000000000ULL
#define NR_ADD              0x4000      /* ext/syscall_add.c's EXT_NR_ADD */
#define NINSN(a)            (sizeof(a) / 8)

static exo_cap_t pool[POOL];
static unsigned npool, next;
static u8 xstack[8192] __attribute__((aligned(16)));
static exo_cap_t self_env, ext, guard;  /* the operation's extension, its guard */
#define GUARDS              8
static exo_cap_t guarded[GUARDS];       /* null_syscall_guards_8's handlers */
#define GEN_MAX             1000
static struct bpf_insn gen[GEN_MAX];
static unsigned gen_n;

static u64
pool_va(unsigned i)
{
	return POOL_BASE + (u64)i * EXO_PAGE_SIZE;
}

/* An extension of ours, attached to our environment at point behind the
 * guard (0: none). */
static long
ext_setup(const unsigned char *insns, u64 n, u32 event, u32 point)
{
	long c, r;

	if (!self_env) {
		c = env_cap(l4_myself(), EXO_CAP_W);
		if (c < 0)
			return c;
		self_env = (exo_cap_t)c;
	}
	c = l4_syscall5(SYS_ext_load, (long)insns, (long)n, event, 0, 0);
	if (c < 0)
		return c;
	ext = (exo_cap_t)c;
	r = l4_syscall5(SYS_ext_attach, (long)ext, (long)self_env, point, (long)guard, 0);
	return r < 0 ? r : 0;
}

static void
ext_teardown(void)
{
	cap_drop(ext);
	if (guard)
		cap_drop(guard);
	ext = guard = 0;
}

/* syscall_add's guard is_add (nr == 0x4000), for the next ext_setup. */
static long
guard_load(void)
{
	long c = l4_syscall5(SYS_ext_load, (long)ext_syscall_add_is_add,
			     (long)NINSN(ext_syscall_add_is_add), EXT_EV_SYSCALL | EXO_EXT_GUARD,
			     0, 0);

	if (c < 0)
		return c;
	guard = (exo_cap_t)c;
	return 0;
}

static long
guard_no_setup(void)
{
	long r = guard_load();

	return r < 0 ? r : ext_setup(ext_count_syscalls, NINSN(ext_count_syscalls),
				     EXT_EV_SYSCALL, EXO_EXT_ALL_CALLS);
}

static long
add_guarded_setup(void)
{
	long r = guard_load();

	return r < 0 ? r : ext_setup(ext_syscall_add, NINSN(ext_syscall_add), EXT_EV_SYSCALL,
				     NR_ADD);
}

static long
ext_load_drop(void)
{
	long c = l4_syscall5(SYS_ext_load, (long)ext_pf_appel_dirty,
			     (long)NINSN(ext_pf_appel_dirty), EXT_EV_PAGEFAULT, 0, 0);

	return c < 0 ? c : cap_drop((exo_cap_t)c);
}

/* Eight handlers behind one guard that says no to the null call. */
static long
guards_8_setup(void)
{
	long r = guard_load();

	for (unsigned i = 0; r == 0 && i < GUARDS; i++) {
		long c = l4_syscall5(SYS_ext_load, (long)ext_count_syscalls,
				     (long)NINSN(ext_count_syscalls), EXT_EV_SYSCALL, 0, 0);

		if (c < 0)
			return c;
		guarded[i] = (exo_cap_t)c;
		r = l4_syscall5(SYS_ext_attach, c, (long)self_env, EXO_EXT_ALL_CALLS,
				(long)guard, 0);
	}
	return r < 0 ? r : 0;
}

static void
guards_8_teardown(void)
{
	for (unsigned i = 0; i < GUARDS; i++)
		if (guarded[i]) {
			cap_drop(guarded[i]);
			guarded[i] = 0;
		}
	ext_teardown();
}

static struct bpf_insn
insn(u8 code, u8 dst, u8 src, int16_t off, i32 imm)
{
	return (struct bpf_insn){ code, BPF_REGS(dst, src), off, imm };
}

/*
 * A system-call handler of n instructions (n >= 4) for the load-time
 * operations: it reads the call number, then mixes it through r0, r2..r4
 * with the ALU and, every eighth instruction, a store to the stack and a
 * load back; it declines (EXT_DEFAULT). Straight-line: what the checker and
 * compiler do per instruction, not a search of paths, is what it measures.
 */
static void
gen_handler(unsigned n)
{
	unsigned i = 0;

	gen[i++] = insn(BPF_LDX | BPF_MEM | BPF_DW, 2, 1, 0, 0);        /* r2 = ctx->nr */
	gen[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0);
	gen[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 4, 0, 0, 7);
	while (i < n - 2) {
		switch (i % 8) {
		case 0:
			gen[i] = insn(BPF_STX | BPF_MEM | BPF_DW, 10, 3, -8, 0);
			break;
		case 1:
			gen[i] = insn(BPF_LDX | BPF_MEM | BPF_DW, 4, 10, -8, 0);
			break;
		case 2: case 5:
			gen[i] = insn(BPF_ALU64 | BPF_ADD | BPF_X, 3, 2, 0, 0);
			break;
		case 3: case 6:
			gen[i] = insn(BPF_ALU64 | BPF_XOR | BPF_K, 2, 0, 0, (i32)i);
			break;
		default:
			gen[i] = insn(BPF_ALU64 | BPF_ADD | BPF_X, 4, 3, 0, 0);
			break;
		}
		i++;
	}
	gen[i++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, EXT_DEFAULT);
	gen[i] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

static long
gen_load_drop(void)
{
	long c = l4_syscall5(SYS_ext_load, (long)gen, (long)gen_n, EXT_EV_SYSCALL, 0, 0);

	return c < 0 ? c : cap_drop((exo_cap_t)c);
}

static long
gen_100(void)
{
	gen_n = 100;
	gen_handler(gen_n);
	return 0;
}

static long
gen_1000(void)
{
	gen_n = 1000;
	gen_handler(gen_n);
	return 0;
}

static long
counted_setup(void)
{
	return ext_setup(ext_count_syscalls, NINSN(ext_count_syscalls), EXT_EV_SYSCALL,
			 EXO_EXT_ALL_CALLS);
}

static long
add_setup(void)
{
	return ext_setup(ext_syscall_add, NINSN(ext_syscall_add), EXT_EV_SYSCALL, NR_ADD);
}

static long
syscall_add_call(void)
{
	return l4_syscall5(NR_ADD, 20, 22, 0, 0, 0) == 42 ? 0 : -E_INVAL;
}

/* The pool's frames, unbound. The first touch of a never-used frame is the
 * host populating guest memory (on hardware KVM a nested page fault), not
 * the kernel's work: touch each once, bound writable, first. */
static long
pool_setup(void)
{
	for (; npool < POOL; npool++) {
		long c = frame_alloc(0);

		if (c < 0)
			return c;
		pool[npool] = (exo_cap_t)c;
		if (bind(pool[npool], pool_va(npool), EXO_BIND_W | EXO_BIND_NOW) < 0)
			return -E_INVAL;
		*(volatile u64 *)pool_va(npool) = 0;
		unbind(pool[npool]);
	}
	next = 0;
	return 0;
}

/* Every frame bound with flags. */
static long
pool_bind(u32 flags)
{
	long r = pool_setup();

	for (unsigned i = 0; r == 0 && i < POOL; i++)
		r = bind(pool[i], pool_va(i), flags);
	return r < 0 ? r : 0;
}

static void
pool_unbind(void)
{
	for (unsigned i = 0; i < POOL; i++)
		unbind(pool[i]);        /* -E_NOENT for those never bound */
}

/* The page-fault operations' handler: only the upcall one rebinds; for the
 * others a fault here is a failure (declined: the program exits). */
static volatile int rebind_on;

static int
rebind_fault(struct exo_xframe *x)
{
	u64 page = x->cr2 & ~(EXO_PAGE_SIZE - 1);
	unsigned i = (unsigned)((page - POOL_BASE) / EXO_PAGE_SIZE);

	if (!rebind_on || x->vector != 14 || page < POOL_BASE || i >= POOL ||
	    unbind(pool[i]) < 0 || bind(pool[i], page, EXO_BIND_W | EXO_BIND_NOW) < 0)
		return 1;
	return 0;                       /* retry the write */
}

static long
upcall_on(void)
{
	return exo_handler_set(rebind_fault, xstack + sizeof(xstack));
}

/* A library OS with an exception entry: its faults take the arch fast path. */
static long
stlb_setup(void)
{
	long r = pool_bind(EXO_BIND_W);

	return r < 0 ? r : upcall_on();
}

static void
pool_teardown(void)
{
	pool_unbind();
	exo_handler_set(0, 0);
	rebind_on = 0;
}

static long
appel_setup(void)
{
	long r = pool_bind(EXO_BIND_R | EXO_BIND_NOW);

	if (r == 0)
		r = ext_setup(ext_pf_appel_dirty, NINSN(ext_pf_appel_dirty), EXT_EV_PAGEFAULT,
			      EXO_EXT_AT_PAGEFAULT);
	return r < 0 ? r : upcall_on();
}

static void
appel_teardown(void)
{
	ext_teardown();
	pool_teardown();
}

static long
rebind_setup(void)
{
	long r = pool_bind(EXO_BIND_R | EXO_BIND_NOW);

	rebind_on = 1;
	return r < 0 ? r : upcall_on();
}

/* One write to the next page of the pool: the fault and its resolution. */
static long
touch_next(void)
{
	if (next == POOL)
		return -E_NOMEM;
	*(volatile u64 *)pool_va(next++) = 1;
	return 0;
}

static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	{ "null_syscall_counted", counted_setup, bench_null_syscall, ext_teardown, 0, 0 },
	{ "null_syscall_guard_no", guard_no_setup, bench_null_syscall, ext_teardown, 0, 0 },
	{ "ext_syscall_add", add_setup, syscall_add_call, ext_teardown, 0, 0 },
	{ "ext_syscall_add_guarded", add_guarded_setup, syscall_add_call, ext_teardown, 0, 0 },
	{ "stlb_fill", stlb_setup, touch_next, pool_teardown, 0, 0 },
	{ "pf_appel", appel_setup, touch_next, appel_teardown, 0, 0 },
	{ "pf_upcall_rebind", rebind_setup, touch_next, pool_teardown, 0, 0 },
	{ "null_syscall_guards_8", guards_8_setup, bench_null_syscall, guards_8_teardown, 0, 0 },
	{ "ext_load_drop", 0, ext_load_drop, 0, 0, 0 },
	{ "ext_load_100", gen_100, gen_load_drop, 0, 0, 0 },
	{ "ext_load_1000", gen_1000, gen_load_drop, 0, 0, 0 },
};

int
main(int argc, char **argv)
{
	/* ITERATIONS beyond what the pool holds are clipped (reported as n). */
	return bench_main_capped(ops, sizeof(ops) / sizeof(ops[0]), argc, argv,
				 STR(POOL_ITERATIONS));
}
