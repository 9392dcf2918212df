/*
 * Whether this host lets a process trace its own children, as the ptrace
 * platform does (ptrace.c): Yama's ptrace_scope 3, a container without
 * CAP_SYS_PTRACE under a seccomp profile that refuses ptrace(2), or a
 * kernel without it say no. Asked by trying, on a child made for it.
 * Shared by exo (run.c) and the tests' probe (tests/hosted/probe.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ptrace_probe.h"

int
ptrace_probe(void)
{
	pid_t pid = fork();
	int st, r = 0;

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_EXITKILL) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0)
		r = -errno;
	else if (waitpid(pid, &st, __WALL) != pid || !WIFSTOPPED(st))
		r = -ECHILD;
	kill(pid, SIGKILL);
	while (waitpid(pid, &st, __WALL) == pid && !WIFEXITED(st) && !WIFSIGNALED(st))
		;
	return r;
}

/*
 * Linux's vsyscall page, where the host has it executable (vsyscall=xonly
 * or emulate): a call there is emulated in Linux's page-fault path, which
 * seccomp sees and ptrace does not (no stop). Read from /proc/self/maps:
 * every process has the same page.
 */
bool
ptrace_vsyscall_open(void)
{
	char line[256];
	bool open = false;
	FILE *f = fopen("/proc/self/maps", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[vsyscall]")) {
			char perms[8] = "";

			open = sscanf(line, "%*s %7s", perms) == 1 && strchr(perms, 'x');
			break;
		}
	fclose(f);
	return open;
}
