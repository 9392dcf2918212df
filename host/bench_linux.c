/*
 * Linux's own crossings on this host, measured in the same run as a hosted
 * benchmark (exo bench --platform hosted), so the hosted platform's numbers
 * stand beside what its mechanisms cost bare: a system call (getppid), a
 * futex round trip between two processes, a SIGSEGV round trip (fault,
 * handler, return), and a SIGSYS round trip (a system call a seccomp filter
 * traps to a handler in the same process, as the stub's are).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "bench.h"

#define ROUNDS 2000

static uint64_t
tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
median(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return v[n / 2];
}

static uint64_t
m_getppid(uint64_t *v)
{
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t t0 = tsc();

		syscall(SYS_getppid);
		v[i] = tsc() - t0;
	}
	return median(v, ROUNDS);
}

static long
futex(uint32_t *w, int op, uint32_t val)
{
	return syscall(SYS_futex, w, op, val, NULL, NULL, 0);
}

/* Ping-pong on two words of a shared page: one round trip is a wake of
 * the other process and a wait for its wake back. */
static uint64_t
m_futex(uint64_t *v)
{
	uint32_t *w = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			   -1, 0);
	pid_t pid;

	if (w == MAP_FAILED)
		return 0;
	pid = fork();
	if (pid == 0) {
		for (uint32_t i = 1; i <= ROUNDS; i++) {
			while (__atomic_load_n(&w[0], __ATOMIC_ACQUIRE) < i)
				futex(&w[0], FUTEX_WAIT, i - 1);
			__atomic_store_n(&w[1], i, __ATOMIC_RELEASE);
			futex(&w[1], FUTEX_WAKE, 1);
		}
		_exit(0);
	}
	for (uint32_t i = 1; pid > 0 && i <= ROUNDS; i++) {
		uint64_t t0 = tsc();

		__atomic_store_n(&w[0], i, __ATOMIC_RELEASE);
		futex(&w[0], FUTEX_WAKE, 1);
		while (__atomic_load_n(&w[1], __ATOMIC_ACQUIRE) < i)
			futex(&w[1], FUTEX_WAIT, i - 1);
		v[i - 1] = tsc() - t0;
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	munmap(w, 4096);
	return pid > 0 ? median(v, ROUNDS) : 0;
}

/* The faulting instruction is a 2-byte load (mov (%rax), %ecx): skip it. */
static void
on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;

	(void)sig, (void)si;
	uc->uc_mcontext.gregs[REG_RIP] += 2;
}

static uint64_t
m_segv(uint64_t *v)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	void *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || sigaction(SIGSEGV, &sa, &old) < 0)
		return 0;
	for (unsigned i = 0; i < ROUNDS; i++) {
		uint64_t t0 = tsc();

		__asm__ volatile("mov (%0), %%ecx" : : "a"(p) : "rcx", "memory");
		v[i] = tsc() - t0;
	}
	sigaction(SIGSEGV, &old, NULL);
	munmap(p, 4096);
	return median(v, ROUNDS);
}

static void
on_sys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
}

/* In a child: the filter cannot be taken off again. Its median comes back
 * through a pipe. */
static uint64_t
m_sigsys(uint64_t *v)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };
	uint64_t m = 0;
	int fd[2];
	pid_t pid;

	if (pipe(fd) < 0)
		return 0;
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_sigaction = on_sys, .sa_flags = SA_SIGINFO };

		if (sigaction(SIGSYS, &sa, NULL) == 0 &&
		    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 &&
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) == 0) {
			for (unsigned i = 0; i < ROUNDS; i++) {
				uint64_t t0 = tsc();

				syscall(SYS_getppid);
				v[i] = tsc() - t0;
			}
			m = median(v, ROUNDS);
		}
		if (write(fd[1], &m, sizeof(m)) != sizeof(m))
			_exit(1);
		_exit(0);
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &m, sizeof(m)) != sizeof(m))
		m = 0;
	close(fd[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return m;
}

const char *const bench_linux_names[BL_N] = {
	[BL_GETPPID] = "getppid",
	[BL_FUTEX] = "futex_roundtrip_2proc",
	[BL_SIGSEGV] = "sigsegv_roundtrip",
	[BL_SIGSYS] = "sigsys_roundtrip",
};

void
bench_linux_measure(struct bench_linux *l)
{
	static uint64_t (*const fn[BL_N])(uint64_t *) = {
		[BL_GETPPID] = m_getppid, [BL_FUTEX] = m_futex,
		[BL_SIGSEGV] = m_segv, [BL_SIGSYS] = m_sigsys,
	};
	uint64_t *v = calloc(ROUNDS, sizeof(*v));

	memset(l, 0, sizeof(*l));
	if (!v)
		return;
	for (unsigned i = 0; i < BL_N; i++)
		l->cycles[i] = fn[i](v);
	l->measured = true;
	free(v);
}

void
bench_linux_print(FILE *f, const struct bench_linux *l, uint64_t tsc_khz)
{
	fprintf(f, "Linux on this host, same run (%d rounds each, median)\n", ROUNDS);
	for (unsigned i = 0; i < BL_N; i++) {
		uint64_t m = l->cycles[i];

		if (!m)
			fprintf(f, "  %-23s not measured here\n", bench_linux_names[i]);
		else
			fprintf(f, "  %-23s %10llu cycles %10.2f us\n", bench_linux_names[i],
				(unsigned long long)m, tsc_khz ? (double)m * 1000 / tsc_khz : 0);
	}
}

/* The median cycles of the first operation named so in runs of platform
 * hosted; 0 if none. */
static uint64_t
hosted_median(const struct bench_run *runs, unsigned nruns, const char *op)
{
	for (unsigned i = 0; i < nruns; i++) {
		if (runs[i].res.platform != EXO_PLATFORM_HOSTED)
			continue;
		for (unsigned k = 0; k < runs[i].nops; k++)
			if (strcmp(runs[i].ops[k].name, op) == 0 && runs[i].ops[k].cycles.n)
				return runs[i].ops[k].cycles.median;
	}
	return 0;
}

/*
 * The hosted platform's targets: a system call within 2 SIGSYS round trips
 * (the signal that starts it), an IPC call and reply within 3 futex round
 * trips between two processes, an exception upcall within 2 SIGSEGV round
 * trips. The ptrace platform has none (its crossing is a ptrace stop).
 */
void
bench_linux_targets(FILE *f, const struct bench_run *runs, unsigned nruns,
		    const struct bench_linux *l)
{
	static const struct {
		const char *op;
		unsigned linux_op, bound;
	} t[] = {
		{ "null_syscall", BL_SIGSYS, 2 },
		{ "ipc_call_reply", BL_FUTEX, 3 },
		{ "exception_upcall", BL_SIGSEGV, 2 },
	};
	bool head = false;

	for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t ours = hosted_median(runs, nruns, t[i].op), theirs = l->cycles[t[i].linux_op];
		double x;

		if (!ours || !theirs)
			continue;
		if (!head)
			fprintf(f, "hosted platform's targets, medians of this run\n");
		head = true;
		x = (double)ours / (double)theirs;
		fprintf(f, "  %-16s / %-21s %6.2f  (target <= %u)  %s\n", t[i].op,
			bench_linux_names[t[i].linux_op], x, t[i].bound,
			x <= t[i].bound ? "met" : "MISSED");
	}
}
