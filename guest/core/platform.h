/*
 * Everything the portable kernel core asks of the machine. guest/arch/x86_64
 * implements it for the KVM guest; tests/unit/fake_platform.c implements it on
 * the host for the unit tests. Nothing else in guest/core touches hardware.
 */
#ifndef CORE_PLATFORM_H
#define CORE_PLATFORM_H

#include <exo/types.h>
#include <exo/bootinfo.h>
#include <exo/hostio.h>

/*
 * An address space: the root of its translation tables (a physical address),
 * and a frame listing every table frame it owns, so teardown frees exactly
 * those without walking the tree. The arch layer may keep a cache of its
 * own after them (x86-64: the last leaf table arch_space_map_page walked to).
 */
struct arch_space {
	u64 root;
	u64 tables;
	u64 ntables;
	u64 leaf_key, leaf_pa;
};

/* Bring up the CPU: descriptor tables, entry points for the platform. */
void arch_init(const struct exo_bootinfo *bi);

void *arch_phys_to_virt(u64 pa);
u64 arch_virt_to_phys(const void *va);
/* Zero one frame that was used before (fresh frames are zero already). */
void arch_frame_zero(u64 pa);

/*
 * Address spaces. Rights are EXO_SEG_R/W/X; user access is implied.
 * arch_space_create: -E_NOMEM.
 * arch_space_map: map len bytes at user va to physical pa (both page
 *   aligned, len a page multiple > 0): -E_NOMEM (no frame for a table),
 *   -E_INVAL (not aligned, not all user addresses, or a page already mapped).
 *   On error pages before the failing one may be mapped: the caller
 *   destroys the space. So one page (len a page) is mapped, or on error
 *   not: a page already mapped there stays as it was.
 * arch_space_lookup: the physical address behind user va if it is mapped with
 *   at least the rights in need, else -E_FAULT.
 * arch_space_unmap: remove the mapping of the page holding user va; *pa gets
 *   the frame it mapped. -E_FAULT if nothing is mapped there. Table
 *   frames stay (they go with the space), so mapping va again needs none.
 * arch_space_protect: give the existing mapping of the page holding user va
 *   the rights given. -E_FAULT if nothing is mapped there.
 * Both change the tables and add the page to the pending TLB batch
 * (tlb_batch_add, tlb.h), which every CPU that may cache it invalidates
 * before the kernel entry ends or a frame is freed, whichever comes first.
 * arch_space_destroy: free the tables, after every CPU that has them loaded
 *   has loaded the kernel's (tlb_teardown).
 */
int arch_space_create(struct arch_space *s);
int arch_space_map(struct arch_space *s, u64 va, u64 pa, u64 len, u32 rights);
int arch_space_lookup(const struct arch_space *s, u64 va, u32 need, u64 *pa);
/* No page of [va, va + len) (page aligned, user) mapped: one walk a table. */
bool arch_space_range_free(const struct arch_space *s, u64 va, u64 len);
int arch_space_unmap(struct arch_space *s, u64 va, u64 *pa);
int arch_space_protect(struct arch_space *s, u64 va, u32 rights);
void arch_space_destroy(struct arch_space *s);
/*
 * For the kernel's self-check (selfcheck.c), which reads and never changes:
 * arch_space_frames calls fn for every frame s's tables take from the frame
 * pool (tables and any bookkeeping), once each; arch_space_walk calls fn for
 * every present user translation of s (va, frame, EXO_SEG_* rights), in no
 * particular order. fn must not change s.
 */
void arch_space_frames(const struct arch_space *s, void (*fn)(u64 pa, void *ctx),
		       void *ctx);
void arch_space_walk(const struct arch_space *s,
		     void (*fn)(u64 va, u64 pa, u32 rights, void *ctx), void *ctx);
/*
 * The software TLB (core/bind.c): make the tables a translation of user va
 * to pa needs, without installing it, and describe it in arch[2] so the arch
 * layer can install it on a fault without a walk. -E_NOMEM (no table frame).
 */
