/*
 * Reading a guest trace ring (<exo/trace.h>) from the host, while its CPU
 * keeps writing: lock-free, and exact about what was lost. The guest never
 * waits for the reader; when the reader falls a ring behind, the oldest
 * records are overwritten and counted here as dropped.
 */
#ifndef VMM_TRACERING_H
#define VMM_TRACERING_H

#include <stddef.h>
#include <stdint.h>

#include <exo/trace.h>

/* Thread ids remembered for short records, by number modulo this. */
#define TRACERING_TIDS 1024

struct tracering {
	const struct exo_trace_ring *ring;   /* in guest memory */
	uint64_t tail;                       /* byte position read up to */
	uint64_t delivered, dropped;         /* records, since attach */
	uint64_t tids[TRACERING_TIDS];       /* the last full id seen per number */
};

typedef void (*tracering_fn)(void *ctx, const struct exo_trace_rec *rec);

/* Start reading ring from the position its producer has reached now. */
void tracering_attach(struct tracering *t, const struct exo_trace_ring *ring);
/*
 * Deliver every intact record written since the last call, oldest first, to
 * fn; count the ones overwritten before they could be read. Returns the
 * number delivered. Only one thread may drain a ring. A short record
 * (<exo/trace.h>) is delivered as the full EXO_TRACE_IPC_FAST it stands for.
 */
size_t tracering_drain(struct tracering *t, tracering_fn fn, void *ctx);
/* Records written and not yet drained (at most a ring's worth). */
uint64_t tracering_pending(const struct tracering *t);

#endif
