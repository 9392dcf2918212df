/*
 * The VMM's jail (vmm/jail.c) without KVM: a forked child enters it, makes
 * the calls the run loop makes, then a forbidden one, which must end the
 * child with the jail's status and a message naming the thread and call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "vmm/jail.h"

/* What the child did: its wait status and what it wrote to stderr. */
struct outcome {
	int status;
	char err[1024];
};

/* Run body in a jailed child whose stderr is a pipe; 99 if the jail failed. */
static struct outcome
jailed(void (*body)(void))
{
	struct outcome o = { 0 };
	int fds[2];
	pid_t pid;
	ssize_t n, got = 0;

	cr_assert_eq(pipe(fds), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct diag d;

		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		if (jail_enter("test thread", &d) < 0) {
			fprintf(stderr, "%s\n", d.msg);
			_exit(99);
		}
		body();
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], o.err + got, sizeof(o.err) - 1 - got)) > 0)
		got += n;
	close(fds[0]);
	cr_assert_eq(waitpid(pid, &o.status, 0), pid);
	return o;
}

/* The calls of a vCPU loop and the I/O thread: write, futex (a lock),
 * memory without exec, time, thread id. */
static void
allowed_calls(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct timespec ts;

	if (p == MAP_FAILED || write(STDERR_FILENO, "ok\n", 3) != 3 ||
	    clock_gettime(CLOCK_MONOTONIC, &ts) < 0 || syscall(SYS_gettid) <= 0)
		_exit(1);
	free(malloc(1 << 20));
	munmap(p, 4096);
}

static void
forbidden_open(void)
{
	allowed_calls();
	syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
	_exit(0);        /* not reached: the jail ends the process */
}

static void
forbidden_exec_memory(void)
{
	mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	_exit(0);
}

Test(jail, allowed_calls_work)
{
	struct outcome o = jailed(allowed_calls);

	cr_assert(WIFEXITED(o.status), "killed by signal %d: %s",
		  WTERMSIG(o.status), o.err);
	cr_assert_eq(WEXITSTATUS(o.status), 0, "%s", o.err);
	cr_assert_str_eq(o.err, "ok\n");
}

Test(jail, a_forbidden_call_ends_the_process_and_says_which)
{
	struct outcome o = jailed(forbidden_open);
	char want[64];

	cr_assert(WIFEXITED(o.status), "killed by signal %d: %s",
		  WTERMSIG(o.status), o.err);
	cr_assert_eq(WEXITSTATUS(o.status), JAIL_EXIT_STATUS, "%s", o.err);
	snprintf(want, sizeof(want), "test thread made system call %d ", SYS_openat);
	cr_assert_not_null(strstr(o.err, want), "%s", o.err);
	cr_assert_not_null(strstr(o.err, "--no-jail"), "%s", o.err);
}

Test(jail, no_executable_memory)
{
	struct outcome o = jailed(forbidden_exec_memory);
	char want[64];

	cr_assert(WIFEXITED(o.status) && WEXITSTATUS(o.status) == JAIL_EXIT_STATUS,
		  "status %#x: %s", o.status, o.err);
	snprintf(want, sizeof(want), "system call %d ", SYS_mmap);
	cr_assert_not_null(strstr(o.err, want), "%s", o.err);
}
