/*
 * Extensions in the kernel (ext.h). A load copies the program in, runs the
 * checker in a work area of fresh frames mapped writable and no-execute in
 * the extension window (platform.h), compiles it there, copies the code
 * into its own frames and only then maps them read-only and executable:
 * no mapping of them is ever writable and executable at once (the direct
 * map of memory is no-execute: mmu.c). The work area goes when the load
 * ends, accepted or not.
 *
 * Everything here runs under the big kernel lock: one load at a time (so
 * one work area), and a raise (syscall_dispatch, kernel_exception's page
 * fault) never overlaps an attach or a removal on another CPU. A removal
 * unmaps the code and shoots the window's pages down on every CPU before
 * its frames are freed.
 */
#include "ext.h"

#include <exo/error.h>
#include <exo/ext.h>
#include <exo/extcall.h>
#include <exo/layout.h>

#include "../ebpf/helpers.h"
#include "../ebpf/jit.h"
#include "../ebpf/verify.h"
#include "bind.h"
#include "cap.h"
#include "exocall.h"
#include "ext_int.h"
#include "frame.h"
#include "kernel.h"
#include "platform.h"
#include "trace.h"

#define EXT_DATA_STORE  (EXT_COUNTER_SLOTS * 8)    /* store slots' offset */

_Static_assert(EXO_EXT_MAX_INSNS == EXT_MAX_INSNS, "one size limit");
_Static_assert(EXT_DATA_STORE + EXT_STORE_SLOTS * EXT_STORE_SIZE <= EXO_PAGE_SIZE,
	       "counters and store slots share one frame");
_Static_assert(EXT_MAX * EXO_EXT_CODE_PAGES <= 512, "code slots fit one PT");
_Static_assert(EXO_EXT_STORE_WORD(0) == EXT_COUNTER_SLOTS &&
	       EXO_EXT_DATA_WORDS * 8 == EXT_DATA_STORE + EXT_STORE_SLOTS * EXT_STORE_SIZE,
	       "ext_counter's words are the data frame's");

struct kext exts[EXT_MAX];
struct ext_hook hooks[NSPACES][EXO_EXT_HOOKS];
u8 nhooks[NSPACES];
static u8 loaded[NSPACES];
u32 ext_syscall_hooks, ext_pf_hooks;
static struct kext *running;    /* the helpers' extension (big lock) */
static struct space *vm_space;  /* while a page-fault or system-call handler runs:
				   the space whose event it is */

/* ---- The helpers (ext.h's prototypes; the checker matched every call). */

static u64
h_ktime(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	return arch_now();
}

static u64
h_counter_add(u64 slot, u64 delta, u64 c, u64 d, u64 e)
{
	(void)c, (void)d, (void)e;
	if (slot >= EXT_COUNTER_SLOTS)
		return (u64)-E_INVAL;
	((u64 *)arch_phys_to_virt(running->data))[slot] += delta;
	return 0;
}

static u64
h_store(u64 slot, u64 b, u64 c, u64 d, u64 e)
{
	(void)b, (void)c, (void)d, (void)e;
	if (slot >= EXT_STORE_SLOTS)
		return 0;
	return (u64)arch_phys_to_virt(running->data) + EXT_DATA_STORE +
	       slot * EXT_STORE_SIZE;
}

/* Page-fault and system-call handlers only (the checker holds every other
 * type to that): the rights of a binding of the space whose event it is,
 * set exactly (EXO_R kept), within its capability. */
static u64
h_page_protect(u64 addr, u64 prot, u64 c, u64 d, u64 e)
{
	u32 rights = (prot & EXT_PF_READ ? EXO_R : 0) | (prot & EXT_PF_WRITE ? EXO_W : 0) |
		     (prot & EXT_PF_EXEC ? EXO_X : 0);

	(void)c, (void)d, (void)e;
	if (!vm_space)
		return (u64)-E_PERM;
	if (prot & ~(u64)(EXT_PF_READ | EXT_PF_WRITE | EXT_PF_EXEC) || addr >= EXO_USER_END)
		return (u64)-E_INVAL;
	return (u64)(i64)bind_protect(vm_space, EXO_PAGE_DOWN(addr), rights);
}

