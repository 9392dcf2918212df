/*
 * sysfuzz SEED CALLS [BATCH [LEAVE_OUT]]: a system-call fuzzer (boot with --cmdline
 * ktest). Every system call number, valid and not, with arguments drawn
 * from a seeded xorshift generator: random words and adversarial ones (0,
 * -1, huge, kernel addresses, unaligned, the caller's own UTCB and image,
 * live, stale and foreign capabilities and thread ids, dead threads), IPC
 * with random map and grant items. In each batch of BATCH calls:
 *
 *   - two child tasks (unprivileged spaces) each run a fuzzing thread and a
 *     rewriter thread (on the other CPU when there are two) that keeps
 *     scribbling over both threads' UTCBs (message registers, acceptor, the
 *     exception frame) and now and then aborts, halts or resumes the
 *     fuzzing thread, while it is in its calls; the fuzzing thread also
 *     takes exceptions through its own handler, so the frame is live; it
 *     begins once both have their start message from the root;
 *   - the root thread (privileged) fuzzes too, with the arguments that
 *     would take its own task down kept to a scratch region;
 *   - then the children are reaped, everything the root made is undone, and
 *     the kernel's self-check (KTEST_SELFCHECK) must find no violation, and
 *     the frames held by capabilities and UTCBs must be what they were
 *     before the first batch (no leak).
 *
 * Not fuzzed, because they end or hang the run by design rather than by a
 * kernel bug: SYS_exit (ends the whole task), KTEST_PANIC/TRIPLEFAULT/GETC,
 * and SYS_slice_alloc (an environment holding slots can starve the root:
 * issue 16 section 2). Children do not send to σ0 or to the task's pager,
 * whose failures would be the library's, not the kernel's.
 *
 * At the end one line "sysfuzz-result {...}" (JSON) on the console: calls
 * made (by whom, per system call), batches, self-checks, violations, the
 * first one, leaks. Exit 0 if clean, 1 on a violation, 2 on a leak, 3 if
 * the fuzzer could not set itself up, 4 for bad arguments.
 */
#include <exo/exo.h>
#include <exo/layout.h>
#include <exo/syscall.h>

#include "exo.h"
#include "l4.h"
#include "libos.h"
#include "task.h"

#define NSYS            (SYS_NR + 1)    /* the last: numbers that are none */
#define CHILDREN        2
#define SCRATCH         0x0000300000000000ULL   /* the root's playground */
#define SCRATCH_S       24
#define REPORT_VA       0x0000400000000000ULL   /* children's report pages */
#define REWRITER_STACK  (TASK_STACK_TOP - EXO_USER_STACK_SIZE / 2)
#define KEEP            32              /* ids and capabilities remembered */
#define PRIO_ROOT       100             /* the kernel's default: ours */

/* What a fuzzing thread tells the root, in a page the root maps to it. */
struct fz_count {
	volatile u64 calls, done, faults;
	volatile u64 in_call;           /* the system call in flight, + 1 (0: none) */
	volatile u64 started;           /* it has its start message */
	volatile u64 per_sys[NSYS];
};
struct fz_page {
	struct fz_count fuzz, rewrite;
};

/* One thread's fuzzing state. */
struct fz {
	u64 rng;
	bool root;
	u64 tids[KEEP], dead[KEEP], caps[KEEP], stale[KEEP];
	u32 ntids, ndead, ncaps, nstale;
	struct fz_count *count;
};

struct regs {
	u64 rax, rdi, rsi, rdx, r10, r8, r9, r12, r13, r14, r15, rbx;
};

extern char __image_start[], __image_rw[], __image_end[];

/* The children's pager (below), in the root's space; and the root. Both
 * set before any child exists, so the copies of our data pages that the
 * children get (the pager's) hold them too. */
static u64 pager, root_tid;
/* Parts left out, for bisecting a finding (LEAVE_OUT, a bit mask): 1 the
 * root's own calls, 2 the rewriters. */
static u64 leave_out;

static u64
rnd(struct fz *f)
{
	u64 x = f->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return f->rng = x;
}

static u64
pick(struct fz *f, const u64 *v, u32 n, u64 none)
{
	return n ? v[rnd(f) % n] : none;
}

static void
keep(struct fz *f, u64 *v, u32 *n, u64 x)
{
	v[*n < KEEP ? (*n)++ : rnd(f) % KEEP] = x;
}

/* An fpage: a random one, or one inside the root's scratch region. */
static u64
fpage(struct fz *f, bool scratch)
{
	u32 s = scratch ? 12 + rnd(f) % (SCRATCH_S - 11) : (u32)(rnd(f) % 70);
	u64 base = scratch ? SCRATCH + (rnd(f) & ((1ULL << SCRATCH_S) - 1)) : rnd(f) >> (rnd(f) % 64);

	return EXO_FPAGE(s < 64 ? base & ~((1ULL << s) - 1) : base, s, rnd(f) & 7);
}

