/*
 * A pipe's ring: one page shared by capability between the writing and the
 * reading process (and the session's manager, which closes the end of a
 * process that dies). One writer, one reader: each index is written by one
 * side only, so the ring needs no lock, only ordered loads and stores.
 * Portable: no system call here (proc.c does the wake-ups), so the unit
 * tests run it on the host.
 *
 * Wake-ups: a side that finds nothing to do sets its *_waiting word, looks
 * again (the other side may have acted between), and only then blocks; the
 * other side, after acting, tells it to wake (exos_ring_*_wants_wake).
 */
#ifndef EXOS_PIPE_RING_H
#define EXOS_PIPE_RING_H

#include <exo/types.h>

#define EXOS_RING_PAGE   4096u
#define EXOS_RING_HDR    64u
#define EXOS_RING_SIZE   2048u          /* a power of two, below the page */

struct exos_ring {
	u32 head;               /* bytes written so far (mod 2^32): the writer's */
	u32 tail;               /* bytes read so far: the reader's */
	u32 writer_closed;      /* no more bytes will come: end of file */
	u32 reader_closed;      /* nobody reads: a write fails */
	u32 reader_waiting;     /* the reader blocks for bytes */
	u32 writer_waiting;     /* the writer blocks for room */
	u64 reader_tid, writer_tid;     /* whom to wake (the manager sets them) */
	u8 pad[EXOS_RING_HDR - 40];
	u8 data[EXOS_RING_SIZE];
};

void exos_ring_init(struct exos_ring *r);
/* Copy up to n bytes in: how many (0: full); -1 if the reader closed. */
long exos_ring_write(struct exos_ring *r, const void *buf, u32 n);
/* Copy up to n bytes out: how many; 0 with the writer closed and the ring
 * empty (end of file); -1 if empty but not closed (block and retry). */
long exos_ring_read(struct exos_ring *r, void *buf, u32 n);
/* Bytes waiting. */
u32 exos_ring_used(const struct exos_ring *r);
/* Close one end: the other side sees end of file or a failed write. */
void exos_ring_close_write(struct exos_ring *r);
void exos_ring_close_read(struct exos_ring *r);
/* After a write (read): does the reader (writer) wait, to be woken? Clears
 * the flag when it does, so one wake-up answers one wait. */
bool exos_ring_reader_wants_wake(struct exos_ring *r);
bool exos_ring_writer_wants_wake(struct exos_ring *r);

#endif
