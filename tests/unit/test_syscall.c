/*
 * System calls, tasks and the console of the kernel core, run on the fake
 * platform: guest/core/syscall.c, task.c, enter.c, console.c. The core is
 * booted as kmain boots it (kernel_fixture.c); a system call is made the way
 * the entry code makes it: the number and arguments in the running thread's
 * saved registers, then syscall_dispatch (or kernel_syscall, the whole entry,
 * where what runs next matters).
 */
#include <setjmp.h>
#include <string.h>

#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>
#include <exo/syscall.h>

#include "guest/core/irq.h"
#include "guest/core/kernel.h"
#include "guest/core/mdb.h"
#include "guest/core/modpage.h"
#include "guest/core/sched.h"
#include "guest/core/syscall.h"
#include "guest/core/task.h"

#include "kernel_fixture.h"

#define PAGE  EXO_PAGE_SIZE
#define UBUF  0x400000ULL       /* user pages the tests map */
#define PBUF0 0x200000ULL       /* ...onto these frames: not contiguous */
#define PBUF1 0x300000ULL

/* The thread that runs: a task's first thread (syscall suite). */
static struct thread *me;

static void
setup(void)
{
	fake_reset();
	kopts = (struct kernel_opts){ 0 };
	irq_log = (struct irq_log){ 0 };
	kernel_tsc_khz = 0;
}

static void
setup_running_thread(void)
{
	setup();
	fix_core_boot();
	me = fix_thread(fix_space(NULL, true), PRIO_DEFAULT);
	cr_assert_eq(fix_schedule(), me);
	cr_assert_eq(current, me);
}

static struct exo_bootinfo bi;

static void
setup_boot(void)
{
	setup();
	fix_bootinfo(&bi);
	fix_core_init(&bi);
}

TestSuite(syscall, .init = setup_running_thread);
TestSuite(task, .init = setup_boot);
TestSuite(console, .init = setup);

/* Thread t makes system call no with these registers: its rax after. */
static i64
sys_on(struct thread *t, u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	cr_assert_eq(t, current, "system call from a thread that does not run");
	t->ctx.rax = no;
	t->ctx.rdi = a0;
	t->ctx.rsi = a1;
	t->ctx.rdx = a2;
	t->ctx.r10 = a3;
	t->ctx.r8 = a4;
	cr_assert_eq(syscall_dispatch(t), t, "call %lu did not return to its caller", no);
	return (i64)t->ctx.rax;
}

static i64
sys(u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5)
{
	me->ctx.r9 = a5;                /* no call reads it: it must not matter */
	return sys_on(me, no, a0, a1, a2, a3, a4);
}

static void
map_user(u64 va, u64 pa, u32 rights)
{
	cr_assert_eq(arch_space_map(&me->space->pt, va, pa, EXO_PAGE_SIZE, rights), 0,
		     "cannot map %#lx", va);
}

static i64
console_write(u64 buf, u64 len)
{
	return sys(SYS_console_write, buf, len, 0, 0, 0, 0);
}

static void
assert_console_empty(void)
{
	cr_assert_eq(fake_console_len, 0, "%zu bytes reached the console",
		     fake_console_len);
	cr_assert_eq(fake_console_calls, 0);
}

/* Dispatch */

Test(syscall, unknown_numbers)
{
	cr_assert_eq(sys(SYS_NR, 0, 0, 0, 0, 0, 0), -E_NOSYS);
	cr_assert_eq(sys(SYS_NR + 1, 0, 0, 0, 0, 0, 0), -E_NOSYS);
	map_user(UBUF, PBUF0, EXO_SEG_R);
	cr_assert_eq(sys(1ULL << 32 | SYS_console_write, UBUF, 1, 0, 0, 0, 0),
		     -E_NOSYS, "the number is truncated to 32 bits");
	cr_assert_eq(sys(1ULL << 63, 0, 0, 0, 0, 0, 0), -E_NOSYS);
	cr_assert_eq(sys(UINT64_MAX, 0, 0, 0, 0, 0, 0), -E_NOSYS);
	cr_assert_eq(sys((u64)-SYS_NR, 0, 0, 0, 0, 0, 0), -E_NOSYS);
	assert_console_empty();
}

/* console_write */

Test(syscall, console_write_too_long)
{
	map_user(UBUF, PBUF0, EXO_SEG_R);
	map_user(UBUF + PAGE, PBUF1, EXO_SEG_R);
	cr_assert_eq(console_write(UBUF, EXO_CONSOLE_WRITE_MAX + 1), -E_INVAL);
	cr_assert_eq(console_write(UBUF, UINT64_MAX), -E_INVAL);
	assert_console_empty();
}

Test(syscall, console_write_longest)
{
	/* EXO_CONSOLE_WRITE_MAX bytes from mid-page: two pages. */
	u8 *p0 = fake_mem + PBUF0, *p1 = fake_mem + PBUF1;
	u64 off = 0x123;

	map_user(UBUF, PBUF0, EXO_SEG_R);
	map_user(UBUF + PAGE, PBUF1, EXO_SEG_R);
	for (u64 i = 0; i < PAGE; i++) {
		p0[i] = (u8)('a' + i % 26);
		p1[i] = (u8)('A' + i % 26);
	}
	cr_assert_eq(console_write(UBUF + off, EXO_CONSOLE_WRITE_MAX),
		     EXO_CONSOLE_WRITE_MAX);
	cr_assert_eq(fake_console_len, EXO_CONSOLE_WRITE_MAX);
	cr_assert_eq(memcmp(fake_console, p0 + off, PAGE - off), 0);
	cr_assert_eq(memcmp(fake_console + PAGE - off, p1, off), 0);
}

Test(syscall, console_write_zero_length)
{
	cr_assert_eq(console_write(UBUF, 0), 0);
	assert_console_empty();
}

Test(syscall, console_write_at_user_end)
{
	cr_assert_eq(console_write(EXO_USER_END, 1), -E_FAULT);
	cr_assert_eq(console_write(EXO_USER_END + PAGE, 16), -E_FAULT);
	cr_assert_eq(console_write(EXO_KERNEL_BASE + 0x100000, 16), -E_FAULT);
	assert_console_empty();
}

Test(syscall, console_write_crosses_user_end)
{
	/* The last user page is mapped; the write runs one byte past it. */
	map_user(EXO_USER_END - PAGE, PBUF0, EXO_SEG_R);
	cr_assert_eq(console_write(EXO_USER_END - 16, 17), -E_FAULT);
	assert_console_empty();
}