/* The same for a range: bind_protect_range's count of bindings or error. */
static u64
h_protect_range(u64 addr, u64 npages, u64 prot, u64 d, u64 e)
{
	u32 rights = (prot & EXT_PF_READ ? EXO_R : 0) | (prot & EXT_PF_WRITE ? EXO_W : 0) |
		     (prot & EXT_PF_EXEC ? EXO_X : 0);

	(void)d, (void)e;
	if (!vm_space)
		return (u64)-E_PERM;
	if (prot & ~(u64)(EXT_PF_READ | EXT_PF_WRITE | EXT_PF_EXEC))
		return (u64)-E_INVAL;
	return (u64)bind_protect_range(vm_space, addr, npages, rights);
}

/* Bit (addr >> 12) % 4096 of the store: pages 16 MiB apart share a bit,
 * so a reader may see a clean page as dirty, never the reverse. */
static u64
h_dirty_mark(u64 addr, u64 b, u64 c, u64 d, u64 e)
{
	u8 *map = (u8 *)arch_phys_to_virt(running->data) + EXT_DATA_STORE;
	u64 bit = (addr >> 12) % (EXT_STORE_SLOTS * EXT_STORE_SIZE * 8);

	(void)b, (void)c, (void)d, (void)e;
	if (addr >= EXO_USER_END)
		return (u64)-E_INVAL;
	map[bit / 8] |= (u8)(1u << (bit % 8));
	return 0;
}

static u64
h_self(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	return this_cpu()->cur ? this_cpu()->cur->id : 0;
}

static ebpf_helper_fn *const helper_fn[EXT_HELPER_COUNT] = {
	[EXT_HELPER_KTIME] = h_ktime,
	[EXT_HELPER_COUNTER_ADD] = h_counter_add,
	[EXT_HELPER_STORE] = h_store,
	[EXT_HELPER_SELF] = h_self,
	[EXT_HELPER_PAGE_PROTECT] = h_page_protect,
	[EXT_HELPER_DIRTY_MARK] = h_dirty_mark,
	[EXT_HELPER_PROTECT_RANGE] = h_protect_range,
};
static const struct ebpf_helpers kernel_helpers = { helper_fn, EXT_HELPER_COUNT };
/* The base domain (<exo/extcall.h>) is the helpers the kernel has
 * (ext_trace is not one yet); the checker gives each program type only its
 * own of them (page_protect: page faults). */
_Static_assert(EXT_HELPER_COUNT <= 32 && EXT_EV_COUNT <= 32, "a domain's masks are u32");

/* ---- Frames. */

static void
frames_free(u64 *pa, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (pa[i])
			frame_free(pa[i]), pa[i] = 0;
}

static int
frames_alloc(u64 *pa, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (!(pa[i] = frame_alloc())) {
			frames_free(pa, i);
			return -E_NOMEM;
		}
	return 0;
}

/*
 * The work area of one load: the checker's state, the instructions, the
 * compiler's offsets, its output and the checker's facts, in that order.
 */
struct work {
	void *verifier;
	struct bpf_insn *insns;
	u32 *offset;
	u8 *code, *facts;
};
#define WORK_PAGES_MAX  128     /* 512 KiB: ~111 pages for 4096 instructions */
static u64 work_pa[WORK_PAGES_MAX];
static u32 work_pages;

static u64
work_size(u32 *off_insns, u32 *off_offset, u32 *off_code, u32 *off_facts, u32 n)
{
	u64 at = (verify_work_size() + 15) & ~15ull;

	*off_insns = (u32)at;
	at += (u64)n * sizeof(struct bpf_insn);
	*off_offset = (u32)at;
	at += ((u64)n + 1) * sizeof(u32);
	*off_code = (u32)at;
	at += EXO_EXT_CODE_PAGES * EXO_PAGE_SIZE;
	*off_facts = (u32)at;
	return at + n;
}