/* The values that find bugs: edges, the caller's own things, stale ones. */
static u64
edge(struct fz *f)
{
	static const u64 fixed[] = {
		0, 1, ~0ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
		0xffffffff80000000ULL, 0xffff800000000000ULL, EXO_USER_END,
		EXO_USER_END - 1, EXO_USER_END - EXO_PAGE_SIZE, EXO_USER_KIP,
		EXO_USER_SYSCALL_STUB, EXO_USER_MIN, 4095, 4097, 0x100000000ULL,
		EXO_ANYTHREAD, SCRATCH, TASK_UTCB, TASK_STACK_TOP - 8,
	};

	switch (rnd(f) % 12) {
	case 0: return fixed[rnd(f) % (sizeof(fixed) / sizeof(fixed[0]))];
	case 1: return (u64)l4_utcb() + (rnd(f) % 3 == 0 ? rnd(f) % 4096 : 0);
	case 2: return (u64)&edge + (rnd(f) & 0xffff);      /* our image */
	case 3: return pick(f, f->tids, f->ntids, l4_myself());
	case 4: return pick(f, f->dead, f->ndead, EXO_TID(rnd(f) % 300, rnd(f) % 4));
	case 5: return pick(f, f->caps, f->ncaps, 0);
	case 6: return pick(f, f->stale, f->nstale, 0);
	case 7: return EXO_CAP(rnd(f) % (EXO_NCAPS + 8), rnd(f) % 8);  /* foreign */
	case 8: return fpage(f, f->root);
	case 9: return rnd(f) | 1;                                  /* unaligned */
	case 10: return rnd(f) % 64;
	}
	return l4_myself();
}

static u64
arg(struct fz *f)
{
	return rnd(f) % 3 ? edge(f) : rnd(f);
}

/* A timeout pair that blocks briefly; a child's, rarely for ever. */
static u64
timeouts(struct fz *f)
{
	u32 t[2];

	for (int i = 0; i < 2; i++) {
		u32 k = (u32)(rnd(f) % 64);

		t[i] = k == 0 && !f->root ? EXO_TIMEOUT_NEVER : k < 32 ? EXO_TIMEOUT_ZERO :
		       EXO_TIMEOUT_US((u32)(rnd(f) % 200 + 1));
	}
	return rnd(f) % 16 || f->root ? EXO_TIMEOUTS(t[0], t[1]) : arg(f);
}

/* Message registers, with map and grant items among the typed words. */
static void
message(struct fz *f, struct regs *r)
{
	struct exo_utcb *u = l4_utcb();
	u32 un = (u32)(rnd(f) % 10), t = (u32)(rnd(f) % 4) * 2;
	u64 *mr[8] = { &r->r8, &r->r9, &r->r10, &r->r12, &r->r13, &r->r14, &r->r15, &r->rbx };

	*mr[0] = rnd(f) % 8 ? EXO_TAG(rnd(f) & 0xffff, un, t) : arg(f);
	for (u32 i = 1; i < 8; i++)
		*mr[i] = arg(f);
	for (u32 i = 8; i < 16; i++)
		u->mr[i] = arg(f);
	for (u32 i = 0; i < t; i += 2) {
		u32 at = 1 + un + i;
		u64 w0 = (fpage(f, f->root) & ~0x3ffULL) |
			 (rnd(f) % 3 ? EXO_ITEM_MAP : rnd(f) % 2 ? EXO_ITEM_GRANT : rnd(f) & 0xf);

		if (at + 1 < 8) {
			*mr[at] = w0;
			*mr[at + 1] = fpage(f, f->root);
		} else if (at + 1 < EXO_NMR) {
			u->mr[at] = w0;
			u->mr[at + 1] = fpage(f, f->root);
		}
	}
	u->acceptor = rnd(f) % 4 ? fpage(f, f->root) : f->root ? EXO_FPAGE_NIL : arg(f);
}

static void
do_syscall(struct regs *r)
{
	register u64 r8 __asm__("r8") = r->r8;
	register u64 r9 __asm__("r9") = r->r9;
	register u64 r10 __asm__("r10") = r->r10;
	register u64 r12 __asm__("r12") = r->r12;
	register u64 r13 __asm__("r13") = r->r13;
	register u64 r14 __asm__("r14") = r->r14;
	register u64 r15 __asm__("r15") = r->r15;
	register u64 rbx __asm__("rbx") = r->rbx;

	__asm__ volatile("syscall"
			 : "+a"(r->rax), "+D"(r->rdi), "+S"(r->rsi), "+d"(r->rdx),
			   "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13),
			   "+r"(r14), "+r"(r15), "+r"(rbx)
			 : : "rcx", "r11", "memory", EXO_SYSCALL_FPU_CLOBBERS);
}

/* A thread id the root may aim at: never its own task's threads. */
static bool
root_may_touch(u64 tid)
{
	return tid != l4_myself() && EXO_TID_NO(tid) != EXO_TID_NO(pager) &&
	       EXO_TID_NO(tid) != EXO_TID_NO(l4_kip()->sigma0);
}