int arch_stlb_fill(struct arch_space *s, u64 va, u64 pa, u32 rights, u64 arch[2]);
/* With what arch_stlb_fill made: is something mapped there; map it. */
bool arch_stlb_present(const u64 arch[2]);
void arch_stlb_install(const u64 arch[2]);
/*
 * arch_space_map_page: the page fault fast path's map of one page at user va
 * (page aligned, below EXO_USER_END): true if it mapped pa there; false,
 * with nothing changed, if the tables down to va's leaf do not exist yet or
 * va is mapped already (arch_space_map is the general way). No frame is
 * allocated, no TLB entry dropped (nothing was mapped).
 */
bool arch_space_map_page(struct arch_space *s, u64 va, u64 pa, u32 rights);


/*
 * Threads. arch_thread_init: a new thread's registers for user mode.
 * arch_thread_switch: t runs next: its address space, and its saved
 * registers as the place the next entry from user mode saves into.
 * arch_run: leave the kernel for good into t (boot only).
 */
struct thread;
void arch_thread_init(struct thread *t);
void arch_thread_switch(struct thread *t);
__attribute__((noreturn)) void arch_run(struct thread *t);
/*
 * t registered an exception entry (on) or removed it: from now on its
 * exceptions go to its UTCB's exception frame (<exo/exo.h>), or to the kernel.
 */
void arch_thread_upcalls(struct thread *t, bool on);


/*
 * Called by the arch layer (guest/core/enter.c). Each returns the thread to
 * resume in user mode. kernel_resume: after an interrupt from user mode,
 * whom to resume (the interrupt may have readied a better thread).
 */
struct thread *kernel_syscall(struct thread *t);
/* SYS_ipc, which the fast path declined: as kernel_syscall, without the
 * dispatch. */
struct thread *kernel_ipc(struct thread *t);
struct thread *kernel_exception(struct thread *t, u64 vector, u64 error, u64 addr);
struct thread *kernel_resume(struct thread *t);
/* The thread that entered on this CPU was taken away meanwhile (smp_evict). */
struct thread *kernel_evicted(void);
/*
 * kernel_pagefault_fast: a page fault of t (the #PF error code) that the
 * fast path hands to a waiting pager (ipc_fastpath_fault). Returns the
 * pager, whose saved registers hold the message and which the arch layer
 * switches to as sched_switch would; or NULL, with nothing changed, and the
 * arch layer goes on with kernel_exception.
 */
struct thread *kernel_pagefault_fast(struct thread *t, u64 addr, u64 error);

/*
 * Time and interrupts. Time is the TSC; the boot info's tsc_khz is its rate.
 * The kernel runs with interrupts disabled; they are taken only in user
 * mode and in arch_idle. End of interrupt is the arch layer's business.
 *   arch_now: the TSC now.
 *   arch_timer_arm: one interrupt (kernel_timer) at TSC value deadline, not
 *     before; 0 disarms. Arming again replaces the previous deadline, and a
 *     deadline already past fires at once.
 *   arch_idle: enable interrupts, halt until one arrives, handle it (the
 *     kernel_* calls below run inside), return with interrupts disabled.
 *   arch_console_getc: the next byte of console input, or -1 if none is
 *     waiting. After a kernel_irq(EXO_IRQ_CONSOLE), read until -1: the next
 *     interrupt on that line comes only once a read has found nothing.
 */
u64 arch_now(void);
/*
 * arch_insn_mcycles: what one ring-0 instruction costs on this host, in
 * thousandths of a TSC tick, at least 1: a run of simple instructions timed
 * with the TSC, the least of several tries (measured once; the kernel's
 * time bounds are derived from it, slice.c). Below 1000 where the kernel
 * runs natively, about 10^6 where each is emulated (PVM).
 */
u64 arch_insn_mcycles(void);
void arch_timer_arm(u64 deadline);
void arch_idle(void);
int arch_console_getc(void);

/* The VMM's devices (<exo/hostio.h>). */
void arch_host_console(u64 pa, u64 len);
void arch_host_event(struct exo_event *ev);
void arch_host_doorbell(u32 code);
/* Hand the host a benchmark record; it writes req->status before this returns. */
void arch_host_bench(struct exo_bench_req *req);
/* Hand the host a backing-store request; it writes req->status (and block). */
void arch_host_backing(struct exo_backing_req *req);
__attribute__((noreturn)) void arch_host_exit(u32 status);

