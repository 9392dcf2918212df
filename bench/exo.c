/*
 * bench-exo, the program of `exo bench exo`: what the exokernel's mechanisms
 * cost — an exception dispatched to the library OS's handler and back, a
 * secure binding made and broken, a fault fixed from the software TLB, a
 * revocation request answered by the library OS's REVOKE entry.
 * Every binding needs a capability of its own and the table holds
 * EXO_NCAPS, so this suite runs at most POOL_ITERATIONS iterations per op.
 */
#include "bench.h"
#include "exo.h"
#include "libos.h"
#include "task.h"

#define POOL                400
#define POOL_ITERATIONS     360         /* plus a warm-up of a tenth: < POOL */
#define STR_(x)             #x
#define STR(x)              STR_(x)
#define POOL_BASE           0x3c0000000000ULL

static exo_cap_t pool[POOL];
static unsigned npool, next;
static u8 xstack[8192] __attribute__((aligned(16)));

/* Past the faulting instruction: ud2 (2 bytes) or div %rcx (3). */
static int
skip_fault(struct exo_xframe *x)
{
	if (x->vector == 6)
		x->rip += 2;
	else if (x->vector == 0)
		x->rip += 3;
	else
		return 1;
	return 0;
}

static long
upcall_setup(void)
{
	return exo_handler_set(skip_fault, xstack + sizeof(xstack));
}

/* ud2 -> the handler (user mode) -> back: the kernel's part is the dispatch. */
static long
exception_upcall(void)
{
	__asm__ volatile("ud2" ::: "memory");
	return 0;
}

/*
 * The same with a divide error. Hardware KVM on AMD intercepts #UD whatever
 * the guest does (to emulate instructions such as VMMCALL), so there the
 * ud2 upcall costs a VM exit and an emulation attempt that are the host's,
 * not the kernel's; #DE reaches the guest directly.
 */
static long
exception_upcall_de(void)
{
	__asm__ volatile(".byte 0x48, 0xf7, 0xf1"      /* div %rcx */
			 :: "a"(1UL), "d"(0UL), "c"(0UL) : "memory");
	return 0;
}

static void
upcall_teardown(void)
{
	exo_handler_set(0, 0);
}

static u64
pool_va(unsigned i)
{
	return POOL_BASE + (u64)i * EXO_PAGE_SIZE;
}

/* Frames for the pool, each bound (flags) or not (flags 0). */
static long
pool_setup(u32 flags)
{
	for (; npool < POOL; npool++) {
		long c = frame_alloc(0);

		if (c < 0)
			return c;
		pool[npool] = (exo_cap_t)c;
	}
	for (unsigned i = 0; flags && i < POOL; i++) {
		long r = bind(pool[i], pool_va(i), flags);

		if (r < 0)
			return r;
	}
	next = 0;
	return 0;
}

static void
pool_unbind(void)
{
	for (unsigned i = 0; i < POOL; i++)
		unbind(pool[i]);        /* -E_NOENT for those never bound */
}

static long bind_setup(void) { return pool_setup(0); }
static long unbind_setup(void) { return pool_setup(EXO_BIND_W | EXO_BIND_NOW); }
/*
 * Touch every frame of the pool once, bound and unbound again: in a running
 * system memory has been used, and the first touch of a never-used frame is
 * the host populating guest memory (on hardware KVM a nested page fault, a
 * VM exit), not the kernel's work that stlb_fill measures.
 */
static long
pool_warm(void)
{
	long r = pool_setup(0);

	for (unsigned i = 0; r == 0 && i < POOL; i++) {
		r = bind(pool[i], pool_va(i), EXO_BIND_W | EXO_BIND_NOW);
		if (r == 0)
			*(volatile u64 *)pool_va(i) = 0;
		if (r == 0 && unbind(pool[i]) < 0)
			r = -E_INVAL;
	}
	return r < 0 ? r : 0;
}

/* A library OS with an exception entry: its faults take the arch fast path. */
static long
stlb_setup(void)
{
	long r = pool_warm();

	if (r == 0)
		r = pool_setup(EXO_BIND_W);
	return r < 0 ? r : upcall_setup();
}

static void
stlb_teardown(void)
{
	pool_unbind();
	upcall_teardown();
}

static long
bind_now(void)
{
	long r;

	if (next == POOL)
		return -E_NOMEM;
	r = bind(pool[next], pool_va(next), EXO_BIND_W | EXO_BIND_NOW);
	next++;
	return r < 0 ? r : 0;
}

static long
unbind_one(void)
{
	if (next == POOL)
		return -E_NOMEM;
	return unbind(pool[next++]) < 0 ? -E_INVAL : 0;
}