static u64
scratch_page(struct fz *f)
{
	return SCRATCH + (rnd(f) & ((1ULL << SCRATCH_S) - 1) & ~(EXO_PAGE_SIZE - 1));
}

/* The root keeps its own task alive: these arguments stay in its scratch. */
static bool
root_clamp(struct fz *f, struct regs *r)
{
	switch (r->rax) {
	case SYS_env_entry:
	case SYS_revoke_request:
	case SYS_pct:
		return false;           /* could run the root's code from elsewhere */
	case SYS_thread_control:
		/* No child above us: one that spins would starve the root. */
		if ((i64)r->r8 > PRIO_ROOT)
			r->r8 %= PRIO_ROOT + 1;
		if (r->rdi != EXO_NILTHREAD && !root_may_touch(r->rdi))
			r->rdi = EXO_NILTHREAD;
		if (r->rdi == EXO_NILTHREAD && r->rsi != EXO_NILTHREAD)
			r->r10 = scratch_page(f);       /* a UTCB never over our memory */
		return true;
	case SYS_exchange_registers:
	case SYS_thread_switch:
		return root_may_touch(r->rdi);
	case SYS_ipc:
		return root_may_touch(r->rdi) && (r->rsi == EXO_ANYTHREAD ||
						  root_may_touch(r->rsi));
	case SYS_unmap:
		r->rdi = fpage(f, true);
		return true;
	case SYS_bind:
		r->rsi = scratch_page(f);
		return true;
	case SYS_cap_info:
	case SYS_console_read:
	case SYS_repossessed:
		r->rsi = r->rax == SYS_cap_info ? scratch_page(f) : r->rsi;
		r->rdi = r->rax == SYS_cap_info ? r->rdi : scratch_page(f);
		return true;
	}
	return true;
}

/* A child's IPC goes neither to σ0 nor to the pager (the library's). */
static bool
child_target_ok(u64 tid)
{
	return EXO_TID_NO(tid) != EXO_TID_NO(pager) &&
	       EXO_TID_NO(tid) != EXO_TID_NO(l4_kip()->sigma0);
}

static u64
sysno(struct fz *f)
{
	u64 k = rnd(f) % 64;

	if (k < SYS_NR + 2)
		return k;               /* every number, and two just past */
	return k % 2 ? rnd(f) : (u64)-(i64)(rnd(f) % 4);
}


/*
 * Never start a thread inside our own image at a random place: from there
 * it may reach exit(), which ends the whole task, the root too. A kernel
 * address instead (it must be refused, or fault in user mode).
 */
static u64
not_image(u64 ip)
{
	return ip >= (u64)__image_start && ip < (u64)__image_end ? ip | 0xffff800000000000ULL : ip;
}

/* Nor on a stack of ours, whose return addresses lead into the image. */
static u64
not_stack(u64 sp)
{
	return sp >= TASK_STACK_TOP - EXO_USER_STACK_SIZE && sp <= TASK_STACK_TOP ?
	       sp | 0xffff800000000000ULL : not_image(sp);
}

/* One call's registers; false if this caller must not make it. */
static bool
make_call(struct fz *f, struct regs *r)
{
	u64 *w = &r->rdi;

	/* One at a time: the order of the draws is the seed's, on any compiler. */
	r->rax = sysno(f);
	for (u32 i = 0; i < sizeof(*r) / sizeof(u64) - 1; i++)
		w[i] = arg(f);
	switch (r->rax) {
	case SYS_exit:
	case SYS_slice_alloc:
		return false;
	case SYS_ktest: {
		static const u64 ops[] = { KTEST_TIMER, KTEST_TRACE, KTEST_FASTPATH,
					   KTEST_BIND_DIGEST, KTEST_SHOOTDOWN,
					   KTEST_SELFCHECK, KTEST_FRAMES, 0, 11, ~0ULL };

		r->rdi = ops[rnd(f) % (sizeof(ops) / sizeof(ops[0]))];
		if (r->rdi == KTEST_TIMER)
			r->rsi = rnd(f) % 200;
		break;
	}
	case SYS_console_write:
		r->rsi = rnd(f) % 4 ? rnd(f) % 8 : arg(f);      /* keep the console quiet */
		break;
	case SYS_exchange_registers:
		r->r10 = not_image(r->r10);
		r->rdx = not_stack(r->rdx);
		break;
	case SYS_env_entry:
		r->rsi = not_image(r->rsi);
		break;
	case SYS_ipc:
		message(f, r);
		r->rdx = timeouts(f);
		if (!f->root && (!child_target_ok(r->rdi) || !child_target_ok(r->rsi)))
			r->rdi = l4_myself();
		break;
	}
	return !f->root || root_clamp(f, r);
}

