#ifndef ARCH_TRAP_H
#define ARCH_TRAP_H

#include <exo/types.h>

#include "../../core/trapframe.h"

enum {
	T_DE = 0, T_DB = 1, T_NMI = 2, T_BP = 3, T_OF = 4, T_BR = 5, T_UD = 6,
	T_NM = 7, T_DF = 8, T_TS = 10, T_NP = 11, T_SS = 12, T_GP = 13,
	T_PF = 14, T_MF = 16, T_AC = 17, T_MC = 18, T_XM = 19, T_VE = 20,
	T_CP = 21, T_NVEC = 22,
};

struct trapframe *trap(struct trapframe *tf);
void trap_kernel_entry(struct trapframe *tf);
struct thread;
struct trapframe *trap_ipc_slow(struct thread *t);
/* VEC_IPI from user mode (entry.S vec35). */
struct trapframe *trap_ipi(struct thread *t);
void arch_trap_resume(struct trapframe *tf) __attribute__((noreturn));
/* entry.S: sti; hlt; cli. An interrupt taken at sti_hlt_halt returns past it. */
void sti_hlt(void);
extern const char sti_hlt_halt[];
/* The way out of an exception upcall's bad iretq (entry.S kfault_gp). */
struct trapframe *trap_upcall_bad(void);

#endif
