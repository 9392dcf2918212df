/*
 * ExOS's session manager (proc_mgr.h): processes, the process table, pipes,
 * and how each process ended.
 *
 * How the manager learns of an end:
 *   - exit: the process sends EXOS_MSG_EXIT and waits; the manager records
 *     the status and deletes its thread (the environment dies with it).
 *   - a page fault nothing resolves: the process's pager is the manager
 *     (it has no exception entry), so the kernel sends the fault here as
 *     an IPC; the manager records "killed by fault 14 at addr" and deletes
 *     the thread.
 *   - any other death (an exception the kernel kills for): the thread id is
 *     unique in space and time, so exchange_registers on it says -E_NOENT
 *     once it is gone; the manager looks whenever a wait times out, and
 *     records the kill with EXOS_VECTOR_UNKNOWN.
 * When a process ends its pipe ends close, and the process at the other
 * end is woken to see it.
 */
#include "proc_mgr.h"

#include <exo/error.h>
#include <exo/ipc.h>

#include "libos.h"

#define MGR_BASE        0x300000000000ULL
#define MGR_START(i)    (MGR_BASE + (u64)(i) * 0x1000)
#define MGR_RING(i)     (MGR_BASE + 0x100000 + (u64)(i) * 0x1000)
#define MGR_PTAB        (MGR_BASE + 0x200000)
#define MGR_POLL_US     20000   /* how often a waiting manager looks for deaths */

struct mgr_state mgr;

static long
bound_frame(u64 va, exo_cap_t *out)
{
	long c = frame_alloc(0), r;

	if (c < 0)
		return c;
	r = bind((exo_cap_t)c, va, EXO_BIND_W | EXO_BIND_NOW);
	if (r < 0) {
		frame_free((exo_cap_t)c);
		return r;
	}
	*out = (exo_cap_t)c;
	return 0;
}

long
exos_mgr_init(const struct exos_image *images, u32 n)
{
	long r;

	if (mgr.ptab)
		return -E_EXIST;
	r = bound_frame(MGR_PTAB, &mgr.ptab_cap);
	if (r < 0)
		return r;
	mgr.ptab = (struct exos_ptab *)MGR_PTAB;
	exos_ptab_init(mgr.ptab);
	mgr.images = images;
	mgr.nimages = n;
	return 0;
}

long
exos_pipe(void)
{
	for (u32 i = 0; i < MGR_PIPES; i++) {
		struct mgr_pipe *pp = &mgr.pipes[i];
		long r;

		if (pp->cap)
			continue;
		r = bound_frame(MGR_RING(i), &pp->cap);
		if (r < 0)
			return r;
		pp->ring = (struct exos_ring *)MGR_RING(i);
		exos_ring_init(pp->ring);
		pp->reader = pp->writer = 0;
		return i;
	}
	return -E_NOMEM;
}

const struct exos_image *
mgr_image(const char *name)
{
	for (u32 i = 0; i < mgr.nimages; i++)
		if (!strcmp(mgr.images[i].name, name))
			return &mgr.images[i];
	return 0;
}

/* Wake a process that may wait on a ring: a message with nothing in it. */
static void
ring_wake(u64 tid)
{
	struct l4_msg m = { { 0 } };

	if (tid)
		l4_send(tid, &m, EXO_TIMEOUT_ZERO);
}

/* The thread of process pid, from the manager's own record (a process can
 * write the tids in a ring's header; the manager never reads them). */
static u64
tid_of(u32 pid)
{
	for (u32 i = 0; pid && i < EXOS_NPROC; i++)
		if (mgr.procs[i].pid == pid)
			return mgr.procs[i].tid;
	return 0;
}

void
mgr_pipes_close(struct mgr_proc *p)
{
	for (u32 fd = 0; fd < EXOS_FDS; fd++) {
		struct mgr_pipe *pp;

		if (p->fd_pipe[fd] < 0)
			continue;
		pp = &mgr.pipes[p->fd_pipe[fd]];
		p->fd_pipe[fd] = -1;
		if (fd) {
			exos_ring_close_write(pp->ring);
			pp->writer = 0;
			ring_wake(tid_of(pp->reader));
		} else {
			exos_ring_close_read(pp->ring);
			pp->reader = 0;
			ring_wake(tid_of(pp->writer));
		}
		if (!pp->reader && !pp->writer) {
			frame_free(pp->cap);
			*pp = (struct mgr_pipe){ 0 };
		}
	}
}

void
mgr_env_release(struct mgr_proc *p)
{
	if (p->tid)
		l4_thread_control(p->tid, EXO_NILTHREAD, 0, 0, -1);
	mgr_pages_release(p);
	if (p->start_cap) {
		frame_free(p->start_cap);   /* unbinds ours */
		p->start_cap = 0;
		p->start = 0;
	}
	if (p->env)
		cap_drop(p->env);
	p->tid = 0;
	p->env = 0;
}

/* Pass the shared pages: the process table (read-only) and its rings. */
static long
share(struct mgr_proc *p, exo_cap_t c, u64 va, u32 rights)
{
	long name = cap_pass(c, p->tid, rights | EXO_CAP_R);

	if (name < 0)
		return name;
	return bind_env(p->env, (exo_cap_t)name, va, rights | EXO_BIND_R);
}

