/*
 * A host implementation of guest/core/platform.h, so the portable kernel core
 * (exo_core_host) runs inside the unit tests.
 *
 *  - "Physical memory" is one calloc'd buffer, fake_mem[0..FAKE_MEM_SIZE):
 *    arch_phys_to_virt(pa) is fake_mem + pa.
 *  - kprintf and panic hand the platform pointers to static kernel buffers that
 *    are not in fake_mem. arch_virt_to_phys gives such a pointer a tagged
 *    "physical address" (FAKE_FOREIGN_TAG | slot << 32 | offset) that
 *    arch_phys_to_virt maps back, so arch_host_console can read it.
 *  - Address spaces are a software page table: a list of (va, pa, rights)
 *    pages per space; space->root is the slot number + 1 (0: none). Pages of
 *    kernel statics (the KIP) map at their tagged address.
 *  - arch_host_console appends to fake_console[]; arch_host_event keeps a copy
 *    of every event; arch_host_doorbell counts doorbells by kind and keeps
 *    the codes of marks; arch_host_bench gathers the record it is given into
 *    fake_bench[] and answers fake_bench_status.
 *  - Threads: arch_thread_init gives a thread FAKE_UCODE, FAKE_UDATA and
 *    FAKE_RFLAGS; arch_thread_switch records the thread (fake_switched).
 *  - Time: arch_now is fake_now, which only tests move. arch_timer_arm records
 *    the deadline in fake_timer (one-shot: firing disarms it). arch_idle is the
 *    moment the kernel waits for an interrupt: it calls fake_idle_hook if a
 *    test set one, else fires the armed timer (fake_timer_fire); with nothing
 *    armed the kernel would wait for ever, which counts as a noreturn call
 *    (FAKE_STOP_IDLE). Bytes given to fake_input arrive at the next arch_idle
 *    first (kernel_irq(EXO_IRQ_CONSOLE)); arch_console_getc returns them. A
 *    fired timer arrives fake_timer_latency ticks late.
 *  - The noreturn functions (arch_run, arch_host_exit, arch_halt,
 *    arch_ktest_triple_fault, and arch_idle with nothing to wait for) record
 *    what happened in fake_stop and longjmp to fake_jmp, which a test arms
 *    like this:
 *
 *	fake_arm();
 *	if (setjmp(fake_jmp) == 0) {
 *		arch_run(task_boot(bi));
 *		cr_assert_fail("returned");
 *	}
 *	cr_assert_eq(fake_stop.what, FAKE_STOP_RUN);
 *
 *    A noreturn call with no armed jmp_buf fails the test.
 */
#ifndef TESTS_UNIT_FAKE_PLATFORM_H
#define TESTS_UNIT_FAKE_PLATFORM_H

#include <setjmp.h>
#include <stddef.h>

#include <exo/types.h>
#include <exo/bootinfo.h>
#include <exo/exo.h>
#include <exo/hostio.h>

#include "guest/core/platform.h"

#define FAKE_MEM_SIZE      (16ULL << 20)
#define FAKE_FOREIGN_TAG   (1ULL << 62)
#define FAKE_CONSOLE_MAX   (64 * 1024)
#define FAKE_EVENTS_MAX    32
#define FAKE_SPACES_MAX    8
#define FAKE_REGS_MARK     0x5eed5eed5eedULL   /* arch_regs_capture's rax */
#define FAKE_UCODE         0x2b                /* arch_thread_init's cs, ss, rflags */
#define FAKE_UDATA         0x23
#define FAKE_RFLAGS        0x202

extern u8 *fake_mem;

enum fake_stop_kind {
	FAKE_STOP_NONE = 0,
	FAKE_STOP_RUN,              /* arch_run */
	FAKE_STOP_EXIT,             /* arch_host_exit */
	FAKE_STOP_HALT,             /* arch_halt */
	FAKE_STOP_TRIPLE_FAULT,     /* arch_ktest_triple_fault */
	FAKE_STOP_IDLE,             /* arch_idle with no interrupt to come */
};

struct fake_stop {
	enum fake_stop_kind what;
	struct thread *thread;      /* arch_run: the thread, and from its */
	u64 root;                   /* space and registers: the root, */
	u64 ip, sp, arg0, arg1;     /* rip, rsp, rdi, rsi */
	u32 status;                 /* arch_host_exit */
};

