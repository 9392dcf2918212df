/*
 * The manager's own pipe ends (exos.h): the session's root environment
 * writing to or reading from one of its processes, as exsh or a benchmark
 * does. It blocks as a process's end does (flag, look again, receive), and
 * whatever it receives meanwhile from a process (an exit, a fork, a page
 * fault) is served, so a process the pipe waits on can go on.
 */
#include "proc_mgr.h"

#include <exo/error.h>

#include "libos.h"

#define MGR_BACKSTOP_US  2000   /* a lost wake-up costs at most this */

static struct mgr_pipe *
pipe_of(int p)
{
	if (p < 0 || p >= MGR_PIPES || !mgr.pipes[p].cap)
		return 0;
	return &mgr.pipes[p];
}

static void
block(void)
{
	struct l4_msg m;
	u64 from;

	if (!l4_receive(EXO_ANYTHREAD, &m, EXO_TIMEOUT_US(MGR_BACKSTOP_US), &from))
		mgr_serve(from, &m);
}

static void
wake(u32 pid)
{
	struct l4_msg m = { { 0 } };

	for (u32 i = 0; pid && i < EXOS_NPROC; i++)
		if (mgr.procs[i].pid == pid && mgr.procs[i].tid)
			l4_send(mgr.procs[i].tid, &m, EXO_TIMEOUT_ZERO);
}

long
exos_mgr_put(int p, const void *buf, u64 n)
{
	struct mgr_pipe *pp = pipe_of(p);
	u64 done = 0;

	if (!pp)
		return -E_INVAL;
	pp->writer = MGR_END;
	pp->ring->writer_tid = l4_myself();
	while (done < n) {
		u64 left = n - done;
		long put = exos_ring_write(pp->ring, (const u8 *)buf + done,
					   left > EXOS_RING_SIZE ? EXOS_RING_SIZE : (u32)left);

		if (put < 0)
			return done ? (long)done : -E_PERM;
		if (put > 0) {
			done += (u64)put;
			if (exos_ring_reader_wants_wake(pp->ring))
				wake(pp->reader);
			continue;
		}
		__atomic_store_n(&pp->ring->writer_waiting, 1, __ATOMIC_SEQ_CST);
		if (exos_ring_used(pp->ring) < EXOS_RING_SIZE ||
		    __atomic_load_n(&pp->ring->reader_closed, __ATOMIC_SEQ_CST))
			continue;
		block();
	}
	return (long)done;
}

long
exos_mgr_get(int p, void *buf, u64 n)
{
	struct mgr_pipe *pp = pipe_of(p);
	u32 want = n > EXOS_RING_SIZE ? EXOS_RING_SIZE : (u32)n;

	if (!pp)
		return -E_INVAL;
	pp->reader = MGR_END;
	pp->ring->reader_tid = l4_myself();
	for (;;) {
		long got = exos_ring_read(pp->ring, buf, want);

		if (got >= 0) {
			if (got > 0 && exos_ring_writer_wants_wake(pp->ring))
				wake(pp->writer);
			return got;
		}
		__atomic_store_n(&pp->ring->reader_waiting, 1, __ATOMIC_SEQ_CST);
		if (exos_ring_used(pp->ring) ||
		    __atomic_load_n(&pp->ring->writer_closed, __ATOMIC_SEQ_CST))
			continue;
		block();
	}
}

void
exos_mgr_close(int p, bool w)
{
	struct mgr_pipe *pp = pipe_of(p);

	if (!pp)
		return;
	if (w) {
		exos_ring_close_write(pp->ring);
		pp->writer = 0;
		wake(pp->reader);
	} else {
		exos_ring_close_read(pp->ring);
		pp->reader = 0;
		wake(pp->writer);
	}
	if (!pp->reader && !pp->writer) {
		frame_free(pp->cap);
		*pp = (struct mgr_pipe){ 0 };
	}
}