static int
work_get(struct work *w, u32 n)
{
	u32 oi, oo, oc, of;
	u64 size = work_size(&oi, &oo, &oc, &of, n);
	u8 *base;

	work_pages = (u32)(EXO_PAGE_UP(size) / EXO_PAGE_SIZE);
	kassert(work_pages <= WORK_PAGES_MAX && WORK_PAGES_MAX <= EXT_WIN_CODE);
	if (frames_alloc(work_pa, work_pages) < 0)
		return work_pages = 0, -E_NOMEM;
	base = arch_ext_map(0, work_pa, work_pages, EXO_SEG_R | EXO_SEG_W);
	if (!base) {
		frames_free(work_pa, work_pages);
		return work_pages = 0, -E_NOMEM;
	}
	*w = (struct work){ base, (void *)(base + oi), (void *)(base + oo),
			    base + oc, base + of };
	return 0;
}

static void
work_put(void)
{
	arch_ext_unmap(0, work_pages);
	frames_free(work_pa, work_pages);
	work_pages = 0;
}

/* ---- Loading. */

static struct kext *
ext_slot(void)
{
	for (u32 i = 0; i < EXT_MAX; i++)
		if (!exts[i].code && !exts[i].data)
			return &exts[i];
	return 0;
}

/* The checker said no: tell the user where and why, if asked. */
static i64
reject(struct thread *t, u64 err, const struct ext_verify_error *ve)
{
	struct exo_ext_error e = { .insn = ve->insn, .rule = (u32)ve->rule };
	const char *name = verify_rule_name(ve->rule);

	for (u32 i = 0; name && name[i] && i < sizeof e.rule_name - 1; i++)
		e.rule_name[i] = name[i];
	if (err && user_write(t->space, err, &e, sizeof e) < 0)
		return -E_FAULT;
	return -E_REJECTED;
}

/* Compile w's accepted program for slot x; the code in x->pa, mapped. */
static int
compile(struct kext *x, const struct work *w, u32 n)
{
	u32 slot = (u32)(x - exts), first = EXT_WIN_CODE + slot * EXO_EXT_CODE_PAGES;
	struct ebpf_jit j = {
		.prog = w->insns, .n = n, .helpers = &kernel_helpers,
		.out = 0, .offset = w->offset, .facts = w->facts,
	};
	int r = ebpf_jit(&j);

	if (r < 0)
		return r == -E_NOSYS ? -E_INVAL : r;
	if (j.len > EXO_EXT_CODE_PAGES * EXO_PAGE_SIZE)
		return -E_NOMEM;
	j.out = w->code;
	j.cap = EXO_EXT_CODE_PAGES * EXO_PAGE_SIZE;
	j.exec_addr = arch_ext_addr(first);
	r = ebpf_jit(&j);
	if (r < 0)
		return r;
	x->npages = (u32)(EXO_PAGE_UP(j.len) / EXO_PAGE_SIZE);
	if (frames_alloc(x->pa, x->npages) < 0)
		return -E_NOMEM;
	/* Written through the direct map (writable, no-execute) ... */
	for (u32 i = 0; i < x->npages; i++) {
		u32 off = i * (u32)EXO_PAGE_SIZE, len = j.len - off;

		__builtin_memcpy(arch_phys_to_virt(x->pa[i]), w->code + off,
				 len < EXO_PAGE_SIZE ? len : EXO_PAGE_SIZE);
	}
	/* ... then the one executable mapping, read-only. */
	x->code = arch_ext_map(first, x->pa, x->npages, EXO_SEG_R | EXO_SEG_X);
	if (!x->code) {
		frames_free(x->pa, x->npages);
		return -E_NOMEM;
	}
	return 0;
}

/* Check the n instructions at user insns against the helpers of a domain
 * and compile them into x. */
static i64
check_and_compile(struct thread *t, struct kext *x, u64 insns, u32 n, u64 err,
		  u64 helpers)
{
	const struct ext_prog_type *type = verify_type_by_event(x->event, x->guard);
	struct ext_verify_error ve;
	struct work w;
	i64 r = work_get(&w, n);

	if (r < 0)
		return r;
	r = user_read(t->space, w.insns, insns, (u64)n * sizeof(struct bpf_insn));
	if (r == 0 && verify_program(w.insns, n, type, helpers,
				     verify_kernel_budget(n), w.verifier, &ve) < 0)
		r = reject(t, err, &ve);
	if (r == 0) {
		verify_facts(w.verifier, n, w.facts);
		r = compile(x, &w, n);
	}
	work_put();
	return r;
}

