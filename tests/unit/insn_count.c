/* Exact x86 instruction counts by single-stepping: see insn_count.h. */
#define _GNU_SOURCE     /* TRAP_TRACE */
#include "insn_count.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

/* The code between two int3 markers, counted by the parent. */
static void
marked(counted_fn *fn, void *arg)
{
	__asm__ volatile("int3" ::: "memory");
	fn(arg);
	__asm__ volatile("int3" ::: "memory");
}

/*
 * Instructions fn(arg) executes, from the first marker to the second, in a
 * forked child stepped one instruction at a time; -1 if ptrace is refused.
 */
long
count_insns(counted_fn *fn, void *arg)
{
	long steps = 0;
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0)
			_exit(3);
		marked(fn, arg);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return -1;      /* no first marker: ptrace refused */
	for (;;) {
		siginfo_t si;

		if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) < 0 ||
		    waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			return -1;
		if (ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) < 0)
			return -1;
		if (si.si_code != TRAP_TRACE)   /* the second int3, not a step */
			break;
		steps++;
	}
	ptrace(PTRACE_CONT, pid, NULL, NULL);
	waitpid(pid, &status, 0);
	return steps;
}
