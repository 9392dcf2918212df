/* Moving a message from a sender to a receiver (transfer.c). */
#ifndef IPC_TRANSFER_H
#define IPC_TRANSFER_H

#include <exo/types.h>

#include "../guest/core/thread.h"

/*
 * Copy src's message (its registers and UTCB, or the kernel-made page-fault
 * or interrupt message) to dst, and carry out its map and grant items in
 * dst's acceptor window (the whole space for a page-fault reply). Returns 0
 * or EXO_IPC_OVERFLOW (too many words, a malformed item, no window).
 */
u32 transfer(struct thread *src, struct thread *dst);

/* Message register i of a user thread (MR0..MR7 in its saved registers). */
u64 *thread_mr(struct thread *t, u32 i);

#endif
