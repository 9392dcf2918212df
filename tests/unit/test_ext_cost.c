/*
 * What the thread, IPC and interrupt events cost an environment that has
 * no handler of them: the general IPC path (a blocking receive, the send
 * that wakes it) and an interrupt's delivery, counted instruction by
 * instruction on the host build (insn_count.h), must cost exactly what they
 * cost with no handler anywhere when another environment has handlers of
 * every such event: the gate is its threads' flag, nobody else's. The
 * counts are logged (the no-handler figures of the "a raise with
 * no handler costs what it costs today").
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exo/bpf.h>
#include <exo/error.h>
#include <exo/ext.h>
#include <exo/extcall.h>
#include <exo/ipc.h>
#include <exo/syscall.h>

#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/ext.h"
#include "guest/core/kernel.h"
#include "guest/core/mdb.h"
#include "guest/core/platform.h"
#include "guest/core/sched.h"
#include "ipc/ipc.h"

#include "insn_count.h"
#include "kernel_fixture.h"

#define MEM_VA  0x400000ULL
#define NEVER   EXO_TIMEOUTS(EXO_TIMEOUT_NEVER, EXO_TIMEOUT_NEVER)
#define IRQ     EXO_IRQ_TID(EXO_IRQ_CONSOLE)

static struct space *S1, *S2;
static struct thread *A, *B, *C;

static const struct bpf_insn nothing[] = {
	{ BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0 },
	{ BPF_JMP | BPF_EXIT, 0, 0, 0 },
};

/* A and B in S1 (privileged), C in S2; A runs. */
static void
world(void)
{
	fake_reset();
	kopts = (struct kernel_opts){ 0 };
	fix_core_boot();
	S1 = fix_space(NULL, true);
	S2 = fix_space(S1, false);
	A = fix_thread(S1, PRIO_DEFAULT);
	B = fix_thread(S1, PRIO_DEFAULT);
	C = fix_thread(S2, PRIO_DEFAULT);
	cr_assert_eq(mdb_map_root(S1, MEM_VA, FIX_MODULE_PA, EXO_PAGE_SIZE, EXO_RWX), 0);
	cr_assert_eq(fix_schedule(), A);
}

/* Handlers of the thread, IPC and interrupt events, all on S2 (C's). */
static void
handlers_on_s2(void)
{
	static const u32 ev[] = { EXT_EV_THREAD, EXT_EV_IPC };
	static const u32 at[] = { EXO_EXT_AT_THREAD, EXO_EXT_AT_IPC };
	exo_cap_t env;

	cr_assert_eq(cap_new(env_of(S1), EXO_CAP_ENV, EXO_CAP_ALL, S2->index, 0, &env), 0);
	for (u32 i = 0; i < 2; i++) {
		i64 x;

		memcpy(arch_phys_to_virt(FIX_MODULE_PA), nothing, sizeof nothing);
		x = ext_load(A, MEM_VA, 2, ev[i], 0, 0);
		cr_assert_gt(x, 0);
		cr_assert_eq(ext_attach(A, (exo_cap_t)x, env, at[i], 0), 0);
	}
	cr_assert(C->flags & TF_EXT);
}

static struct thread *
enter(struct thread *t, u64 no, u64 a0, u64 a1, u64 a2)
{
	t->ctx.rax = no;
	t->ctx.rdi = a0;
	t->ctx.rsi = a1;
	t->ctx.rdx = a2;
	return kernel_syscall(t);
}

static void
a_receives(void *arg)
{
	(void)arg;
	enter(A, SYS_ipc, EXO_NILTHREAD, B->id, NEVER);
}

static void
b_sends(void *arg)
{
	(void)arg;
	B->ctx.r8 = EXO_TAG(7, 1, 0);
	enter(B, SYS_ipc, A->id, EXO_NILTHREAD, NEVER);
}

static void
irq_fires(void *arg)
{
	(void)arg;
	ipc_irq(EXO_IRQ_CONSOLE);
}

struct costs {
	long receive, send, irq;
};

/* The three paths, each from the state the previous left. */
static void
measure(struct costs *k)
{
	k->receive = count_insns(a_receives, 0);
	a_receives(0);                  /* the child's steps, done here */
	cr_assert_eq(current, B);
	k->send = count_insns(b_sends, 0);
	b_sends(0);
	cr_assert_eq(A->state, TS_READY);
	cr_assert_eq(enter(B, SYS_irq_control, IRQ, B->id, 0), B);
	enter(B, SYS_ipc, EXO_NILTHREAD, IRQ, NEVER);
	cr_assert_eq(B->state, TS_RECEIVING, "B waits for its interrupt");
	k->irq = count_insns(irq_fires, 0);
}

/* One world per child process (the fixture boots once per process): the
 * costs with or without S2's handlers. */
static void
costs_of(bool with_handlers, struct costs *k)
{
	int fd[2], status;
	pid_t pid;

	cr_assert_eq(pipe(fd), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		world();
		if (with_handlers)
			handlers_on_s2();
		measure(k);
		_exit(write(fd[1], k, sizeof *k) == (ssize_t)sizeof *k ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the measuring child failed");
	cr_assert_eq(read(fd[0], k, sizeof *k), (ssize_t)sizeof *k);
	close(fd[0]);
	close(fd[1]);
}

Test(ext_cost, no_handler_of_ours_costs_nothing)
{
	struct costs none, others;

	costs_of(false, &none);
	if (none.receive < 0)
		cr_skip_test("ptrace refused: cannot count instructions here");
	costs_of(true, &others);
	cr_log_info("ext_cost: general path, no handler: blocking receive %ld, waking "
		    "send %ld, interrupt delivery %ld instructions (host build)",
		    none.receive, none.send, none.irq);
	cr_assert_gt(none.receive, 0);
	cr_assert_eq(others.receive, none.receive, "S2's handlers cost S1's receive");
	cr_assert_eq(others.send, none.send);
	cr_assert_eq(others.irq, none.irq);
}