Test(syscall, console_write_ends_at_user_end)
{
	map_user(EXO_USER_END - PAGE, PBUF0, EXO_SEG_R);
	memcpy(fake_mem + PBUF0 + PAGE - 16, "0123456789abcdef", 16);
	cr_assert_eq(console_write(EXO_USER_END - 16, 16), 16);
	cr_assert_eq(fake_console_len, 16);
	cr_assert_eq(memcmp(fake_console, "0123456789abcdef", 16), 0);
}

Test(syscall, console_write_wraps)
{
	map_user(UBUF, PBUF0, EXO_SEG_R);
	cr_assert_eq(console_write(UINT64_MAX - 8, 32), -E_FAULT);
	cr_assert_eq(console_write(0xfffffffffffff000ULL, PAGE), -E_FAULT);
	assert_console_empty();
}

Test(syscall, console_write_unmapped)
{
	cr_assert_eq(console_write(UBUF, 8), -E_FAULT);
	cr_assert_eq(console_write(0, 8), -E_FAULT);
	cr_assert_eq(console_write(EXO_USER_MIN, 8), -E_FAULT);
	assert_console_empty();
}

Test(syscall, console_write_second_page_unmapped)
{
	map_user(UBUF, PBUF0, EXO_SEG_R);
	memset(fake_mem + PBUF0, 'x', PAGE);
	cr_assert_eq(console_write(UBUF + PAGE - 8, 16), -E_FAULT);
	assert_console_empty();
}

Test(syscall, console_write_first_page_unmapped)
{
	map_user(UBUF + PAGE, PBUF1, EXO_SEG_R);
	memset(fake_mem + PBUF1, 'x', PAGE);
	cr_assert_eq(console_write(UBUF + PAGE - 8, 16), -E_FAULT);
	assert_console_empty();
}

Test(syscall, console_write_spans_two_pages)
{
	map_user(UBUF, PBUF0, EXO_SEG_R | EXO_SEG_W);
	map_user(UBUF + PAGE, PBUF1, EXO_SEG_R | EXO_SEG_X);
	memcpy(fake_mem + PBUF0 + PAGE - 7, "hello, ", 7);
	memcpy(fake_mem + PBUF1, "world\n", 6);
	fake_mem[PBUF1 + 6] = '!';           /* just past the buffer */
	cr_assert_eq(console_write(UBUF + PAGE - 7, 13), 13);
	cr_assert_eq(fake_console_len, 13);
	cr_assert_eq(memcmp(fake_console, "hello, world\n", 13), 0,
		     "console got \"%.*s\"", (int)fake_console_len, fake_console);
}

Test(syscall, console_write_ends_at_page_end)
{
	/* The last byte is the last of the page: the next page is not needed. */
	map_user(UBUF, PBUF0, EXO_SEG_R);
	memcpy(fake_mem + PBUF0 + PAGE - 5, "tail\n", 5);
	cr_assert_eq(console_write(UBUF + PAGE - 5, 5), 5);
	cr_assert_eq(fake_console_len, 5);
	cr_assert_eq(memcmp(fake_console, "tail\n", 5), 0);
}

Test(syscall, console_write_whole_page)
{
	map_user(UBUF, PBUF0, EXO_SEG_R);
	for (u64 i = 0; i < PAGE; i++)
		fake_mem[PBUF0 + i] = (u8)i;
	cr_assert_eq(console_write(UBUF, PAGE), (i64)PAGE);
	cr_assert_eq(fake_console_len, PAGE);
	cr_assert_eq(memcmp(fake_console, fake_mem + PBUF0, PAGE), 0);
}

Test(syscall, console_write_needs_read_right)
{
	map_user(UBUF, PBUF0, EXO_SEG_X);
	cr_assert_eq(console_write(UBUF, 4), -E_FAULT);
	assert_console_empty();
}

Test(syscall, console_write_kernel_pages_are_readable)
{
	/* The KIP is mapped read-only in every space: writing it out is fine. */
	cr_assert_eq(console_write(EXO_USER_KIP, 8), 8);
	cr_assert_eq(memcmp(fake_console, kernel_kip(), 8), 0);
}

Test(syscall, console_write_other_space_not_seen)
{
	/* Pages of another space do not count, however the caller got there. */
	struct space *other = fix_space(NULL, true);

	cr_assert_eq(arch_space_map(&other->pt, UBUF, PBUF0, PAGE, EXO_SEG_R), 0);
	cr_assert_eq(console_write(UBUF, 8), -E_FAULT);
	assert_console_empty();
}

/* ktest */

Test(syscall, ktest_disabled)
{
	fake_arm();
	if (setjmp(fake_jmp) == 0) {
		cr_assert_eq(sys(SYS_ktest, KTEST_PANIC, 0, 0, 0, 0, 0),
			     -E_NOSYS);
		cr_assert_eq(sys(SYS_ktest, KTEST_TRIPLEFAULT, 0, 0, 0, 0, 0),
			     -E_NOSYS);
		cr_assert_eq(sys(SYS_ktest, 99, 0, 0, 0, 0, 0), -E_NOSYS);
		return;
	}
	cr_assert_fail("ktest without the boot option stopped the kernel (%d)",
		       fake_stop.what);
}

Test(syscall, ktest_unknown_op)
{
	kopts.ktest = true;
	cr_assert_eq(sys(SYS_ktest, 0, 0, 0, 0, 0, 0), -E_INVAL);
	cr_assert_eq(sys(SYS_ktest, 99, 0, 0, 0, 0, 0), -E_INVAL);
	cr_assert_eq(fake_nevents, 0);
}

Test(syscall, ktest_panic)
{
	kopts.ktest = true;
	fake_arm();
	if (setjmp(fake_jmp) == 0) {
		sys(SYS_ktest, KTEST_PANIC, 0, 0, 0, 0, 0);
		cr_assert_fail("KTEST_PANIC returned");
	}
	cr_assert_eq(fake_stop.what, FAKE_STOP_HALT);
	cr_assert_eq(fake_nevents, 1);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PANIC);
	cr_assert_not_null(strstr(fake_events[0].msg, "ktest"), "%s",
			   fake_events[0].msg);
	cr_assert_eq(fake_events[0].regs.rax, FAKE_REGS_MARK, "registers not captured");
}

static i64
ktest_call(u64 op, u64 arg)
{
	return sys(SYS_ktest, op, arg, 0, 0, 0, 0);
}

Test(syscall, ktest_timer_and_getc_need_boot_option)
{
	kernel_tsc_khz = 1000;
	cr_assert_eq(ktest_call(KTEST_TIMER, 10), -E_NOSYS);
	cr_assert_eq(ktest_call(KTEST_GETC, 0), -E_NOSYS);
	cr_assert_eq(fake_deadline, 0);
	cr_assert_eq(fake_idles, 0);
}

