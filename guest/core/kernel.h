/* Kernel-wide services of the core: console, panic, boot options. */
#ifndef CORE_KERNEL_H
#define CORE_KERNEL_H

#include <exo/types.h>
#include <exo/hostio.h>

struct kernel_opts {
	bool ktest;      /* "ktest" on the command line: SYS_ktest enabled */
	bool verbose;    /* "verbose": the kernel narrates boot */
};

extern struct kernel_opts kopts;

/* TSC ticks per millisecond (the boot info's tsc_khz; 0 if unknown). */
extern u64 kernel_tsc_khz;

void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A kernel bug: report to the host and stop. regs may be NULL (captured here). */
__attribute__((noreturn, format(printf, 2, 3)))
void panic_regs(const struct exo_regs *regs, const char *fmt, ...);
#define panic(...) panic_regs(0, __VA_ARGS__)

/* Invariant checks that stay in the kernel: a failure is a kernel bug. */
#define kassert(c) \
	((c) ? (void)0 : panic("assertion failed: %s at %s:%d", #c, __FILE__, __LINE__))

/* True if the NUL-terminated, space-separated cmdline has the word w. */
bool cmdline_has(const char *cmdline, const char *w);

#endif
