/* See tracering.h and the reader's rule in <exo/trace.h>. */
#include "tracering.h"

#include <string.h>

#include <exo/ipc.h>

/*
 * The producer's head, on a record boundary. It lives in guest memory: a head
 * that is not a multiple of the record size (never written by a sound kernel)
 * would make the reader step past it for ever and copy slots that straddle
 * the ring's end. Rounded down, the partial record is simply not read yet.
 */
static uint64_t
head_load(const struct exo_trace_ring *r)
{
	return __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) &
	       ~(uint64_t)(EXO_TRACE_REC_SIZE - 1);
}

void
tracering_attach(struct tracering *t, const struct exo_trace_ring *ring)
{
	*t = (struct tracering){ .ring = ring };
	t->tail = head_load(ring);
}

uint64_t
tracering_pending(const struct tracering *t)
{
	uint64_t n = head_load(t->ring) - t->tail;

	return (n > EXO_TRACE_RING_BYTES ? EXO_TRACE_RING_BYTES : n) / EXO_TRACE_REC_SIZE;
}

/* A full thread id a record names, remembered for short records. */
static void
tid_seen(struct tracering *t, uint64_t id)
{
	if (EXO_TID_NO(id) != 0 && id != EXO_ANYTHREAD)
		t->tids[EXO_TID_NO(id) % TRACERING_TIDS] = id;
}

/* Make r a full record: a short one's fields, and the version remembered. */
static void
expand(struct tracering *t, struct exo_trace_rec *r)
{
	uint32_t no = r->tsc_hi, lo;
	uint64_t id;

	if (no == 0) {
		switch (r->kind) {
		case EXO_TRACE_IPC:
			tid_seen(t, r->a1);
			tid_seen(t, r->a0);
			break;
		case EXO_TRACE_KEXIT:
		case EXO_TRACE_THREAD_SWITCH:
		case EXO_TRACE_IPC_FAST:        /* a full one: a pager's reply */
			tid_seen(t, r->a0);
			break;
		case EXO_TRACE_PCT:
			tid_seen(t, r->a1);
			break;
		}
		return;
	}
	memcpy(&lo, &r->kind, sizeof(lo));      /* bytes 8-11 */
	id = t->tids[no % TRACERING_TIDS];
	*r = (struct exo_trace_rec){
		.tsc_lo = lo, .kind = EXO_TRACE_IPC_FAST,
		.a0 = EXO_TID_NO(id) == no ? id : EXO_TID(no, 0),
	};
}

size_t
tracering_drain(struct tracering *t, tracering_fn fn, void *ctx)
{
	/* A whole ring's copy: the guest may overwrite any slot meanwhile. */
	static __thread struct exo_trace_rec copy[EXO_TRACE_RING_RECS];
	const struct exo_trace_ring *r = t->ring;
	uint64_t head = head_load(r), h2, pos, n = 0;
	size_t done = 0;

	if (head - t->tail > EXO_TRACE_RING_BYTES) {     /* lapped: lost already */
		t->dropped += (head - EXO_TRACE_RING_BYTES - t->tail) / EXO_TRACE_REC_SIZE;
		t->tail = head - EXO_TRACE_RING_BYTES;
	}
	for (pos = t->tail; pos != head; pos += EXO_TRACE_REC_SIZE)
		memcpy(&copy[n++], (const char *)r->recs + pos % EXO_TRACE_RING_BYTES,
		       EXO_TRACE_REC_SIZE);
	/* The copies happen before h2 is read (an acquire fence orders loads). */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	h2 = head_load(r);
	for (pos = t->tail, n = 0; pos != head; pos += EXO_TRACE_REC_SIZE, n++) {
		/* Intact only if its slot was not reused: pos > h2 - size. */
		if (pos + EXO_TRACE_RING_BYTES <= h2) {
			t->dropped++;
			continue;
		}
		expand(t, &copy[n]);
		fn(ctx, &copy[n]);
		done++;
	}
	t->delivered += done;
	t->tail = head;
	return done;
}
