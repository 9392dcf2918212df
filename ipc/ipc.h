/*
 * The L3/L4 IPC core: rendezvous of a send phase and a receive phase, message
 * transfer (registers, UTCB, map and grant items), timeouts, page faults as
 * IPC to the pager, interrupts as IPC from interrupt threads. Portable C: it
 * changes thread state and saved registers; the arch layer runs the result.
 *
 * The functions that return a thread return the one to switch to directly
 * (L3's direct process switch), or NULL to let the scheduler decide.
 */
#ifndef IPC_IPC_H
#define IPC_IPC_H

#include <exo/types.h>

#include "../guest/core/thread.h"

/* SYS_ipc from cur, arguments in its saved registers (<exo/ipc.h>). */
struct thread *ipc_syscall(struct thread *cur);
/* The short-message fast path (fastpath.c): the receiver, or NULL to fall
 * back to ipc_syscall with nothing changed. */
struct thread *ipc_fastpath(u64 to, u64 from, u64 timeouts, struct thread *cur,
			    u64 tag);
/* The page-fault fast path (both halves inline in fastpath.h): t's fault
 * to a waiting pager, and a pager's reply with one page. */
/* A page fault of t at addr (EXO_R/W/X access) becomes a call to its pager.
 * Returns false if t has no pager that exists: the caller kills t. */
bool ipc_pagefault(struct thread *t, u64 addr, u64 ip, u32 access,
		   struct thread **next);
/* Interrupt line (1..EXO_NIRQ) fired. */
struct thread *ipc_irq(u32 line);
/* Associate interrupt thread irq with handler (nil: detach). -E_* */
int ipc_irq_control(struct thread *caller, u64 irq, u64 handler);
/* t's timed IPC expired. */
void ipc_timeout(struct thread *t);
/* Abort t's send and/or receive phase with EXO_IPC_CANCELED; a page
 * fault's IPC ends without an error, and t retries the instruction. */
void ipc_cancel(struct thread *t, bool send, bool recv);
/* t is being deleted: fail every IPC that waits on it, take it off queues. */
void ipc_detach(struct thread *t);

#endif
