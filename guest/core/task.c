#include "task.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "kernel.h"
#include "modpage.h"
#include "platform.h"
#include "sched.h"

static struct {
	const struct exo_bootinfo *bi;
	u32 index;              /* the module running now */
	u32 last_status;        /* exit status of the last module that ended */
	bool first_entered;
	struct space *root;     /* its root space */
} run;

static struct exo_event ev;

/* The module's pages come in as the task touches them (modpage.h). */
int
task_map_module(struct space *s, const struct exo_module *m, u64 mem_size)
{
	return modpage_attach(s, m, mem_size);
}

struct space *
task_root(struct space *s)
{
	while (s->parent)
		s = s->parent;
	return s;
}

/* Every field the host reads for these kinds is written: no stale values. */
static void
task_report(u32 kind, u32 module, i64 status, u64 vector, u64 error, u64 addr,
	    u64 rip)
{
	ev.kind = kind;
	ev.module = module;
	ev.status = status;
	ev.vector = vector;
	ev.error = error;
	ev.addr = addr;
	ev.rip = rip;
	arch_host_event(&ev);
}

/* Module i's task: its root space, segments, first thread (ready). */
static int
task_start(u32 i, u32 prio, struct space **out)
{
	const struct exo_module *m = &run.bi->modules[i];
	struct space *s;
	struct thread *t;
	int r = space_create(0, &s);

	if (r < 0)
		return r;
	s->module = i;
	s->privileged = true;
	r = task_map_module(s, m, run.bi->mem_size);
	if (r == 0)
		r = thread_create(s, TASK_UTCB_VA, EXO_NILTHREAD, prio, &t);
	if (r < 0) {
		space_destroy(s);
		return r;
	}
	t->ctx.rip = m->entry;
	t->ctx.rsp = m->stack_top;
	t->ctx.rdi = m->argc;
	t->ctx.rsi = m->argv;
	t->state = TS_READY;
	sched_set_cpu(t, 0);    /* every task starts on the boot CPU */
	sched_ready(t);
	if (i == run.bi->sigma0)
		kernel_kip()->sigma0 = t->id;
	*out = s;
	return 0;
}

/* Start module i, or the next one that can start; exit the VM after the last. */
static void
task_next(u32 i)
{
	const struct exo_bootinfo *bi = run.bi;

	for (; i < bi->nmodules; i++) {
		int r;

		if (i == bi->sigma0)
			continue;
		run.index = i;
		r = task_start(i, PRIO_DEFAULT, &run.root);
		if (r == 0) {
			if (!run.first_entered) {
				run.first_entered = true;
				arch_host_doorbell(EXO_DOORBELL_FIRST_USER);
			}
			return;
		}
		run.last_status = 127;
		task_report(EXO_EV_PROGRAM_ERROR, i, r, 0, 0, 0, 0);
	}
	arch_host_exit(run.last_status);
}

struct thread *
task_boot(const struct exo_bootinfo *bi)
{
	struct space *s;

	run.bi = bi;
	if (bi->sigma0 < bi->nmodules) {
		int r = task_start(bi->sigma0, PRIO_MAX - 1, &s);

		if (r < 0)
			panic("sigma0: cannot start (%d)", r);
		s->sigma0 = true;
	}
	task_next(0);
	return sched_next();
}

/*
 * Delete every thread of the task whose root space is root. The root
 * space's own threads go last: deleting its last thread destroys it, which
 * makes its child spaces roots of their own and their threads no longer
 * the task's.
 */
static void
task_kill_all(struct space *root)
{
	for (int last = 0; last < 2; last++) {
		for (u32 i = THREAD_FIRST; i < NTHREADS; i++) {
			struct thread *t = &threads[i];

			if (t->state != TS_FREE && task_root(t->space) == root &&
			    (t->space == root) == last)
				thread_delete(t);
		}
	}
}

/* The task rooted at root ended; report it and go on with the next module. */
static void
task_end(struct space *root, u32 kind, i64 status, u64 vector, u64 error,
	 u64 addr, u64 rip)
{
	u32 module = root->module;

	task_kill_all(root);
	task_report(kind, module, status, vector, error, addr, rip);
	if (root == run.root) {
		run.last_status = status & 0xff;
		run.root = 0;
		task_next(run.index + 1);
	}
}

void
task_exit(struct thread *t, i64 status)
{
	struct space *root = task_root(t->space);

	/* The report carries the full status; the VM's is its low byte. */
	task_end(root, EXO_EV_PROGRAM_EXIT, status, 0, 0, 0, 0);
}

void
task_reap(void)
{
	for (u32 i = THREAD_FIRST; threads_doomed && i < NTHREADS; i++) {
		struct thread *t = &threads[i];
		struct space *root;

		if (t->state == TS_FREE || !(t->flags & TF_DOOMED))
			continue;
		root = task_root(t->space);
		if (t->space == root && t->doom_vector == TASK_ABORT_VECTOR)
			task_end(root, EXO_EV_PROGRAM_ABORT, PROGRAM_ABORT_STATUS,
				 0, 0, 0, 0);
		else if (t->space == root) /* a root-space thread takes its task down */
			task_end(root, EXO_EV_PROGRAM_FAULT,
				 PROGRAM_KILLED_STATUS(t->doom_vector), t->doom_vector,
				 t->doom_error, t->doom_addr, t->doom_ip);
		else {
			if (kopts.verbose)
				kprintf("exo: thread 0x%lx killed: vector %lu at 0x%lx, "
					"rip 0x%lx\n", t->id, t->doom_vector,
					t->doom_addr, t->doom_ip);
			thread_delete(t);
		}
	}
}

void
task_stuck(void)
{
	if (!run.root)
		panic("no task left and nothing to run");
	if (kopts.verbose)
		for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
			if (threads[i].state != TS_FREE)
				kprintf("exo: deadlock: thread 0x%lx state %u flags %u partner 0x%lx "
					"rip 0x%lx\n", threads[i].id, threads[i].state, threads[i].flags,
					threads[i].partner, threads[i].ctx.rip);
	task_end(run.root, EXO_EV_PROGRAM_DEADLOCK, PROGRAM_DEADLOCK_STATUS, 0, 0, 0, 0);
}