/*
 * Several CPUs (percpu.h, smp.c, tlb.h).
 *   arch_start_cpus: start the other CPUs; each enters the scheduler once it
 *     holds the big kernel lock, which the caller holds.
 *   arch_cpu_kstack: the top of CPU cpu's kernel stack, for threads homed there.
 *   arch_ipi: interrupt CPU cpu (it runs smp_poll).
 *   arch_relax: a pause in a spin loop.
 *   arch_wait_interrupt: holding the lock, halt with interrupts on until one
 *     arrives; requests are answered, a timer or console interrupt is only
 *     noted (handled at the next idle; the way out polls the timer).
 *   arch_tlb_invalidate: drop this CPU's TLB entries of the pages va[0..n) of
 *     the space it has loaded; n == TLB_ALL: all of that space.
 *   arch_tlb_leave: load the kernel's root here (pc->root follows): the
 *     space loaded here is being torn down.
 */
void arch_start_cpus(void);
u64 arch_cpu_kstack(u32 cpu);
void arch_ipi(u32 cpu);
void arch_relax(void);
void arch_wait_interrupt(void);
void arch_tlb_invalidate(const u64 *va, u32 n);
struct percpu;
void arch_tlb_leave(struct percpu *pc);

/*
 * The extension window (ext.c): kernel virtual pages, numbered from 0, for
 * the checker's work area (pages below EXT_WIN_CODE) and compiled code.
 *   arch_ext_map: map frames pa[0..n) at window pages first.., rights
 *     EXO_SEG_R | EXO_SEG_W (no execute) or EXO_SEG_R | EXO_SEG_X (no
 *     write; never both: -E_INVAL); the pages must be unmapped. Returns the
 *     kernel address of page first, or NULL (no frame for a table).
 *   arch_ext_unmap: unmap them; on return no CPU can use them (tlb.h
 *     tlb_kernel_shootdown). Needs the big kernel lock.
 */
#define EXT_WIN_CODE  512       /* the first page of code slots */
void *arch_ext_map(u32 first, const u64 *pa, u32 n, u32 rights);
/* For the self-check: a kernel page mapped writable and executable (its
 * address), or 0: there is none (W^X, mmu.c and the window). */
u64 arch_kernel_wx(void);
/* For the self-check: fn for every table frame of the window. */
void arch_ext_frames(void (*fn)(u64 pa, void *ctx), void *ctx);
/* The kernel address window page p has (or will have) when mapped. */
u64 arch_ext_addr(u32 p);
void arch_ext_unmap(u32 first, u32 n);

/* The registers at the call, for a panic that did not come from a trap. */
void arch_regs_capture(struct exo_regs *r);
/* Stop this CPU for good. */
__attribute__((noreturn)) void arch_halt(void);
/* KTEST_TRIPLEFAULT: lose the IDT and fault, so the VMM sees a triple fault. */
__attribute__((noreturn)) void arch_ktest_triple_fault(void);
/*
 * KTEST_FASTPATH: the fast entry of system call sysno on or off (every
 * call then takes the general path); the previous setting, or -E_INVAL if
 * this platform has no fast entry for sysno.
 */
int arch_ktest_fastpath(u32 sysno, bool on);
/*
 * Tracing (core/trace.c) was turned on or off: entry code whose trace points
 * the arch layer keeps out of the way while it is off (x86-64: the traced
 * copies of the fast entries) follows. Called after trace_on changed.
 */
void arch_trace_set(bool on);

/*
 * Called by the arch layer; the portable core provides them (core/irq.c).
 * They run with interrupts disabled, in the interrupted context: on the
 * kernel stack of the user code that was interrupted, or inside arch_idle.
 *   kernel_timer: the deadline armed with arch_timer_arm has passed; now is
 *     the TSC when the interrupt was handled (now >= deadline).
 *   kernel_irq: interrupt line (enum exo_irq, <exo/ipc.h>) raised.
 */
void kernel_timer(u64 now);
void kernel_irq(u32 line);

#endif
