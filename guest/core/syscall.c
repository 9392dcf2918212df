/*
 * System-call decoding and the calls themselves. Every call validates all of
 * its arguments before it changes anything; user mistakes return -E_*.
 */
#include "syscall.h"

#include <exo/error.h>
#include <exo/layout.h>
#include <exo/syscall.h>

#include "irq.h"
#include "kernel.h"
#include "platform.h"
#include "program.h"

typedef i64 (*syscall_fn)(u64, u64, u64, u64, u64, u64);

/* exit(status): ends the program; the host sees status. Does not return. */
static i64
sys_exit(u64 status, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	program_exit((i64)status);
}

/*
 * console_write(buf, len): write len bytes at user address buf to the console.
 * Returns len.
 *   -E_INVAL  len > EXO_CONSOLE_WRITE_MAX
 *   -E_FAULT  some byte of [buf, buf+len) is not mapped readable in user space
 */
static i64
sys_console_write(u64 buf, u64 len, u64 a2, u64 a3, u64 a4, u64 a5)
{
	/* A write of at most one page spans at most two pages. */
	u64 pa[2], first, last, n, left = len;

	(void)a2, (void)a3, (void)a4, (void)a5;
	if (len > EXO_CONSOLE_WRITE_MAX)
		return -E_INVAL;
	if (len == 0)
		return 0;
	if (buf >= EXO_USER_END || len > EXO_USER_END - buf)
		return -E_FAULT;
	first = buf & ~(EXO_PAGE_SIZE - 1);
	last = (buf + len - 1) & ~(EXO_PAGE_SIZE - 1);
	n = (last - first) / EXO_PAGE_SIZE + 1;
	for (u64 i = 0; i < n; i++)
		if (arch_space_lookup(program_space(), first + i * EXO_PAGE_SIZE,
				      EXO_SEG_R, &pa[i]) < 0)
			return -E_FAULT;
	/* Commit point: every page checked. */
	for (u64 i = 0, off = buf - first; i < n; i++, off = 0) {
		u64 chunk = EXO_PAGE_SIZE - off;

		if (chunk > left)
			chunk = left;
		arch_host_console(pa[i] + off, chunk);
		left -= chunk;
	}
	return (i64)len;
}

/*
 * KTEST_TIMER(us): the deadline is rounded up to a whole TSC tick, so the
 * result is never below us if the timer keeps its promise.
 */
static i64
ktest_timer(u64 us)
{
	u64 t0, seen = irq_log.timer;

	if (us > KTEST_TIMER_MAX_US)
		return -E_INVAL;
	if (!kernel_tsc_khz)
		return -E_NOSYS;
	t0 = arch_now();
	arch_timer_arm(t0 + (us * kernel_tsc_khz + 999) / 1000);
	while (irq_log.timer == seen)
		arch_idle();
	return (i64)((irq_log.timer_now - t0) * 1000 / kernel_tsc_khz);
}

/* KTEST_GETC: a read that finds nothing re-arms the input interrupt. */
static i64
ktest_getc(void)
{
	for (;;) {
		u64 seen = irq_log.line[EXO_IRQ_CONSOLE];
		int c = arch_console_getc();

		if (c >= 0)
			return c;
		while (irq_log.line[EXO_IRQ_CONSOLE] == seen)
			arch_idle();
	}
}

/*
 * ktest(op, arg): kernel self-test hooks for the test suite (<exo/syscall.h>).
 *   -E_NOSYS  the kernel was not booted with the "ktest" option;
 *             KTEST_TIMER: the TSC rate is unknown
 *   -E_INVAL  unknown op; KTEST_TIMER: arg above KTEST_TIMER_MAX_US
 */
static i64
sys_ktest(u64 op, u64 arg, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)a2, (void)a3, (void)a4, (void)a5;
	if (!kopts.ktest)
		return -E_NOSYS;
	switch (op) {
	case KTEST_PANIC:
		panic("ktest: panic requested by a user program");
	case KTEST_TRIPLEFAULT:
		arch_ktest_triple_fault();
	case KTEST_TIMER:
		return ktest_timer(arg);
	case KTEST_GETC:
		return ktest_getc();
	}
	return -E_INVAL;
}

static const syscall_fn syscalls[SYS_NR] = {
	[SYS_exit]          = sys_exit,
	[SYS_console_write] = sys_console_write,
	[SYS_ktest]         = sys_ktest,
};

i64
syscall_dispatch(u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	if (no >= SYS_NR || !syscalls[no])
		return -E_NOSYS;
	return syscalls[no](a0, a1, a2, a3, a4, a5);
}