/* What a call gave back that the caller should remember (or undo). */
static void
note_result(struct fz *f, const struct regs *in, i64 ret)
{
	switch (in->rax) {
	case SYS_frame_alloc:
	case SYS_cap_derive:
	case SYS_env_cap:
	case SYS_cap_pass:
		if (ret > 0)
			keep(f, f->caps, &f->ncaps, (u64)ret);
		break;
	case SYS_frame_free:
	case SYS_cap_drop:
		if (ret == 0)
			keep(f, f->stale, &f->nstale, in->rdi);
		break;
	case SYS_thread_control:
		if (ret > 0)
			keep(f, f->tids, &f->ntids, (u64)ret);
		else if (ret == 0 && in->rsi == EXO_NILTHREAD)
			keep(f, f->dead, &f->ndead, in->rdi);
		break;
	}
}

static void
fuzz_one(struct fz *f)
{
	struct regs r, in;

	do {
		if (!make_call(f, &r))
			continue;
		in = r;
		f->count->in_call = (in.rax < SYS_NR ? in.rax : SYS_NR) + 1;
		do_syscall(&r);
		f->count->in_call = 0;
		note_result(f, &in, (i64)r.rax);
		f->count->per_sys[in.rax < SYS_NR ? in.rax : SYS_NR]++;
		f->count->calls++;
		return;
	} while (1);
}

/* ---- the children's pager ---- */

/*
 * The children's pager: text is mapped from our image, data copied and
 * stack pages zeroed into pages of a pool that is used again by every
 * batch (σ0 gives memory once: a pager that took new pages for each fault
 * would run it dry in a few hundred children that unmap their own pages).
 * A fault anywhere else, or with the pool spent, deletes the thread.
 */
#define POOL_S          20
#define POOL_PAGES      ((1u << POOL_S) / EXO_PAGE_SIZE)
static u8 *pool;
static volatile u32 pool_used;
static volatile u64 pager_refused, pager_last_refused;

static bool
pager_serve(struct l4_msg *m, u64 addr, u32 access)
{
	u64 page = EXO_PAGE_DOWN(addr);
	u8 *fresh;

	m->mr[0] = EXO_TAG(0, 0, 2);
	m->mr[1] = EXO_ITEM_MAP | page;
	if (page >= (u64)__image_start && page < (u64)__image_rw) {
		if (access & EXO_W)
			return false;   /* it would fault again for ever */
		m->mr[2] = EXO_FPAGE(page, 12, EXO_R | EXO_X);
		return true;
	}
	if (pool_used == POOL_PAGES || access & EXO_X)
		return false;
	fresh = pool + (u64)pool_used * EXO_PAGE_SIZE;
	if (page >= (u64)__image_rw && page < (u64)__image_end)
		memcpy(fresh, (void *)page, EXO_PAGE_SIZE);
	else if (page >= TASK_STACK_TOP - EXO_USER_STACK_SIZE && page < TASK_STACK_TOP)
		memset(fresh, 0, EXO_PAGE_SIZE);
	else
		return false;
	pool_used++;
	m->mr[2] = EXO_FPAGE((u64)fresh, 12, EXO_RW);
	return true;
}

static void
pager_loop(u64 arg)
{
	struct l4_msg m;
	u64 from, err;

	(void)arg;
	err = l4_wait(&m, &from);
	for (;;) {
		if (err || !EXO_LABEL_IS_PF(EXO_TAG_LABEL(m.mr[0]))) {
			err = l4_wait(&m, &from);
		} else if (!pager_serve(&m, m.mr[1], (u32)EXO_TAG_LABEL(m.mr[0]) & 7)) {
			pager_refused++;
			pager_last_refused = m.mr[1];
			l4_thread_control(from, EXO_NILTHREAD, 0, 0, -1);
			err = l4_wait(&m, &from);
		} else {
			err = l4_reply_wait(from, &m, &from);
		}
	}
}

/* Between batches, with every child dead: take back every mapping made
 * from the pool, wherever it went, and use the pool again. */
static void
pool_recycle(void)
{
	l4_unmap(EXO_FPAGE((u64)pool, POOL_S, EXO_RWX), 0);
	pool_used = 0;
}

/* ---- children ---- */

static u8 xstack[4096] __attribute__((aligned(16)));

/*
 * Our own ud2 is stepped over. Anything else (a page fault, a forged frame)
 * is given back to the kernel: this thread's entry goes, the instruction
 * runs again and the kernel deals with it (the pager, or death). Declining
 * instead would exit(), which ends the whole task; so would the library's
 * handler pointer left empty (exo_handler_set(0, 0)), which the space's
 * other thread shares: an upcall reaching it then (its own entry, or one
 * the rewriter forged in its UTCB) would find no handler and exit.
 */
static int
child_handler(struct exo_xframe *x)
{
	if (x->vector == 6 && x->rip >= (u64)__image_start && x->rip < (u64)__image_rw &&
	    *(const u16 *)x->rip == 0x0b0f)
		x->rip += 2;
	else
		env_entry(EXO_ENTRY_EXCEPTION, 0, 0);
	return 0;
}

/* Start message words: seed, calls, the rewriter's id, the root's id, then
 * the other tids worth aiming at; a map item of the report page. */
enum { ST_SEED = 1, ST_CALLS, ST_PEER, ST_ROOT, ST_DEAD, ST_WORDS };

