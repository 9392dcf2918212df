/*
 * The thread, IPC and interrupt events (guest/core/ext_events.c) on the
 * kernel fixture, raised by the core's own paths: a thread that blocks in
 * IPC and is woken, a message that arrives, an interrupt line that fires.
 * The handlers are compiled by the kernel's load call and run here (the
 * fake extension window is executable: fake_platform.c). Each event's
 * authority: a handler sees only its environment's threads (or its line),
 * and an interrupt line's handler needs the line's driver's environment.
 */
#include <criterion/criterion.h>
#include <string.h>

#include <exo/bpf.h>
#include <exo/error.h>
#include <exo/exo.h>
#include <exo/ext.h>
#include <exo/extcall.h>
#include <exo/ipc.h>
#include <exo/syscall.h>
#include <exo/trace.h>

#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/ext.h"
#include "guest/core/frame.h"
#include "guest/core/kernel.h"
#include "guest/core/mdb.h"
#include "guest/core/platform.h"
#include "guest/core/sched.h"
#include "guest/core/trace.h"
#include "ipc/ipc.h"

#include "kernel_fixture.h"

#define I(code, regs, off, imm) { code, regs, off, imm }
#define MEM_VA   0x400000ULL            /* S1's memory: programs, then errors */
#define ERR_VA   (MEM_VA + 0x800)
#define NEVER    EXO_TIMEOUTS(EXO_TIMEOUT_NEVER, EXO_TIMEOUT_NEVER)
#define IRQ      EXO_IRQ_TID(EXO_IRQ_CONSOLE)
#define CALL(h)  I(BPF_JMP | BPF_CALL, 0, 0, EXT_HELPER_##h)
#define EXIT0    I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0), I(BPF_JMP | BPF_EXIT, 0, 0, 0)

static struct space *S1, *S2;
static struct thread *A, *B;

/* Thread event: counter[what] += 1; ctx->user_word += 1. */
static const struct bpf_insn on_thread[] = {
	I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REGS(6, 1), 0, 0),
	I(BPF_LDX | BPF_MEM | BPF_W, BPF_REGS(1, 6), 8, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 1),
	CALL(COUNTER_ADD),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(1, 6), 16, 0),
	I(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 1),
	I(BPF_STX | BPF_MEM | BPF_DW, BPF_REGS(6, 1), 16, 0),
	EXIT0,
};

/* IPC event: counter[0] += 1, counter[1] += label, counter[2] += MR1. */
static const struct bpf_insn on_ipc[] = {
	I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REGS(6, 1), 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 1),
	CALL(COUNTER_ADD),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 1),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(2, 6), 8, 0),
	CALL(COUNTER_ADD),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 2),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(2, 6), 16, 0),
	CALL(COUNTER_ADD),
	EXIT0,
};

/* Interrupt event: counter[line] += 1, counter[3] = ctx->count; HANDLED. */
static const struct bpf_insn on_irq[] = {
	I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REGS(6, 1), 0, 0),
	I(BPF_LDX | BPF_MEM | BPF_W, BPF_REGS(1, 6), 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 2, 0, 1),
	CALL(COUNTER_ADD),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 3),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(2, 6), 8, 0),
	CALL(COUNTER_ADD),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, EXT_HANDLED),
	I(BPF_JMP | BPF_EXIT, 0, 0, 0),
};

static void
setup(void)
{
	fake_reset();
	kopts = (struct kernel_opts){ 0 };
	fix_core_boot();
	S1 = fix_space(NULL, true);
	S2 = fix_space(S1, false);
	A = fix_thread(S1, PRIO_DEFAULT);
	B = fix_thread(S2, PRIO_DEFAULT);
	cr_assert_eq(mdb_map_root(S1, MEM_VA, FIX_MODULE_PA, EXO_PAGE_SIZE, EXO_RWX), 0);
	cr_assert_eq(fix_schedule(), A);
}

TestSuite(ext_events, .init = setup);

/* A loads n instructions for event (in A's memory) against domain. */
static i64
load(const struct bpf_insn *p, u32 n, u32 event, u64 domain)
{
	memcpy(arch_phys_to_virt(FIX_MODULE_PA), p, n * sizeof *p);
	return ext_load(A, MEM_VA, n, event, ERR_VA, domain);
}
#define LOAD(p, ev) load(p, sizeof(p) / sizeof((p)[0]), ev, 0)