/* The load's trace record: the extension (slot + 1), its event, and its
 * section's name (<exo/ext.h>'s SEC: the checker's program type), the
 * first 16 bytes in a0 and a1 as they lie in memory. */
static void
trace_load(const struct kext *x)
{
	const char *sec = verify_type_by_event(x->event, x->guard)->section;
	u64 name[2] = { 0, 0 };

	for (u32 i = 0; sec[i] && i < sizeof name; i++)
		((char *)name)[i] = sec[i];
	TRACE_SWAB(EXT_LOAD, (u32)(x - exts) + 1, x->event | (u32)x->guard << 8,
		   name[0], name[1]);
}

i64
ext_load(struct thread *t, u64 insns, u64 n, u64 event, u64 err, u64 domain)
{
	u32 env = t->space->index, events;
	struct kext *x;
	u64 ev = event & ~(u64)EXO_EXT_GUARD, helpers;
	exo_cap_t c;
	i64 r;

	if (n == 0 || n > EXO_EXT_MAX_INSNS || ev >= 32 ||
	    !(EXO_EXT_BASE_EVENTS & 1u << ev))
		return -E_INVAL;
	if (err && user_writable(t->space, err, sizeof(struct exo_ext_error)) < 0)
		return -E_FAULT;
	r = ext_domain_resolve(t, domain, &helpers, &events);
	if (r < 0)
		return r;
	if (!(events & 1u << ev))
		return -E_PERM;
	if (loaded[env] >= EXO_EXT_PER_ENV || env_of(t->space)->ncaps == EXO_NCAPS ||
	    !(x = ext_slot()))
		return -E_NOMEM;
	if (!(x->data = frame_alloc()))
		return -E_NOMEM;
	x->event = (u8)ev;
	x->guard = (event & EXO_EXT_GUARD) != 0;
	r = check_and_compile(t, x, insns, (u32)n, err, helpers);
	if (r == 0)
		r = cap_new(env_of(t->space), EXO_CAP_EXT, EXO_CAP_ALL,
			    (u64)(x - exts), 0, &c);
	if (r < 0) {
		if (x->code)
			arch_ext_unmap(EXT_WIN_CODE + (u32)(x - exts) * EXO_EXT_CODE_PAGES,
				       x->npages);
		frames_free(x->pa, x->npages);
		frames_free(&x->data, 1);
		*x = (struct kext){ 0 };
		return r;
	}
	x->env = (u16)env;
	loaded[env]++;
	trace_load(x);
	return (i64)c;
}

/* ---- Attaching, removing, raising. */

static struct kext *
ext_get(struct thread *t, u64 c, u32 rights, int *err)
{
	struct cap *k = cap_get(env_of(t->space), c, EXO_CAP_EXT, rights, err);

	return k ? &exts[k->object] : 0;
}

/* The event an attach point names, or 0. */
static u32
point_event(u64 point)
{
	if (point < EXO_EXT_SYSNO_END || point == EXO_EXT_ALL_CALLS)
		return EXT_EV_SYSCALL;
	if (point == EXO_EXT_AT_PAGEFAULT)
		return EXT_EV_PAGEFAULT;
	if (point == EXO_EXT_AT_THREAD)
		return EXT_EV_THREAD;
	if (point == EXO_EXT_AT_IPC)
		return EXT_EV_IPC;
	if (point == EXO_EXT_AT_TIMER)
		return EXT_EV_TIMER;
	if (point >= EXO_EXT_AT_IRQ(1) && point <= EXO_EXT_AT_IRQ(EXO_NIRQ))
		return EXT_EV_IRQ;
	return 0;
}

/* A hook of env at point for event comes (on) or goes: the dispatchers'
 * gates (handlers of the event, all environments; the thread flags of
 * ext_events.c). */
static void
hook_count(u32 env, u32 event, u32 point, bool on)
{
	if (event == EXT_EV_SYSCALL)
		ext_syscall_hooks += on ? 1 : (u32)-1;
	else if (event == EXT_EV_PAGEFAULT)
		ext_pf_hooks += on ? 1 : (u32)-1;
	else
		ext_events_hook(env, event, point, on);
}

