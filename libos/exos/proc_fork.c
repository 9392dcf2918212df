/*
 * fork and a process's own wait, the manager's side (proc_mgr.h).
 *
 * fork: the child is a fresh environment holding the parent's frames.
 * Every page the parent may write becomes copy-on-write in both: the
 * manager drops the parent's writable link (its binding goes with it) and
 * binds the frame read-only in each; the first write in either faults to
 * the manager, which copies the frame while the other still holds it, or
 * hands it over writable to the last holder (proc_mem.c). Read-only pages
 * (text) are simply shared. The child's start page is a copy of the
 * parent's (the saved registers it resumes from), its own pid set; it has
 * no pipe ends: a ring has one reader and one writer, so the child reads
 * end of file and writes to the console (a pipe end is the spawner's to
 * give, exsh's). It starts at the ip its parent names, in its own copy.
 *
 * wait: a process waits for its own children (the table's ppid); the
 * manager answers at once if one has ended, else when one does. A child
 * whose parent ended is reaped at its end (nobody would wait for it).
 */
#include "proc_mgr.h"

#include <exo/error.h>
#include <exo/ipc.h>

#include "libos.h"

static long
fork_pages(struct mgr_proc *p, struct mgr_proc *c)
{
	for (u32 i = 0; i < p->npages; i++) {
		struct mgr_page *pg = &p->pages[i], *cg = &c->pages[c->npages++];
		long r;

		if (mgr_page_fork(mgr.frames, pg, cg)) {
			/* Its writable link goes; a read-only one replaces it. */
			cap_drop(pg->link);
			pg->link = 0;
			if ((r = mgr_page_link(p, pg)) < 0)
				return r;
		}
		if ((r = mgr_page_link(c, cg)) < 0)
			return r;
	}
	return 0;
}

static long
fork_env(struct mgr_proc *p, struct mgr_proc *c, u64 ip, u64 sp)
{
	struct exos_proc *e = exos_ptab_get(mgr.ptab, p->pid);
	long r;

	if ((r = mgr_env_new(c)) < 0 || (r = fork_pages(p, c)) < 0 ||
	    (r = mgr_start_new(c, p->start)) < 0)
		return r;
	c->start->fd_kind[0] = EXOS_FD_NONE;
	c->start->fd_kind[1] = EXOS_FD_CONSOLE;
	if ((r = exos_ptab_run(mgr.ptab, c->pid, c->tid, e ? e->name : "?")) < 0)
		return r;
	r = l4_exchange_registers(c->tid, EXR_RESUME | EXR_SET_SP | EXR_SET_IP,
				  sp, ip, 0, 0, 0);
	return r < 0 ? r : 0;
}

long
mgr_fork(struct mgr_proc *p, u64 ip, u64 sp)
{
	struct exos_proc *e = exos_ptab_get(mgr.ptab, p->pid);
	struct mgr_proc *c = 0;
	long pid, r;

	for (u32 i = 0; i < EXOS_NPROC && !c; i++)
		if (!mgr.procs[i].pid)
			c = &mgr.procs[i];
	if (!c || !e || (pid = exos_ptab_alloc(mgr.ptab, p->pid, e->name)) < 0)
		return -E_NOMEM;
	*c = (struct mgr_proc){ .pid = (u32)pid, .fd_pipe = { -1, -1 } };
	r = fork_env(p, c, ip, sp);
	if (r < 0) {
		mgr_abandon(c, p->pid);
		return r;
	}
	return pid;
}

static struct mgr_proc *
proc_of_pid(u32 pid)
{
	for (u32 i = 0; pid && i < EXOS_NPROC; i++)
		if (mgr.procs[i].pid == pid)
			return &mgr.procs[i];
	return 0;
}

/* Reap a child of p's for p's wait, if one ended: 1 answered, 0 not yet. */
static int
wait_try(struct mgr_proc *p)
{
	u32 who = p->waits_for;
	struct exos_proc e;
	long st = exos_ptab_reap(mgr.ptab, p->pid, &who, &e);
	struct l4_msg m = { { EXO_TAG(0, 2, 0), 0, 0 } };
	struct mgr_proc *c;

	if (st == -E_AGAIN)
		return 0;
	if (st >= 0 && (c = proc_of_pid(who)))
		*c = (struct mgr_proc){ 0 };
	m.mr[1] = st < 0 ? (u64)st : who;
	m.mr[2] = st < 0 ? 0 : (u64)st;
	p->waiting = false;
	l4_send(p->tid, &m, EXO_TIMEOUT_ZERO);
	return 1;
}

void
mgr_proc_wait(struct mgr_proc *p, u32 pid)
{
	p->waits_for = pid;
	p->waiting = true;
	wait_try(p);
}

void
mgr_child_ended(u32 pid)
{
	struct exos_proc *e = exos_ptab_get(mgr.ptab, pid);
	struct mgr_proc *parent;
	u32 who = 0;

	/* Its own children now have nobody to wait for them. */
	while (exos_ptab_reap(mgr.ptab, pid, &who, 0) >= 0) {
		struct mgr_proc *c = proc_of_pid(who);

		if (c)
			*c = (struct mgr_proc){ 0 };
		who = 0;
	}
	if (!e || !e->ppid)
		return;
	parent = proc_of_pid(e->ppid);
	if (!parent || !parent->tid) {
		who = pid;      /* an orphan: nobody will wait */
		exos_ptab_reap(mgr.ptab, e->ppid, &who, 0);
		if ((parent = proc_of_pid(pid)))
			*parent = (struct mgr_proc){ 0 };
		return;
	}
	if (parent->waiting)
		wait_try(parent);
}