static const struct exo_ext_error *
load_error(void)
{
	return (const void *)((u8 *)arch_phys_to_virt(FIX_MODULE_PA) + 0x800);
}

/* An ENV capability of A's environment over s's, with rights. */
static exo_cap_t
env_cap(struct space *s, u32 rights)
{
	exo_cap_t c;

	cr_assert_eq(cap_new(env_of(S1), EXO_CAP_ENV, rights, s->index, 0, &c), 0);
	return c;
}

static u64
counter(exo_cap_t x, u32 slot)
{
	return (u64)ext_counter(A, x, slot);
}

/* t, which runs, enters the kernel with system call no: who runs next. */
static struct thread *
enter(struct thread *t, u64 no, u64 a0, u64 a1, u64 a2)
{
	cr_assert_eq(t, current);
	t->ctx.rax = no;
	t->ctx.rdi = a0;
	t->ctx.rsi = a1;
	t->ctx.rdx = a2;
	return kernel_syscall(t);
}

/* The message t sends: label, one word (MR1). */
static void
put(struct thread *t, u64 label, u64 w)
{
	t->ctx.r8 = EXO_TAG(label, 1, 0);
	t->ctx.r9 = w;
}

/* A receives from B and blocks; B sends it label 7, word 99; A is woken. */
static void
a_waits_b_sends(void)
{
	cr_assert_eq(enter(A, SYS_ipc, EXO_NILTHREAD, B->id, NEVER), B, "A blocks, B runs");
	cr_assert_eq(A->state, TS_RECEIVING);
	put(B, 7, 99);
	enter(B, SYS_ipc, A->id, EXO_NILTHREAD, NEVER);
	cr_assert_eq(A->state, TS_READY, "A has the message");
	cr_assert_eq(A->ctx.r9, 99, "delivered whatever the handlers did");
}

Test(ext_events, thread_block_and_unblock_reach_the_handler)
{
	i64 x = LOAD(on_thread, EXT_EV_THREAD);
	struct thread *later;

	cr_assert_gt(x, 0, "load: %lld", (long long)x);
	cr_assert_eq(A->flags & TF_EXT, 0, "no handler: no flag");
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_THREAD, 0), 0);
	cr_assert(A->flags & TF_EXT, "S1's threads raise");
	cr_assert_eq(B->flags & TF_EXT, 0, "S2's do not");
	a_waits_b_sends();
	later = fix_thread(S1, PRIO_DEFAULT);
	cr_assert(later->flags & TF_EXT, "a thread made after the attach too");
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_BLOCK), 1);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_UNBLOCK), 1);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_CHECKPOINT), 1, "A left the CPU once");
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_RESUME), A == cpus[0].cur,
		     "resumed if it runs");
	cr_assert_eq(A->ext_word, 3 + (A == cpus[0].cur), "the thread's word kept between raises");
	cr_assert_eq(B->ext_word, 0, "B's blocks are not S1's events");
}

/* The CPU passes from A to B and back, by a block and by yields: each
 * passage away is a checkpoint of A's, each return a resume, alternating;
 * B's (S2, no handler) raise nothing. Removal takes an owed resume too. */