/* 1000 kHz: one TSC tick is one microsecond. */
Test(syscall, ktest_timer_waits_for_its_deadline)
{
	kopts.ktest = true;
	kernel_tsc_khz = 1000;
	fake_tsc = 5000;
	fake_timer_latency = 7;
	cr_assert_eq(ktest_call(KTEST_TIMER, 250), 257, "deadline 5250, fired at 5257");
	cr_assert_eq(fake_idles, 1);
	cr_assert_eq(irq_log.timer, 1);
	cr_assert_eq(irq_log.timer_now, 5257);
}

Test(syscall, ktest_timer_rounds_the_deadline_up)
{
	kopts.ktest = true;
	kernel_tsc_khz = 2596;     /* 2.596 ticks a microsecond */
	cr_assert_eq(ktest_call(KTEST_TIMER, 1), 1, "deadline 3 ticks: 1.15 us");
	cr_assert_eq(irq_log.timer_now, 3);
	cr_assert_eq(ktest_call(KTEST_TIMER, 0), 0, "a deadline of now fires too");
	cr_assert_eq(irq_log.timer, 2);
}

Test(syscall, ktest_timer_refuses_what_it_cannot_do)
{
	kopts.ktest = true;
	kernel_tsc_khz = 1000;
	cr_assert_eq(ktest_call(KTEST_TIMER, KTEST_TIMER_MAX_US + 1), -E_INVAL);
	cr_assert_eq(ktest_call(KTEST_TIMER, ~0ULL), -E_INVAL);
	kernel_tsc_khz = 0;
	cr_assert_eq(ktest_call(KTEST_TIMER, 10), -E_NOSYS, "TSC rate unknown");
	cr_assert_eq(fake_deadline, 0, "nothing armed");
	cr_assert_eq(fake_idles, 0);
}

Test(syscall, ktest_getc_idles_for_input_and_keeps_order)
{
	kopts.ktest = true;
	fake_input("xyz");
	cr_assert_eq(ktest_call(KTEST_GETC, 0), 'x');
	cr_assert_eq(fake_idles, 1, "nothing had arrived: it idled once");
	cr_assert_eq(irq_log.line[EXO_IRQ_CONSOLE], 1);
	cr_assert_eq(ktest_call(KTEST_GETC, 0), 'y');
	cr_assert_eq(ktest_call(KTEST_GETC, 0), 'z');
	cr_assert_eq(fake_idles, 1, "the rest was waiting already");
	fake_input("\xff");
	cr_assert_eq(ktest_call(KTEST_GETC, 0), 0xff, "a byte, not a sign");
	cr_assert_eq(fake_idles, 2);
}

Test(syscall, kernel_irq_and_timer_record_what_arrived)
{
	kernel_timer(42);
	kernel_irq(EXO_IRQ_CONSOLE);
	kernel_irq(EXO_IRQ_CONSOLE);
	kernel_irq(EXO_IRQ_TIMER);
	cr_assert_eq(irq_log.timer, 1);
	cr_assert_eq(irq_log.timer_now, 42);
	cr_assert_eq(irq_log.line[EXO_IRQ_CONSOLE], 2);
	cr_assert_eq(irq_log.line[EXO_IRQ_TIMER], 1);
}

Test(syscall, kernel_irq_on_no_line_is_a_kernel_bug)
{
	fake_arm();
	if (setjmp(fake_jmp) == 0) {
		kernel_irq(EXO_NIRQ + 1);
		cr_assert_fail("kernel_irq accepted line %d", EXO_NIRQ + 1);
	}
	cr_assert_eq(fake_stop.what, FAKE_STOP_HALT);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PANIC);
}

Test(syscall, ktest_triple_fault)
{
	kopts.ktest = true;
	fake_arm();
	if (setjmp(fake_jmp) == 0) {
		sys(SYS_ktest, KTEST_TRIPLEFAULT, 0, 0, 0, 0, 0);
		cr_assert_fail("KTEST_TRIPLEFAULT returned");
	}
	cr_assert_eq(fake_stop.what, FAKE_STOP_TRIPLE_FAULT);
}

/* task_map_module: a boot module's segments in a task's root space */

static struct exo_module mod;
static struct space *sp;
static unsigned base_pages;     /* what space_create maps itself (the KIP) */

static void
module_one_seg(u64 vaddr, u64 paddr, u64 len, u32 flags)
{
	memset(&mod, 0, sizeof(mod));
	mod.nsegs = 1;
	mod.segs[0] = (struct exo_segment){ .vaddr = vaddr, .paddr = paddr,
					    .len = len, .flags = flags };
	if (sp)
		space_destroy(sp);
	sp = fix_space(NULL, true);
	base_pages = fake_space_npages(&sp->pt);
}

static unsigned
npages(void)
{
	return fake_space_npages(&sp->pt) - base_pages;
}

/* As kmain does: the module-page bitmap for a boot info holding mod alone,
 * then the task (its segments checked, nothing touched yet). */
static int
map_module(u64 mem_size)
{
	struct exo_bootinfo b;

	fix_bootinfo(&b);
	b.mem_size = mem_size;
	b.nmodules = 1;
	b.modules[0] = mod;
	cr_assert_eq(modpage_init(&b), 0);
	return task_map_module(sp, &mod, mem_size);
}

static void
assert_noexec(u64 mem_size)
{
	cr_assert_eq(map_module(mem_size), -E_NOEXEC);
	cr_assert_eq(npages(), 0, "mapped before validating");
	cr_assert_eq(mdb_nodes_live(), 0, "mapping nodes left behind");
}

