/*
 * The trace record reader: a ring (vmm/tracering.c) whose head and records
 * a guest kernel wrote, drained as the I/O thread does, then the records
 * read as exo trace and exo stat do (host/trace.c, host/stat.c). The input
 * (fuzz.h's cursor): u64 head when the reader attaches, u64 head when it
 * drains, u8 CPU, then the ring's records (the rest, repeated to fill it).
 */
#include <stdio.h>
#include <stdlib.h>

#include "../host/trace.h"
#include "../vmm/tracering.h"
#include "fuzz.h"

struct deliver {
	struct trace_log *log;
	unsigned cpu;
};

static void
deliver(void *ctx, const struct exo_trace_rec *rec)
{
	struct deliver *dv = ctx;

	trace_log_record(dv->log, dv->cpu, rec);
}

static void
fill_ring(struct exo_trace_ring *ring, const uint8_t *p, size_t n)
{
	uint8_t *recs = (uint8_t *)ring->recs;

	memset(recs, 0, EXO_TRACE_RING_BYTES);
	for (size_t off = 0; n && off < EXO_TRACE_RING_BYTES; off += n)
		memcpy(recs + off, p, n < EXO_TRACE_RING_BYTES - off ? n :
		       EXO_TRACE_RING_BYTES - off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct tracering t;
	static struct trace_log log;
	static FILE *null;
	struct exo_trace_ring *ring;
	struct fz f = { data, size };
	struct deliver dv = { &log, 0 };
	struct trace_stat st;
	uint64_t head0, head1;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	/* Exactly one ring (page aligned, as in guest memory): ASan sees past it. */
	ring = aligned_alloc(EXO_TRACE_HDR_SIZE, sizeof(*ring));
	if (!ring)
		abort();
	memset(ring, 0, sizeof(*ring));
	head0 = fz_take(&f, 8);
	head1 = fz_take(&f, 8);
	dv.cpu = fz_take(&f, 1) % EXO_TRACE_CPUS_MAX;
	fill_ring(ring, f.p, f.n);
	ring->head = head0;
	tracering_attach(&t, ring);
	ring->head = head1;
	trace_log_init(&log);
	tracering_drain(&t, deliver, &dv);
	free(ring);
	trace_chrome_write(null, &log, 2000000, NULL, NULL);
	trace_stat_compute(&log, &st);
	trace_stat_print(null, &st, &(struct vmm_result){ 0 });
	trace_stat_free(&st);
	trace_log_free(&log);
	return 0;
}
