#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <exo/types.h>
#include "asm.h"

/* Per-CPU state the entry code reaches by fixed offset (asm.h). */
struct cpu {
	u64 kstack_top;     /* CPU_KSTACK_TOP: ring-0 stack for entries */
	u64 scratch;        /* CPU_SCRATCH: user rsp during SYSCALL entry */
	u64 rsp0;           /* CPU_RSP0: where an entry from user mode saves
			       registers: the end of the running thread's ctx
			       (a copy: the entry code reads tss.rsp[0], which
			       the fast paths set without this) */
	u64 xscratch;       /* CPU_XSCRATCH..: the exception-upcall entry's */
	u64 xscratch2;
	u64 xvector;
	u64 xscratch3;
	u32 platform;       /* enum exo_platform */
};

_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, scratch) == CPU_SCRATCH, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, rsp0) == CPU_RSP0, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, xscratch) == CPU_XSCRATCH, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, xscratch2) == CPU_XSCRATCH2, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, xvector) == CPU_XVECTOR, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, xscratch3) == CPU_XSCRATCH3, "cpu");

extern struct cpu cpu0;

/* Where the CPU saves user registers on the next entry from ring 3. */
void tss_set_rsp0(u64 rsp0);
/* Where exceptions that may become upcalls are delivered (entry.S VEC_UP). */
void tss_set_ist3(u64 top);
/* The gates of EXO_UPCALL_VECTORS at their traced copies (entry.S) or not. */
void idt_trace_set(bool on);

#endif