Test(task, map_valid_module)
{
	u64 pa;

	memset(&mod, 0, sizeof(mod));
	mod.nsegs = 3;
	mod.segs[0] = (struct exo_segment){ 0x400000, 0x200000, 0x2000,
					    EXO_SEG_R | EXO_SEG_X, 0 };
	mod.segs[1] = (struct exo_segment){ 0x600000, 0x300000, 0x1000,
					    EXO_SEG_R | EXO_SEG_W, 0 };
	mod.segs[2] = (struct exo_segment){ EXO_USER_ARGS, 0x301000, 0x1000,
					    EXO_SEG_R | EXO_SEG_W, 0 };
	sp = fix_space(NULL, true);
	base_pages = fake_space_npages(&sp->pt);
	cr_assert_eq(map_module(FAKE_MEM_SIZE), 0);
	cr_assert_eq(npages(), 0, "mapped before the task touched a page");
	/* Each page comes in as the task touches it (space_demand). */
	cr_assert_eq(space_lookup(sp, 0x401234, EXO_SEG_X, &pa), 0);
	cr_assert_eq(pa, 0x201234);
	cr_assert_eq(npages(), 1, "more than the page touched came in");
	cr_assert_eq(arch_space_lookup(&sp->pt, 0x400000, EXO_SEG_R, &pa), -E_FAULT);
	cr_assert_eq(modpage_fault(sp, 0x400000), 0);
	cr_assert_eq(arch_space_lookup(&sp->pt, 0x400000, EXO_SEG_W, &pa), -E_FAULT,
		     "text mapped writable");
	cr_assert_eq(space_lookup(sp, 0x600010, EXO_SEG_R | EXO_SEG_W, &pa), 0);
	cr_assert_eq(pa, 0x300010);
	cr_assert_eq(arch_space_lookup(&sp->pt, 0x600000, EXO_SEG_X, &pa), -E_FAULT,
		     "data mapped executable");
	cr_assert_eq(space_lookup(sp, EXO_USER_ARGS, EXO_SEG_R, &pa), 0);
	cr_assert_eq(pa, 0x301000);
	cr_assert_eq(space_lookup(sp, 0x402000, EXO_SEG_R, &pa), -E_FAULT);
	cr_assert_eq(modpage_fault(sp, 0x402000), -E_FAULT, "not a module page");
	cr_assert_eq(npages(), 4);
	/* The segments are mapping-database roots: the task may pass them on. */
	cr_assert_eq(mdb_nodes_live(), 4);
	cr_assert_not_null(mdb_lookup(sp, 0x401000));
	cr_assert_null(mdb_lookup(sp, 0x401000)->parent);
	cr_assert(mdb_check());
}

/* The entry page and the stack's top page come in with the task: the first
 * instruction and its first push would fault on them. */
Test(task, map_brings_in_entry_and_stack_top)
{
	module_one_seg(0x400000, 0x200000, 2 * PAGE, EXO_SEG_R | EXO_SEG_X);
	mod.nsegs = 2;
	mod.segs[1] = (struct exo_segment){ EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE,
		0x300000, EXO_USER_STACK_SIZE, EXO_SEG_R | EXO_SEG_W, 0 };
	mod.entry = 0x401008;
	mod.stack_top = EXO_USER_STACK_TOP;
	cr_assert_eq(map_module(FAKE_MEM_SIZE), 0);
	cr_assert_eq(npages(), 2);
	cr_assert_not_null(mdb_lookup(sp, 0x401000));
	cr_assert_not_null(mdb_lookup(sp, EXO_USER_STACK_TOP - PAGE));
	cr_assert_null(mdb_lookup(sp, 0x400000));
}

/* A module frame is handed out once: a page the task flushed from itself
 * (or granted away) does not come back when it touches the address again. */
Test(task, module_page_comes_in_once)
{
	module_one_seg(0x400000, 0x200000, 2 * PAGE, EXO_SEG_R | EXO_SEG_W);
	cr_assert_eq(map_module(FAKE_MEM_SIZE), 0);
	cr_assert_eq(modpage_fault(sp, 0x400000), 0);
	cr_assert_eq(modpage_fault(sp, 0x400000), -E_FAULT, "in twice");
	mdb_flush(sp, 0x400000, PAGE, EXO_RWX, true);
	cr_assert_null(mdb_lookup(sp, 0x400000));
	cr_assert_eq(modpage_fault(sp, 0x400000), -E_FAULT, "flushed, and back");
	cr_assert(!modpage_frame_unused(0x200000));
	cr_assert(modpage_frame_unused(0x201000));
	/* The range form brings in what has not come in, and only that. */
	cr_assert_eq(modpage_fault_range(sp, 0, EXO_USER_END), 0);
	cr_assert_null(mdb_lookup(sp, 0x400000));
	cr_assert_not_null(mdb_lookup(sp, 0x401000));
	cr_assert(!modpage_frame_unused(0x201000));
	cr_assert(mdb_check());
}

/* The bitmap spans every module's frames, from its first segment's to its
 * last's: each module's first and last pages come in, and nothing past. */
Test(task, module_pages_of_every_module_come_in)
{
	struct exo_bootinfo b;
	struct exo_module two = { .nsegs = 2 };

	module_one_seg(0x400000, 0x200000, PAGE, EXO_SEG_R);
	mod.nsegs = 2;
	mod.segs[1] = (struct exo_segment){ 0x600000, 0x201000, 2 * PAGE, EXO_SEG_R | EXO_SEG_W, 0 };
	two.segs[0] = (struct exo_segment){ 0x400000, 0x300000, PAGE, EXO_SEG_R, 0 };
	two.segs[1] = (struct exo_segment){ 0x500000, 0x308000, PAGE, EXO_SEG_R, 0 };
	fix_bootinfo(&b);
	b.mem_size = FAKE_MEM_SIZE;
	b.nmodules = 2;
	b.modules[0] = two;
	b.modules[1] = mod;
	cr_assert_eq(modpage_init(&b), 0);
	cr_assert_eq(task_map_module(sp, &b.modules[1], FAKE_MEM_SIZE), 0);
	cr_assert_eq(modpage_fault(sp, 0x400000), 0);
	cr_assert_eq(modpage_fault(sp, 0x601000), 0);
	cr_assert(modpage_frame_unused(0x300000));
	cr_assert(modpage_frame_unused(0x308000));
	cr_assert(!modpage_frame_unused(0x309000), "past the last module frame");
	cr_assert(!modpage_frame_unused(0x1ff000), "before the first");
	cr_assert(!modpage_frame_unused(0x202000));
}

/* Not the task's root: a space without a module pages nothing in. */
Test(task, module_pages_only_in_the_root)
{
	struct space *child;

	module_one_seg(0x400000, 0x200000, PAGE, EXO_SEG_R);
	cr_assert_eq(map_module(FAKE_MEM_SIZE), 0);
	child = fix_space(sp, false);
	cr_assert_eq(space_demand(child, 0x400000), -E_FAULT);
	cr_assert_eq(modpage_fault(child, 0x400000), -E_FAULT);
	cr_assert(modpage_frame_unused(0x200000));
}

/* Segments over each other, in user or physical memory, or over the first
 * thread's UTCB: the task does not start. */
