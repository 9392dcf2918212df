/*
 * bench-vm's ExOS process operations (issue 14): bench-vm is the session's
 * manager, as exsh is, and measures against processes of exsh's programs:
 *   exos_pipe_rtt       one byte to cat through a pipe and back through
 *                       another (manager <-> process)
 *   exos_pipe_64k       64 KiB into a pipe sink reads (sink checks every
 *                       byte; the host divides for the bandwidth)
 *   exos_fork_wait      forker forks a child that exits at once and waits
 *                       for it, on a byte from the manager it answers: one
 *                       fork+exit+wait plus one pipe round trip
 *   exos_spawn_wait     the manager spawns exitn and waits for it
 */
#include "vm_proc.h"

#include <exo/error.h>

#include "exos.h"
#include "exsh_images.h"
#include "libos.h"

#define BW_CHUNK  65536

static int to, from;            /* the pipes to and from the process */
static long child;
static u64 bw_at;

static long
mgr_up(void)
{
	long r = exos_mgr_init(exsh_images, sizeof exsh_images / sizeof exsh_images[0]);

	return r == -E_EXIST ? 0 : r;
}

/* A process running name, fed by pipe `to`, answering on `from` (or the console). */
static long
start(const char *name, bool answers)
{
	char *argv[] = { (char *)name };
	long r;

	if ((r = mgr_up()) < 0 || (to = (int)exos_pipe()) < 0)
		return r < 0 ? r : to;
	from = answers ? (int)exos_pipe() : -1;
	if (from < -1)
		return from;
	child = exos_spawn(name, 1, argv, to, from);
	return child < 0 ? child : 0;
}

static void
stop(void)
{
	struct exos_wait w;

	exos_mgr_close(to, true);
	if (child > 0 && exos_wait((u32)child, &w) == child && w.status)
		printf("bench-vm: %s ended with status %#x\n", w.name, w.status);
	if (from >= 0)
		exos_mgr_close(from, false);
	child = 0;
}

static long
rtt_setup(void)
{
	return start("cat", true);
}

static long
forker_setup(void)
{
	return start("forker", true);
}

/* One byte there and back: the answer must be the byte sent. */
static long
byte_rtt(void)
{
	char c = 7, back = 0;

	if (exos_mgr_put(to, &c, 1) != 1 || exos_mgr_get(from, &back, 1) != 1)
		return -E_PERM;
	return back == c ? 0 : -E_INVAL;
}

static long
bw_setup(void)
{
	bw_at = 0;
	return start("sink", false);
}

static long
bw_64k(void)
{
	static u8 buf[BW_CHUNK];

	for (u32 i = 0; i < BW_CHUNK; i++)
		buf[i] = (u8)((bw_at + i) % 251);
	bw_at += BW_CHUNK;
	return exos_mgr_put(to, buf, BW_CHUNK) == BW_CHUNK ? 0 : -E_PERM;
}

static long
spawn_setup(void)
{
	return mgr_up();
}

static long
spawn_wait(void)
{
	char *argv[] = { "exitn", "3" };
	struct exos_wait w;
	long pid = exos_spawn("exitn", 2, argv, -1, -1);

	if (pid < 0)
		return pid;
	if (exos_wait((u32)pid, &w) != pid)
		return -E_NOENT;
	return w.status == 3 ? 0 : -E_INVAL;
}

const struct bench_op vm_proc_ops[VM_PROC_NOPS] = {
	{ "exos_pipe_rtt", rtt_setup, byte_rtt, stop, 0, 0 },
	{ "exos_pipe_64k", bw_setup, bw_64k, stop, 0, 0 },
	{ "exos_fork_wait", forker_setup, byte_rtt, stop, 0, 0 },
	{ "exos_spawn_wait", spawn_setup, spawn_wait, 0, 0, 0 },
};
