/*
 * The extension load call and the system-call event's bookkeeping (ext.c)
 * on the fake platform: what the checker refuses comes back with its
 * instruction and rule; accepted code is mapped read+execute only; quotas;
 * attach needs the right capabilities; dropping or an environment's death
 * removes handlers; nothing leaks. The fake window cannot execute, so the
 * handlers' runs are the spin scenarios' (tests/scenario/test_spin.c).
 */
#include <criterion/criterion.h>
#include <string.h>

#include <exo/bpf.h>
#include <exo/error.h>
#include <exo/exo.h>
#include <exo/ext.h>
#include <exo/extcall.h>
#include <exo/layout.h>

#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/ext.h"
#include "guest/core/ext_int.h"
#include "guest/core/frame.h"
#include "guest/core/platform.h"

#include "kernel_fixture.h"

#define UVA      0x40000000ULL          /* a user page of a's: program, then error */
#define ERR_VA   (UVA + 0x800)
#define I(code, regs, off, imm) { code, regs, off, imm }

static struct space *a, *b;
static struct thread *t;
static u8 *user;

/* ext/syscall_add.c's handler, by hand: nr 0x4000 answers args[0] + args[1]. */
static const struct bpf_insn add[] = {
	I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(2, 1), 0, 0),
	I(BPF_JMP | BPF_JNE | BPF_K, 2, 5, 0x4000),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(2, 1), 8, 0),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(3, 1), 16, 0),
	I(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REGS(3, 2), 0, 0),
	I(BPF_STX | BPF_MEM | BPF_DW, BPF_REGS(1, 3), 56, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 1),
	I(BPF_JMP | BPF_EXIT, 0, 0, 0),
};

static u64
free_frames(void)
{
	struct frame_stats st;

	frame_stats(&st);
	return st.fresh + st.free;
}

static void
setup(void)
{
	u64 pa;

	fake_reset();
	fix_core_boot();
	a = fix_space(0, true);
	b = fix_space(a, false);
	t = fix_thread(a, 100);
	pa = frame_alloc();
	cr_assert(pa);
	cr_assert_eq(arch_space_map(&a->pt, UVA, pa, EXO_PAGE_SIZE, EXO_SEG_R | EXO_SEG_W), 0);
	user = arch_phys_to_virt(pa);
}

TestSuite(ext_load, .init = setup);

static i64
load(const struct bpf_insn *p, u32 n)
{
	memcpy(user, p, n * sizeof *p);
	return ext_load(t, UVA, n, EXT_EV_SYSCALL, ERR_VA, 0);
}

static exo_cap_t
env_w(struct space *s)
{
	exo_cap_t c;

	cr_assert_eq(cap_new(env_of(a), EXO_CAP_ENV, EXO_CAP_ALL, s->index, 0, &c), 0);
	return c;
}

Test(ext_load, rejection_names_instruction_and_rule)
{
	static const struct bpf_insn past_ctx[] = {
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0),
		I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(0, 1), 200, 0),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0),
	};
	/* A helper the kernel's domain lacks (ext_pkt_load) is refused. */
	static const struct bpf_insn pkt[] = {
		I(BPF_JMP | BPF_CALL, 0, 0, EXT_HELPER_PKT_LOAD),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0),
	};
	const struct exo_ext_error *e = (const void *)(user + 0x800);
	u64 before = free_frames();

	cr_assert_eq(load(past_ctx, 3), -E_REJECTED);
	cr_assert_eq(e->insn, 1);
	cr_assert_str_eq(e->rule_name, "ctx_bounds");
	cr_assert_eq(load(pkt, 2), -E_REJECTED);
	cr_assert_eq(e->insn, 0);
	cr_assert_str_eq(e->rule_name, "helper_domain");
	cr_assert_eq(free_frames(), before, "the work area and data frame went back");
	cr_assert_eq(fake_ext_mapped, 0);
	cr_assert_eq(env_of(a)->ncaps, 0);
}

