/*
 * What one crossing of the hosted platform costs on this host, measured
 * at boot from its parts: a futex round trip between two processes (a
 * thread hands its registers to exo and exo hands them back: two
 * switches) and a signal's round trip (delivery to a handler and
 * rt_sigreturn), each the median of a few hundred. On the ptrace platform
 * a crossing is a ptrace stop instead of the futex hand-off: a system call
 * stopped at its entry, its registers read and written, the thread let go.
 * The slice grace is derived from it (time.c arch_insn_mcycles).
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../guest/core/platform.h"
#include "hosted.h"

#define ROUNDS 200

static void
fwait(u32 *w, u32 old)
{
	while (__atomic_load_n(w, __ATOMIC_ACQUIRE) == old)
		syscall(SYS_futex, w, FUTEX_WAIT, old, NULL, NULL, 0);
}

static void
fwake(u32 *w, u32 v)
{
	__atomic_store_n(w, v, __ATOMIC_RELEASE);
	syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
}

static int
cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64
median(u64 *t)
{
	qsort(t, ROUNDS, sizeof(t[0]), cmp);
	return t[ROUNDS / 2];
}

/* Ping-pong with a child on a shared page; 0 if it cannot be had. */
static u64
handoff(u64 *t)
{
	u32 *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	if (w == MAP_FAILED)
		return 0;
	pid = fork();
	if (pid == 0) {
		for (u32 i = 1; i <= ROUNDS; i++) {
			fwait(&w[0], i - 1);
			fwake(&w[1], i);
		}
		_exit(0);
	}
	for (u32 i = 1; pid > 0 && i <= ROUNDS; i++) {
		u64 t0 = arch_now();

		fwake(&w[0], i);
		fwait(&w[1], i - 1);
		t[i - 1] = arch_now() - t0;
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	munmap(w, 4096);
	return pid > 0 ? median(t) : 0;
}

static void
on_sig(int sig)
{
	(void)sig;
}

static u64
signal_roundtrip(u64 *t)
{
	struct sigaction sa = { .sa_handler = on_sig }, old;

	if (sigaction(SIGURG, &sa, &old) < 0)
		return 0;
	for (u32 i = 0; i < ROUNDS; i++) {
		u64 t0 = arch_now();

		raise(SIGURG);
		t[i] = arch_now() - t0;
	}
	sigaction(SIGURG, &old, NULL);
	return median(t);
}

/* A child that stops for its tracer, then makes system calls for ever. */
static void
traced_child(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
		_exit(1);
	raise(SIGSTOP);
	for (;;)
		syscall(SYS_getppid);
}

/* One stop: let the child go to its next system call's entry, then read
 * and write its registers as the ptrace platform does. */
static bool
ptrace_stop(pid_t pid)
{
	struct user_regs_struct regs;
	int st;

	return ptrace(PTRACE_SYSEMU, pid, 0, 0) == 0 && waitpid(pid, &st, 0) == pid &&
	       WIFSTOPPED(st) && ptrace(PTRACE_GETREGS, pid, 0, &regs) == 0 &&
	       ptrace(PTRACE_SETREGS, pid, 0, &regs) == 0;
}

/* The ptrace platform's system-call round trip; 0 if it cannot be had. */
static u64
ptrace_roundtrip(u64 *t)
{
	pid_t pid = fork();
	bool ok;
	int st;

	if (pid == 0)
		traced_child();
	if (pid < 0)
		return 0;
	ok = waitpid(pid, &st, 0) == pid && WIFSTOPPED(st);
	for (u32 i = 0; ok && i < ROUNDS; i++) {
		u64 t0 = arch_now();

		ok = ptrace_stop(pid);
		t[i] = arch_now() - t0;
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return ok ? median(t) : 0;
}

static u64 t[ROUNDS];

u64
hosted_measure_handoff(void)
{
	static u64 once;

	if (!once)
		once = handoff(t);
	return once;
}

u64
hosted_measure_crossing(void)
{
	u64 way = hosted.ptrace ? ptrace_roundtrip(t) : 0;

	return (way ? way : hosted_measure_handoff()) + signal_roundtrip(t);
}
