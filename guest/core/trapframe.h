/*
 * A thread's user registers, in the order the x86-64 entry code pushes them
 * (lowest address first): the general registers, vector and error code, then
 * the CPU's interrupt frame. It is also the order of struct exo_regs. The core
 * reads and writes a blocked thread's registers here; only the arch layer
 * knows how they got there.
 */
#ifndef CORE_TRAPFRAME_H
#define CORE_TRAPFRAME_H

#include <exo/types.h>

struct trapframe {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout");

#endif