Test(ext_load, bad_requests_refused_before_any_work)
{
	u64 before = free_frames();

	memcpy(user, add, sizeof add);
	cr_assert_eq(ext_load(t, UVA, 0, EXT_EV_SYSCALL, 0, 0), -E_INVAL);
	cr_assert_eq(ext_load(t, UVA, EXO_EXT_MAX_INSNS + 1, EXT_EV_SYSCALL, 0, 0), -E_INVAL);
	cr_assert_eq(ext_load(t, UVA, 9, EXT_EV_PACKET + 1, 0, 0), -E_INVAL, "no such event");
	cr_assert_eq(ext_load(t, UVA, 9, EXT_EV_PACKET, 0, 0), -E_INVAL, "no dispatcher");
	cr_assert_eq(ext_load(t, UVA, 9, 0, 0, 0), -E_INVAL);
	cr_assert_eq(ext_load(t, UVA, 9, 40, 0, 0), -E_INVAL, "beyond any mask");
	cr_assert_eq(ext_load(t, UVA, 9, EXT_EV_SYSCALL, UVA + EXO_PAGE_SIZE, 0), -E_FAULT);
	cr_assert_eq(ext_load(t, UVA + EXO_PAGE_SIZE, 9, EXT_EV_SYSCALL, 0, 0), -E_FAULT);
	/* Instructions running off the mapped page: the copy faults. */
	cr_assert_eq(ext_load(t, UVA + EXO_PAGE_SIZE - 16, 9, EXT_EV_SYSCALL, 0, 0), -E_FAULT);
	cr_assert_eq(free_frames(), before);
	cr_assert_eq(fake_ext_mapped, 0);
}

Test(ext_load, accepted_code_is_mapped_read_execute_only)
{
	u64 before = free_frames();
	i64 c = load(add, 9);
	int err;
	struct cap *k;

	cr_assert_gt(c, 0, "ext_load: %lld", (long long)c);
	k = cap_get(env_of(a), (exo_cap_t)c, EXO_CAP_EXT, EXO_CAP_ALL, &err);
	cr_assert_not_null(k);
	cr_assert_eq(fake_ext_mapped, 1, "one page of code, the work area gone");
	cr_assert_eq(fake_ext_wx, 0, "never writable and executable");
	cr_assert_eq(before - free_frames(), 2, "a code frame and a data frame");
	cr_assert_eq(ext_counter(t, (exo_cap_t)c, 0), 0);
	cr_assert_eq(ext_counter(t, (exo_cap_t)c, EXO_EXT_STORE_WORD(0)), 0, "the store");
	cr_assert_eq(ext_counter(t, (exo_cap_t)c, EXO_EXT_DATA_WORDS - 1), 0);
	cr_assert_eq(ext_counter(t, (exo_cap_t)c, EXO_EXT_DATA_WORDS), -E_INVAL);
	cap_destroy(k);
	cr_assert_eq(fake_ext_mapped, 0);
	cr_assert_eq(free_frames(), before);
	cr_assert(cap_check());
}

Test(ext_load, quota_per_environment)
{
	exo_cap_t c[EXO_EXT_PER_ENV];
	int err;

	for (u32 i = 0; i < EXO_EXT_PER_ENV; i++) {
		i64 r = load(add, 9);

		cr_assert_gt(r, 0);
		c[i] = (exo_cap_t)r;
	}
	cr_assert_eq(load(add, 9), -E_NOMEM);
	cap_destroy(cap_get(env_of(a), c[1], EXO_CAP_EXT, 0, &err));
	cr_assert_gt(load(add, 9), 0, "room again after a drop");
}

Test(ext_load, attach_needs_both_capabilities)
{
	exo_cap_t x = (exo_cap_t)load(add, 9), e = env_w(a), weak;
	int err;

	cr_assert_eq(cap_new(env_of(a), EXO_CAP_EXT, EXO_CAP_R, cap_get(env_of(a), x, 0, 0,
			     &err)->object, cap_get(env_of(a), x, 0, 0, &err), &weak), 0);
	cr_assert_eq(ext_attach(t, weak, e, 0x4000, 0), -E_PERM, "EXT without X");
	cr_assert_eq(ext_attach(t, e, e, 0x4000, 0), -E_BADTYPE);
	cr_assert_eq(ext_attach(t, x, x, 0x4000, 0), -E_BADTYPE);
	cr_assert_eq(ext_attach(t, EXO_CAP(77, 3), e, 0x4000, 0), -E_BADCAP);
	cr_assert_eq(ext_attach(t, x, e, EXO_EXT_SYSNO_END, 0), -E_INVAL);
	cr_assert_eq(ext_syscall_hooks, 0);
	cr_assert_eq(ext_attach(t, x, e, 0x4000, 0), 0);
	cr_assert_eq(ext_attach(t, x, e, 0x4000, 0), -E_EXIST);
	cr_assert_eq(ext_syscall_hooks, 1);
	/* ENV capabilities without W do not let one attach. */
	{
		exo_cap_t ex;

		cr_assert_eq(cap_new(env_of(a), EXO_CAP_ENV, EXO_CAP_X, a->index, 0, &ex), 0);
		cr_assert_eq(ext_attach(t, x, ex, 0x4001, 0), -E_PERM);
	}
}