/* A lazily bound page's first touch: the fault the software TLB fixes. */
static long
stlb_fill(void)
{
	if (next == POOL)
		return -E_NOMEM;
	*(volatile u64 *)pool_va(next++) = 1;
	return 0;
}

/*
 * Revocation: our own environment asks itself for one frame. The REVOKE
 * entry thread (another thread of this space) gives back the frame the
 * iteration allocated and waits again; revoke_request hands it the CPU, so
 * as a rule the request returns once the upcall is done. Not always: the
 * entry thread runs on a round-robin slice of its own (SCHED_SLICE_US), and
 * when it ends first (a host that deschedules the vCPU that long, or a PVM
 * host where the upcall's ~4,500 ring-0 instructions take ~5 ms) we run
 * again before it gave the frame back. We then freed the frame ourselves,
 * its frame_free failed, and this and every later iteration failed ("an
 * iteration failed", seen once in bench::committed_baseline_holds). So the
 * iteration waits for the entry's own count of upcalls done; in the usual
 * case that is one load, no kernel entry. Likewise the set-up waits until
 * the entry thread has registered (a request before it would wait for the
 * abort protocol, which takes a frame of its choosing).
 * frame_alloc_free is the allocation and the free alone, to subtract.
 */
static exo_cap_t self_env, victim;
static u8 rstack[8192] __attribute__((aligned(16)));
static volatile long revoke_err;
static volatile u64 revoke_done, revoke_registered;

static void __attribute__((noreturn))
revoke_entry(u64 up, u64 owed, u64 deadline)
{
	(void)deadline;
	if (up != EXO_UPCALL_REVOKE || owed != 1 || frame_free(victim) < 0)
		revoke_err = -E_INVAL;
	revoke_done++;
	upcall_wait();
	for (;;)
		;
}

static void
revoke_thread(u64 arg)
{
	(void)arg;
	if (env_entry(EXO_ENTRY_REVOKE, (u64)revoke_entry,
		      (u64)(rstack + sizeof(rstack)) - 8) < 0)
		revoke_err = -E_PERM;
	revoke_registered = 1;
	upcall_wait();
	revoke_err = -E_PERM;
}

static long
revoke_setup(void)
{
	long ec;

	if (self_env)
		return 0;
	ec = env_cap(l4_myself(), EXO_CAP_W);
	if (ec < 0)
		return ec;
	self_env = (exo_cap_t)ec;
	if (!thread_spawn(revoke_thread, 0))
		return -E_NOMEM;
	while (!revoke_registered)      /* let it register and wait */
		l4_thread_switch(EXO_NILTHREAD);
	return revoke_err;
}

static long
revoke_upcall_roundtrip(void)
{
	long c = frame_alloc(0), r;
	u64 want = revoke_done + 1;

	if (c < 0)
		return c;
	victim = (exo_cap_t)c;
	r = revoke_request(self_env, 1, 1000000);
	if (r < 0)
		return r;
	while (revoke_done != want && revoke_err >= 0)  /* it was preempted */
		l4_thread_switch(EXO_NILTHREAD);
	/* The entry ran and freed it: our capability is dead. */
	return revoke_err < 0 ? revoke_err :
	       frame_free(victim) == -E_STALE ? 0 : -E_INVAL;
}

static long
frame_alloc_free(void)
{
	long c = frame_alloc(0);

	return c < 0 ? c : frame_free(c);
}

/*
 * Protected control transfer between this environment and a partner (a
 * spawned task). pct_sync_roundtrip: a synchronous transfer there and one
 * back, both the fast path; the partner's entry transfers straight back,
 * and ours resumes the iteration where bench_pct_sync left it (a
 * continuation: callee-saved registers and the stack pointer). pct_async:
 * an asynchronous transfer (the general path) whose target at once waits
 * again (upcall_wait), so the op is the transfer and the target's wait.
 */
exo_cap_t pct_peer;                     /* ours: the partner's; its: ours (asm) */
static volatile long pct_ready;
u64 pct_cont[8];                        /* rsp, rbx, rbp, r12..r15 (asm) */
static u8 pct_stack[4096] __attribute__((aligned(16)));

