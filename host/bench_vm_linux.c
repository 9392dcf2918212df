/*
 * exo bench vm's Linux column: Appel and Li's operations with mprotect and a
 * SIGSEGV handler, run by the exo command itself on the host it runs on,
 * timed with CLOCK_MONOTONIC (bench_vm.h). The same shapes as bench/vm.c:
 * 100-page sets, the trap stepping over a 2-byte load, appel1 unprotecting
 * the faulting page and protecting the one before, appel2 protecting the
 * set and writing every page of it.
 */
#define _GNU_SOURCE
#include "bench_vm.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#define PG       4096UL
#define NSET     100
#define NPAGES   104                    /* the set, prot1's, the trap's */

enum lx_mode { LX_NONE, LX_STEP, LX_APPEL1, LX_APPEL2 };
static volatile sig_atomic_t lx_mode;
static char *volatile lx_base;
static char *volatile lx_last;
static unsigned lx_next;

static void
lx_on_segv(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	char *page = (char *)((unsigned long)si->si_addr & ~(PG - 1));

	switch (lx_mode) {
	case LX_STEP:
		uc->uc_mcontext.gregs[REG_RIP] += 2;
		return;
	case LX_APPEL1:
		mprotect(page, PG, PROT_READ | PROT_WRITE);
		mprotect(lx_last, PG, PROT_NONE);
		lx_last = page;
		return;
	case LX_APPEL2:
		mprotect(page, PG, PROT_READ | PROT_WRITE);
		return;
	}
	signal(sig, SIG_DFL);           /* a real fault: it repeats, and kills */
}

static void
lx_touch(char *p, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		((volatile char *)p)[i * PG] = 1;
}

static int lx_prot1(void) { return mprotect(lx_base + NSET * PG, PG, PROT_READ); }
static int lx_prot100(void) { return mprotect(lx_base, NSET * PG, PROT_READ); }
static int lx_unprot100(void) { return mprotect(lx_base, NSET * PG, PROT_READ | PROT_WRITE); }

static int
lx_unprot1_touch(void)
{
	int r = mprotect(lx_base + NSET * PG, PG, PROT_READ | PROT_WRITE);

	lx_touch(lx_base + NSET * PG, 1);
	return r;
}

static int
lx_unprot100_touch(void)
{
	int r = lx_unprot100();

	lx_touch(lx_base, NSET);
	return r;
}

static int
lx_trap(void)
{
	unsigned long v = 0x1ff;

	__asm__ volatile(".byte 0x8a, 0x07"     /* mov (%rdi), %al */
			 : "+a"(v) : "D"(lx_base + (NSET + 1) * PG) : "memory");
	return v == 0x1ff ? 0 : -EINVAL;
}

static int
lx_appel1(void)
{
	char *p = lx_base + lx_next * PG;

	lx_next = (lx_next + 1) % NSET;
	*(volatile char *)p = 2;
	return lx_last == p ? 0 : -EINVAL;
}

static int
lx_appel2(void)
{
	int r = mprotect(lx_base, NSET * PG, PROT_NONE);

	lx_touch(lx_base, NSET);
	return r;
}

static uint64_t
lx_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static int
lx_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

int
bench_vm_time(int (*op)(void), int (*prep)(void), unsigned n, double *us)
{
	unsigned warm = n / 10 < 10 ? 10 : n / 10;
	uint64_t *ns = calloc(n, sizeof(*ns));

	if (!ns)
		return -ENOMEM;
	for (unsigned i = 0; i < warm + n; i++) {
		uint64_t t0;

		if (prep && prep() < 0)
			goto fail;
		t0 = lx_now_ns();
		if (op() < 0)
			goto fail;
		if (i >= warm)
			ns[i - warm] = lx_now_ns() - t0;
	}
	qsort(ns, n, sizeof(*ns), lx_cmp);
	*us = ns[(n - 1) / 2] / 1000.0;
	free(ns);
	return 0;
fail:
	free(ns);
	return errno ? -errno : -EINVAL;
}

/* Each op from a fresh state: every page writable and written. */
static int
lx_reset(enum lx_mode m)
{
	lx_mode = LX_NONE;
	if (mprotect(lx_base, NPAGES * PG, PROT_READ | PROT_WRITE) < 0)
		return -errno;
	lx_touch(lx_base, NPAGES);
	if (m == LX_STEP && mprotect(lx_base + (NSET + 1) * PG, PG, PROT_NONE) < 0)
		return -errno;
	if (m == LX_APPEL1) {
		if (mprotect(lx_base, (NSET - 1) * PG, PROT_NONE) < 0)
			return -errno;
		lx_last = lx_base + (NSET - 1) * PG;
		lx_next = 0;
	}
	lx_mode = m;
	return 0;
}

static const struct lx_op {
	enum bench_vm_op op;
	enum lx_mode mode;
	int (*run)(void), (*prep)(void);
} lx_ops[] = {
	{ VM_PROT1, LX_NONE, lx_prot1, lx_unprot1_touch },
	{ VM_PROT100, LX_NONE, lx_prot100, lx_unprot100_touch },
	{ VM_UNPROT100, LX_NONE, lx_unprot100, lx_prot100 },
	{ VM_TRAP, LX_STEP, lx_trap, NULL },
	{ VM_APPEL1, LX_APPEL1, lx_appel1, NULL },
	{ VM_APPEL2, LX_APPEL2, lx_appel2, NULL },
};

int
bench_vm_linux(struct bench_vm_linux *lx, unsigned iterations)
{
	struct sigaction sa = { .sa_sigaction = lx_on_segv, .sa_flags = SA_SIGINFO }, old;
	int r = 0;

	for (int k = 0; k < VM_NOPS; k++)
		lx->us[k] = NAN;        /* dirty: Linux has no such query */
	for (int k = 0; k < VM_PROC_NOPS; k++)
		lx->proc_us[k] = NAN;
	lx_base = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (lx_base == MAP_FAILED)
		return -errno;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &old) < 0) {
		r = -errno;
		goto unmap;
	}
	for (size_t i = 0; r == 0 && i < sizeof(lx_ops) / sizeof(lx_ops[0]); i++) {
		r = lx_reset(lx_ops[i].mode);
		if (r == 0)
			r = bench_vm_time(lx_ops[i].run, lx_ops[i].prep, iterations,
				    &lx->us[lx_ops[i].op]);
	}
	lx_mode = LX_NONE;
	lx->us[VM_APPEL2] /= NSET;
	if (r == 0)
		r = bench_vm_linux_proc(lx, iterations);      /* per page, as the papers give it */
	sigaction(SIGSEGV, &old, NULL);
unmap:
	munmap(lx_base, NPAGES * PG);
	if (r == 0)
		r = bench_vm_linux_ipc(lx, iterations);
	return r;
}
