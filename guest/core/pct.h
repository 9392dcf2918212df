/*
 * Protected control transfer (<exo/exo.h>): the general path (pct_syscall)
 * and the fast path the entry code calls (pct_fastpath, entry.S pct_entry).
 */
#ifndef CORE_PCT_H
#define CORE_PCT_H

#include <exo/types.h>

#include "thread.h"

/* SYS_pct from t (cap in rdi, flags in rsi): the thread to run next. */
struct thread *pct_syscall(struct thread *t);

/*
 * The fast path: a synchronous transfer from current, its environment's
 * PCT entry thread, through a valid ENV capability with X to an entry
 * thread that waits, while no slot of the slice vector is owned. It does
 * all the general path does except moving registers: it returns the
 * target, now current, whose rip, rsp and rax (the caller's id) are in its
 * ctx; the entry code passes the others in the CPU and zeroes rcx and r11.
 * Every other case returns NULL with nothing changed.
 *
 * In the kernel it saves what it uses itself, so the entry code need not
 * save the caller's registers (they are the target's).
 */
#if defined(__x86_64__) && !defined(__SSE__)
#define PCT_FASTCALL __attribute__((no_caller_saved_registers))
#else
#define PCT_FASTCALL
#endif
PCT_FASTCALL struct thread *pct_fastpath(u64 cap, u64 flags);

#endif
