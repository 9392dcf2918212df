/*
 * Protected control transfer (<exo/exo.h>): the general path (pct_syscall).
 * The PVM fast path of a synchronous transfer is all in the arch layer
 * (arch/x86_64/pct_fast.S) and does what pct_syscall does in its case.
 */
#ifndef CORE_PCT_H
#define CORE_PCT_H

#include <exo/types.h>

#include "thread.h"

/* SYS_pct from t (cap in rdi, flags in rsi): the thread to run next. */
struct thread *pct_syscall(struct thread *t);

#endif