Test(task, map_segments_must_not_overlap)
{
	module_one_seg(0x400000, 0x200000, 2 * PAGE, EXO_SEG_R);
	mod.nsegs = 2;
	mod.segs[1] = (struct exo_segment){ 0x500000, 0x201000, PAGE, EXO_SEG_R, 0 };
	assert_noexec(FAKE_MEM_SIZE);
	module_one_seg(TASK_UTCB_VA - PAGE, 0x200000, 2 * PAGE, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
	module_one_seg(0x400000, 0x200000, PAGE, EXO_SEG_W);
	assert_noexec(FAKE_MEM_SIZE);
}

/* Segments apart but not ascending, in user or in physical memory: the
 * boot protocol's order (<exo/bootinfo.h>) is what makes them apart. */
Test(task, map_segments_out_of_order)
{
	module_one_seg(0x500000, 0x200000, PAGE, EXO_SEG_R);
	mod.nsegs = 2;
	mod.segs[1] = (struct exo_segment){ 0x400000, 0x201000, PAGE, EXO_SEG_R, 0 };
	assert_noexec(FAKE_MEM_SIZE);
	module_one_seg(0x400000, 0x201000, PAGE, EXO_SEG_R);
	mod.nsegs = 2;
	mod.segs[1] = (struct exo_segment){ 0x500000, 0x200000, PAGE, EXO_SEG_R, 0 };
	assert_noexec(FAKE_MEM_SIZE);
	mod.segs[1].paddr = 0x202000;   /* ascending at both addresses */
	cr_assert_eq(map_module(FAKE_MEM_SIZE), 0);
}

Test(task, map_unaligned_vaddr)
{
	module_one_seg(0x400800, 0x200000, 0x1000, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_unaligned_paddr)
{
	module_one_seg(0x400000, 0x200010, 0x1000, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_unaligned_len)
{
	module_one_seg(0x400000, 0x200000, 0x1800, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_empty_segment)
{
	module_one_seg(0x400000, 0x200000, 0, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_below_user_min)
{
	module_one_seg(EXO_USER_MIN - PAGE, 0x200000, PAGE, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
	module_one_seg(0, 0x200000, PAGE, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_at_user_min)
{
	module_one_seg(EXO_USER_MIN, 0x200000, PAGE, EXO_SEG_R);
	cr_assert_eq(map_module(FAKE_MEM_SIZE), 0);
	cr_assert_eq(modpage_fault(sp, EXO_USER_MIN), 0);
	cr_assert_eq(npages(), 1);
}

Test(task, map_past_user_end)
{
	module_one_seg(EXO_USER_END - PAGE, 0x200000, 2 * PAGE, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
	module_one_seg(EXO_USER_END, 0x200000, PAGE, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
	module_one_seg(EXO_KERNEL_BASE, 0x200000, PAGE, EXO_SEG_R);
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_vaddr_wraps)
{
	module_one_seg(0x400000, 0x200000, 0xfffffffffffff000ULL, EXO_SEG_R);
	assert_noexec(UINT64_MAX & ~(PAGE - 1));
}

Test(task, map_past_mem_size)
{
	module_one_seg(0x400000, 0x7ff000, 2 * PAGE, EXO_SEG_R);
	assert_noexec(0x800000);
	module_one_seg(0x400000, 0x800000, PAGE, EXO_SEG_R);
	assert_noexec(0x800000);
}

Test(task, map_paddr_wraps)
{
	module_one_seg(0x400000, 0xfffffffffffff000ULL, 2 * PAGE, EXO_SEG_R);
	assert_noexec(UINT64_MAX & ~(PAGE - 1));
}

Test(task, map_ending_at_mem_size)
{
	module_one_seg(0x400000, 0x7fe000, 2 * PAGE, EXO_SEG_R);
	cr_assert_eq(map_module(0x800000), 0);
	cr_assert_eq(modpage_fault_range(sp, 0x400000, 2 * PAGE), 0);
	cr_assert_eq(npages(), 2);
}

Test(task, map_too_many_segments)
{
	module_one_seg(0x400000, 0x200000, PAGE, EXO_SEG_R);
	mod.nsegs = EXO_MAX_SEGMENTS + 1;
	for (u32 i = 1; i < EXO_MAX_SEGMENTS; i++)
		mod.segs[i] = (struct exo_segment){ 0x400000 + i * PAGE,
			0x200000 + i * PAGE, PAGE, EXO_SEG_R, 0 };
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_bad_segment_after_good_ones)
{
	/* All segments are checked before any is mapped. */
	module_one_seg(0x400000, 0x200000, PAGE, EXO_SEG_R);
	mod.nsegs = 2;
	mod.segs[1] = (struct exo_segment){ 0x500000, 0x300000, 0x800, EXO_SEG_R, 0 };
	assert_noexec(FAKE_MEM_SIZE);
}

Test(task, map_overlapping_segments)
{
	module_one_seg(0x400000, 0x200000, 2 * PAGE, EXO_SEG_R);
	mod.nsegs = 2;
	mod.segs[1] = (struct exo_segment){ 0x401000, 0x300000, PAGE, EXO_SEG_R, 0 };
	cr_assert_eq(map_module(FAKE_MEM_SIZE), -E_NOEXEC);
}

Test(task, map_out_of_memory_passed_on)
{
	module_one_seg(0x400000, 0x200000, PAGE, EXO_SEG_R);
	mod.entry = 0x400000;           /* its page comes in with the task */
	fake_space_map_fail = true;
	cr_assert_eq(map_module(FAKE_MEM_SIZE), -E_NOMEM);
}

/* task_boot, SYS_exit, kernel_exception: modules run as tasks, one by one */

/*
 * Module i: one text page at 0x400000 holding a greeting, a stack and an args
 * page, in its own frames from FIX_MODULE_PA + i MiB.
 */
static void
add_module(const char *name, u64 entry, u32 argc)
{
	struct exo_module *m = &bi.modules[bi.nmodules];
	u64 pa = FIX_MODULE_PA + (u64)bi.nmodules * 0x100000;

	cr_assert_lt(pa, FIX_MODULE_END);
	memset(m, 0, sizeof(*m));
	strncpy(m->name, name, sizeof(m->name) - 1);
	m->entry = entry;
	m->stack_top = EXO_USER_STACK_TOP;
	m->argc = argc;
	m->argv = EXO_USER_ARGS;
	m->nsegs = 3;
	m->segs[0] = (struct exo_segment){ 0x400000, pa, PAGE, EXO_SEG_R | EXO_SEG_X, 0 };
	m->segs[1] = (struct exo_segment){ EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE,
		pa + PAGE, EXO_USER_STACK_SIZE, EXO_SEG_R | EXO_SEG_W, 0 };
	m->segs[2] = (struct exo_segment){ EXO_USER_ARGS, pa + PAGE + EXO_USER_STACK_SIZE,
		PAGE, EXO_SEG_R | EXO_SEG_W, 0 };
	memcpy(fake_mem + pa, name, strlen(name));
	bi.nmodules++;
}

/* The end of kmain: start σ0 and the first module, run the first thread. */
static void
kmain_tail(void)
{
	struct thread *t;

	cr_assert_eq(modpage_init(&bi), 0);
	t = task_boot(&bi);
	sched_switch(t);
	arch_run(t);
}

/* Boot; the first thread must be entered (arch_run). */
static struct thread *
boot(void)
{
	RUN(kmain_tail());
	cr_assert_eq(fake_stop.what, FAKE_STOP_RUN, "stopped by %d", fake_stop.what);
	cr_assert_eq(fake_stop.thread, current);
	return fake_stop.thread;
}

/* t makes system call no through the whole kernel entry: the thread the
 * kernel resumes next. */
static struct thread *
enter(struct thread *t, u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	struct thread *next;

	cr_assert_eq(t, current, "system call from a thread that does not run");
	t->ctx.rax = no;
	t->ctx.rdi = a0;
	t->ctx.rsi = a1;
	t->ctx.rdx = a2;
	t->ctx.r10 = a3;
	t->ctx.r8 = a4;
	next = kernel_syscall(t);
	cr_assert_not_null(next);
	cr_assert_eq(next, current, "the kernel resumes a thread that is not current");
	cr_assert_eq(next->state, TS_READY);
	return next;
}

/* The thread the kernel resumes is module i's first thread, entered fresh. */
static void
assert_module_entered(struct thread *t, u32 i)
{
	const struct exo_module *m = &bi.modules[i];

	cr_assert_eq(task_root(t->space)->module, i, "module %u runs, not %u",
		     task_root(t->space)->module, i);
	cr_assert_eq(t->ctx.rip, m->entry);
	cr_assert_eq(t->ctx.rsp, m->stack_top);
	cr_assert_eq(t->ctx.rdi, m->argc);
	cr_assert_eq(t->ctx.rsi, m->argv);
	cr_assert_eq(t->ctx.cs, FAKE_UCODE, "registers not set up by arch_thread_init");
	cr_assert_eq(fake_switched, t, "the kernel did not switch to it");
	cr_assert_eq(fake_gs_base, TASK_UTCB_VA, "the UTCB goes to the GS base");
}

static unsigned
live_threads(void)
{
	unsigned n = 0;

	for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
		n += threads[i].state != TS_FREE;
	return n;
}

Test(task, runs_first_module)
{
	struct thread *t;

	add_module("first", 0x400010, 2);
	add_module("second", 0x400020, 0);
	t = boot();
	cr_assert_eq(fake_stop.ip, 0x400010);
	cr_assert_eq(fake_stop.sp, EXO_USER_STACK_TOP);
	cr_assert_eq(fake_stop.arg0, 2);
	cr_assert_eq(fake_stop.arg1, EXO_USER_ARGS);
	cr_assert_eq(fake_stop.root, t->space->pt.root);
	assert_module_entered(t, 0);
	cr_assert_eq(t->state, TS_READY);
	cr_assert_null(t->rnext, "the running thread is on the ready queue");
	cr_assert_eq(EXO_TID_NO(t->id), THREAD_FIRST);
	cr_assert_eq(t->utcb->my_tid, t->id);
	cr_assert_eq(t->pager, EXO_NILTHREAD);
	cr_assert(t->space->privileged, "a task's root space is privileged");
	cr_assert_null(t->space->parent);
	cr_assert_eq(live_threads(), 1, "the second module started early");
	cr_assert_eq(fake_doorbells[EXO_DOORBELL_FIRST_USER], 1);
	cr_assert_eq(fake_nevents, 0);
	cr_assert_eq(fake_spaces_live(), 1);
	/* The entry's text page and the stack's top page (the other 15 stack
	 * pages and the args page come in when touched), the KIP and the UTCB. */
	cr_assert_eq(fake_space_npages(&t->space->pt), 4);
}

Test(task, console_write_from_a_running_program)
{
	struct thread *t;

	add_module("greeter", 0x400000, 0);
	t = boot();
	cr_assert_eq(sys_on(t, SYS_console_write, 0x400000, 7, 0, 0, 0), 7);
	cr_assert_eq(fake_console_len, 7);
	cr_assert_eq(memcmp(fake_console, "greeter", 7), 0);
	/* Not mapped in this program: the guard page below its stack. */
	cr_assert_eq(sys_on(t, SYS_console_write,
			    EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE - 8, 8, 0, 0, 0),
		     -E_FAULT);
}

Test(task, exit_runs_next_then_exits_vm)
{
	struct thread *t;
	u64 first_id;

	add_module("first", 0x400010, 0);
	add_module("second", 0x400020, 1);
	t = boot();
	first_id = t->id;
	cr_assert_eq(fake_stop.ip, 0x400010);

	t = enter(t, SYS_exit, 3, 0, 0, 0, 0);
	assert_module_entered(t, 1);
	cr_assert_neq(t->id, first_id, "the new thread has the dead one's id");
	cr_assert_null(thread_lookup(first_id));
	cr_assert_eq(fake_nevents, 1);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_EXIT);
	cr_assert_eq(fake_events[0].module, 0);
	cr_assert_eq(fake_events[0].status, 3);
	cr_assert_eq(fake_spaces_live(), 1, "the first task's space leaked");
	cr_assert_eq(live_threads(), 1);
	cr_assert_eq(fake_doorbells[EXO_DOORBELL_FIRST_USER], 1,
		     "first-user doorbell rung twice");

	/* The second program sees its own text, not the first's. */
	cr_assert_eq(sys_on(t, SYS_console_write, 0x400000, 6, 0, 0, 0), 6);
	cr_assert_eq(memcmp(fake_console, "second", 6), 0);

	RUN(enter(t, SYS_exit, 0x1ff, 0, 0, 0, 0));
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 0xff, "VM exit status %u", fake_stop.status);
	cr_assert_eq(fake_nevents, 2);
	cr_assert_eq(fake_events[1].kind, EXO_EV_PROGRAM_EXIT);
	cr_assert_eq(fake_events[1].module, 1);
	cr_assert_eq(fake_events[1].status, 0x1ff);
	cr_assert_eq(fake_spaces_live(), 0);
	cr_assert_eq(live_threads(), 0);
	cr_assert_eq(mdb_nodes_live(), 0, "mappings outlived their task");
}

Test(task, exit_status_reported_in_full)
{
	/* The event carries the status the program passed (a C int, sign-
	 * extended by the library, or any 64-bit value); the VM's is its low
	 * byte, as a shell sees it. */
	struct thread *t;

	add_module("negative", 0x400000, 0);
	add_module("wide", 0x400000, 0);
	t = boot();
	t = enter(t, SYS_exit, (u64)-2, 0, 0, 0, 0);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_EXIT);
	cr_assert_eq(fake_events[0].status, -2, "reported %lld",
		     (long long)fake_events[0].status);
	RUN(enter(t, SYS_exit, 1ULL << 40 | 7, 0, 0, 0, 0));
	cr_assert_eq(fake_events[1].status, (i64)(1ULL << 40 | 7), "reported %lld",
		     (long long)fake_events[1].status);
	cr_assert_eq(fake_stop.status, 7);
}

Test(task, exit_takes_every_thread_of_the_task)
{
	struct thread *t;
	i64 child, second;

	add_module("parent", 0x400000, 0);
	add_module("after", 0x400040, 0);
	t = boot();
	child = sys_on(t, SYS_thread_control, EXO_NILTHREAD, EXO_NILTHREAD,
		       EXO_NILTHREAD, 0x500000, (u64)-1);
	cr_assert_gt(child, 0, "thread_control: %ld", child);
	/* A thread in the child's space, made by the root thread. */
	second = sys_on(t, SYS_thread_control, EXO_NILTHREAD, (u64)child,
			    EXO_NILTHREAD, 0x501000, (u64)-1);
	cr_assert_gt(second, 0, "thread_control: %ld", second);
	cr_assert_eq(fake_spaces_live(), 2);
	t = enter(t, SYS_exit, 0, 0, 0, 0, 0);
	assert_module_entered(t, 1);
	cr_assert_null(thread_lookup((u64)child), "a thread outlived its task");
	cr_assert_null(thread_lookup((u64)second), "a thread outlived its task");
	cr_assert_eq(live_threads(), 1);
	cr_assert_eq(fake_spaces_live(), 1);
}

Test(task, no_modules)
{
	RUN(kmain_tail());
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 0);
	cr_assert_eq(fake_doorbells[EXO_DOORBELL_FIRST_USER], 0);
}

Test(task, fault_kills_task_and_reports)
{
	struct thread *t;

	add_module("crash", 0x400000, 0);
	add_module("after", 0x400040, 0);
	t = boot();
	t->ctx.rip = 0x400123;
	/* A write fault with no pager: nobody resolves it. */
	t = kernel_exception(t, 14, 0x6, 0xdead000);
	cr_assert_eq(t, current);
	assert_module_entered(t, 1);
	cr_assert_eq(fake_nevents, 1);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_FAULT);
	cr_assert_eq(fake_events[0].module, 0);
	cr_assert_eq(fake_events[0].status, PROGRAM_KILLED_STATUS(14));
	cr_assert_eq(fake_events[0].vector, 14);
	cr_assert_eq(fake_events[0].error, 0x6);
	cr_assert_eq(fake_events[0].addr, 0xdead000);
	cr_assert_eq(fake_events[0].rip, 0x400123);
	cr_assert_eq(fake_spaces_live(), 1);

	/* The next report does not carry the fault's fields. */
	RUN(enter(t, SYS_exit, 0, 0, 0, 0, 0));
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 0);
	cr_assert_eq(fake_events[1].kind, EXO_EV_PROGRAM_EXIT);
	cr_assert_eq(fake_events[1].vector, 0);
	cr_assert_eq(fake_events[1].error, 0);
	cr_assert_eq(fake_events[1].addr, 0);
	cr_assert_eq(fake_events[1].rip, 0);
}

Test(task, fault_takes_every_thread_of_the_task)
{
	struct thread *t;
	i64 child;

	add_module("parent", 0x400000, 0);
	add_module("after", 0x400040, 0);
	t = boot();
	/* A second thread in a new space of the task (created halted). */
	child = sys_on(t, SYS_thread_control, EXO_NILTHREAD, EXO_NILTHREAD,
		       EXO_NILTHREAD, 0x500000, (u64)-1);
	cr_assert_gt(child, 0, "thread_control: %ld", child);
	cr_assert_eq(thread_lookup((u64)child)->state, TS_HALTED);
	cr_assert_eq(fake_spaces_live(), 2);
	cr_assert_eq(live_threads(), 2);
	t = kernel_exception(t, 13, 0, 0);
	assert_module_entered(t, 1);
	cr_assert_null(thread_lookup((u64)child), "a thread outlived its task");
	cr_assert_eq(live_threads(), 1);
	cr_assert_eq(fake_spaces_live(), 1);
	cr_assert_eq(fake_events[0].status, PROGRAM_KILLED_STATUS(13));
}

Test(task, killed_last_program_status)
{
	struct thread *t;

	add_module("crash", 0x400000, 0);
	t = boot();
	t->ctx.rip = 0x400010;
	RUN(kernel_exception(t, 0, 0, 0));
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 128);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_FAULT);
	cr_assert_eq(fake_events[0].rip, 0x400010);
}

Test(task, blocked_for_ever_ends_task)
{
	struct thread *t;

	add_module("stuck", 0x400000, 0);
	add_module("after", 0x400040, 0);
	add_module("stuck too", 0x400000, 0);
	t = boot();
	/* Receive from anyone, no timeout, and nobody else exists. */
	t = enter(t, SYS_ipc, EXO_NILTHREAD, EXO_ANYTHREAD, 0, 0, 0);
	assert_module_entered(t, 1);
	cr_assert_eq(fake_nevents, 1);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_DEADLOCK);
	cr_assert_eq(fake_events[0].module, 0);
	cr_assert_eq(fake_events[0].status, PROGRAM_DEADLOCK_STATUS);
	cr_assert_eq(fake_spaces_live(), 1);
	t = enter(t, SYS_exit, 0, 0, 0, 0, 0);
	assert_module_entered(t, 2);
	RUN(enter(t, SYS_ipc, EXO_NILTHREAD, EXO_ANYTHREAD, 0, 0, 0));
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, PROGRAM_DEADLOCK_STATUS);
	cr_assert_eq(fake_events[2].kind, EXO_EV_PROGRAM_DEADLOCK);
	cr_assert_eq(fake_idles, 0, "idled although nothing could wake a thread");
}