/* The start message, from the root alone: another child's fuzzed IPC that
 * happens to carry enough words must not pass for it. */
static void
child_wait_start(struct l4_msg *m)
{
	u64 from;

	while (l4_receive(root_tid, m, EXO_TIMEOUT_NEVER, &from) ||
	       EXO_TAG_U(m->mr[0]) < ST_WORDS - 1)
		;
}

static void
child_start(struct fz *f, struct l4_msg *m, struct fz_count *c)
{
	f->count = c;
	c->started = 1;
	f->rng = m->mr[ST_SEED] | 1;
	keep(f, f->tids, &f->ntids, m->mr[ST_PEER]);
	keep(f, f->tids, &f->ntids, m->mr[ST_ROOT]);
	keep(f, f->tids, &f->ntids, l4_myself());
	keep(f, f->dead, &f->ndead, m->mr[ST_DEAD]);
}

static void
child_fuzz(void)
{
	static struct fz f;
	struct l4_msg m;
	struct fz_page *p = (struct fz_page *)REPORT_VA;
	u64 calls;

	l4_utcb()->acceptor = EXO_FPAGE(REPORT_VA, 12, EXO_RW);
	child_wait_start(&m);
	child_start(&f, &m, &p->fuzz);
	calls = m.mr[ST_CALLS];
	/*
	 * Not a call before the rewriter has its start message too: ours may
	 * halt it (exchange_registers on the peer), and a rewriter halted
	 * before it took the message never takes it, so the root's send
	 * times out and the run ends (seed 7007 on 2 vCPUs: the rewriter was
	 * still in its first stack fault). Once it runs, halting it is fair.
	 */
	while (!p->rewrite.started)
		l4_sleep(100);
	exo_handler_set(child_handler, xstack + sizeof(xstack));
	while (f.count->calls < calls) {
		if (rnd(&f) % 64 == 0) {
			p->fuzz.faults++;
			exo_handler_set(child_handler, xstack + sizeof(xstack));
			exo_xframe()->vector = 0;
			__asm__ volatile("ud2");    /* a live exception frame */
		}
		fuzz_one(&f);
	}
	p->fuzz.done = 1;
	for (;;)
		l4_sleep(1000000);
}

/* Scribble over a UTCB: message registers, acceptor, exception frame. */
static void
scribble(struct fz *f, u8 *utcb)
{
	static const u64 forged[] = { 0x8, 0x10, 0x18, 0x2b, 0x23, 0, 3, ~0ULL };
	struct exo_xframe *x = (struct exo_xframe *)(utcb + EXO_UTCB_XFRAME);
	u64 v = rnd(f) % 2 ? forged[rnd(f) % 8] : arg(f);

	switch (rnd(f) % 8) {
	case 0: x->cs = v; break;
	case 1: x->ss = v; break;
	case 2: x->rip = not_image(arg(f)); break;
	case 3: x->vector = rnd(f) % 64 ? 0 : v; break;
	case 4: ((struct exo_utcb *)utcb)->acceptor = arg(f); break;
	case 5:
		if (rnd(f) % 64 == 0)
			x->entry_pc = not_image(arg(f));
		/* fall through */
	default: ((struct exo_utcb *)utcb)->mr[rnd(f) % EXO_NMR] = v; break;
	}
}

/* Rewrites both UTCBs while the fuzzing thread calls; now and then aborts,
 * halts and resumes it, or makes a call of its own. */
static void
child_rewrite(void)
{
	static struct fz f;
	struct l4_msg m;
	struct fz_page *p = (struct fz_page *)REPORT_VA;
	u64 victim;

	child_wait_start(&m);
	child_start(&f, &m, &p->rewrite);
	victim = m.mr[ST_PEER];
	/* Until the fuzzing thread is done (the root reaps us if it stalls);
	 * calls of our own up to a quarter of its share. Every 1024 rounds the
	 * victim is woken from whatever blocked it (a halt, an endless IPC). */
	for (u64 n = 0; !p->fuzz.done && !(m.mr[ST_CALLS] >> 62); n++) {
		u64 k = rnd(&f) % 256;

		scribble(&f, (u8 *)TASK_UTCB);
		scribble(&f, (u8 *)l4_utcb());
		if (k == 0)
			l4_exchange_registers(victim, rnd(&f) % 2 ? EXR_ABORT_SEND | EXR_ABORT_RECV :
					      EXR_HALT, 0, 0, 0, 0, 0);
		else if (k == 1 || n % 1024 == 0)
			l4_exchange_registers(victim, EXR_RESUME | EXR_ABORT_SEND | EXR_ABORT_RECV,
					      0, 0, 0, 0, 0);
		else if (k < 24 && f.count->calls < m.mr[ST_CALLS] / 4)
			fuzz_one(&f);
	}
	p->rewrite.done = 1;
	for (;;)
		l4_sleep(1000000);
}

/* ---- the root ---- */

