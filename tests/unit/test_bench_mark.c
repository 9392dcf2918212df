/*
 * SYS_bench_mark in the kernel core (guest/core/syscall.c), on the fake
 * platform: the null call, marks, and result records handed to the host.
 */
#include <string.h>

#include <criterion/criterion.h>

#include <exo/bench.h>
#include <exo/error.h>
#include <exo/hostio.h>
#include <exo/layout.h>
#include <exo/syscall.h>

#include "guest/core/kernel.h"
#include "guest/core/syscall.h"

#include "fake_platform.h"
#include "kernel_fixture.h"

#define PAGE  EXO_PAGE_SIZE
#define UREC  0x800000ULL       /* where the tests map a record */
#define PREC  0x400000ULL       /* ...onto these frames */

static struct thread *caller;

/* A booted core with one running thread: the caller of every bench_mark. */
static void
setup(void)
{
	fake_reset();
	kopts = (struct kernel_opts){ 0 };
	fix_core_boot();
	fix_thread(fix_space(NULL, true), PRIO_DEFAULT);
	caller = fix_schedule();
}

TestSuite(bench_mark, .init = setup);

static i64
bench_mark(u64 code, u64 rec, u64 len)
{
	caller->ctx.rax = SYS_bench_mark;
	caller->ctx.rdi = code;
	caller->ctx.rsi = rec;
	caller->ctx.rdx = len;
	cr_assert_eq(syscall_dispatch(caller), caller);
	return (i64)caller->ctx.rax;
}

static struct arch_space *
space(void)
{
	return &caller->space->pt;
}

/* Map npages at user va onto frames from pa, each step apart (PAGE: contiguous). */
static void
map_pages(u64 va, u64 pa, unsigned npages, u64 step)
{
	for (unsigned i = 0; i < npages; i++)
		cr_assert_eq(arch_space_map(space(), va + i * PAGE, pa + i * step, PAGE,
					    EXO_SEG_R | EXO_SEG_W), 0);
}

/* Bytes the user sees at va (mapped by map_pages with step). */
static u8 *
user_byte(u64 va, u64 pa, u64 step)
{
	u64 off = va - UREC;

	return fake_mem + pa + off / PAGE * step + off % PAGE;
}

static void
assert_host_untouched(void)
{
	cr_assert_eq(fake_nmarks, 0, "a mark reached the host");
	cr_assert_eq(fake_doorbells[EXO_DOORBELL_MARK], 0);
	cr_assert_eq(fake_bench_calls, 0, "a record reached the host");
}

Test(bench_mark, null_call_does_nothing)
{
	cr_assert_eq(bench_mark(0, 0, 0), 0);
	assert_host_untouched();
	cr_assert_eq(fake_console_len, 0);
}

Test(bench_mark, mark_rings_doorbell_with_code)
{
	cr_assert_eq(bench_mark(4, 0, 0), 0);
	cr_assert_eq(bench_mark(EXO_BENCH_MARK_MAX, 0, 0), 0);
	cr_assert_eq(fake_nmarks, 2);
	cr_assert_eq(fake_marks[0], 4);
	cr_assert_eq(fake_marks[1], EXO_BENCH_MARK_MAX);
	cr_assert_eq(fake_bench_calls, 0);
}

Test(bench_mark, bad_arguments)
{
	map_pages(UREC, PREC, 1, PAGE);
	cr_assert_eq(bench_mark(EXO_BENCH_MARK_MAX + 1, 0, 0), -E_INVAL);
	cr_assert_eq(bench_mark(1ULL << 32, 0, 0), -E_INVAL);
	cr_assert_eq(bench_mark(4, 0, 8), -E_INVAL, "a length without a record");
	cr_assert_eq(bench_mark(4, UREC, 0), -E_INVAL, "a record without a length");
	cr_assert_eq(bench_mark(4, UREC, EXO_BENCH_RESULT_MIN - 1), -E_INVAL);
	cr_assert_eq(bench_mark(4, UREC, EXO_BENCH_RESULT_MAX + 1), -E_INVAL);
	cr_assert_eq(bench_mark(4, UREC, UINT64_MAX), -E_INVAL);
	assert_host_untouched();
}

