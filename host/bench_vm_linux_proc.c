/*
 * exo bench vm's Linux column for ExOS's process rows (bench_vm.h), the
 * same shapes as bench/vm_proc.c between two Linux processes: one byte
 * to a child that echoes it back through a second pipe, 64 KiB written
 * into a pipe a child drains and checks byte by byte (as sink does), and
 * fork + _exit + waitpid.
 */
#include "bench_vm.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK  65536

static int to[2], from[2];
static unsigned char chunk[CHUNK];
static unsigned long chunk_at;

static int
lx_rtt(void)
{
	char c = 7, back = 0;

	if (write(to[1], &c, 1) != 1 || read(from[0], &back, 1) != 1)
		return -EIO;
	return back == c ? 0 : -EIO;
}

/* As bench/vm_proc.c's: byte i of the stream is i mod 251, the reader checks. */
static int
lx_64k(void)
{
	for (size_t i = 0; i < CHUNK; i++)
		chunk[i] = (unsigned char)((chunk_at + i) % 251);
	chunk_at += CHUNK;
	for (size_t done = 0; done < CHUNK;) {
		ssize_t w = write(to[1], chunk + done, CHUNK - done);

		if (w <= 0)
			return -EIO;
		done += (size_t)w;
	}
	return 0;
}

static int
lx_fork_wait(void)
{
	int st;
	pid_t p = fork();

	if (p == 0)
		_exit(0);
	if (p < 0 || waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		return -EIO;
	return 0;
}

/* A child that echoes (echo) or drains its input until end of file. */
static pid_t
lx_child(bool echo)
{
	pid_t p;

	if (pipe(to) < 0)
		return -1;
	if (pipe(from) < 0) {
		close(to[0]);
		close(to[1]);
		return -1;
	}
	p = fork();
	if (p < 0) {
		int e = errno;

		close(to[0]), close(to[1]), close(from[0]), close(from[1]);
		errno = e;
		return -1;
	}
	if (p == 0) {
		unsigned char buf[4096];
		unsigned long at = 0;
		ssize_t n;

		close(to[1]);           /* else its read never sees end of file */
		close(from[0]);
		while ((n = read(to[0], buf, sizeof buf)) > 0) {
			if (echo && write(from[1], buf, (size_t)n) != n)
				_exit(1);
			for (ssize_t i = 0; !echo && i < n; i++, at++)
				if (buf[i] != at % 251)
					_exit(1);       /* as sink does */
		}
		_exit(0);
	}
	close(to[0]);
	close(from[1]);
	to[0] = from[1] = -1;
	return p;
}

/* The child's end: -EIO if it saw the stream wrong. */
static int
lx_child_end(pid_t p)
{
	int st = 0;

	close(to[1]);
	close(from[0]);
	if (waitpid(p, &st, 0) != p || !WIFEXITED(st) || WEXITSTATUS(st))
		return -EIO;
	return 0;
}

int
bench_vm_linux_proc(struct bench_vm_linux *lx, unsigned iterations)
{
	pid_t p;
	int r;

	if ((p = lx_child(true)) < 0)
		return -errno;
	r = bench_vm_time(lx_rtt, NULL, iterations, &lx->proc_us[VM_PIPE_RTT]);
	if (lx_child_end(p) && !r)
		r = -EIO;
	if (r)
		return r;
	chunk_at = 0;
	if ((p = lx_child(false)) < 0)
		return -errno;
	r = bench_vm_time(lx_64k, NULL, iterations, &lx->proc_us[VM_PIPE_64K]);
	if (lx_child_end(p) && !r)
		r = -EIO;
	if (r)
		return r;
	return bench_vm_time(lx_fork_wait, NULL, iterations, &lx->proc_us[VM_FORK_WAIT]);
}
