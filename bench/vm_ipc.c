/*
 * bench-vm's communication operations (vm_ipc.h):
 *   exos_lrpc   one LRPC round trip (libos/exos/lrpc.c): a procedure of
 *               four register arguments in a server environment, its
 *               result checked, nothing on the A-stack
 *   exos_shmpp  one round of ping-pong through a shared-memory segment
 *               (libos/exos/shm.c) with a peer environment: we write a
 *               sequence number, the peer echoes it; each side, waiting,
 *               gives its CPU to the other (thread_switch), as the Linux
 *               side does with sched_yield
 * The server and the peer are environments of their own (task_spawn),
 * started once and left running.
 */
#include "exos.h"
#include "libos.h"
#include "task.h"
#include "vm_ipc.h"

#define ASTACK_VA   0x350000000000ULL
#define SEG_VA      0x360000000000ULL   /* ours */
#define PEER_VA     0x361000000000ULL   /* the peer's */

/* ---- LRPC ---- */

static long
proc_add(struct lrpc_args *a)
{
	return (long)(a->a[0] + a->a[1] * 3 + a->a[2] * 5 + a->a[3] * 7);
}

static const lrpc_proc_t procs[] = { proc_add };

/* Tells main it is about to serve (arg: main's thread). */
static void
server(u64 main_tid)
{
	struct l4_msg m = { { EXO_TAG(0, 0, 0) } };

	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
	lrpc_serve(procs, 1);
	exit(1);                /* lrpc_serve returns only if it could not start */
}

static struct lrpc_binding lb;
static u64 lrpc_i;

/* Once the server said it is about to serve, its entry may still not be
 * there (-E_NOENT) or not wait yet (-E_AGAIN): bind again after letting it
 * run (a failed bind leaves its frame behind; it seldom fails twice). */
long
vm_lrpc_setup(void)
{
	struct l4_msg m;
	u64 tid;
	long c, r;

	if (lb.as)
		return 0;
	if (!(tid = task_spawn(server, l4_myself())))
		return -E_NOMEM;
	if (l4_receive(tid, &m, EXO_TIMEOUT_NEVER, 0))
		return -E_INVAL;        /* the server died before it said so */
	if ((c = env_cap(tid, EXO_CAP_X)) < 0 || (r = lrpc_client_init()) < 0)
		return c < 0 ? c : r;
	for (int i = 0; i < 100; i++) {
		l4_thread_switch(tid);
		r = lrpc_bind(&lb, (exo_cap_t)c, tid, ASTACK_VA + (u64)i * EXOS_PAGE);
		if (r != -E_NOENT && r != -E_AGAIN)
			break;
	}
	return r;
}

long
vm_lrpc(void)
{
	u64 i = ++lrpc_i;
	const u64 a[4] = { i, 2, 3, 4 };
	long res, r = lrpc_call(&lb, 0, a, 0, &res);

	if (r < 0)
		return r;
	return res == (long)(i + 6 + 15 + 28) ? 0 : -E_INVAL;
}

/* ---- shared-memory ping-pong ---- */

struct pp {
	volatile u64 ping, pong, ready;
};

static u64 peer_tid, pp_seq;

/* The peer: told its copy of the segment (the frame's name in its table),
 * binds it and echoes every ping. A bare binding, not exos_shm_map: the
 * library's fault handler would leave the peer's own pages, which a pager
 * serves to a spawned task, unserved. */
static void
peer(u64 main_tid)
{
	struct exos_shm s = { .npages = 1 };
	struct pp *p = (struct pp *)PEER_VA;
	struct l4_msg m;

	if (l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0)) {
		printf("bench-vm: the ping-pong peer got no segment\n");
		exit(1);
	}
	s.frame[0] = m.mr[1];
	{
		long r = exos_shm_bind(&s, PEER_VA);

		if (r < 0) {
			printf("bench-vm: the ping-pong peer could not map the segment: %ld\n", r);
			exit(1);
		}
	}
	p->ready = 1;
	for (;;) {
		u64 v = p->ping;

		if (v != p->pong)
			p->pong = v;
		else
			l4_thread_switch(main_tid);
	}
}

long
vm_shmpp_setup(void)
{
	struct exos_shm seg, copy;
	struct pp *p = (struct pp *)SEG_VA;
	long r;

	if (peer_tid)
		return 0;
	if ((r = exos_shm_create(&seg, 1)) < 0 || (r = exos_shm_bind(&seg, SEG_VA)) < 0)
		return r;
	p->ping = p->pong = p->ready = 0;
	if (!(peer_tid = task_spawn(peer, l4_myself())))
		return -E_NOMEM;
	if ((r = exos_shm_pass(&seg, peer_tid, EXO_CAP_R | EXO_CAP_W, &copy)) < 0)
		return r;
	{
		struct l4_msg m = { { EXO_TAG(0, 1, 0), copy.frame[0] } };

		if (l4_send(peer_tid, &m, EXO_TIMEOUT_NEVER))
			return -E_INVAL;        /* the peer died first */
	}
	while (!p->ready)
		l4_thread_switch(peer_tid);
	return 0;
}

long
vm_shmpp(void)
{
	struct pp *p = (struct pp *)SEG_VA;
	u64 v = ++pp_seq;

	p->ping = v;
	while (p->pong != v)
		l4_thread_switch(peer_tid);
	return 0;
}