Test(ext_load, hooks_per_environment_limit)
{
	exo_cap_t x = (exo_cap_t)load(add, 9), e = env_w(a);

	for (u32 i = 0; i < EXO_EXT_HOOKS; i++)
		cr_assert_eq(ext_attach(t, x, e, 0x4000 + i, 0), 0);
	cr_assert_eq(ext_attach(t, x, e, 0x4100, 0), -E_NOMEM);
	cr_assert_eq(ext_syscall_hooks, EXO_EXT_HOOKS);
}

/* env's handlers in the order a raise runs them (hooks in slot order), as
 * extension indexes + 1, into out; their number. */
static u32
hook_order(u32 env, u8 *out)
{
	u32 n = 0;

	for (u32 i = 0; i < EXO_EXT_HOOKS; i++)
		if (hooks[env][i].ext)
			out[n++] = hooks[env][i].ext;
	return n;
}

static u8
ext_id(exo_cap_t c)
{
	int err;
	struct cap *k = cap_get(env_of(a), c, EXO_CAP_EXT, 0, &err);

	cr_assert(k);
	return (u8)(k->object + 1);
}

/* A raise runs the handlers in the order attached, also after a removal in
 * the middle: a handler attached later never jumps ahead into the hole. */
Test(ext_load, handlers_run_in_the_order_attached)
{
	exo_cap_t x = (exo_cap_t)load(add, 9), y = (exo_cap_t)load(add, 9);
	exo_cap_t z = (exo_cap_t)load(add, 9), w = (exo_cap_t)load(add, 9), e = env_w(a);
	u8 got[EXO_EXT_HOOKS];
	int err;

	cr_assert_eq(ext_attach(t, x, e, 0x4000, 0), 0);
	cr_assert_eq(ext_attach(t, y, e, 0x4000, 0), 0);
	cr_assert_eq(ext_attach(t, z, e, EXO_EXT_ALL_CALLS, 0), 0);
	cap_destroy(cap_get(env_of(a), y, EXO_CAP_EXT, 0, &err));
	cr_assert_eq(ext_attach(t, w, e, 0x4000, 0), 0);
	cr_assert_eq(hook_order(a->index, got), 3);
	cr_assert_eq(got[0], ext_id(x));
	cr_assert_eq(got[1], ext_id(z), "z was attached before w");
	cr_assert_eq(got[2], ext_id(w));
	cr_assert_eq(nhooks[a->index], 3, "a raise walks the three, no more");
	env_destroy(a);
	cr_assert_eq(nhooks[a->index], 0);
	cr_assert_eq(ext_syscall_hooks, 0);
}

/* Dropping the extension, or the death of the environment it is attached
 * to, takes its handlers; the other environment's stay. */
Test(ext_load, removal_by_drop_and_by_environment_death)
{
	exo_cap_t x = (exo_cap_t)load(add, 9), y = (exo_cap_t)load(add, 9);
	exo_cap_t ea = env_w(a), eb = env_w(b);
	int err;

	cr_assert_eq(ext_attach(t, x, ea, 0x4000, 0), 0);
	cr_assert_eq(ext_attach(t, x, eb, 0x4000, 0), 0);
	cr_assert_eq(ext_attach(t, y, eb, EXO_EXT_ALL_CALLS, 0), 0);
	cr_assert_eq(ext_syscall_hooks, 3);
	cap_destroy(cap_get(env_of(a), x, EXO_CAP_EXT, 0, &err));
	cr_assert_eq(ext_syscall_hooks, 1, "x gone from both environments");
	cr_assert_eq(ext_attach(t, x, ea, 0x4000, 0), -E_STALE);
	env_destroy(b);
	cr_assert_eq(ext_syscall_hooks, 0, "b's handlers died with b");
	cr_assert_gt(ext_counter(t, y, 0) + 1, 0, "y itself is a's and lives");
	cr_assert(cap_check());
}

/* The loader's environment dies: its extensions go, frames and mappings too. */
Test(ext_load, loader_death_frees_everything)
{
	u64 before = free_frames();
	exo_cap_t x = (exo_cap_t)load(add, 9), e = env_w(a);

	cr_assert_eq(ext_attach(t, x, e, EXO_EXT_ALL_CALLS, 0), 0);
	env_destroy(a);
	cr_assert_eq(ext_syscall_hooks, 0);
	cr_assert_eq(fake_ext_mapped, 0);
	cr_assert_eq(free_frames(), before);
}

/* A page-fault handler, by hand: ext_page_protect(ctx->addr, READ | WRITE),
 * then HANDLED. */
