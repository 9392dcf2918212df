/*
 * The fake platform itself: the other core tests trust its address spaces
 * to follow platform.h, so check that they do.
 */
#include <setjmp.h>
#include <string.h>

#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "guest/core/thread.h"

#include "fake_platform.h"

#define PAGE EXO_PAGE_SIZE

static struct arch_space s;

static void
setup(void)
{
	fake_reset();
	cr_assert_eq(arch_space_create(&s), 0);
	cr_assert_neq(s.root, 0);
}

TestSuite(fake, .init = setup);

Test(fake, map_and_lookup)
{
	u64 pa = 0;

	cr_assert_eq(arch_space_map(&s, 0x400000, 0x200000, EXO_PAGE_SIZE, EXO_SEG_R | EXO_SEG_W), 0);
	cr_assert_eq(arch_space_lookup(&s, 0x400123, EXO_SEG_R, &pa), 0);
	cr_assert_eq(pa, 0x200123);
	cr_assert_eq(arch_space_lookup(&s, 0x400000, EXO_SEG_R | EXO_SEG_W, &pa), 0);
	cr_assert_eq(arch_space_lookup(&s, 0x400000, EXO_SEG_X, &pa), -E_FAULT);
	cr_assert_eq(arch_space_lookup(&s, 0x401000, EXO_SEG_R, &pa), -E_FAULT);
	cr_assert_eq(arch_space_lookup(&s, 0x3ff000, EXO_SEG_R, &pa), -E_FAULT);
	cr_assert_eq(arch_space_lookup(&s, EXO_USER_END, 0, &pa), -E_FAULT);
}

Test(fake, map_errors)
{
	cr_assert_eq(arch_space_map(&s, 0x400010, 0x200000, EXO_PAGE_SIZE, EXO_SEG_R), -E_INVAL);
	cr_assert_eq(arch_space_map(&s, 0x400000, 0x200010, EXO_PAGE_SIZE, EXO_SEG_R), -E_INVAL);
	cr_assert_eq(arch_space_map(&s, EXO_USER_END, 0x200000, EXO_PAGE_SIZE, EXO_SEG_R), -E_INVAL);
	cr_assert_eq(arch_space_map(&s, EXO_KERNEL_BASE, 0x200000, EXO_PAGE_SIZE, EXO_SEG_R), -E_INVAL);
	cr_assert_eq(arch_space_map(&s, 0x400000, 0x200000, EXO_PAGE_SIZE, EXO_SEG_R), 0);
	cr_assert_eq(arch_space_map(&s, 0x400000, 0x300000, EXO_PAGE_SIZE, EXO_SEG_R), -E_INVAL,
		     "mapped twice");
	cr_assert_eq(fake_space_npages(&s), 1);
}

Test(fake, unmap_and_protect)
{
	u64 pa = 0;

	cr_assert_eq(arch_space_map(&s, 0x400000, 0x200000, 2 * PAGE, EXO_SEG_R | EXO_SEG_W), 0);
	cr_assert_eq(arch_space_protect(&s, 0x401000, EXO_SEG_R | EXO_SEG_X), 0);
	cr_assert_eq(arch_space_lookup(&s, 0x401000, EXO_SEG_W, &pa), -E_FAULT);
	cr_assert_eq(arch_space_lookup(&s, 0x401000, EXO_SEG_R | EXO_SEG_X, &pa), 0);
	cr_assert_eq(pa, 0x201000);
	cr_assert_eq(arch_space_lookup(&s, 0x400000, EXO_SEG_W, &pa), 0, "neighbour changed");
	cr_assert_eq(arch_space_unmap(&s, 0x400000, &pa), 0);
	cr_assert_eq(pa, 0x200000);
	cr_assert_eq(arch_space_lookup(&s, 0x400000, 0, &pa), -E_FAULT);
	cr_assert_eq(arch_space_lookup(&s, 0x401000, EXO_SEG_R, &pa), 0, "neighbour unmapped");
	cr_assert_eq(fake_space_npages(&s), 1);
	cr_assert_eq(arch_space_unmap(&s, 0x400000, &pa), -E_FAULT, "unmapped twice");
	cr_assert_eq(arch_space_protect(&s, 0x400000, EXO_SEG_R), -E_FAULT);
	cr_assert_eq(arch_space_unmap(&s, EXO_USER_END, &pa), -E_FAULT);
	cr_assert_eq(arch_space_map(&s, 0x400000, 0x300000, PAGE, EXO_SEG_R), 0,
		     "cannot map an unmapped page again");
}

Test(fake, spaces_are_separate_and_destroyed)
{
	struct arch_space t;
	u64 pa;

	cr_assert_eq(arch_space_create(&t), 0);
	cr_assert_neq(t.root, s.root);
	cr_assert_eq(fake_spaces_live(), 2);
	cr_assert_eq(arch_space_map(&s, 0x400000, 0x200000, EXO_PAGE_SIZE, EXO_SEG_R), 0);
	cr_assert_eq(arch_space_lookup(&t, 0x400000, EXO_SEG_R, &pa), -E_FAULT);
	arch_space_destroy(&s);
	cr_assert_eq(s.root, 0);
	cr_assert_eq(fake_spaces_live(), 1);
	cr_assert_eq(arch_space_lookup(&s, 0x400000, EXO_SEG_R, &pa), -E_FAULT);
	arch_space_destroy(&s);   /* twice: harmless */
	cr_assert_eq(fake_spaces_live(), 1);
}