Test(ext_events, checkpoint_and_resume_as_the_cpu_passes)
{
	i64 x = LOAD(on_thread, EXT_EV_THREAD);
	int err;

	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_THREAD, 0), 0);
	cr_assert_eq(enter(A, SYS_ipc, EXO_NILTHREAD, B->id, NEVER), B, "A blocks, B runs");
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_BLOCK), 1);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_CHECKPOINT), 1, "A left the CPU");
	cr_assert(A->flags & TF_CKPT);
	put(B, 7, 99);
	cr_assert_eq(enter(B, SYS_ipc, A->id, EXO_NILTHREAD, NEVER), B, "B sends and goes on");
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_UNBLOCK), 1);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_RESUME), 0, "ready is not running");
	cr_assert_eq(enter(B, SYS_thread_switch, EXO_NILTHREAD, 0, 0), A, "B yields to A");
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_RESUME), 1);
	cr_assert_eq(A->flags & TF_CKPT, 0);
	cr_assert_eq(enter(A, SYS_thread_switch, EXO_NILTHREAD, 0, 0), B, "A yields, ready");
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_CHECKPOINT), 2);
	cr_assert_eq(enter(B, SYS_thread_switch, EXO_NILTHREAD, 0, 0), A);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_RESUME), 2);
	cr_assert_eq(A->ext_word, 6, "block, checkpoint, unblock, resume, checkpoint, resume");
	cr_assert_eq(B->ext_word, 0);
	/* A system call that keeps the CPU raises neither. */
	cr_assert_eq(enter(A, SYS_cap_info, 0, 0, 0), A);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_CHECKPOINT), 2);
	/* Off the CPU when the handler goes: no resume is owed any more. */
	cr_assert_eq(enter(A, SYS_thread_switch, EXO_NILTHREAD, 0, 0), B);
	cr_assert(A->flags & TF_CKPT);
	cap_destroy(cap_get(env_of(S1), (exo_cap_t)x, EXO_CAP_EXT, 0, &err));
	cr_assert_eq(A->flags & (TF_EXT | TF_CKPT), 0);
}

/* A sender that must wait blocks; a send to a thread of S2 (no handler)
 * raises nothing; removal takes the flags and the raises at once. */
Test(ext_events, send_block_and_removal)
{
	i64 x = LOAD(on_thread, EXT_EV_THREAD);
	int err;

	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_THREAD, 0), 0);
	cr_assert_eq(ext_pf_hooks, 1, "faults of S1 take the general path");
	put(A, 1, 2);
	cr_assert_eq(enter(A, SYS_ipc, B->id, EXO_NILTHREAD, NEVER), B, "A waits to send");
	cr_assert_eq(A->state, TS_SENDING);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_BLOCK), 1);
	enter(B, SYS_ipc, EXO_NILTHREAD, A->id, NEVER);    /* B takes it */
	cr_assert_eq(A->state, TS_READY);
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_UNBLOCK), 1);
	cap_destroy(cap_get(env_of(S1), (exo_cap_t)x, EXO_CAP_EXT, 0, &err));
	cr_assert_eq(A->flags & TF_EXT, 0, "the flag goes with the last handler");
	cr_assert_eq(ext_pf_hooks, 0);
	cr_assert(cap_check());
}

/* The imposed guard: an environment's handler sees none of another's
 * threads, and attaching on another needs W over its ENV capability. */
Test(ext_events, authority_over_the_environment)
{
	i64 x = LOAD(on_thread, EXT_EV_THREAD);

	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S2, EXO_CAP_X), EXO_EXT_AT_THREAD, 0),
		     -E_PERM, "S2's events without W over it");
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S2, EXO_CAP_X), EXO_EXT_AT_IPC, 0),
		     -E_PERM);
	cr_assert_eq(B->flags & TF_EXT, 0);
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S2, EXO_CAP_W), EXO_EXT_AT_THREAD, 0), 0);
	cr_assert(B->flags & TF_EXT);
	cr_assert_eq(A->flags & TF_EXT, 0, "attached to S2: S1 raises nothing");
	a_waits_b_sends();
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_BLOCK), 0, "A's block is not S2's event");
	cr_assert_eq(counter((exo_cap_t)x, EXT_TH_UNBLOCK), 0);
	cr_assert_eq(A->ext_word, 0);
}

Test(ext_events, ipc_arrival)
{
	i64 x = LOAD(on_ipc, EXT_EV_IPC);

	cr_assert_gt(x, 0);
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_THREAD, 0),
		     -E_INVAL, "an IPC handler on the thread event");
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_IPC, 0), 0);
	a_waits_b_sends();
	cr_assert_eq(counter((exo_cap_t)x, 0), 1, "one arrival");
	cr_assert_eq(counter((exo_cap_t)x, 1), 7, "its label");
	cr_assert_eq(counter((exo_cap_t)x, 2), 99, "its MR1");
	/* A message to S2's thread is not S1's arrival. */
	cr_assert_eq(current, B, "B's send did not block it");
	cr_assert_eq(enter(B, SYS_ipc, EXO_NILTHREAD, EXO_ANYTHREAD, NEVER), A,
		     "B waits for anyone; A runs");
	put(A, 8, 5);
	enter(A, SYS_ipc, B->id, EXO_NILTHREAD, NEVER);
	cr_assert_eq(B->ctx.r9, 5, "B has it");
	cr_assert_eq(counter((exo_cap_t)x, 0), 1, "B's arrival is S2's");
}

