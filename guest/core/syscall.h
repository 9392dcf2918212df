#ifndef CORE_SYSCALL_H
#define CORE_SYSCALL_H

#include <exo/types.h>

/* Run system call no with its six arguments; -E_NOSYS if there is none. */
i64 syscall_dispatch(u64 no, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4, u64 a5);

#endif
