/*
 * The manager's wait (proc_mgr.h): while a parent waits, the manager
 * serves its processes' messages (exit, exec, fork, their own waits) and
 * their page faults (a copy-on-write page copied, anything else a kill),
 * looks for processes that vanished, and keeps each to EXOS_OWN_FRAMES
 * frames of its own by visible revocation.
 */
#include "proc_mgr.h"

#include <exo/error.h>
#include <exo/ipc.h>

#include "../../guest/core/fmt.h"
#include "libos.h"

#define POLL_US  20000  /* a wait looks for vanished processes this often */
/*
 * How long a process asked for frames has to give them back: policy, not a
 * measured bound. revoke_request runs the process's REVOKE entry at once,
 * so one that answers does so in its first slice; one that does not is
 * what the deadline is for.
 */
#define REVOKE_US  100000

static struct mgr_proc *
proc_of_tid(u64 tid)
{
	for (u32 i = 0; tid && i < EXOS_NPROC; i++)
		if (mgr.procs[i].pid && mgr.procs[i].tid == tid)
			return &mgr.procs[i];
	return 0;
}

/* p's environment ended (the table has the status): release it. */
static void
ended(struct mgr_proc *p)
{
	mgr_env_release(p);
	mgr_pipes_close(p);
	mgr_child_ended(p->pid);        /* last: it may free p's slot */
}

/*
 * exec: a fresh environment takes over p's slot (pid, pipes, parent); the
 * old one goes. An error is the reply to the old one, which goes on.
 */
static void
do_exec(struct mgr_proc *p)
{
	struct exos_start *s = p->start;
	char *argv[EXOS_ARGS];
	char req[EXOS_ARGBUF];
	struct mgr_proc fresh = *p;
	const struct exos_image *img;
	struct l4_msg m = { { EXO_TAG(0, 1, 0), 0 } };
	u32 argc = s->req_argc;
	long r = -E_INVAL;

	/* The request is in memory the process writes: copy, then check. */
	memcpy(req, s->req, sizeof req);
	req[sizeof req - 1] = 0;
	if (argc > EXOS_ARGS || !argc)
		goto refuse;
	for (u32 i = 0; i < argc; i++) {
		u32 off = s->req_off[i];

		if (off >= EXOS_ARGBUF)
			goto refuse;
		argv[i] = req + off;
	}
	r = -E_NOENT;
	if (!(img = mgr_image(argv[0])))
		goto refuse;
	fresh.tid = 0;
	fresh.env = 0;
	fresh.npages = 0;
	fresh.waiting = false;
	fresh.start_cap = 0;
	fresh.start = 0;
	/* The old environment goes first: the slot's start page is reused. */
	mgr_env_release(p);
	r = mgr_env_start(&fresh, img, argc, argv);
	*p = fresh;
	if (r < 0) {
		exos_ptab_killed(mgr.ptab, p->pid, EXOS_VECTOR_UNKNOWN, 0, 0);
		ended(p);
	}
	return;
refuse:
	m.mr[1] = (u64)r;
	l4_send(p->tid, &m, EXO_TIMEOUT_ZERO);
}

void
mgr_serve(u64 from, struct l4_msg *m)
{
	struct mgr_proc *p = proc_of_tid(from);
	u64 label = EXO_TAG_LABEL(m->mr[0]);

	if (!p)
		return;
	if (EXO_LABEL_IS_PF(label) && (label & EXO_W) && mgr_cow_fault(p, m->mr[1])) {
		struct l4_msg resume = { { 0 } };

		l4_send(p->tid, &resume, EXO_TIMEOUT_ZERO);     /* retry the write */
	} else if (EXO_LABEL_IS_PF(label)) {
		/* Nothing maps there: the process dies of it, as on a segfault. */
		exos_ptab_killed(mgr.ptab, p->pid, 14, m->mr[1], m->mr[2]);
		ended(p);
	} else if (label == EXOS_MSG_EXIT) {
		exos_ptab_exited(mgr.ptab, p->pid, (u32)m->mr[1]);
		ended(p);
	} else if (label == EXOS_MSG_EXEC) {
		do_exec(p);
	} else if (label == EXOS_MSG_FORK) {
		struct l4_msg r = { { EXO_TAG(0, 1, 0), (u64)mgr_fork(p, m->mr[1], m->mr[2]) } };

		l4_send(p->tid, &r, EXO_TIMEOUT_ZERO);
	} else if (label == EXOS_MSG_WAIT) {
		mgr_proc_wait(p, (u32)m->mr[1]);
	}
}