struct totals {
	u64 calls, root_calls, child_calls, rewrite_calls, faults, batches, checks;
	u64 violations, kind, object, leaks, children, unfinished;
	u64 per_sys[NSYS];
	u64 stuck_in[NSYS];     /* where unfinished fuzzing threads were */
	/* and how: dead, then 1 + EXR_WAS_* bits */
	u64 unfinished_state[9];
};
static struct totals tot;
static struct fz root;
static struct fz_page *pages[CHILDREN];

/* A thread of a new child space (or of space) at ip, stack sp; 0 if not. */
static u64
child_thread(u64 space, u64 utcb, u64 ip, u64 sp, int cpu)
{
	long tid = l4_thread_control(EXO_NILTHREAD, space, pager, utcb, -1);

	if (tid <= 0) {
		printf("sysfuzz: thread_control: %ld\n", tid);
		return 0;
	}
	if (cpu >= 0 && l4_exchange_registers((u64)tid, EXR_CPU(cpu), 0, 0, 0, 0, 0) < 0)
		return 0;
	if (l4_exchange_registers((u64)tid, EXR_RESUME | EXR_SET_SP | EXR_SET_IP,
				  sp - 8, ip, 0, 0, 0) < 0)
		return 0;
	return (u64)tid;
}

static bool
child_send_start(u64 tid, u64 seed, u64 calls, u64 peer, u64 dead, u64 page)
{
	struct l4_msg m = { { EXO_TAG(0, ST_WORDS - 1, page ? 2 : 0), seed, calls, peer,
			      l4_myself(), dead } };

	if (page) {
		m.mr[ST_WORDS] = EXO_ITEM_MAP | REPORT_VA;
		m.mr[ST_WORDS + 1] = EXO_FPAGE(page, 12, EXO_RW);
	}
	u64 err = l4_send(tid, &m, EXO_TIMEOUT_US(1000000));

	if (err)
		printf("sysfuzz: start message to 0x%lx: error 0x%lx; its state %ld "
		       "(<0: gone; else 1 halted, 2 sending, 4 receiving); last fault "
		       "refused at %#lx\n", tid, err,
		       l4_exchange_registers(tid, 0, 0, 0, 0, 0, 0), pager_last_refused);
	return err == 0;
}

/* Spawn child i's two threads; their ids in tid[2]. */
static bool
child_spawn(u32 i, u64 seed, u64 calls, u64 dead, u64 tid[2])
{
	u32 ncpus = l4_kip()->ncpus;

	for (u32 j = 0; j < sizeof(*pages[i]) / 8; j++)
		((volatile u64 *)pages[i])[j] = 0;
	tid[0] = child_thread(EXO_NILTHREAD, TASK_UTCB, (u64)child_fuzz, TASK_STACK_TOP,
			      ncpus > 1 ? (int)(i % ncpus) : -1);
	if (!tid[0])
		return false;
	tid[1] = child_thread(tid[0], TASK_UTCB + EXO_PAGE_SIZE, (u64)child_rewrite,
			      REWRITER_STACK, ncpus > 1 ? (int)((i + 1) % ncpus) : -1);
	if (!tid[1])
		return false;
	return child_send_start(tid[0], seed * 2 + i, calls, tid[1], dead, (u64)pages[i]) &&
	       child_send_start(tid[1], seed * 3 + i, calls | (leave_out & 2 ? 1ULL << 62 : 0),
				tid[0], dead, 0);
}

/* The children's progress so far: the sum of their call counts. */
static u64
child_progress(void)
{
	u64 n = 0;

	for (u32 i = 0; i < CHILDREN; i++)
		n += pages[i]->fuzz.calls;
	return n;
}

/*
 * Wait while the fuzzing threads have not all finished and make progress:
 * they are given up (blocked for good, or dead) after STALL_CHECKS looks,
 * patience_us apart, that saw no call of theirs complete. Giving up early
 * only loses calls, never a finding.
 */
#define STALL_CHECKS 16
static void
child_wait(u64 patience_us, u64 quota)
{
	u64 last = ~0ULL;

	/* Past twice their share, a thread runs off its rails (a moved stack,
	 * a forged frame) and could call for ever: stop waiting then too. */
	for (u32 stalled = 0; stalled < STALL_CHECKS && child_progress() <= 2 * quota;) {
		bool all = true;

		for (u32 i = 0; i < CHILDREN; i++)
			all = all && pages[i]->fuzz.done;
		if (all)
			return;
		stalled = child_progress() == last ? stalled + 1 : 0;
		last = child_progress();
		l4_sleep((u32)(patience_us < 1000000 ? patience_us : 1000000));
	}
}

static void
child_collect(u32 i)
{
	const struct fz_count *c[2] = { &pages[i]->fuzz, &pages[i]->rewrite };

	tot.unfinished += !pages[i]->fuzz.done;
	if (!pages[i]->fuzz.done && c[0]->in_call)
		tot.stuck_in[c[0]->in_call - 1]++;
	tot.child_calls += c[0]->calls;
	tot.rewrite_calls += c[1]->calls;
	tot.faults += c[0]->faults;
	for (u32 k = 0; k < 2; k++)
		for (u32 s = 0; s < NSYS; s++)
			tot.per_sys[s] += c[k]->per_sys[s];
}

