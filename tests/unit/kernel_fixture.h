/*
 * The kernel core booted on the fake platform the way kmain boots it, and the
 * small steps the tests build their worlds from. Each step is one the kernel
 * itself takes (space_create, thread_create, sched_ready, sched_next and
 * sched_switch), so the threads a test sees are in the states the kernel
 * would have them in: the running one is current and off the ready queue,
 * the others TS_READY on it or blocked where a system call left them.
 */
#ifndef TESTS_UNIT_KERNEL_FIXTURE_H
#define TESTS_UNIT_KERNEL_FIXTURE_H

#include <setjmp.h>

#include <exo/bootinfo.h>
#include <exo/exo.h>
#include <exo/types.h>

#include "guest/core/space.h"
#include "guest/core/thread.h"

#include "fake_platform.h"

/* One TSC tick per microsecond: deadlines read as microseconds. */
#define FIX_TSC_KHZ      1000
/* Guest physical memory (FAKE_MEM_SIZE = 16 MiB): */
#define FIX_KERNEL_PA    0x100000ULL   /* the kernel image (EXO_MEM_KERNEL) */
#define FIX_MODULE_PA    0x200000ULL   /* modules, 1 MiB each (EXO_MEM_MODULE) */
#define FIX_MODULE_END   0x800000ULL
#define FIX_USABLE_PA    0x800000ULL   /* frames: the kernel's, then σ0's */
/* Where fix_thread puts UTCBs: one page per thread number. */
#define FIX_UTCB_VA(no)  (0x10000000ULL + (u64)(no) * EXO_PAGE_SIZE)

/*
 * Run stmt, which must not return (it ends in a noreturn platform call), and
 * come back here with fake_stop saying what stopped it.
 */
#define RUN(stmt) do {								\
	fake_arm();								\
	if (setjmp(fake_jmp) == 0) {						\
		stmt;								\
		cr_assert_fail("%s returned", #stmt);				\
	}									\
} while (0)

/* Boot info with the memory map above, no modules, no σ0. */
void fix_bootinfo(struct exo_bootinfo *bi);
/* kmain up to task_boot: frames, σ0's memory, mapping database, KIP, threads. */
void fix_core_init(const struct exo_bootinfo *bi);
/* fix_bootinfo and fix_core_init, with a boot info of the fixture's own. */
void fix_core_boot(void);

/* A new address space, a child of parent (NULL: a task's root). */
struct space *fix_space(struct space *parent, bool privileged);
/* A new thread in s, started: TS_READY on the ready queue, as thread_control
 * and exchange_registers(EXR_RESUME) leave it. */
struct thread *fix_thread(struct space *s, u32 prio);
/* The end of a kernel entry: the scheduler picks who runs and the kernel
 * switches to it (sched_next, then sched_switch as leave() does). */
struct thread *fix_schedule(void);
/* A fresh frame's capability in s's environment (frame_cap_alloc), asserted. */
exo_cap_t fix_frame(struct space *s);

#endif