i64
ext_attach(struct thread *t, u64 ext, u64 env, u64 point, u64 guard)
{
	int err;
	struct kext *x = ext_get(t, ext, EXO_CAP_X, &err), *g = 0;
	u32 event = (u32)point_event(point), id;
	struct cap *e;
	struct ext_hook *h;
	u32 n;

	if (!x)
		return err;
	e = cap_get(env_of(t->space), env, EXO_CAP_ENV, EXO_CAP_W, &err);
	if (!e)
		return err;
	if (guard && !(g = ext_get(t, guard, EXO_CAP_X, &err)))
		return err;
	if (!event || event != x->event || x->guard ||
	    (g && (!g->guard || g->event != event)))
		return -E_INVAL;
	err = ext_events_authority((u32)e->object, event, (u32)point);
	if (err < 0)
		return err;
	id = (u32)(x - exts) + 1;
	h = hooks[e->object];
	n = nhooks[e->object];
	for (u32 i = 0; i < n; i++)
		if (h[i].ext == id && h[i].point == point)
			return -E_EXIST;
	if (n == EXO_EXT_HOOKS)
		return -E_NOMEM;
	/* Appended: the raise runs them in the order attached. */
	h[n] = (struct ext_hook){ .point = (u32)point, .ext = (u8)id,
				  .guard = g ? (u8)(g - exts + 1) : 0, .event = (u16)event };
	nhooks[e->object] = (u8)(n + 1);
	hook_count((u32)e->object, event, (u32)point, true);
	TRACE_SWAB(EXT_ATTACH, id, h[n].guard, e->object, point);
	return 0;
}

i64
ext_counter(struct thread *t, u64 ext, u64 slot)
{
	int err;
	struct kext *x = ext_get(t, ext, EXO_CAP_R, &err);

	if (!x)
		return err;
	if (slot >= EXO_EXT_DATA_WORDS)
		return -E_INVAL;
	return (i64)((u64 *)arch_phys_to_virt(x->data))[slot];
}

/* Detach every hook of env i whose handler or guard is ext index + 1 (0:
 * every hook): a handler never runs unguarded once its guard is gone. */
static void
hooks_drop(u32 i, u32 ext1)
{
	struct ext_hook *h = hooks[i];
	u32 kept = 0;

	/* Compacted in place, the order kept; the big lock keeps raises out. */
	for (u32 k = 0; k < nhooks[i]; k++) {
		struct ext_hook one = h[k];

		if (ext1 && one.ext != ext1 && one.guard != ext1) {
			h[kept++] = one;
			continue;
		}
		hook_count(i, one.event, one.point, false);
		TRACE_SWAB(EXT_DETACH, one.ext, one.guard, i, one.point);
	}
	for (u32 k = kept; k < nhooks[i]; k++)
		h[k] = (struct ext_hook){ 0 };
	nhooks[i] = (u8)kept;
}

void
ext_release(struct cap *c)
{
	struct kext *x = &exts[c->object];
	u32 slot = (u32)c->object;

	for (u32 i = 0; i < NSPACES; i++)
		hooks_drop(i, slot + 1);
	/* No CPU can run it now (big lock); none can reach its pages after: */
	arch_ext_unmap(EXT_WIN_CODE + slot * EXO_EXT_CODE_PAGES, x->npages);
	frames_free(x->pa, x->npages);
	frames_free(&x->data, 1);
	loaded[x->env]--;
	*x = (struct kext){ 0 };
}

void
ext_env_destroy(struct env *e)
{
	hooks_drop(e->index, 0);
}

void
ext_walk_frames(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	for (u32 i = 0; i < EXT_MAX; i++) {
		for (u32 k = 0; k < exts[i].npages && exts[i].code; k++)
			fn(exts[i].pa[k], ctx);
		if (exts[i].data)
			fn(exts[i].data, ctx);
	}
}