Test(ext_events, irq_handler_needs_the_line_and_consumes_it)
{
	i64 x = LOAD(on_irq, EXT_EV_IRQ);
	u32 point = EXO_EXT_AT_IRQ(EXO_IRQ_CONSOLE);
	int err;

	cr_assert_gt(x, 0);
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), point, 0), -E_PERM,
		     "nobody drives the line");
	cr_assert_eq(enter(A, SYS_irq_control, IRQ, A->id, 0), A);
	cr_assert_eq(A->ctx.rax, 0, "A drives the console line");
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S2, EXO_CAP_W), point, 0), -E_PERM,
		     "S2 is not the driver's environment");
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_IRQ(0), 0),
		     -E_INVAL, "no line 0");
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W),
				EXO_EXT_AT_IRQ(EXO_NIRQ + 1), 0), -E_INVAL);
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), point, 0), 0);
	/* A waits for the interrupt; the handler takes it: no message. */
	cr_assert_eq(enter(A, SYS_ipc, EXO_NILTHREAD, IRQ, NEVER), B);
	cr_assert_null(ipc_irq(EXO_IRQ_CONSOLE));
	cr_assert_null(ipc_irq(EXO_IRQ_CONSOLE));
	cr_assert_eq(A->state, TS_RECEIVING, "consumed by the extension");
	cr_assert_eq(counter((exo_cap_t)x, EXO_IRQ_CONSOLE), 2);
	cr_assert_eq(counter((exo_cap_t)x, 3), 1 + 2, "ctx->count: 1, then 2");
	/* Dropped, the line is the driver's again. */
	cap_destroy(cap_get(env_of(S1), (exo_cap_t)x, EXO_CAP_EXT, 0, &err));
	cr_assert_not_null(ipc_irq(EXO_IRQ_CONSOLE));
	cr_assert_eq(A->state, TS_READY, "delivered");
	cr_assert_eq(threads[EXO_IRQ_CONSOLE].flags & TF_EXT, 0);
}

/* Each load is a trace record naming the extension's section. */
Test(ext_events, load_is_traced_with_the_section_name)
{
	struct exo_trace_ring *r = &cpus[0].ring;
	const struct exo_trace_rec *rec;
	char name[17] = { 0 };
	i64 x;

	trace_on = 1;
	x = load(on_thread, sizeof on_thread / sizeof on_thread[0],
		 EXT_EV_THREAD, 0);
	trace_on = 0;
	cr_assert_gt(x, 0);
	rec = (const void *)((const char *)r->recs + (u16)(r->head - EXO_TRACE_REC_SIZE));
	cr_assert_eq(rec->kind, EXO_TRACE_EXT_LOAD);
	cr_assert_eq(rec->a32, EXT_EV_THREAD);
	cr_assert_eq(rec->a16, cap_get(env_of(S1), (exo_cap_t)x, EXO_CAP_EXT, 0,
				       &(int){ 0 })->object + 1, "its slot + 1, as handled_by");
	memcpy(name, &rec->a0, 8);
	memcpy(name + 8, &rec->a1, 8);
	cr_assert_str_eq(name, "event/thread");
}

/* ---- Domains: create, resolve at load, combine, pass. */

static i64
domain(struct thread *t, u64 op, u64 a, u64 b)
{
	return ext_domain(t, op, a, b);
}