long bench_pct_sync(exo_cap_t env);
void bench_pct_back(void);
void bench_pct_echo(void);
__asm__(
	"	.text\n"
	"	.globl bench_pct_sync\n"
	"bench_pct_sync:\n"
	"	mov %rsp, pct_cont+0(%rip); mov %rbx, pct_cont+8(%rip)\n"
	"	mov %rbp, pct_cont+16(%rip); mov %r12, pct_cont+24(%rip)\n"
	"	mov %r13, pct_cont+32(%rip); mov %r14, pct_cont+40(%rip)\n"
	"	mov %r15, pct_cont+48(%rip)\n"
	"	xor %esi, %esi\n"
	"	mov $28, %eax\n"
	"	syscall\n"
	"	ret\n"                          /* refused: the error */
	"	.globl bench_pct_back\n"
	"bench_pct_back:\n"                     /* our PCT entry: resume */
	"	mov pct_cont+0(%rip), %rsp; mov pct_cont+8(%rip), %rbx\n"
	"	mov pct_cont+16(%rip), %rbp; mov pct_cont+24(%rip), %r12\n"
	"	mov pct_cont+32(%rip), %r13; mov pct_cont+40(%rip), %r14\n"
	"	mov pct_cont+48(%rip), %r15\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	"	.globl bench_pct_echo\n"
	"bench_pct_echo:\n"                     /* the partner's PCT entry */
	"	test %rsi, %rsi\n"
	"	jnz 1f\n"
	"	mov pct_peer(%rip), %rdi\n"     /* sync: straight back */
	"	mov $28, %eax\n"
	"	syscall\n"
	"	ud2\n"
	"1:	mov $27, %eax\n"   /* async: wait again */
	"	syscall\n"
	"	ud2\n");
_Static_assert(SYS_pct == 28 && SYS_upcall_wait == 27, "the numbers in the asm above");

static void
pct_partner(u64 arg)
{
	struct l4_msg m;

	(void)arg;
	if (l4_receive(EXO_ANYTHREAD, &m, EXO_TIMEOUT_NEVER, 0) == 0)
		pct_peer = m.mr[1];
	env_entry(EXO_ENTRY_PCT, (u64)bench_pct_echo, TASK_STACK_TOP - 0x4000);
	upcall_wait();
}

static long
pct_setup(void)
{
	struct l4_msg m = { { EXO_TAG(0, 1, 0) } };
	long me, peer, r;
	u64 partner;

	if (pct_ready)
		return 0;
	partner = task_spawn(pct_partner, 0);
	me = env_cap(l4_myself(), EXO_CAP_ALL);
	if (!partner || me < 0)
		return -E_NOMEM;
	m.mr[1] = (u64)cap_pass((exo_cap_t)me, partner, EXO_CAP_X);
	peer = env_cap(partner, EXO_CAP_X);
	if ((long)m.mr[1] < 0 || peer < 0 || l4_send(partner, &m, EXO_TIMEOUT_NEVER))
		return -E_INVAL;
	pct_peer = (exo_cap_t)peer;
	if (env_entry(EXO_ENTRY_PCT, (u64)bench_pct_back,
		      (u64)(pct_stack + sizeof(pct_stack))) < 0)
		return -E_PERM;
	/* The partner registers and waits: until then transfers are refused. */
	while ((r = pct(pct_peer, EXO_PCT_ASYNC)) == -E_AGAIN || r == -E_NOENT)
		l4_thread_switch(EXO_NILTHREAD);
	if (r < 0)
		return r;
	pct_ready = 1;
	return 0;
}

static long
pct_sync_roundtrip(void)
{
	return bench_pct_sync(pct_peer);
}

/* The partner waits again at once; -E_AGAIN only if it was preempted
 * before its upcall_wait (its slice is the rest of ours): let it finish. */
static long
pct_async(void)
{
	long r;

	while ((r = pct(pct_peer, EXO_PCT_ASYNC)) == -E_AGAIN)
		l4_thread_switch(EXO_NILTHREAD);
	return r;
}

static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	{ "exception_upcall", upcall_setup, exception_upcall, upcall_teardown, 0, 0 },
	{ "exception_upcall_de", upcall_setup, exception_upcall_de, upcall_teardown, 0, 0 },
	{ "bind", bind_setup, bind_now, pool_unbind, 0, 0 },
	{ "unbind", unbind_setup, unbind_one, pool_unbind, 0, 0 },
	{ "stlb_fill", stlb_setup, stlb_fill, stlb_teardown, 0, 0 },
	{ "frame_alloc_free", 0, frame_alloc_free, 0, 0, 0 },
	{ "revoke_upcall_roundtrip", revoke_setup, revoke_upcall_roundtrip, 0, 0, 0 },
	{ "pct_sync_roundtrip", pct_setup, pct_sync_roundtrip, 0, 0, 0 },
	{ "pct_async", pct_setup, pct_async, 0, 0, 0 },
};

int
main(int argc, char **argv)
{
	/* ITERATIONS beyond what the pool holds are clipped (reported as n). */
	return bench_main_capped(ops, sizeof(ops) / sizeof(ops[0]), argc, argv,
				 STR(POOL_ITERATIONS));
}
