/*
 * See jail.h. The allow list, and what needs each call (derived by reading
 * vmm/ and host/ and checked with strace -f on exo run, exo bench and exo
 * trace in a kvm-hw guest):
 *   ioctl                 KVM_RUN, KVM_SIGNAL_MSI and the register reads of
 *                         the exit handlers; perf's and KVM statistics' fds
 *   read, pread64, write, readv, writev
 *                         console output and reports (stdio), --input
 *                         (conin), libev's eventfd, KVM statistics at marks
 *   futex                 vm->lock, stdio's locks, libev's async wake-up
 *   epoll_wait, epoll_pwait, epoll_ctl, poll, ppoll
 *                         libev's loop in the I/O thread (ev_io_stop at EOF)
 *   mmap, munmap, mremap, madvise, brk, mprotect
 *                         malloc (trace logs grow, bench buffers); mmap and
 *                         mprotect only without PROT_EXEC: no new code
 *   rt_sigreturn, rt_sigprocmask, tgkill, getpid, gettid
 *                         kicks (pthread_kill of SIGUSR1), signal returns
 *   clock_gettime, gettimeofday, time, clock_nanosleep, nanosleep, sched_yield
 *                         timestamps (libev's ev_time; system calls where
 *                         the host's clock source has no vDSO path, as in
 *                         a nested guest), lock back-off
 *   sysinfo               glibc's qsort (bench statistics at a result
 *                         record) sizes its buffer by physical memory
 *   exit, exit_group, restart_syscall, fstat, newfstatat, lseek
 *                         thread and process exit; stdio's first use of a
 *                         stream
 *   sigaltstack           the sanitizers' runtime (build-san) sets and
 *                         clears a thread's signal stack; it touches only
 *                         the calling thread
 * The gdb thread (--gdb, vmm/gdbstub.h) enters the jail once it has
 * accepted its debugger and needs nothing more: read, write and poll on the
 * connection and its wake pipe, ioctl for the vCPUs' registers and
 * KVM_SET_GUEST_DEBUG, futex, tgkill for the kicks; the main thread closes
 * the sockets.
 * glibc's malloc opens /proc/sys/vm/overcommit_memory the first time it
 * shrinks a thread's own arena (seen in the I/O thread under strace):
 * jail_prepare keeps every thread on the main arena, which brk and madvise
 * shrink, rather than allow open.
 * Not allowed, among others: open/openat, execve, clone/fork, socket,
 * connect, ptrace, perf_event_open (opened before the jail), mount, kill of
 * other processes, sigaction (the SIGSYS handler cannot be replaced).
 *
 * SECCOMP_RET_KILL_PROCESS would end the process without a word: a user sees
 * a VMM die of SIGSYS and no hint why. So the default action is
 * SECCOMP_RET_TRAP: the kernel sends SIGSYS with the call's number, and the
 * handler writes which thread made which call with write(2) and ends the
 * process with _exit (exit_group), both allowed and async-signal-safe. A
 * compromised thread gains nothing from the trap: it cannot replace the
 * handler (rt_sigaction is forbidden), and if it blocks SIGSYS the kernel
 * forces the signal's default action, which kills the process.
 */
#define _GNU_SOURCE
#include "jail.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <seccomp.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static __thread const char *jail_who;

static const int jail_allowed[] = {
	SCMP_SYS(ioctl), SCMP_SYS(read), SCMP_SYS(pread64), SCMP_SYS(write),
	SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(futex),
	SCMP_SYS(epoll_wait), SCMP_SYS(epoll_pwait), SCMP_SYS(epoll_ctl),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(munmap), SCMP_SYS(mremap),
	SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask), SCMP_SYS(tgkill), SCMP_SYS(getpid),
	SCMP_SYS(gettid), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
	SCMP_SYS(time), SCMP_SYS(sysinfo), SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep), SCMP_SYS(sched_yield), SCMP_SYS(exit),
	SCMP_SYS(exit_group), SCMP_SYS(restart_syscall), SCMP_SYS(fstat),
	SCMP_SYS(newfstatat), SCMP_SYS(lseek), SCMP_SYS(sigaltstack),
};

/* Digits of v at the end of buf[0..len): where they start. */
static char *
jail_digits(char *end, long v)
{
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;

	do
		*--end = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--end = '-';
	return end;
}

static void
jail_say(const char *s)
{
	ssize_t r = write(STDERR_FILENO, s, strlen(s));

	(void)r;
}

static void
jail_on_sigsys(int sig, siginfo_t *si, void *uctx)
{
	char num[24];

	(void)sig;
	(void)uctx;
	num[sizeof(num) - 1] = 0;
	jail_say("exo: jail: ");
	jail_say(jail_who ? jail_who : "a VMM thread");
	jail_say(" made system call ");
	jail_say(jail_digits(num + sizeof(num) - 1, si->si_syscall));
	jail_say(" (see ausyscall or <asm/unistd_64.h>), which the VMM's seccomp "
		 "filter forbids: stopped. A bug in exo: report it; --no-jail runs "
		 "without the filter to debug it\n");
	_exit(JAIL_EXIT_STATUS);
}

static int
jail_rules(scmp_filter_ctx ctx)
{
	int r = 0;

	for (size_t i = 0; i < sizeof(jail_allowed) / sizeof(jail_allowed[0]) && !r; i++)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, jail_allowed[i], 0);
	/* Memory, but never new executable memory. */
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	return r;
}

void
jail_prepare(void)
{
	mallopt(M_ARENA_MAX, 1);
}

int
jail_enter(const char *who, struct diag *d)
{
	struct sigaction sa = { .sa_sigaction = jail_on_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	int r;

	sigset_t sys;

	sigemptyset(&sa.sa_mask);
	sigemptyset(&sys);
	sigaddset(&sys, SIGSYS);
	/* A thread that blocks every signal (the I/O thread) still reports. */
	pthread_sigmask(SIG_UNBLOCK, &sys, NULL);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return diag_fail(d, errno, "%s: cannot install the jail's SIGSYS "
				 "handler: %s", who, strerror(errno));
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx)
		return diag_fail(d, ENOMEM, "%s: libseccomp cannot make a filter "
				 "(out of memory); run with --no-jail", who);
	r = jail_rules(ctx);
	if (!r)
		r = seccomp_load(ctx);      /* sets no_new_privs for us */
	seccomp_release(ctx);
	if (r < 0)
		return diag_fail(d, -r, "%s: cannot enter the seccomp jail: %s (a "
				 "kernel without CONFIG_SECCOMP_FILTER?); run with "
				 "--no-jail", who, strerror(-r));
	jail_who = who;
	return 0;
}