Test(fake, phys_virt_round_trip)
{
	static char kernel_static[16];
	u64 pa;

	cr_assert_eq(arch_phys_to_virt(0x1234), fake_mem + 0x1234);
	cr_assert_eq(arch_virt_to_phys(fake_mem + 0x5678), 0x5678);
	pa = arch_virt_to_phys(kernel_static);
	cr_assert(pa & FAKE_FOREIGN_TAG);
	cr_assert_eq(arch_phys_to_virt(pa), kernel_static);
	cr_assert_eq(arch_virt_to_phys(kernel_static), pa, "not stable");
}

Test(fake, console_and_zero)
{
	memcpy(fake_mem + 0x3000, "abc", 3);
	arch_host_console(0x3000, 3);
	arch_host_console(0x3001, 2);
	cr_assert_eq(fake_console_len, 5);
	cr_assert_eq(memcmp(fake_console, "abcbc", 5), 0);
	memset(fake_mem + 0x4000, 0xff, PAGE);
	arch_frame_zero(0x4000);
	for (u64 i = 0; i < PAGE; i++)
		cr_assert_eq(fake_mem[0x4000 + i], 0);
	cr_assert_eq(fake_mem[0x5000], 0);
	cr_assert_eq(fake_mem[0x3fff], 0);
}

Test(fake, noreturn_calls_come_back)
{
	struct space sp = { .pt = s };
	struct thread t = { .space = &sp };

	fake_arm();
	if (setjmp(fake_jmp) == 0)
		arch_host_exit(42);
	cr_assert_eq(fake_stop.what, FAKE_STOP_EXIT);
	cr_assert_eq(fake_stop.status, 42);
	t.ctx.rip = 0x400000;
	t.ctx.rsp = 0x7000;
	t.ctx.rdi = 1;
	t.ctx.rsi = 2;
	fake_arm();
	if (setjmp(fake_jmp) == 0)
		arch_run(&t);
	cr_assert_eq(fake_stop.what, FAKE_STOP_RUN);
	cr_assert_eq(fake_stop.thread, &t);
	cr_assert_eq(fake_stop.root, s.root);
	cr_assert_eq(fake_stop.ip, 0x400000);
	cr_assert_eq(fake_stop.sp, 0x7000);
	cr_assert_eq(fake_stop.arg0, 1);
	cr_assert_eq(fake_stop.arg1, 2);
}

Test(fake, threads)
{
	struct space sp = { .pt = s };
	struct thread t = { .space = &sp, .state = TS_READY };

	arch_thread_init(&t);
	cr_assert_eq(t.ctx.cs, FAKE_UCODE);
	cr_assert_eq(t.ctx.ss, FAKE_UDATA);
	cr_assert_eq(t.ctx.rflags, FAKE_RFLAGS);
	arch_thread_switch(&t);
	cr_assert_eq(fake_switched, &t);
	cr_assert_eq(fake_switches, 1);
}

Test(fake, clock_and_timer)
{
	cr_assert_eq(arch_now(), 0);
	fake_now = 1234;
	cr_assert_eq(arch_now(), 1234);
	arch_timer_arm(2000);
	cr_assert_eq(fake_timer, 2000);
	arch_timer_arm(1500);                   /* replaces the deadline */
	cr_assert_eq(fake_timer, 1500);
	cr_assert_eq(fake_timer_arms, 2);
	/* Firing with nothing else in the core: the clock jumps, one shot. */
	cr_assert_null(fake_timer_fire(NULL));
	cr_assert_eq(arch_now(), 1500);
	cr_assert_eq(fake_timer, 0, "a one-shot timer stays armed");
	/* A deadline already past leaves the clock alone. */
	arch_timer_arm(100);
	fake_timer_fire(NULL);
	cr_assert_eq(arch_now(), 1500);
}

Test(fake, idle_fires_the_timer)
{
	arch_timer_arm(700);
	arch_idle();
	cr_assert_eq(fake_idles, 1);
	cr_assert_eq(arch_now(), 700);
	cr_assert_eq(fake_timer, 0);
}

static unsigned hook_calls;

static void
hook(void)
{
	hook_calls++;
}

Test(fake, idle_hook_comes_first)
{
	fake_idle_hook = hook;
	arch_timer_arm(700);
	arch_idle();
	cr_assert_eq(hook_calls, 1);
	cr_assert_eq(fake_timer, 700, "the timer fired although a hook was set");
}

Test(fake, idle_with_nothing_armed_never_returns)
{
	fake_arm();
	if (setjmp(fake_jmp) == 0) {
		arch_idle();
		cr_assert_fail("arch_idle returned with nothing armed");
	}
	cr_assert_eq(fake_stop.what, FAKE_STOP_IDLE);
}

Test(fake, kernel_page_maps)
{
	static u8 kernel_page[4096] __attribute__((aligned(4096)));
	u64 pa, got;

	pa = arch_virt_to_phys(kernel_page);
	cr_assert_eq(arch_space_map(&s, 0xe000, pa, PAGE, EXO_SEG_R), 0);
	cr_assert_eq(arch_space_lookup(&s, 0xe010, EXO_SEG_R, &got), 0);
	cr_assert_eq(arch_phys_to_virt(got), kernel_page + 0x10);
}