/* Processes whose thread is gone without a word: killed, cause unseen. */
static void
vanished(void)
{
	for (u32 i = 0; i < EXOS_NPROC; i++) {
		struct mgr_proc *p = &mgr.procs[i];

		if (!p->pid || !p->tid ||
		    l4_exchange_registers(p->tid, 0, 0, 0, 0, 0, 0) != -E_NOENT)
			continue;
		p->tid = 0;     /* gone: nothing to delete */
		exos_ptab_killed(mgr.ptab, p->pid, EXOS_VECTOR_UNKNOWN, 0, 0);
		ended(p);
	}
}

/*
 * Revocation, the manager's side. cap_info on a process's ENV capability
 * (the manager's, with W) tells what it owns of its own, what it owes and
 * what the kernel's abort protocol took from it. A process that the abort
 * protocol had to take from (asked by the manager or by the kernel when
 * its pool ran dry) did not answer: the manager ends it and its parent
 * learns it (EXOS_VECTOR_ABORT). One that owns more than EXOS_OWN_FRAMES
 * and owes nothing is asked for the rest, with REVOKE_US to answer.
 */
static void
revocation(void)
{
	for (u32 i = 0; i < EXOS_NPROC; i++) {
		struct mgr_proc *p = &mgr.procs[i];
		struct exo_capinfo ci;
		u32 own;

		if (!p->pid || !p->tid || !p->env || cap_info(p->env, &ci) < 0)
			continue;
		own = (u32)ci.va;
		if (ci.flags) {
			exos_ptab_killed(mgr.ptab, p->pid, EXOS_VECTOR_ABORT, ci.flags, 0);
			ended(p);
		} else if (!(ci.va >> 32) && own > EXOS_OWN_FRAMES) {
			/* -E_INVAL if it freed some meanwhile: asked next time. */
			revoke_request(p->env, own - EXOS_OWN_FRAMES, REVOKE_US);
		}
	}
}

long
exos_wait(u32 pid, struct exos_wait *w)
{
	u64 poll = POLL_US * l4_kip()->tsc_khz / 1000, last = l4_rdtsc();

	if (!mgr.ptab)
		return -E_INVAL;
	for (;;) {
		u32 who = pid;
		struct exos_proc e;
		struct l4_msg m;
		u64 from, err;
		long st = exos_ptab_reap(mgr.ptab, 0, &who, &e);

		if (st >= 0) {
			*w = (struct exos_wait){ .pid = who, .status = (u32)st,
						 .fault_addr = e.fault_addr,
						 .fault_rip = e.fault_rip };
			memcpy(w->name, e.name, sizeof w->name);
			for (u32 i = 0; i < EXOS_NPROC; i++)
				if (mgr.procs[i].pid == who)
					mgr.procs[i] = (struct mgr_proc){ 0 };
			return who;
		}
		if (st != -E_AGAIN)
			return st;
		err = l4_receive(EXO_ANYTHREAD, &m, EXO_TIMEOUT_US(POLL_US), &from);
		if (!err)
			mgr_serve(from, &m);
		/* Busy with messages or not, every POLL_US. */
		if (err || l4_rdtsc() - last >= poll) {
			vanished();
			revocation();
			last = l4_rdtsc();
		}
	}
}

void
exos_status_str(const struct exos_wait *w, char *buf, u64 len)
{
	if (!EXOS_STATUS_KILLED(w->status))
		fmt_snprintf(buf, len, "exit %u", EXOS_STATUS_CODE(w->status));
	else if (EXOS_STATUS_CODE(w->status) == EXOS_VECTOR_UNKNOWN)
		fmt_snprintf(buf, len, "killed (its environment vanished)");
	else if (EXOS_STATUS_CODE(w->status) == EXOS_VECTOR_ABORT)
		fmt_snprintf(buf, len, "aborted by the kernel: did not answer revocation "
			     "(%lu frames taken)", w->fault_addr);
	else
		fmt_snprintf(buf, len, "killed by fault %u at %#lx (rip %#lx)",
			     EXOS_STATUS_CODE(w->status), w->fault_addr, w->fault_rip);
}
