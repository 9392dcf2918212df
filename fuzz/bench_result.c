/*
 * The bench result reader (host/bench_result.c): a boot's marks and result
 * records as a guest could send them. The input is a sequence of items
 * (fuzz.h's cursor): u8 tag; odd: a mark, u32 code, u8 which counters are
 * unavailable (-1) and five u32 increments; even: a result record, u32 length (at most EXO_BENCH_RESULT_MAX) and its
 * bytes. Each record gets a buffer of exactly its length, so ASan sees any
 * read past what the guest sent. Then the run is finished, judged and
 * written as the table and as JSON, as exo bench does.
 * The guest chooses the codes, the order and the records; the counters are
 * the host's (KVM statistics, vmm/stats.c): never decreasing from 0, or -1
 * where one cannot be read. So they are kept that way here.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../host/bench.h"
#include "fuzz.h"

static void
take_mark(struct fz *f, struct bench_run *r, int64_t counter[BENCH_NCOUNTERS])
{
	uint32_t code = fz_take(f, 4);
	unsigned missing = fz_take(f, 1);
	int64_t v[BENCH_NCOUNTERS];

	for (int c = 0; c < BENCH_NCOUNTERS; c++) {
		counter[c] += fz_take(f, 4);
		v[c] = missing & 1u << c ? -1 : counter[c];
	}
	bench_mark_add(r, code, v);
}

static void
take_result(struct fz *f, struct bench_run *r)
{
	size_t len = fz_take(f, 4) % (EXO_BENCH_RESULT_MAX + 1);
	const uint8_t *p = fz_bytes(f, &len);
	void *rec = malloc(len ? len : 1);

	if (!rec)
		abort();
	memcpy(rec, p, len);
	bench_result_add(r, rec, len);
	free(rec);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bench_run r;
	static FILE *null;
	struct fz f = { data, size };
	int64_t counter[BENCH_NCOUNTERS] = { 0 };
	char msg[256];

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	bench_run_init(&r, "ipc", "bench-ipc");
	r.ran = true;
	while (f.n) {
		if (fz_take(&f, 1) & 1)
			take_mark(&f, &r, counter);
		else
			take_result(&f, &r);
	}
	bench_run_finish(&r);
	bench_run_verdict(&r, msg, sizeof(msg));
	bench_table_print(null, &r);
	bench_json_write(null, &r, 1, NULL);
	bench_run_free(&r);
	return 0;
}