static const struct bpf_insn protect[] = {
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(1, 1), 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, EXT_PF_READ | EXT_PF_WRITE),
	I(BPF_JMP | BPF_CALL, 0, 0, EXT_HELPER_PAGE_PROTECT),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, EXT_HANDLED),
	I(BPF_JMP | BPF_EXIT, 0, 0, 0),
};

static i64
load_pf(const struct bpf_insn *p, u32 n)
{
	memcpy(user, p, n * sizeof *p);
	return ext_load(t, UVA, n, EXT_EV_PAGEFAULT, ERR_VA, 0);
}

/* Each event checks its own program type: page_protect only for page-fault
 * and system-call handlers, each context's own bounds. */
Test(ext_load, pagefault_programs_checked_as_their_event)
{
	const struct exo_ext_error *e = (const void *)(user + 0x800);

	cr_assert_gt(load_pf(protect, 5), 0);
	cr_assert_gt(load(protect, 5), 0, "a syscall handler may protect its caller's pages");
	memcpy(user, protect, sizeof protect);
	cr_assert_eq(ext_load(t, UVA, 5, EXT_EV_THREAD, ERR_VA, 0), -E_REJECTED,
		     "page_protect in a thread handler");
	cr_assert_eq(e->insn, 2);
	cr_assert_str_eq(e->rule_name, "helper_domain");
	/* args[1] (offset 16) read whole: the page-fault context's u32 kind. */
	cr_assert_eq(load_pf(add, 9), -E_REJECTED, "another context's shape");
	cr_assert_str_eq(e->rule_name, "ctx_field");
	/* As a thread handler: args[0] (offset 8) read whole is the u32 what. */
	cr_assert_eq(ext_load(t, UVA, 9, EXT_EV_THREAD, ERR_VA, 0), -E_REJECTED);
	cr_assert_eq(e->insn, 3);
	cr_assert_str_eq(e->rule_name, "ctx_field");
}

/* The attach point names an event; it must be the one the extension was
 * checked for, or a handler would run on a context of another shape. */
Test(ext_load, attach_point_must_match_the_event)
{
	exo_cap_t pf = (exo_cap_t)load_pf(protect, 5), sc = (exo_cap_t)load(add, 9);
	exo_cap_t e = env_w(a), eb = env_w(b);
	int err;

	cr_assert_eq(ext_attach(t, pf, e, 0x4000, 0), -E_INVAL, "page-fault code on a call");
	cr_assert_eq(ext_attach(t, pf, e, EXO_EXT_ALL_CALLS, 0), -E_INVAL);
	cr_assert_eq(ext_attach(t, sc, e, EXO_EXT_AT_PAGEFAULT, 0), -E_INVAL);
	cr_assert_eq(ext_attach(t, pf, e, EXO_EXT_AT_PAGEFAULT - 1, 0), -E_INVAL, "no event");
	cr_assert_eq(ext_syscall_hooks + ext_pf_hooks, 0);
	cr_assert_eq(ext_attach(t, pf, e, EXO_EXT_AT_PAGEFAULT, 0), 0);
	cr_assert_eq(ext_attach(t, pf, e, EXO_EXT_AT_PAGEFAULT, 0), -E_EXIST);
	cr_assert_eq(ext_attach(t, pf, eb, EXO_EXT_AT_PAGEFAULT, 0), 0);
	cr_assert_eq(ext_attach(t, sc, e, 0x4000, 0), 0);
	cr_assert_eq(ext_pf_hooks, 2);
	cr_assert_eq(ext_syscall_hooks, 1);
	env_destroy(b);
	cr_assert_eq(ext_pf_hooks, 1, "b's handler died with b");
	cap_destroy(cap_get(env_of(a), pf, EXO_CAP_EXT, 0, &err));
	cr_assert_eq(ext_pf_hooks, 0, "gone with its capability");
	cr_assert_eq(ext_syscall_hooks, 1, "the other event's stays");
}