extern jmp_buf fake_jmp;
extern struct fake_stop fake_stop;

extern char fake_console[FAKE_CONSOLE_MAX];
extern size_t fake_console_len;
extern unsigned fake_console_calls;

extern struct exo_event fake_events[FAKE_EVENTS_MAX];
extern unsigned fake_nevents;
extern unsigned fake_doorbells[EXO_DOORBELL_COUNT];   /* by kind */
#define FAKE_MARKS_MAX     32
extern u32 fake_marks[FAKE_MARKS_MAX];                /* EXO_DOORBELL_MARK codes */
extern unsigned fake_nmarks;
extern u8 *fake_bench;                 /* the last record, EXO_BENCH_RESULT_MAX */
extern u64 fake_bench_len;
extern unsigned fake_bench_calls, fake_bench_nchunks;
extern i32 fake_bench_status;          /* what the "host" answers */
extern unsigned fake_frame_zeroes;
extern long fake_ext_mapped;                /* extension window pages mapped */
extern unsigned fake_ext_wx;                /* W+X mappings asked for (refused) */
extern int fake_trace_set;                 /* arch_trace_set's last on, or -1 */
/* arch_host_backing: blocks saved per store (1..EXO_BACKING_STORES). */
#define FAKE_BACKING_BLOCKS 64
extern u8 *fake_backing[EXO_BACKING_STORES + 1][FAKE_BACKING_BLOCKS];
extern unsigned fake_backing_n[EXO_BACKING_STORES + 1];
extern unsigned fake_backing_calls;
extern bool fake_backing_full;             /* saves answer EXO_BACKING_EFULL */
extern const struct exo_bootinfo *fake_init_bi;

extern struct thread *fake_switched;    /* the last arch_thread_switch */
extern unsigned fake_switches;

extern u64 fake_now;                    /* arch_now */
extern u64 fake_insn_mcycles;           /* arch_insn_mcycles (fake_reset: 500) */
extern u64 fake_timer;                  /* armed deadline, 0: none */
extern unsigned fake_timer_arms;        /* arch_timer_arm calls */
extern unsigned fake_idles;             /* arch_idle calls */
extern void (*fake_idle_hook)(void);    /* arch_idle does this instead */
extern u64 fake_timer_latency;          /* TSC ticks from deadline to interrupt */
/* SMP: this_cpu() is cpus[fake_this_cpu], 0 unless a test pretends to run
 * on another CPU (it sets ncpus and that CPU's struct percpu); what the
 * TLB and IPI hooks were asked. */
extern u32 fake_this_cpu;
extern u64 fake_gs_base;                /* arch_thread_switch: the UTCB */
extern unsigned fake_ipis, fake_ipi_last;
extern bool fake_ipi_answers;    /* other CPUs answer requests at once */
extern unsigned fake_tlb_invalidations, fake_tlb_last_n;

/* The interrupt tests' names for the same clock and deadline. */
#define fake_tsc      fake_now
#define fake_deadline fake_timer

/*
 * An interrupt as the arch layer delivers it: the timer (at fake_now) or a
 * line; with t (interrupted in user mode) the thread to resume, else NULL.
 */
struct thread *fake_interrupt(struct thread *t, bool timer, u32 line);

/* Bytes that arrive as console input at the next arch_idle. */
void fake_input(const char *s);

/* Fault injection: arch_space_create / arch_space_map return -E_NOMEM. */
extern bool fake_space_create_fail;
extern bool fake_space_map_fail;
/* arch_space_map_page finds no leaf table (the fast path must decline). */
extern bool fake_map_page_fail;

/* Fresh zeroed memory, empty capture, no spaces, nothing armed. */
void fake_reset(void);
/* Allow the next noreturn platform call to longjmp to fake_jmp. */
void fake_arm(void);

/*
 * The armed timer fires: the clock moves to its deadline (unless it is past
 * it already), the timer disarms, and the core takes the interrupt as if it
 * arrived while t ran (NULL: in the kernel, idle). kernel_interrupt's result.
 * Fails the test if no timer is armed.
 */
struct thread *fake_timer_fire(struct thread *t);

/* Spaces created and not yet destroyed. */
unsigned fake_spaces_live(void);
/* Pages mapped in s. */
unsigned fake_space_npages(const struct arch_space *s);

#endif