Test(task, sigma0_runs_beside_the_modules)
{
	struct thread *s0, *t;

	add_module("sigma0", 0x400080, 0);
	add_module("first", 0x400010, 0);
	add_module("second", 0x400020, 0);
	bi.sigma0 = 0;
	s0 = boot();
	/* σ0 runs first: it serves memory at a higher priority. */
	cr_assert(s0->space->sigma0);
	cr_assert_eq(s0->prio, PRIO_MAX - 1);
	cr_assert_eq(s0->ctx.rip, 0x400080);
	cr_assert_eq(fake_doorbells[EXO_DOORBELL_FIRST_USER], 1);
	cr_assert_eq(live_threads(), 2, "the first module did not start beside σ0");
	/* σ0 waits for requests: the first module runs. */
	t = enter(s0, SYS_ipc, EXO_NILTHREAD, EXO_ANYTHREAD, 0, 0, 0);
	assert_module_entered(t, 1);
	cr_assert_eq(s0->state, TS_RECEIVING);
	t = enter(t, SYS_exit, 5, 0, 0, 0, 0);
	assert_module_entered(t, 2);
	cr_assert_eq(s0->state, TS_RECEIVING, "σ0 ended with a module");
	RUN(enter(t, SYS_exit, 6, 0, 0, 0, 0));
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 6);
	cr_assert_eq(fake_nevents, 2, "σ0 is not a module that ends");
	cr_assert_eq(fake_events[0].module, 1);
	cr_assert_eq(fake_events[1].module, 2);
}

