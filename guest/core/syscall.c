/*
 * System-call decoding and the calls themselves. Every call validates all of
 * its arguments before it changes anything; user mistakes return -E_*.
 */
#include "syscall.h"

#include <exo/bench.h>
#include <exo/error.h>
#include <exo/hostio.h>
#include <exo/layout.h>
#include <exo/syscall.h>

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
 * ktest(op): kernel self-test hooks for the test suite (<exo/syscall.h>).
 *   -E_NOSYS  the kernel was not booted with the "ktest" option
 *   -E_INVAL  unknown op
 */
static i64
sys_ktest(u64 op, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	(void)a1, (void)a2, (void)a3, (void)a4, (void)a5;
	if (!kopts.ktest)
		return -E_NOSYS;
	switch (op) {
	case KTEST_PANIC:
		panic("ktest: panic requested by a user program");
	case KTEST_TRIPLEFAULT:
		arch_ktest_triple_fault();
	}
	return -E_INVAL;
}

/* One CPU, one request in flight (per-CPU with SMP), as for the console. */
static struct exo_bench_req bench_req;

/*
 * Describe the user buffer [rec, rec+len) in bench_req as guest-physical
 * pieces, physically adjacent pages joined. The caller has checked that the
 * range is user space and len <= EXO_BENCH_RESULT_MAX. -E_FAULT if a page is
 * not mapped readable; bench_req is then half written, which nobody sees.
 */
static int
bench_req_build(u64 rec, u64 len)
{
	struct exo_bench_chunk *c = bench_req.chunks;
	u64 va = rec, left = len;
	u32 n = 0;

	while (left) {
		u64 pa, piece = EXO_PAGE_SIZE - (va & (EXO_PAGE_SIZE - 1));

		if (piece > left)
			piece = left;
		if (arch_space_lookup(program_space(), va, EXO_SEG_R, &pa) < 0)
			return -E_FAULT;
		if (n && c[n - 1].gpa + c[n - 1].len == pa) {
			c[n - 1].len += piece;
		} else {
			/* Invariant: len bytes span at most EXO_BENCH_CHUNKS_MAX pages. */
			kassert(n < EXO_BENCH_CHUNKS_MAX);
			c[n++] = (struct exo_bench_chunk){ .gpa = pa, .len = piece };
		}
		va += piece;
		left -= piece;
	}
	bench_req.len = len;
	bench_req.nchunks = n;
	bench_req.status = 0;
	return 0;
}

/*
 * bench_mark(code, rec, len): benchmark marks and results (<exo/bench.h>).
 * code != 0: the host samples its counters now, tagged with code.
 * rec != 0: the host reads the result record at user [rec, rec+len).
 * All three zero: returns at once, touching nothing: the null system call.
 * Returns 0.
 *   -E_INVAL  code > EXO_BENCH_MARK_MAX; len != 0 without rec; rec with len
 *             below EXO_BENCH_RESULT_MIN or above EXO_BENCH_RESULT_MAX;
 *             the host refused the record (the mark, if any, was taken)
 *   -E_FAULT  some byte of [rec, rec+len) is not mapped readable in user space
 * Any other error reaches the host with nothing: no mark, no record.
 */
static i64
sys_bench_mark(u64 code, u64 rec, u64 len, u64 a3, u64 a4, u64 a5)
{
	int r;

	(void)a3, (void)a4, (void)a5;
	if (code > EXO_BENCH_MARK_MAX)
		return -E_INVAL;
	if (!rec) {
		if (len)
			return -E_INVAL;
		if (code)
			arch_host_doorbell(EXO_DOORBELL(EXO_DOORBELL_MARK, code));
		return 0;
	}
	if (len < EXO_BENCH_RESULT_MIN || len > EXO_BENCH_RESULT_MAX)
		return -E_INVAL;
	if (rec >= EXO_USER_END || len > EXO_USER_END - rec)
		return -E_FAULT;
	r = bench_req_build(rec, len);
	if (r < 0)
		return r;
	/* Commit point: every page checked. */
	if (code)
		arch_host_doorbell(EXO_DOORBELL(EXO_DOORBELL_MARK, code));
	arch_host_bench(&bench_req);
	return bench_req.status == 0 ? 0 : -E_INVAL;
}

static const syscall_fn syscalls[SYS_NR] = {
	[SYS_exit]          = sys_exit,
	[SYS_console_write] = sys_console_write,
	[SYS_ktest]         = sys_ktest,
	[SYS_bench_mark]    = sys_bench_mark,
};

i64
syscall_dispatch(u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	if (no >= SYS_NR || !syscalls[no])
		return -E_NOSYS;
	return syscalls[no](a0, a1, a2, a3, a4, a5);
}