Test(bench_mark, record_outside_user_space)
{
	space();
	cr_assert_eq(bench_mark(4, EXO_USER_END, EXO_BENCH_RESULT_MIN), -E_FAULT);
	cr_assert_eq(bench_mark(4, EXO_USER_END - 8, EXO_BENCH_RESULT_MIN), -E_FAULT);
	cr_assert_eq(bench_mark(4, EXO_KERNEL_BASE + 0x100000, EXO_BENCH_RESULT_MIN),
		     -E_FAULT);
	cr_assert_eq(bench_mark(0, UINT64_MAX - 8, EXO_BENCH_RESULT_MIN), -E_FAULT);
	cr_assert_eq(bench_mark(0, UREC, EXO_BENCH_RESULT_MIN), -E_FAULT, "unmapped");
	assert_host_untouched();
}

Test(bench_mark, record_runs_into_unmapped_page)
{
	/* Three pages mapped, the record wants a fourth: nothing, not even the mark. */
	map_pages(UREC, PREC, 3, PAGE);
	cr_assert_eq(bench_mark(8, UREC + 0x100, 3 * PAGE), -E_FAULT);
	assert_host_untouched();
}

Test(bench_mark, record_needs_read_right)
{
	cr_assert_eq(arch_space_map(space(), UREC, PREC, PAGE, EXO_SEG_X), 0);
	cr_assert_eq(bench_mark(0, UREC, EXO_BENCH_RESULT_MIN), -E_FAULT);
	assert_host_untouched();
}

Test(bench_mark, record_reaches_host_in_order)
{
	/* Scattered frames (two pages apart): the host gets one piece a page. */
	u64 len = EXO_BENCH_RESULT_LEN(3000), start = UREC + PAGE - 40;

	map_pages(UREC, PREC, 4, 2 * PAGE);
	for (u64 i = 0; i < len; i++)
		*user_byte(start + i, PREC, 2 * PAGE) = (u8)(i * 7 + 3);
	cr_assert_eq(bench_mark(12, start, len), 0);
	cr_assert_eq(fake_nmarks, 1, "the mark comes with the record");
	cr_assert_eq(fake_marks[0], 12);
	cr_assert_eq(fake_bench_calls, 1);
	cr_assert_eq(fake_bench_len, len);
	cr_assert_eq(fake_bench_nchunks, 4, "%u pieces", fake_bench_nchunks);
	for (u64 i = 0; i < len; i++)
		cr_assert_eq(fake_bench[i], (u8)(i * 7 + 3), "byte %llu",
			     (unsigned long long)i);
}

Test(bench_mark, contiguous_frames_are_one_piece)
{
	u64 len = EXO_BENCH_RESULT_MAX;
	unsigned npages = (unsigned)(EXO_PAGE_UP(len + 0x10) / PAGE);

	map_pages(UREC, PREC, npages, PAGE);
	memset(fake_mem + PREC + 0x10, 0xab, len);
	cr_assert_eq(bench_mark(0, UREC + 0x10, len), 0);
	cr_assert_eq(fake_nmarks, 0);
	cr_assert_eq(fake_bench_nchunks, 1);
	cr_assert_eq(fake_bench_len, len);
	cr_assert_eq(fake_bench[len - 1], 0xab);
}

Test(bench_mark, largest_record_on_scattered_frames)
{
	/* The worst case: every page its own piece, starting at the last byte
	 * of a page. */
	u64 len = EXO_BENCH_RESULT_MAX, start = UREC + PAGE - 1;
	unsigned npages = (unsigned)((PAGE - 1 + len + PAGE - 1) / PAGE);

	cr_assert_leq(npages, EXO_BENCH_CHUNKS_MAX);
	map_pages(UREC, 0x100000, npages, 2 * PAGE);
	cr_assert_eq(bench_mark(0, start, len), 0);
	cr_assert_eq(fake_bench_nchunks, npages);
}

Test(bench_mark, host_refusal_is_einval)
{
	map_pages(UREC, PREC, 1, PAGE);
	fake_bench_status = -E_INVAL;
	cr_assert_eq(bench_mark(16, UREC, EXO_BENCH_RESULT_MIN), -E_INVAL);
	cr_assert_eq(fake_bench_calls, 1);
	cr_assert_eq(fake_nmarks, 1, "the mark was taken before the refusal");
	fake_bench_status = -12345;
	cr_assert_eq(bench_mark(0, UREC, EXO_BENCH_RESULT_MIN), -E_INVAL,
		     "whatever the host says, the program gets a documented error");
}
