/*
 * exo bench vm's Linux column for the communication rows (bench_vm.h),
 * the equivalents of bench/vm_ipc.c between two processes on this host:
 *   lrpc   a call to a server process over a pair of pipes: four words
 *          there, the result back, checked (Linux's nearest to a
 *          protected procedure call: the request and reply cross the
 *          kernel both ways, as LRPC's transfer does)
 *   shmpp  a round of ping-pong through a MAP_SHARED page with a child:
 *          a sequence number written, echoed; each side, waiting, gives
 *          its CPU away (sched_yield), as the guest's do (thread_switch)
 */
#define _GNU_SOURCE
#include "bench_vm.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int req[2] = { -1, -1 }, rep[2] = { -1, -1 };
static uint64_t seq;

struct pp {
	volatile uint64_t ping, pong;
};
static struct pp *pp;

/* The server: answers a + 3b + 5c + 7d until its pipe closes. */
static void
lrpc_server(void)
{
	uint64_t a[4];
	int64_t r;

	close(req[1]);          /* or its own copy would keep the pipe open */
	close(rep[0]);
	while (read(req[0], a, sizeof(a)) == (ssize_t)sizeof(a)) {
		r = (int64_t)(a[0] + a[1] * 3 + a[2] * 5 + a[3] * 7);
		if (write(rep[1], &r, sizeof(r)) != (ssize_t)sizeof(r))
			break;
	}
	_exit(0);
}

static int
lx_lrpc(void)
{
	uint64_t i = ++seq, a[4] = { i, 2, 3, 4 };
	int64_t r;

	if (write(req[1], a, sizeof(a)) != (ssize_t)sizeof(a) ||
	    read(rep[0], &r, sizeof(r)) != (ssize_t)sizeof(r))
		return -EPIPE;
	return r == (int64_t)(i + 6 + 15 + 28) ? 0 : -EINVAL;
}

/* The peer: echoes every ping until it reads the all-ones one. */
static void
pp_peer(void)
{
	for (;;) {
		uint64_t v = pp->ping;

		if (v == ~0ULL)
			_exit(0);
		if (v != pp->pong)
			pp->pong = v;
		else
			sched_yield();
	}
}

static int
lx_shmpp(void)
{
	uint64_t v = ++seq;

	pp->ping = v;
	while (pp->pong != v)
		sched_yield();
	return 0;
}

static void
close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
	p[0] = p[1] = -1;
}

/* Fork a child running fn; its pid or -errno. */
static pid_t
spawn(void (*fn)(void))
{
	pid_t pid = fork();

	if (pid == 0)
		fn();
	return pid < 0 ? -errno : pid;
}

static int
reap(pid_t pid)
{
	int st;

	if (waitpid(pid, &st, 0) < 0)
		return -errno;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -ECHILD;
}

int
bench_vm_linux_ipc(struct bench_vm_linux *lx, unsigned iterations)
{
	pid_t pid;
	int r, e;

	if (pipe(req) < 0 || pipe(rep) < 0) {
		r = -errno;
		goto out;
	}
	if ((pid = spawn(lrpc_server)) < 0) {
		r = pid;
		goto out;
	}
	close(req[0]);
	close(rep[1]);
	req[0] = rep[1] = -1;
	r = bench_vm_time(lx_lrpc, NULL, iterations, &lx->us[VM_LRPC]);
	close_pair(req);        /* the server reads EOF and exits */
	if ((e = reap(pid)) < 0 && !r)
		r = e;
	if (r)
		goto out;
	pp = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (pp == MAP_FAILED) {
		pp = NULL;
		r = -errno;
		goto out;
	}
	pp->ping = pp->pong = 0;
	seq = 0;
	if ((pid = spawn(pp_peer)) < 0) {
		r = pid;
		goto out;
	}
	r = bench_vm_time(lx_shmpp, NULL, iterations, &lx->us[VM_SHMPP]);
	pp->ping = ~0ULL;
	if ((e = reap(pid)) < 0 && !r)
		r = e;
out:
	close_pair(req);
	close_pair(rep);
	if (pp)
		munmap(pp, 4096);
	pp = NULL;
	return r;
}
