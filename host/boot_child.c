/*
 * One boot in a child process of exo, its result sent back through a pipe
 * (see boot_child.h).
 *
 * Why a child and not a reset of the kernel's state: on the hosted
 * platform the kernel core is this process's statics, spread over every
 * file of guest/core, ipc/ and hosted/ (threads, spaces, capabilities, the
 * mapping database, trace rings, extensions, the platform's own), and some
 * of exo's pages were replaced by pages of the run's memfd. A reset would
 * have to know each of them, and one it missed would carry one boot's
 * state into the next without a word. A child forked before each boot
 * starts from the state of a process that has booted nothing, every time.
 */
#define _GNU_SOURCE
#include "boot_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

int
boot_child_write(int fd, const void *buf, size_t len)
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

int
boot_child_read(int fd, void *buf, size_t len)
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

static volatile pid_t child_pid;

/* SIGINT, SIGTERM, SIGHUP to exo: to the boot, which ends as exo run
 * does (130); the command then reports what it has. */
static void
forward(int sig)
{
	if (child_pid > 0)
		kill(child_pid, sig);
}

int
boot_in_child(const struct boot_child *b)
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
		/* Dies with exo, even on SIGKILL; its stubs die with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (int i = 0; i < 3; i++)
			sigaction(sigs[i], &old[i], NULL);
		close(fds[0]);
		status = b->boot(b->ctx, b->out);
		fflush(NULL);
		_exit(boot_child_write(fds[1], &status, sizeof(status)) < 0 ||
		      b->send(fds[1], b->out) < 0 ? 1 : 0);
	}
	child_pid = pid;
	close(fds[1]);
	if (pid < 0 || boot_child_read(fds[0], &status, sizeof(status)) < 0 ||
	    b->receive(fds[0], b->out) < 0)
		status = -1;
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