/* The context a page-fault handler sees: the #PF error code classified. */
Test(ext_load, pagefault_context_classifies_the_error_code)
{
	struct ext_pagefault_ctx c;

	ext_pf_ctx(&c, UVA + 5, 0x401000, 0x4, 3);             /* user read, not present */
	cr_assert(c.kind == EXT_PF_NOT_PRESENT && c.access == EXT_PF_READ);
	cr_assert(c.addr == UVA + 5 && c.ip == 0x401000 && c.space == 3);
	ext_pf_ctx(&c, UVA, 0, 0x7, 0);                         /* present, write */
	cr_assert(c.kind == EXT_PF_PROTECTION && c.access == EXT_PF_WRITE);
	ext_pf_ctx(&c, UVA, 0, 0x15, 0);                        /* present, fetch */
	cr_assert(c.kind == EXT_PF_PROTECTION && c.access == EXT_PF_EXEC);
	ext_pf_ctx(&c, EXO_USER_END, 0, 0x5, 0);                /* a kernel address */
	cr_assert_eq(c.kind, EXT_PF_BAD_ADDRESS);
	ext_pf_ctx(&c, 0, 0, 0x4, 0);                           /* the null page */
	cr_assert_eq(c.kind, EXT_PF_BAD_ADDRESS);
	ext_pf_ctx(&c, UVA, 0, 0xd, 0);                         /* a reserved bit */
	cr_assert_eq(c.kind, EXT_PF_BAD_ADDRESS);
}

/* A guard, by hand: ctx->nr == 0x4000 (the context read, never written). */
static const struct bpf_insn is_add[] = {
	I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(2, 1), 0, 0),
	I(BPF_JMP | BPF_JNE | BPF_K, 2, 1, 0x4000),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 1),
	I(BPF_JMP | BPF_EXIT, 0, 0, 0),
};

static i64
load_as(const struct bpf_insn *p, u32 n, u32 event)
{
	memcpy(user, p, n * sizeof *p);
	return ext_load(t, UVA, n, event, ERR_VA, 0);
}

/* Guards are checked as guards: the handler's store to ctx->ret and a
 * result other than 0 or 1 are refused. */
Test(ext_load, guards_checked_as_guards)
{
	static const struct bpf_insn two[] = {
		I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 2),
		I(BPF_JMP | BPF_EXIT, 0, 0, 0),
	};

	cr_assert_gt(load_as(is_add, 5, EXT_EV_SYSCALL | EXO_EXT_GUARD), 0);
	cr_assert_eq(load_as(add, 9, EXT_EV_SYSCALL | EXO_EXT_GUARD), -E_REJECTED,
		     "a guard writes nothing");
	cr_assert_eq(load_as(two, 2, EXT_EV_SYSCALL | EXO_EXT_GUARD), -E_REJECTED);
	cr_assert_eq(load_as(protect, 5, EXT_EV_PAGEFAULT | EXO_EXT_GUARD), -E_REJECTED,
		     "page_protect has an effect");
	cr_assert_eq(load_as(is_add, 5, EXT_EV_PACKET | EXO_EXT_GUARD), -E_INVAL);
}

/* A handler attaches behind a guard of its own event only; the guard's
 * drop takes the handlers it guarded with it. */
Test(ext_load, attach_behind_a_guard)
{
	exo_cap_t h = (exo_cap_t)load(add, 9), e = env_w(a);
	exo_cap_t g = (exo_cap_t)load_as(is_add, 5, EXT_EV_SYSCALL | EXO_EXT_GUARD);
	exo_cap_t pfh = (exo_cap_t)load_pf(protect, 5);
	exo_cap_t weak;
	int err;

	cr_assert_eq(cap_new(env_of(a), EXO_CAP_EXT, EXO_CAP_R, cap_get(env_of(a), g, 0, 0,
			     &err)->object, cap_get(env_of(a), g, 0, 0, &err), &weak), 0);
	cr_assert_eq(ext_attach(t, g, e, 0x4000, 0), -E_INVAL, "a guard is no handler");
	cr_assert_eq(ext_attach(t, h, e, 0x4000, h), -E_INVAL, "a handler is no guard");
	cr_assert_eq(ext_attach(t, pfh, e, EXO_EXT_AT_PAGEFAULT, g), -E_INVAL,
		     "a guard of another event");
	cr_assert_eq(ext_attach(t, h, e, 0x4000, weak), -E_PERM, "a guard without X");
	cr_assert_eq(ext_attach(t, h, e, 0x4000, EXO_CAP(99, 2)), -E_BADCAP);
	cr_assert_eq(ext_syscall_hooks + ext_pf_hooks, 0);
	cr_assert_eq(ext_attach(t, h, e, 0x4000, g), 0);
	cr_assert_eq(ext_attach(t, h, e, 0x4001, 0), 0);
	cr_assert_eq(ext_syscall_hooks, 2);
	cap_destroy(cap_get(env_of(a), g, EXO_CAP_EXT, 0, &err));
	cr_assert_eq(ext_syscall_hooks, 1, "the guarded hook went with its guard");
	cr_assert_eq(ext_attach(t, h, e, 0x4000, 0), 0, "its place is free again");
}