u64
ext_hook_run(const struct ext_hook *h, void *ctx, struct raise *rs)
{
	u64 r;

	rs->seen = true;
	if (h->guard) {
		running = &exts[h->guard - 1];
		r = running->code((u64)ctx, 0, 0, 0, 0);
		running = 0;
		if (r != 1)
			return EXT_DEFAULT;
	}
	rs->runs++;
	running = &exts[h->ext - 1];
	r = running->code((u64)ctx, 0, 0, 0, 0);
	running = 0;
	if (r == EXT_HANDLED)
		rs->by = h->ext;
	return r;
}

/* Run h on t's call; true if it answered it. */
static bool
run(const struct ext_hook *h, struct thread *t, struct raise *rs)
{
	struct ext_syscall_ctx ctx = {
		.nr = t->ctx.rax,
		.args = { t->ctx.rdi, t->ctx.rsi, t->ctx.rdx, t->ctx.r10, t->ctx.r8,
			  t->ctx.r9 },
		.space = t->space->index, .thread = t->id,
	};
	u64 r = ext_hook_run(h, &ctx, rs);

	/* A handler may rewrite the arguments the next one (or the kernel) sees. */
	t->ctx.rdi = ctx.args[0], t->ctx.rsi = ctx.args[1], t->ctx.rdx = ctx.args[2];
	t->ctx.r10 = ctx.args[3], t->ctx.r8 = ctx.args[4], t->ctx.r9 = ctx.args[5];
	if (r != EXT_HANDLED)
		return false;
	t->ctx.rax = ctx.ret;
	return true;
}

bool
ext_syscall_raise(struct thread *t)
{
	/* The imposed guard: only the caller's environment's handlers, and
	 * their helpers act on its space alone (vm_space). */
	struct ext_hook *h = hooks[t->space->index];
	u32 n = nhooks[t->space->index];
	struct raise rs = { 0 };
	u64 nr = t->ctx.rax;

	vm_space = t->space;
	for (u32 i = 0; i < n && !rs.by; i++)
		if (h[i].event == EXT_EV_SYSCALL &&
		    (h[i].point == EXO_EXT_ALL_CALLS || h[i].point == nr))
			run(&h[i], t, &rs);
	vm_space = 0;
	if (rs.seen)
		TRACE_SWAB(EXT_RAISE, EXT_EV_SYSCALL, rs.runs, rs.by, nr);
	return rs.by != 0;
}

void
ext_pf_ctx(struct ext_pagefault_ctx *ctx, u64 addr, u64 ip, u64 error, u32 space)
{
	/* error: the #PF code (present, write, user, reserved bit, fetch). */
	bool bad = addr < EXO_USER_MIN || addr >= EXO_USER_END || (error & 8);

	*ctx = (struct ext_pagefault_ctx){
		.addr = addr, .ip = ip, .space = space,
		.kind = bad ? EXT_PF_BAD_ADDRESS :
			error & 1 ? EXT_PF_PROTECTION : EXT_PF_NOT_PRESENT,
		.access = error & 0x10 ? EXT_PF_EXEC : error & 2 ? EXT_PF_WRITE : EXT_PF_READ,
	};
}

bool
ext_raise_env(u32 env, u32 event, u32 point, void *ctx, u64 what)
{
	struct ext_hook *h = hooks[env];
	u32 n = nhooks[env];
	struct raise rs = { 0 };

	for (u32 i = 0; i < n && !rs.by; i++)
		if (h[i].event == event && h[i].point == point)
			ext_hook_run(&h[i], ctx, &rs);
	if (rs.seen)
		TRACE_SWAB(EXT_RAISE, event, rs.runs, rs.by, what);
	return rs.by != 0;
}

bool
ext_pagefault_raise(struct thread *t, u64 addr, u64 error)
{
	/* The imposed guard: only the faulting environment's handlers, and
	 * their helpers act on its space alone (vm_space). */
	struct ext_pagefault_ctx ctx;
	bool handled;

	ext_pf_ctx(&ctx, addr, t->ctx.rip, error, t->space->index);
	vm_space = t->space;
	handled = ext_raise_env(t->space->index, EXT_EV_PAGEFAULT, EXO_EXT_AT_PAGEFAULT,
				&ctx, addr);
	vm_space = 0;
	return handled;
}
