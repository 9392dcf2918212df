#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <exo/types.h>
#include "asm.h"

/* Per-CPU state the entry code reaches by fixed offset (asm.h). */
struct cpu {
	u64 kstack_top;     /* CPU_KSTACK_TOP: ring-0 stack for entries */
	u64 scratch;        /* CPU_SCRATCH: user rsp during SYSCALL entry */
	u32 platform;       /* enum exo_platform */
};

_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "cpu");
_Static_assert(__builtin_offsetof(struct cpu, scratch) == CPU_SCRATCH, "cpu");

extern struct cpu cpu0;

#endif