static void
args_copy(struct exos_start *s, u32 argc, char *const argv[])
{
	u32 at = 0;

	s->argc = 0;
	for (u32 i = 0; i < argc && i < EXOS_ARGS; i++) {
		u64 n = strlen(argv[i]) + 1;

		if (at + n > EXOS_ARGBUF)
			break;
		memcpy(s->args + at, argv[i], n);
		s->argv_off[s->argc++] = at;
		at += (u32)n;
	}
}

long
mgr_env_new(struct mgr_proc *p)
{
	long r, tid;

	tid = l4_thread_control(EXO_NILTHREAD, EXO_NILTHREAD, l4_myself(),
				EXOS_CHILD_UTCB, -1);
	if (tid <= 0)
		return tid ? tid : -E_NOMEM;
	p->tid = (u64)tid;
	r = env_cap(p->tid, EXO_CAP_W);
	if (r < 0)
		return r;
	p->env = (exo_cap_t)r;
	return 0;
}

long
mgr_start_new(struct mgr_proc *p, const struct exos_start *from)
{
	u32 slot = (u32)(p - mgr.procs);
	long r;

	if ((r = bound_frame(MGR_START(slot), &p->start_cap)) < 0)
		return r;
	p->start = (struct exos_start *)MGR_START(slot);
	if (from)
		*p->start = *from;
	p->start->magic = EXOS_START_MAGIC;
	p->start->pid = p->pid;
	p->start->manager = l4_myself();
	if ((r = share(p, p->start_cap, EXOS_START_VA, EXO_BIND_W)) < 0)
		return r;
	return share(p, mgr.ptab_cap, EXOS_PTAB_VA, 0);
}

/* A fresh environment for slot p running img; p->pid and pipes are set. */
long
mgr_env_start(struct mgr_proc *p, const struct exos_image *img, u32 argc,
	  char *const argv[])
{
	long r, entry;

	if ((r = mgr_env_new(p)) < 0)
		return r;
	entry = mgr_load(p, img);
	if (entry < 0)
		return entry;
	for (u32 i = 1; i <= EXOS_STACK_PAGES; i++)
		if ((r = mgr_page(p, EXOS_STACK_TOP - i * EXO_PAGE_SIZE, EXO_BIND_W, 0, 0, 0)) < 0)
			return r;
	if ((r = mgr_start_new(p, 0)) < 0)
		return r;
	args_copy(p->start, argc, argv);
	for (u32 fd = 0; fd < EXOS_FDS; fd++) {
		struct mgr_pipe *pp = p->fd_pipe[fd] >= 0 ? &mgr.pipes[p->fd_pipe[fd]] : 0;

		p->start->fd_kind[fd] = pp ? EXOS_FD_PIPE : fd ? EXOS_FD_CONSOLE : EXOS_FD_NONE;
		if (!pp)
			continue;
		if ((r = share(p, pp->cap, EXOS_RING_VA(fd), EXO_BIND_W)) < 0)
			return r;
		if (fd)
			pp->ring->writer_tid = p->tid;
		else
			pp->ring->reader_tid = p->tid;
	}
	r = exos_ptab_run(mgr.ptab, p->pid, p->tid, img->name);
	if (r < 0)
		return r;
	/* Called, as it were: rsp is 8 below a 16-byte boundary. */
	r = l4_exchange_registers(p->tid, EXR_RESUME | EXR_SET_SP | EXR_SET_IP,
				  EXOS_STACK_TOP - 8, (u64)entry, 0, 0, 0);
	return r < 0 ? r : 0;
}

void
mgr_abandon(struct mgr_proc *p, u32 ppid)
{
	u32 gone = p->pid;

	mgr_env_release(p);
	mgr_pipes_close(p);
	exos_ptab_killed(mgr.ptab, gone, EXOS_VECTOR_UNKNOWN, 0, 0);
	exos_ptab_reap(mgr.ptab, ppid, &gone, 0);
	*p = (struct mgr_proc){ 0 };
}

long
exos_spawn(const char *name, u32 argc, char *const argv[], int in, int out)
{
	const struct exos_image *img = mgr_image(name);
	struct mgr_proc *p = 0;
	long pid, r;

	if (!mgr.ptab)
		return -E_INVAL;
	if (!img)
		return -E_NOENT;
	if ((in >= 0 && (in >= MGR_PIPES || !mgr.pipes[in].cap)) ||
	    (out >= 0 && (out >= MGR_PIPES || !mgr.pipes[out].cap)))
		return -E_INVAL;
	for (u32 i = 0; i < EXOS_NPROC && !p; i++)
		if (!mgr.procs[i].pid)
			p = &mgr.procs[i];
	if (!p || (pid = exos_ptab_alloc(mgr.ptab, 0, name)) < 0)
		return -E_NOMEM;
	*p = (struct mgr_proc){ .pid = (u32)pid, .fd_pipe = { in, out } };
	if (in >= 0)
		mgr.pipes[in].reader = p->pid;
	if (out >= 0)
		mgr.pipes[out].writer = p->pid;
	r = mgr_env_start(p, img, argc, argv);
	if (r < 0) {
		mgr_abandon(p, 0);
		return r;
	}
	return pid;
}