/* Undo what the root's own calls made: threads, capabilities, drivers. */
static void
root_undo(void)
{
	for (u32 i = 0; i < root.ntids; i++)
		if (root_may_touch(root.tids[i]))
			l4_thread_control(root.tids[i], EXO_NILTHREAD, 0, 0, -1);
	for (u32 i = 0; i < root.ncaps; i++)
		cap_drop(root.caps[i]);
	for (u32 irq = 1; irq <= EXO_NIRQ; irq++)
		l4_irq_control(EXO_IRQ_TID(irq), EXO_NILTHREAD);
	for (u32 i = 0; i < root.ntids; i++)
		keep(&root, root.dead, &root.ndead, root.tids[i]);
	root.ntids = root.ncaps = 0;
	l4_utcb()->acceptor = EXO_FPAGE_NIL;
}

static long
selfcheck(u64 *kind, u64 *object)
{
	struct regs r = { .rax = SYS_ktest, .rdi = KTEST_SELFCHECK };

	do_syscall(&r);
	*kind = r.rdi;
	*object = r.rsi;
	return (long)r.rax;
}

/* The self-check and the leak check after a batch: false to stop. */
static bool
batch_check(u64 base_caps, u64 base_utcbs)
{
	u64 kind, object;
	long v = selfcheck(&kind, &object);

	tot.checks++;
	if (v < 0) {
		printf("sysfuzz: self-check failed to run: %ld\n", v);
		tot.violations++;
		return false;
	}
	if (v > 0) {
		if (!tot.violations) {
			tot.kind = kind;
			tot.object = object;
		}
		tot.violations += (u64)v;
		printf("sysfuzz: batch %lu: %ld violation(s), first kind %lu object 0x%lx\n",
		       tot.batches, v, kind, object);
		return false;
	}
	if ((u64)ktest(KTEST_FRAMES, KTEST_FR_CAPS) != base_caps ||
	    (u64)ktest(KTEST_FRAMES, KTEST_FR_UTCBS) != base_utcbs) {
		tot.leaks++;
		printf("sysfuzz: batch %lu: frames held by capabilities %ld (were %lu), "
		       "by UTCBs %ld (were %lu)\n", tot.batches,
		       ktest(KTEST_FRAMES, KTEST_FR_CAPS), base_caps,
		       ktest(KTEST_FRAMES, KTEST_FR_UTCBS), base_utcbs);
		return false;
	}
	return true;
}

static bool
batch_run(u64 seed, u64 calls)
{
	u64 tid[CHILDREN][2], t0, spent;
	u64 per_child = calls / (2 * CHILDREN) + 1, mine = calls / 2 + 1;
	u64 dead = pick(&root, root.dead, root.ndead, EXO_TID(200, 7));

	for (u32 i = 0; i < CHILDREN; i++) {
		if (!child_spawn(i, seed + tot.batches * 131, per_child, dead, tid[i])) {
			printf("sysfuzz: could not start child %u (pool: %u pages used, "
			       "%lu faults refused)\n", i, pool_used, pager_refused);
			return false;
		}
		keep(&root, root.tids, &root.ntids, tid[i][0]);
		keep(&root, root.tids, &root.ntids, tid[i][1]);
	}
	tot.children += CHILDREN;
	t0 = l4_rdtsc();
	for (u64 n = 0; n < mine && !(leave_out & 1); n++)
		fuzz_one(&root);
	spent = l4_rdtsc() - t0;
	/* Patience: all looks together as long as the root's own share took
	 * (by the KIP's clock rate), each at least 2 ms: a child that made no
	 * progress in that long, with the CPU shared by round robin, is
	 * blocked or dead. */
	child_wait(l4_kip()->tsc_khz ? spent * 1000 / l4_kip()->tsc_khz / STALL_CHECKS + 2000 :
		   100000, per_child * CHILDREN);
	for (u32 i = 0; i < CHILDREN; i++) {
		if (!pages[i]->fuzz.done) {
			long st = l4_exchange_registers(tid[i][0], 0, 0, 0, 0, 0, 0);

			tot.unfinished_state[st < 0 ? 0 : 1 + (st & 7)]++;
		}
		l4_thread_control(tid[i][1], EXO_NILTHREAD, 0, 0, -1);
		l4_thread_control(tid[i][0], EXO_NILTHREAD, 0, 0, -1);
		child_collect(i);
	}
	root_undo();
	pool_recycle();
	tot.batches++;
	return true;
}