/* Only a privileged space creates, and only within the base. */
Test(ext_events, domain_create_rules)
{
	i64 d;
	int err;

	cr_assert_eq(domain(B, EXO_DOMAIN_CREATE, 1u << EXT_HELPER_KTIME,
			    1u << EXT_EV_THREAD), -E_PERM, "S2 is not privileged");
	cr_assert_eq(domain(A, EXO_DOMAIN_CREATE, 1u << EXT_HELPER_TRACE,
			    1u << EXT_EV_THREAD), -E_INVAL, "ext_trace is no kernel helper");
	cr_assert_eq(domain(A, EXO_DOMAIN_CREATE, 0, 1u << EXT_EV_PACKET), -E_INVAL,
		     "no packet event in the kernel");
	cr_assert_eq(domain(A, EXO_DOMAIN_CREATE, 0, 1ull << 40), -E_INVAL);
	cr_assert_eq(domain(A, 3, 0, 0), -E_INVAL, "no such operation");
	d = domain(A, EXO_DOMAIN_CREATE, 1u << EXT_HELPER_KTIME, 1u << EXT_EV_THREAD);
	cr_assert_gt(d, 0);
	cr_assert_eq(cap_get(env_of(S1), (exo_cap_t)d, EXO_CAP_DOMAIN, EXO_CAP_R, &err)->object,
		     EXO_DOMAIN_OBJECT(1u << EXT_HELPER_KTIME, 1u << EXT_EV_THREAD));
}

/* Resolve: a helper the domain lacks refuses the load at its call, an
 * event it lacks refuses it whole; the base is the privileged spaces'. */
Test(ext_events, load_resolves_against_the_domain)
{
	u64 ktime_thread = (u64)domain(A, EXO_DOMAIN_CREATE, 1u << EXT_HELPER_KTIME,
				       1u << EXT_EV_THREAD);
	u64 counting_ipc = (u64)domain(A, EXO_DOMAIN_CREATE, 1u << EXT_HELPER_COUNTER_ADD,
				       1u << EXT_EV_IPC);
	u64 both;
	int err;

	cr_assert_eq(load(on_thread, sizeof on_thread / 8, EXT_EV_THREAD, ktime_thread),
		     -E_REJECTED, "counter_add unresolved");
	cr_assert_eq(load_error()->insn, 3, "at the call");
	cr_assert_str_eq(load_error()->rule_name, "helper_domain");
	cr_assert_eq(load(on_thread, sizeof on_thread / 8, EXT_EV_THREAD, counting_ipc),
		     -E_PERM, "the thread event is not the domain's");
	cr_assert_eq(load(on_thread, sizeof on_thread / 8, EXT_EV_THREAD, EXO_CAP(99, 1)),
		     -E_BADCAP);
	cr_assert_eq(load(on_thread, sizeof on_thread / 8, EXT_EV_THREAD,
			  env_cap(S1, EXO_CAP_ALL)), -E_BADTYPE);
	/* Combine: the union has both. */
	cr_assert_eq(domain(A, EXO_DOMAIN_COMBINE, ktime_thread, 0), -E_BADCAP);
	both = (u64)domain(A, EXO_DOMAIN_COMBINE, ktime_thread, counting_ipc);
	cr_assert_gt((i64)both, 0);
	cr_assert_eq(cap_get(env_of(S1), both, EXO_CAP_DOMAIN, 0, &err)->object,
		     EXO_DOMAIN_OBJECT(1u << EXT_HELPER_KTIME | 1u << EXT_HELPER_COUNTER_ADD,
				       1u << EXT_EV_THREAD | 1u << EXT_EV_IPC));
	cr_assert_gt(load(on_thread, sizeof on_thread / 8, EXT_EV_THREAD, both), 0);
	cr_assert_gt(load(on_ipc, sizeof on_ipc / 8, EXT_EV_IPC, both), 0);
	cr_assert_eq(load(on_irq, sizeof on_irq / 8, EXT_EV_IRQ, both), -E_PERM);
	cr_assert_gt(load(on_irq, sizeof on_irq / 8, EXT_EV_IRQ, 0), 0, "the base has it");
}

/* A domain without R cannot be loaded against or combined; an
 * unprivileged space loads only against a domain it was given. */
