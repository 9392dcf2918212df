/* The process table (proc_table.h). */
#include "proc_table.h"

#include <exo/error.h>

void
exos_ptab_init(struct exos_ptab *t)
{
	u8 *p = (u8 *)t;

	for (u32 i = 0; i < sizeof *t; i++)
		p[i] = 0;
	t->next_pid = 1;
}

static void
set_name(struct exos_proc *p, const char *name)
{
	u32 i = 0;

	for (; name && name[i] && i < EXOS_PROC_NAME - 1; i++)
		p->name[i] = name[i];
	for (; i < EXOS_PROC_NAME; i++)
		p->name[i] = 0;
}

long
exos_ptab_alloc(struct exos_ptab *t, u32 ppid, const char *name)
{
	for (u32 i = 0; i < EXOS_NPROC; i++) {
		struct exos_proc *p = &t->procs[i];

		if (p->state != EXOS_PROC_FREE)
			continue;
		*p = (struct exos_proc){ .pid = t->next_pid++, .ppid = ppid,
					 .state = EXOS_PROC_RUN };
		set_name(p, name);
		return p->pid;
	}
	return -E_NOMEM;
}

struct exos_proc *
exos_ptab_get(struct exos_ptab *t, u32 pid)
{
	for (u32 i = 0; pid && i < EXOS_NPROC; i++)
		if (t->procs[i].state != EXOS_PROC_FREE && t->procs[i].pid == pid)
			return &t->procs[i];
	return 0;
}

struct exos_proc *
exos_ptab_by_tid(struct exos_ptab *t, u64 tid)
{
	for (u32 i = 0; tid && i < EXOS_NPROC; i++)
		if (t->procs[i].state == EXOS_PROC_RUN && t->procs[i].tid == tid)
			return &t->procs[i];
	return 0;
}

int
exos_ptab_run(struct exos_ptab *t, u32 pid, u64 tid, const char *name)
{
	struct exos_proc *p = exos_ptab_get(t, pid);

	if (!p || p->state != EXOS_PROC_RUN)
		return -E_INVAL;
	p->tid = tid;
	set_name(p, name);
	return 0;
}

static struct exos_proc *
ending(struct exos_ptab *t, u32 pid)
{
	struct exos_proc *p = exos_ptab_get(t, pid);

	if (!p || p->state != EXOS_PROC_RUN)
		return 0;
	p->state = EXOS_PROC_ZOMBIE;
	p->tid = 0;
	return p;
}

int
exos_ptab_exited(struct exos_ptab *t, u32 pid, u32 code)
{
	struct exos_proc *p = ending(t, pid);

	if (!p)
		return -E_INVAL;
	p->status = code & 0xff;
	return 0;
}

int
exos_ptab_killed(struct exos_ptab *t, u32 pid, u32 vector, u64 addr, u64 rip)
{
	struct exos_proc *p = ending(t, pid);

	if (!p)
		return -E_INVAL;
	p->status = EXOS_KILLED | (vector & 0xff);
	p->fault_addr = addr;
	p->fault_rip = rip;
	return 0;
}

long
exos_ptab_reap(struct exos_ptab *t, u32 ppid, u32 *pid, struct exos_proc *out)
{
	bool children = false;

	for (u32 i = 0; i < EXOS_NPROC; i++) {
		struct exos_proc *p = &t->procs[i];
		u32 status;

		if (p->state == EXOS_PROC_FREE || p->ppid != ppid ||
		    (*pid && p->pid != *pid))
			continue;
		children = true;
		if (p->state != EXOS_PROC_ZOMBIE)
			continue;
		status = p->status;
		*pid = p->pid;
		if (out)
			*out = *p;
		p->state = EXOS_PROC_FREE;
		return status;
	}
	return children ? -E_AGAIN : -E_NOENT;
}