static void
report(u64 seed)
{
	static const char *const name[NSYS] = {
		"exit", "console_write", "ktest", "ipc", "thread_control",
		"exchange_registers", "thread_switch", "unmap", "irq_control",
		"bench_mark", "console_read", "11", "12", "13", "14", "15", "cap_info",
		"cap_derive", "cap_pass", "cap_drop", "env_cap", "frame_alloc",
		"frame_free", "bind", "unbind", "bind_query", "env_entry",
		"upcall_wait", "pct", "slice_alloc", "slice_yield",
		"revoke_request", "repossessed", "env_backing", "backing_read",
		"slice_give", "ext_load", "ext_attach", "ext_counter", "ext_domain", "bind_env", "invalid",
	};
	_Static_assert(SYS_NR == 41, "a name for every system call");

	printf("sysfuzz-result {\"seed\":%lu,\"cpus\":%u,\"calls\":%lu,\"root_calls\":%lu,"
	       "\"child_calls\":%lu,\"rewrite_calls\":%lu,\"exceptions\":%lu,"
	       "\"batches\":%lu,\"children\":%lu,\"unfinished\":%lu,\"checks\":%lu,"
	       "\"violations\":%lu,\"first_kind\":%lu,\"first_object\":%lu,"
	       "\"leaks\":%lu,\"pager_refused\":%lu,\"per_syscall\":{",
	       seed, l4_kip()->ncpus, tot.calls, tot.root_calls, tot.child_calls,
	       tot.rewrite_calls, tot.faults, tot.batches, tot.children,
	       tot.unfinished, tot.checks, tot.violations, tot.kind, tot.object, tot.leaks,
	       pager_refused);
	for (u32 s = 0; s < NSYS; s++)
		printf("%s\"%s\":%lu", s ? "," : "", name[s], tot.per_sys[s]);
	printf("},\"unfinished_dead\":%lu,\"unfinished_halted\":%lu,"
	       "\"unfinished_sending\":%lu,\"unfinished_receiving\":%lu,"
	       "\"unfinished_running\":%lu",
	       tot.unfinished_state[0],
	       tot.unfinished_state[2] + tot.unfinished_state[4] + tot.unfinished_state[6] +
	       tot.unfinished_state[8], tot.unfinished_state[3] + tot.unfinished_state[7],
	       tot.unfinished_state[5], tot.unfinished_state[1]);
	printf(",\"stuck_in\":{");
	for (u32 s = 0, first = 1; s < NSYS; s++)
		if (tot.stuck_in[s]) {
			printf("%s\"%s\":%lu", first ? "" : ",", name[s], tot.stuck_in[s]);
			first = 0;
		}
	printf("}}\n");
}

int
main(int argc, char **argv)
{
	u64 seed, calls, batch, base_caps, base_utcbs;
	static struct fz_count root_count;
	bool ok = true;

	if (argc < 3 || atoi(argv[2]) <= 0 || (argc > 3 && atoi(argv[3]) <= 0)) {
		printf("usage: sysfuzz SEED CALLS [BATCH [LEAVE_OUT]]\n");
		return 4;
	}
	seed = (u64)atoi(argv[1]);
	calls = (u64)atoi(argv[2]);
	batch = argc > 3 ? (u64)atoi(argv[3]) : 2000;
	leave_out = argc > 4 ? (u64)atoi(argv[4]) : 0;
	root = (struct fz){ .rng = seed * 0x9e3779b97f4a7c15ULL | 1, .root = true,
			    .count = &root_count };
	for (u32 i = 0; i < CHILDREN; i++)
		if (!(pages[i] = mem_alloc(12)))
			return 3;
	/*
	 * A child's data pages are copies of ours, made again whenever it
	 * unmapped one and touched it: the library's handler pointer must be
	 * set in ours too, or a child whose copy came back without it would
	 * find "no handler" at its next exception and exit(), ending the whole
	 * task (seed 7005 on 2 vCPUs, status 142). Our own thread keeps no
	 * entry: its faults stay fatal, as before.
	 */
	exo_handler_set(child_handler, xstack + sizeof(xstack));
	env_entry(EXO_ENTRY_EXCEPTION, 0, 0);
	root_tid = l4_myself();
	pool = mem_alloc(POOL_S);
	pager = pool ? thread_spawn(pager_loop, 0) : 0;
	if (!pager || ktest(KTEST_TRACE, 0) < 0) {
		printf("sysfuzz: no pager, or not booted with --cmdline ktest\n");
		return 3;
	}
	base_caps = (u64)ktest(KTEST_FRAMES, KTEST_FR_CAPS);
	base_utcbs = (u64)ktest(KTEST_FRAMES, KTEST_FR_UTCBS);
	ok = batch_check(base_caps, base_utcbs);
	while (ok && tot.calls < calls) {
		ok = batch_run(seed, batch);
		for (u32 s = 0; s < NSYS; s++)
			tot.per_sys[s] += root_count.per_sys[s], root_count.per_sys[s] = 0;
		tot.root_calls += root_count.calls;
		root_count.calls = 0;
		tot.calls = tot.root_calls + tot.child_calls + tot.rewrite_calls;
		ok = ok && batch_check(base_caps, base_utcbs);
	}
	report(seed);
	if (tot.violations)
		return 1;
	return tot.leaks ? 2 : ok ? 0 : 3;
}