Test(ext_events, domains_pass_by_capability)
{
	u64 d = (u64)domain(A, EXO_DOMAIN_CREATE, 1u << EXT_HELPER_COUNTER_ADD,
			    1u << EXT_EV_THREAD);
	exo_cap_t weak, given;
	int err;
	struct cap *k = cap_get(env_of(S1), d, EXO_CAP_DOMAIN, 0, &err);
	u8 *b_mem;
	u64 pa = frame_alloc();

	cr_assert_eq(cap_new(env_of(S1), EXO_CAP_DOMAIN, EXO_CAP_X, k->object, k, &weak), 0);
	cr_assert_eq(load(on_thread, sizeof on_thread / 8, EXT_EV_THREAD, weak), -E_PERM);
	cr_assert_eq(domain(A, EXO_DOMAIN_COMBINE, weak, d), -E_PERM);
	/* B, unprivileged, with the program in its own memory. */
	cr_assert(pa);
	cr_assert_eq(arch_space_map(&S2->pt, MEM_VA, pa, EXO_PAGE_SIZE, EXO_SEG_R | EXO_SEG_W), 0);
	b_mem = arch_phys_to_virt(pa);
	memcpy(b_mem, on_thread, sizeof on_thread);
	cr_assert_eq(ext_load(B, MEM_VA, sizeof on_thread / 8, EXT_EV_THREAD, 0, 0), -E_PERM,
		     "the base is not S2's");
	cr_assert_eq(cap_new(env_of(S2), EXO_CAP_DOMAIN, EXO_CAP_R, k->object, k, &given), 0);
	cr_assert_gt(ext_load(B, MEM_VA, sizeof on_thread / 8, EXT_EV_THREAD, 0, given), 0);
	cr_assert_eq(ext_load(B, MEM_VA, sizeof on_thread / 8, EXT_EV_IPC, 0, given), -E_PERM);
	cr_assert(cap_check());
}

/* ---- The timer event: an IPC timeout's expiry. */

/* Store word 0 counts raises; the first answers HANDLED with next = now +
 * period (wait one period more), the second lets the timeout end the IPC. */
static const struct bpf_insn on_timer[] = {
	I(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REGS(6, 1), 0, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0),
	CALL(STORE),
	I(BPF_JMP | BPF_JEQ | BPF_K, 0, 10, 0),                 /* NULL: default */
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(1, 0), 0, 0),
	I(BPF_ALU64 | BPF_ADD | BPF_K, 1, 0, 1),
	I(BPF_STX | BPF_MEM | BPF_DW, BPF_REGS(0, 1), 0, 0),
	I(BPF_JMP | BPF_JGT | BPF_K, 1, 6, 1),                  /* the second: default */
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(2, 6), 0, 0),
	I(BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(3, 6), 8, 0),
	I(BPF_ALU64 | BPF_ADD | BPF_X, BPF_REGS(2, 3), 0, 0),
	I(BPF_STX | BPF_MEM | BPF_DW, BPF_REGS(6, 2), 16, 0),
	I(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, EXT_HANDLED),
	I(BPF_JMP | BPF_EXIT, 0, 0, 0),
	EXIT0,                                                  /* default */
};

Test(ext_events, timer_handler_defers_a_timeout_once)
{
	i64 x = LOAD(on_timer, EXT_EV_TIMER);
	u64 woke;

	cr_assert_gt(x, 0, "load: %lld (%s at %u)", (long long)x, load_error()->rule_name,
		     load_error()->insn);
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_TIMER, 0), 0);
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S2, EXO_CAP_X), EXO_EXT_AT_TIMER, 0),
		     -E_PERM);
	/* A sleeps 100 us: a receive from nil (<exo/ipc.h>). */
	cr_assert_eq(enter(A, SYS_ipc, EXO_NILTHREAD, EXO_NILTHREAD,
			   EXO_TIMEOUTS(0, EXO_TIMEOUT_US(100))), B);
	woke = A->wakeup;
	cr_assert_gt(woke, 0);
	fake_now = woke;
	sched_timer(fake_now);
	cr_assert_eq(A->state, TS_RECEIVING, "the handler kept it waiting");
	cr_assert_eq(A->wakeup, woke + 100, "until now + period (100 us at 1 tick/us)");
	cr_assert_eq(counter((exo_cap_t)x, EXO_EXT_STORE_WORD(0)), 1);
	fake_now = A->wakeup;
	sched_timer(fake_now);
	cr_assert_eq(A->state, TS_READY, "the second expiry ends the sleep");
	cr_assert_eq(EXO_IPC_ERR_CODE(A->ctx.rdx), EXO_IPC_TIMEOUT);
	cr_assert_eq(counter((exo_cap_t)x, EXO_EXT_STORE_WORD(0)), 2);
}

