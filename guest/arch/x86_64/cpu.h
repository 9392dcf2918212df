#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <exo/types.h>

#include "../../core/percpu.h"
#include "asm.h"

/*
 * 64-bit TSS: only the ring-0 stack and the interrupt stack table matter.
 * The I/O map base past the limit means "no I/O bitmap": user IN/OUT faults.
 */
struct tss {
	u32 _r0;
	u64 rsp[3];
	u64 _r1;
	u64 ist[7];
	u64 _r2;
	u16 _r3;
	u16 iomap_base;
} __attribute__((packed));

#define GDT_ENTRIES 7   /* null, the flat segments, CPU 0's TSS (cpu.c) */

/*
 * The arch layer's part of each CPU's struct percpu (percpu.arch), reached
 * by the entry code at fixed offsets (asm.h; on hardware KVM through
 * KERNEL_GS_BASE, which points here).
 */
struct cpu {
	u64 kstack_top;     /* CPU_KSTACK_TOP: ring-0 stack for entries */
	u64 scratch;        /* CPU_SCRATCH: user rsp during SYSCALL entry */
	u64 rsp0;           /* CPU_RSP0: where an entry from user mode saves
			       registers: the end of the running thread's ctx
			       (a copy: the entry code reads tss.rsp[0], which
			       the fast paths set without this) */
	u32 pending;        /* interrupts taken while idle, handled after */
	u32 _pad;
	struct tss tss;     /* CPU_TSS */
	u64 gdt[GDT_ENTRIES];       /* CPU_GDT: its GDT's first entries (cpu.c) */
};

_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, scratch) == CPU_SCRATCH, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, rsp0) == CPU_RSP0, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, tss) == CPU_TSS, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, gdt) == CPU_GDT, "cpu");
_Static_assert(sizeof(struct cpu) <= PERCPU_ARCH_WORDS * 8, "percpu.arch");
_Static_assert(__builtin_offsetof(struct percpu, ring) == PC_RING, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, cur) == PC_CURRENT, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, root) == PC_ROOT, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, arch) == PC_ARCH, "percpu");
_Static_assert(__builtin_offsetof(struct percpu, sched.armed) == PC_ARMED, "percpu");
_Static_assert(PERCPU_SIZE == PC_SIZE && PERCPU_TR0 == SEL_TSS && NCPUS_MAX == NCPUS,
	       "the task register names the CPU (percpu.h)");

static inline struct cpu *
cpu_arch(struct percpu *pc)
{
	return (struct cpu *)pc->arch;
}

extern u32 arch_platform;       /* enum exo_platform */
/* Where each CPU's stacks begin: the kernel stack, then one for #DF, NMI, #MC. */
extern u64 cpu_stack_base[NCPUS];

/* Stacks for CPUs 1..n-1 (physically contiguous frames); -E_NOMEM. */
int cpu_alloc_stacks(u32 n);

/* Set up this CPU's TSS, task register, descriptor tables and system-call
 * MSRs: after it, this_cpu() works. */
void cpu_init(struct percpu *pc);
/* Where exceptions that may become upcalls are delivered (entry.S VEC_UP). */
/* The gates of EXO_UPCALL_VECTORS at their traced copies (entry.S) or not. */
void idt_trace_set(bool on);

#endif
