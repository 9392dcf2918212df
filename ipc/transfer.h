/* Moving a message from a sender to a receiver (transfer.c). */
#ifndef IPC_TRANSFER_H
#define IPC_TRANSFER_H

#include <exo/ipc.h>
#include <exo/layout.h>
#include <exo/types.h>

#include "../guest/core/thread.h"

/*
 * Copy src's message (its registers and UTCB, or the kernel-made page-fault
 * or interrupt message) to dst, and carry out its map and grant items in
 * dst's acceptor window (the whole space for a page-fault reply). Returns 0
 * or EXO_IPC_OVERFLOW (too many words, a malformed item, no window) or
 * TRANSFER_NOTMINE(i) (typed item i names nothing src has, <exo/ipc.h>).
 * The error word of such a code, EXO_IPC_ERR(code, phase), carries i.
 */
#define TRANSFER_NOTMINE(i) (EXO_IPC_NOTMINE | (u32)(i) << 3)
u32 transfer(struct thread *src, struct thread *dst);

/*
 * An fpage's base (*base) and size log2, or 0 if it is malformed (size below
 * 4 KiB or above the user half, unaligned, reaching past EXO_USER_END) or nil.
 * EXO_FPAGE_COMPLETE is the whole user half: base 0, EXO_USER_BITS.
 */
static inline u32
fpage_decode(u64 fp, u64 *base)
{
	u32 s = EXO_FPAGE_SIZE_LOG2(fp);

	*base = EXO_FPAGE_BASE(fp);
	if (s == 1 && *base == 0)
		return EXO_USER_BITS;
	if (s < 12 || s > EXO_USER_BITS || *base & ((1ULL << s) - 1) ||
	    *base + (1ULL << s) > EXO_USER_END)
		return 0;
	return s;
}

/* Message register i of a user thread (MR0..MR7 in its saved registers). */
u64 *thread_mr(struct thread *t, u32 i);

#endif
