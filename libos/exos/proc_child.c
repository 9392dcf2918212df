/*
 * ExOS in a process (exos.h): its entry, exit and exec (messages to the
 * session's manager), and reading and writing its pipes. A pipe end that
 * finds nothing to do sets its waiting flag, looks once more, and blocks
 * in a receive the other end's next action ends (a message from it, or
 * from the manager when the other end is closed). The receive has a
 * timeout: a wake-up sent just before the receive began finds nobody
 * receiving and is lost, and the timeout bounds what that costs.
 */
#include "exos.h"

#include <exo/error.h>
#include <exo/ipc.h>

#include "libos.h"
#include "pipe_ring.h"
#include "proc_abi.h"

#define WAKE_BACKSTOP_US  2000

int main(int argc, char **argv);

static struct exos_start *const start = (struct exos_start *)EXOS_START_VA;

u32
exos_getpid(void)
{
	return start->pid;
}

__attribute__((noreturn)) void
exos_exit(int status)
{
	struct l4_msg m = { { EXO_TAG(EXOS_MSG_EXIT, 1, 0), (u64)(u32)status } };

	/* The manager deletes this thread on reading it: never a reply. */
	for (;;)
		l4_call(start->manager, &m);
}

/* The entry the manager starts a process at (link with -e exos_proc_entry). */
__attribute__((noreturn)) void
exos_proc_entry(void)
{
	char *argv[EXOS_ARGS + 1];
	u32 argc = start->argc;

	if (start->magic != EXOS_START_MAGIC || argc > EXOS_ARGS)
		exos_exit(127);
	for (u32 i = 0; i < argc; i++)
		argv[i] = start->args + start->argv_off[i];
	argv[argc] = 0;
	exos_exit(main((int)argc, argv));
}

long
exos_exec(const char *name, u32 argc, char *const argv[])
{
	struct l4_msg m = { { EXO_TAG(EXOS_MSG_EXEC, 0, 0) } };
	u32 at = 0;

	if (!argc || argc > EXOS_ARGS)
		return -E_INVAL;
	for (u32 i = 0; i < argc; i++) {
		const char *w = i ? argv[i] : name;
		u64 n = strlen(w) + 1;

		if (at + n > EXOS_ARGBUF)
			return -E_INVAL;
		memcpy(start->req + at, w, n);
		start->req_off[i] = at;
		at += (u32)n;
	}
	start->req_argc = argc;
	/* Success: this environment is deleted and never hears back. */
	if (l4_call(start->manager, &m))
		return -E_AGAIN;
	return (long)m.mr[1];
}

static struct exos_ring *
ring(int fd)
{
	if (fd < 0 || fd >= EXOS_FDS || start->fd_kind[fd] != EXOS_FD_PIPE)
		return 0;
	return (struct exos_ring *)EXOS_RING_VA(fd);
}

/*
 * Wait for the other end of r: the waiting flag set, the ring looked at
 * once more, then a receive. Nothing between the flag and the receive
 * should page-fault: a fault is a call to the manager, which may be the
 * very end that wakes us, and its wake-up then finds us not receiving and
 * is lost to the backstop. After a fork the stack is copy-on-write, so the
 * message is written before the flag (counted on hosted, bench vm's
 * fork row: the manager's failed wake-ups went from 60 to 2 in 60
 * iterations).
 */
static void
wait_for(struct exos_ring *r, bool reader)
{
	struct l4_msg m;

	*(volatile u64 *)&m.mr[0] = 0;
	*(volatile u64 *)&m.mr[EXO_REG_MRS - 1] = 0;
	if (reader) {
		__atomic_store_n(&r->reader_waiting, 1, __ATOMIC_SEQ_CST);
		if (exos_ring_used(r) || __atomic_load_n(&r->writer_closed, __ATOMIC_SEQ_CST))
			return;
	} else {
		__atomic_store_n(&r->writer_waiting, 1, __ATOMIC_SEQ_CST);
		if (exos_ring_used(r) < EXOS_RING_SIZE ||
		    __atomic_load_n(&r->reader_closed, __ATOMIC_SEQ_CST))
			return;
	}
	l4_receive(EXO_ANYTHREAD, &m, EXO_TIMEOUT_US(WAKE_BACKSTOP_US), 0);
}

static void
wake(u64 tid)
{
	struct l4_msg m = { { 0 } };

	if (tid)
		l4_send(tid, &m, EXO_TIMEOUT_ZERO);
}

long
exos_read(int fd, void *buf, u64 n)
{
	struct exos_ring *r = ring(fd);
	u32 want = n > EXOS_RING_SIZE ? EXOS_RING_SIZE : (u32)n;

	if (fd == 0 && start->fd_kind[0] == EXOS_FD_NONE)
		return 0;
	if (!r)
		return -E_INVAL;
	for (;;) {
		long got = exos_ring_read(r, buf, want);

		if (got >= 0) {
			if (got > 0 && exos_ring_writer_wants_wake(r))
				wake(r->writer_tid);
			return got;
		}
		wait_for(r, true);
	}
}

static long
pipe_write(struct exos_ring *r, const u8 *buf, u64 n)
{
	u64 done = 0;

	while (done < n) {
		u64 left = n - done;
		long put = exos_ring_write(r, buf + done,
					   left > EXOS_RING_SIZE ? EXOS_RING_SIZE : (u32)left);

		if (put < 0)
			return done ? (long)done : -E_PERM;
		if (put > 0) {
			done += (u64)put;
			if (exos_ring_reader_wants_wake(r))
				wake(r->reader_tid);
			continue;
		}
		wait_for(r, false);
	}
	return (long)done;
}

long
exos_write(int fd, const void *buf, u64 n)
{
	struct exos_ring *r = ring(fd);

	if (fd == 1 && start->fd_kind[1] == EXOS_FD_CONSOLE) {
		for (u64 done = 0; done < n;) {
			u64 c = n - done > EXO_CONSOLE_WRITE_MAX ? EXO_CONSOLE_WRITE_MAX : n - done;
			long w = console_write((const u8 *)buf + done, c);

			if (w <= 0)
				return done ? (long)done : w;
			done += (u64)w;
		}
		return (long)n;
	}
	if (!r)
		return -E_INVAL;
	return pipe_write(r, buf, n);
}