Test(task, sigma0_touching_its_window_maps_it)
{
	struct thread *s0;
	struct exo_kip *kip = kernel_kip();
	u64 va, pa;

	add_module("sigma0", 0x400080, 0);
	add_module("first", 0x400010, 0);
	bi.sigma0 = 0;
	s0 = boot();
	cr_assert_lt(kip->sigma0_first, kip->sigma0_end, "σ0 owns no memory");
	va = kip->sigma0_base + kip->sigma0_first + PAGE;
	cr_assert_eq(kernel_exception(s0, 14, 0x6, va + 0x123), s0);
	cr_assert_eq(arch_space_lookup(&s0->space->pt, va, EXO_SEG_R | EXO_SEG_W, &pa), 0);
	cr_assert_eq(pa, kip->sigma0_first + PAGE);
	cr_assert_eq(fake_nevents, 0);
	/* Below its window it is an ordinary fault: σ0 has no pager. */
	va = kip->sigma0_base + kip->sigma0_first - PAGE;
	cr_assert_neq(kernel_exception(s0, 14, 0x6, va), s0);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_FAULT);
	cr_assert_eq(fake_events[0].module, 0);
}

Test(task, bad_module_skipped)
{
	struct thread *t;

	add_module("bad", 0x400000, 0);
	add_module("good", 0x400040, 0);
	bi.modules[0].segs[0].paddr += 0x10;       /* unaligned */
	t = boot();
	assert_module_entered(t, 1);
	cr_assert_eq(fake_nevents, 1);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_ERROR);
	cr_assert_eq(fake_events[0].module, 0);
	cr_assert_eq(fake_events[0].status, -E_NOEXEC);
	cr_assert_eq(fake_spaces_live(), 1, "the bad module's space leaked");
}

