#ifndef CORE_SYSCALL_H
#define CORE_SYSCALL_H

#include "thread.h"

/*
 * Run t's system call (number in its rax, arguments in its registers; the
 * result goes to its rax). Returns the thread to run next: t, another thread
 * to switch to directly, or NULL for the scheduler to choose.
 */
struct thread *syscall_dispatch(struct thread *t);

/* A call in the table: arguments rdi, rsi, rdx, r10, r8; result to rax. */
typedef i64 (*syscall_fn)(struct thread *t, u64, u64, u64, u64, u64);

#endif
