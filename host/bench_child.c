/*
 * One suite's boot in a child process of exo bench, its run sent back
 * through a pipe (see bench_child.h).
 *
 * Why a child and not a reset of the kernel's state: on the hosted
 * platform the kernel core is this process's statics, spread over every
 * file of guest/core, ipc/ and hosted/ (threads, spaces, capabilities, the
 * mapping database, trace rings, extensions, the platform's own), and some
 * of exo's pages were replaced by pages of the run's memfd. A reset would
 * have to know each of them, and one it missed would carry one suite's
 * state into the next without a word. A child forked before each boot
 * starts from the state of a process that has booted nothing, every time.
 */
#define _GNU_SOURCE
#include "bench_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

static int
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
read_all(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The status, the run, its marks, each op's samples: the pointers in the
 * run (suite and program names, the VMM's reason names) are to statics,
 * the same in both processes since the fork; the arrays go by value. */
static int
run_send(int fd, int status, const struct bench_run *r)
{
	if (write_all(fd, &status, sizeof(status)) < 0 || write_all(fd, r, sizeof(*r)) < 0 ||
	    write_all(fd, r->marks, r->nmarks * sizeof(*r->marks)) < 0)
		return -1;
	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].sorted && write_all(fd, r->ops[i].sorted, r->ops[i].cycles.n *
						  sizeof(*r->ops[i].sorted)) < 0)
			return -1;
	return 0;
}

/* Into r (its arrays allocated here, freed by bench_run_free): the status,
 * or -1 if the child sent no whole run. */
static int
run_receive(int fd, struct bench_run *r)
{
	int status;

	if (read_all(fd, &status, sizeof(status)) < 0 || read_all(fd, r, sizeof(*r)) < 0)
		return -1;
	r->marks_cap = r->nmarks;
	r->marks = r->nmarks ? malloc(r->nmarks * sizeof(*r->marks)) : NULL;
	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].sorted)
			r->ops[i].sorted = malloc(r->ops[i].cycles.n * sizeof(*r->ops[i].sorted) + 1);
	if (r->nmarks && (!r->marks || read_all(fd, r->marks, r->nmarks * sizeof(*r->marks)) < 0))
		goto bad;
	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].sorted && read_all(fd, r->ops[i].sorted, r->ops[i].cycles.n *
						 sizeof(*r->ops[i].sorted)) < 0)
			goto bad;
	return status;
bad:
	bench_run_free(r);      /* free(NULL) for what was not allocated */
	r->nops = 0;
	return -1;
}

static volatile pid_t child_pid;

/* SIGINT, SIGTERM, SIGHUP to exo bench: to the boot, which ends as exo
 * run does (130); exo bench then reports what it has. */
static void
forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

int
bench_boot_in_child(struct bench_run *r, bench_boot_fn *boot, const void *ctx)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction fw = { .sa_handler = forward }, old[3];
	int fds[2], status, ws;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	fflush(NULL);           /* nothing buffered is written twice */
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &fw, &old[i]);
	pid = fork();
	if (pid == 0) {
		/* Dies with exo bench, even on SIGKILL; its stubs die with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int i = 0; i < 3; i++)
			sigaction(sigs[i], &old[i], NULL);
		close(fds[0]);
		status = boot(ctx, r);
		fflush(NULL);
		_exit(run_send(fds[1], status, r) < 0 ? 1 : 0);
	}
	child_pid = pid;
	close(fds[1]);
	status = pid < 0 ? -1 : run_receive(fds[0], r);
	close(fds[0]);
	while (pid > 0 && waitpid(pid, &ws, 0) < 0 && errno == EINTR)
		;
	child_pid = 0;
	for (int i = 0; i < 3; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (pid < 0)
		return -EAGAIN;
	return status < 0 ? -EPIPE : status;
}
