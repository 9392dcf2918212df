/* The ptrace platform's faults that need no signal frame (ptrace_fault.c). */
#ifndef HOSTED_PTRACE_FAULT_H
#define HOSTED_PTRACE_FAULT_H

#include <sys/types.h>
#include <sys/user.h>

#include "shared.h"

struct thread;

enum {
	PTRACE_FAULT_HANDLER = 0,       /* the stub's handler must read it */
	PTRACE_FAULT_EMULATED = 1,      /* done in u: run on */
	PTRACE_FAULT_ENTRY = 2,         /* a fault entry, in *e */
};

/* A stopped thread's registers u as an entry of kind (ptrace.c). */
void regs_out(struct stub_regs *e, const struct user_regs_struct *u, u32 kind);

int hosted_ptrace_fault(struct thread *t, pid_t tid, int sig, struct user_regs_struct *u,
			struct stub_regs *e);

#endif
