/*
 * Upcalls to an environment's entry threads (<exo/exo.h>): the thread that
 * registered an entry kind (env_entry) waits in TS_ENTRY_WAIT (upcall_wait)
 * and an upcall starts it at the entry's pc and sp with rdi the upcall, rsi
 * and rdx its arguments. An upcall that finds its thread busy is held back,
 * in order, until the thread waits again.
 */
#ifndef CORE_UPCALL_H
#define CORE_UPCALL_H

#include <exo/exo.h>
#include <exo/types.h>

#include "env.h"
#include "thread.h"

/*
 * Upcall up (enum exo_upcall) with a1, a2 to e's entry thread of kind, an
 * entry slot (env.h: a kind, or CPU c's SLICE entry, env_slice_slot): it
 * starts now if it waits, else the upcall is held (the oldest held one of
 * the same upcall is replaced when the queue is full). False if e has no
 * entry thread of that kind: nothing to deliver to.
 */
bool upcall_deliver(struct env *e, u32 kind, u64 up, u64 a1, u64 a2);
/* e's entry thread of kind (an entry slot), if it is live. */
struct thread *upcall_thread(struct env *e, u32 kind);
/* Forget what is held for e (its space dies). */
void upcall_env_destroy(struct env *e);
/* SYS_upcall_wait. */
i64 upcall_wait(struct thread *t);

#endif