/* Each raise that reached a handler is an ext_raise record (what exo stat
 * counts): a thread raise names what happened and the thread's number. */
Test(ext_events, raises_are_traced)
{
	struct exo_trace_ring *r = &cpus[0].ring;
	i64 x = LOAD(on_thread, EXT_EV_THREAD);
	u64 head0 = r->head, seen[5] = { 0 };

	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_THREAD, 0), 0);
	trace_on = 1;
	head0 = r->head;
	a_waits_b_sends();
	trace_on = 0;
	for (u64 at = head0; at != r->head; at += EXO_TRACE_REC_SIZE) {
		const struct exo_trace_rec *rec = (const void *)((const char *)r->recs + (u16)at);

		if (rec->kind != EXO_TRACE_EXT_RAISE)
			continue;
		cr_assert_eq(rec->a16, EXT_EV_THREAD);
		cr_assert_eq(rec->a32, 1, "one handler ran");
		cr_assert_eq(rec->a0, 0, "none answered HANDLED");
		cr_assert_eq(rec->a1 & 0xffffffff, EXO_TID_NO(A->id));
		cr_assert_leq(rec->a1 >> 32, EXT_TH_RESUME);
		seen[rec->a1 >> 32]++;
	}
	cr_assert_eq(seen[EXT_TH_BLOCK], 1);
	cr_assert_eq(seen[EXT_TH_UNBLOCK], 1);
	cr_assert_eq(seen[EXT_TH_CHECKPOINT], 1);
	cr_assert_eq(seen[EXT_TH_RESUME], counter((exo_cap_t)x, EXT_TH_RESUME));
}

/* Guards work on the new events as on the old: a guard that says no keeps
 * its handler from running, and its drop detaches the handler. */
Test(ext_events, guard_before_a_thread_handler)
{
	static const struct bpf_insn no[] = { EXIT0 };
	i64 h = LOAD(on_thread, EXT_EV_THREAD);
	i64 g = load(no, 2, EXT_EV_THREAD | EXO_EXT_GUARD, 0);
	int err;

	cr_assert_gt(g, 0);
	cr_assert_eq(ext_attach(A, (exo_cap_t)h, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_THREAD,
				(exo_cap_t)g), 0);
	a_waits_b_sends();
	cr_assert_eq(counter((exo_cap_t)h, EXT_TH_BLOCK), 0, "the guard said no");
	cr_assert_eq(A->ext_word, 0);
	cap_destroy(cap_get(env_of(S1), (exo_cap_t)g, EXO_CAP_EXT, 0, &err));
	cr_assert_eq(A->flags & TF_EXT, 0, "the handler went with its guard");
}

/* Attaching and detaching are trace records too (ext_attach, ext_detach). */
Test(ext_events, attach_and_detach_are_traced)
{
	struct exo_trace_ring *r = &cpus[0].ring;
	i64 x = LOAD(on_thread, EXT_EV_THREAD);
	u64 head0;
	int err, attach = 0, detach = 0;
	u64 slot1 = cap_get(env_of(S1), (exo_cap_t)x, EXO_CAP_EXT, 0, &err)->object + 1;

	trace_on = 1;
	head0 = r->head;
	cr_assert_eq(ext_attach(A, (exo_cap_t)x, env_cap(S1, EXO_CAP_W), EXO_EXT_AT_THREAD, 0), 0);
	cap_destroy(cap_get(env_of(S1), (exo_cap_t)x, EXO_CAP_EXT, 0, &err));
	trace_on = 0;
	for (u64 at = head0; at != r->head; at += EXO_TRACE_REC_SIZE) {
		const struct exo_trace_rec *rec = (const void *)((const char *)r->recs + (u16)at);

		if (rec->kind != EXO_TRACE_EXT_ATTACH && rec->kind != EXO_TRACE_EXT_DETACH)
			continue;
		cr_assert_eq(rec->a16, slot1);
		cr_assert_eq(rec->a0, S1->index);
		cr_assert_eq(rec->a1, EXO_EXT_AT_THREAD);
		attach += rec->kind == EXO_TRACE_EXT_ATTACH;
		detach += rec->kind == EXO_TRACE_EXT_DETACH;
	}
	cr_assert_eq(attach, 1);
	cr_assert_eq(detach, 1);
}