Test(task, bad_last_module_exit_status)
{
	struct thread *t;

	add_module("good", 0x400000, 0);
	add_module("bad", 0x400000, 0);
	bi.modules[1].segs[1].paddr = FAKE_MEM_SIZE;   /* past memory */
	t = boot();
	RUN(enter(t, SYS_exit, 0, 0, 0, 0, 0));
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 127);
	cr_assert_eq(fake_nevents, 2);
	cr_assert_eq(fake_events[1].kind, EXO_EV_PROGRAM_ERROR);
	cr_assert_eq(fake_events[1].module, 1);
	cr_assert_eq(fake_spaces_live(), 0);
}

Test(task, no_memory_for_space)
{
	add_module("only", 0x400000, 0);
	fake_space_create_fail = true;
	RUN(kmain_tail());
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 127);
	cr_assert_eq(fake_nevents, 1);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PROGRAM_ERROR);
	cr_assert_eq(fake_events[0].status, -E_NOMEM);
}

/* console.c */

Test(console, kprintf_reaches_host)
{
	kprintf("exo: %d program(s), %s\n", 2, "ok");
	cr_assert_eq(fake_console_len, strlen("exo: 2 program(s), ok\n"));
	cr_assert_eq(memcmp(fake_console, "exo: 2 program(s), ok\n",
			    fake_console_len), 0);
	cr_assert_eq(fake_console_calls, 1);
}

Test(console, kprintf_long_line_truncated)
{
	char want[255];

	/* 300 characters through a 256-byte buffer: the first 255 arrive. */
	memset(want, '0', sizeof(want));
	kprintf("%0300d", 0);
	cr_assert_eq(fake_console_len, 255, "console got %zu bytes", fake_console_len);
	cr_assert_eq(memcmp(fake_console, want, 255), 0);
}

Test(console, panic_reports_and_halts)
{
	struct exo_regs regs = { .rip = 0xffffffff80100000ULL, .rax = 7 };

	RUN(panic_regs(&regs, "bad %s %d", "thing", 42));
	cr_assert_eq(fake_stop.what, FAKE_STOP_HALT);
	cr_assert_eq(fake_nevents, 1);
	cr_assert_eq(fake_events[0].kind, EXO_EV_PANIC);
	cr_assert_str_eq(fake_events[0].msg, "bad thing 42");
	cr_assert_eq(fake_events[0].regs.rip, regs.rip);
	cr_assert_eq(fake_events[0].regs.rax, 7);
}

Test(console, panic_message_truncated_terminated)
{
	static char longmsg[300];

	memset(longmsg, 'm', sizeof(longmsg) - 1);
	RUN(panic("%s", longmsg));
	cr_assert_eq(fake_events[0].msg[EXO_EVENT_MSG_MAX - 1], '\0');
	cr_assert_eq(strlen(fake_events[0].msg), EXO_EVENT_MSG_MAX - 1);
	cr_assert_eq(fake_events[0].regs.rax, FAKE_REGS_MARK);
}

Test(console, kassert)
{
	RUN(kassert(1 + 1 == 3));
	cr_assert_eq(fake_stop.what, FAKE_STOP_HALT);
	cr_assert_not_null(strstr(fake_events[0].msg, "1 + 1 == 3"), "%s",
			   fake_events[0].msg);
}

Test(console, cmdline_has)
{
	cr_assert(cmdline_has("ktest", "ktest"));
	cr_assert(cmdline_has("verbose ktest", "ktest"));
	cr_assert(cmdline_has("ktest verbose", "ktest"));
	cr_assert(cmdline_has("  ktest  ", "ktest"));
	cr_assert(cmdline_has("a  verbose b", "verbose"));
	cr_assert(!cmdline_has("", "ktest"));
	cr_assert(!cmdline_has("ktes", "ktest"));
	cr_assert(!cmdline_has("ktestx", "ktest"));
	cr_assert(!cmdline_has("xktest", "ktest"));
	cr_assert(!cmdline_has("verbosektest", "ktest"));
	cr_assert(!cmdline_has("verbose", "ktest"));
}
