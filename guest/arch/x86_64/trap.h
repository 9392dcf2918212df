#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <exo/types.h>

/*
 * What every entry pushes, lowest address first: the general registers
 * (PUSH_GPRS in entry.S), vector and error code (the vector stubs), and the
 * CPU's interrupt frame. The same order as struct exo_regs, which adds cr2/cr3.
 */
struct trapframe {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
};

_Static_assert(sizeof(struct trapframe) == 22 * 8, "trapframe layout");

enum {
	T_DE = 0, T_DB = 1, T_NMI = 2, T_BP = 3, T_OF = 4, T_BR = 5, T_UD = 6,
	T_NM = 7, T_DF = 8, T_TS = 10, T_NP = 11, T_SS = 12, T_GP = 13,
	T_PF = 14, T_MF = 16, T_AC = 17, T_MC = 18, T_XM = 19, T_VE = 20,
	T_CP = 21, T_NVEC = 22,
};

void trap(struct trapframe *tf);
void arch_trap_resume(struct trapframe *tf) __attribute__((noreturn));

#endif
