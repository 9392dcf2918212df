/*
 * The trace ring: the kernel's producer (guest/core/trace.h, its host build)
 * against the VMM's reader (vmm/tracering.c): wrap-around, drops counted,
 * a drain running concurrently with the producer; and the host's decoding
 * of records into crossings, a summary and Chrome JSON.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/core/trace.h"
#include "tests/unit/fake_platform.h"
#include "host/trace.h"
#include "tests/common/jv.h"
#include "vmm/tracering.h"
#include "vmm/vtrace.h"
#include <exo/exo.h>
#include <exo/ext.h>
#include <exo/ipc.h>
#include <exo/syscall.h>

struct seen {
	uint64_t n, next, bad;
};

/* Records must come in order, intact (a1 == ~a0), none twice. */
static void
check_rec(void *ctx, const struct exo_trace_rec *r)
{
	struct seen *s = ctx;

	if (r->kind != EXO_TRACE_IPC || r->a1 != ~r->a0 || r->a0 < s->next)
		s->bad++;
	s->next = r->a0 + 1;
	s->n++;
}

static void
produce(uint64_t from, uint64_t n)
{
	for (uint64_t i = from; i < from + n; i++)
		TRACE_AB(IPC, i, ~i);
}

static struct exo_trace_ring *ring = &cpus[0].ring;

static void
ring_reset(void)
{
	memset(ring, 0, sizeof(*ring));
	trace_set(true);
}

Test(trace_ring, wraps_around_without_loss_when_drained_in_time)
{
	struct tracering t;
	struct seen s = { 0 };

	ring_reset();
	tracering_attach(&t, ring);
	for (int round = 0; round < 10; round++) {
		produce(round * 1500, 1500);        /* less than a ring each time */
		tracering_drain(&t, check_rec, &s);
	}
	cr_assert_eq(s.n, 15000);
	cr_assert_eq(s.bad, 0);
	cr_assert_eq(t.dropped, 0);
	cr_assert_eq(ring->head, 15000 * EXO_TRACE_REC_SIZE, "head counts bytes");
	trace_set(false);
}

Test(trace_ring, a_lapped_reader_counts_what_it_lost)
{
	struct tracering t;
	struct seen s = { 0 };

	ring_reset();
	tracering_attach(&t, ring);
	produce(0, 5 * EXO_TRACE_RING_RECS + 7);
	cr_assert_eq(tracering_pending(&t), EXO_TRACE_RING_RECS);
	tracering_drain(&t, check_rec, &s);
	cr_assert_eq(s.bad, 0);
	cr_assert_eq(s.n + t.dropped, 5 * EXO_TRACE_RING_RECS + 7, "every record "
		     "is delivered or counted");
	/* The oldest slot may be in the producer's hands: one less than a ring. */
	cr_assert_eq(s.n, EXO_TRACE_RING_RECS - 1);
	cr_assert_eq(s.next, 5 * EXO_TRACE_RING_RECS + 7, "the newest survive");
	trace_set(false);
}

/* head is in guest memory: one off a record boundary (a broken or hostile
 * kernel) must not make the reader walk past it for ever and overflow its
 * copy (fuzz/trace.c found it); the partial record is not read. */
Test(trace_ring, a_head_off_a_record_boundary_is_rounded_down)
{
	struct tracering t;
	struct seen s = { 0 };

	ring_reset();
	tracering_attach(&t, ring);
	produce(0, 3);
	ring->head += 8;
	cr_assert_eq(tracering_pending(&t), 3);
	cr_assert_eq(tracering_drain(&t, check_rec, &s), 3);
	cr_assert_eq(s.bad, 0);
	ring->head = 5 * EXO_TRACE_RING_BYTES + 7 * EXO_TRACE_REC_SIZE + 16;
	tracering_drain(&t, check_rec, &s);
	cr_assert_eq(t.tail % EXO_TRACE_REC_SIZE, 0, "the reader stays on records");
	trace_set(false);
}

Test(trace_ring, off_writes_nothing)
{
	ring_reset();
	trace_set(false);
	produce(0, 100);
	cr_assert_eq(ring->head, 0);
}

Test(trace_ring, the_arch_layer_follows_trace_set)
{
	fake_trace_set = -1;
	trace_set(true);
	cr_assert_eq(fake_trace_set, 1, "on: the traced entry code switched in");
	cr_assert(trace_set(false));
	cr_assert_eq(fake_trace_set, 0, "off: the plain entry code back");
	cr_assert(!trace_set(false));
	cr_assert_eq(fake_trace_set, 0);
}

static volatile int producing;

static void *
producer(void *arg)
{
	produce(0, *(uint64_t *)arg);
	__atomic_store_n(&producing, 0, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * producer(&n) writes n records on a thread of its own while this one
 * drains them into fn (ctx: a struct seen); every record must come out
 * intact and in order (fn counts the bad ones) or be counted as dropped.
 */
static void
drain_while_producing(void *(*prod)(void *), uint64_t n, tracering_fn fn)
{
	struct tracering t;
	struct seen s = { 0 };
	pthread_t th;

	ring_reset();
	tracering_attach(&t, ring);
	producing = 1;
	cr_assert_eq(pthread_create(&th, NULL, prod, &n), 0);
	while (__atomic_load_n(&producing, __ATOMIC_ACQUIRE))
		tracering_drain(&t, fn, &s);
	pthread_join(th, NULL);
	tracering_drain(&t, fn, &s);
	cr_assert_eq(s.bad, 0, "%llu records torn, misread or out of order",
		     (unsigned long long)s.bad);
	cr_assert_eq(s.n + t.dropped, n, "delivered %llu + dropped %llu",
		     (unsigned long long)s.n, (unsigned long long)t.dropped);
	cr_assert_gt(s.n, 0);
	trace_set(false);
}

Test(trace_ring, concurrent_drain_delivers_or_counts_every_record, .timeout = 60)
{
	drain_while_producing(producer, 2000000, check_rec);
}

/*
 * The short record of the IPC fast path (<exo/trace.h>): written over a slot
 * an older full record left, it comes out of the reader as a full
 * IPC_FAST with the TSC and the thread id, version from the ring's last full
 * id of that number.
 */
struct got {
	struct exo_trace_rec r[8];
	unsigned n;
};

static void
keep_rec(void *ctx, const struct exo_trace_rec *r)
{
	struct got *g = ctx;

	if (g->n < 8)
		g->r[g->n] = *r;
	g->n++;
}

Test(trace_ring, short_records_come_out_whole)
{
	struct tracering t;
	struct got g = { .n = 0 };
	uint64_t t7 = EXO_TID(7, 3), t9 = EXO_TID(9, 2);
	const struct exo_trace_rec *s;

	ring_reset();
	/* Fill every slot with full records first: the short ones land on
	 * an older record's kind and fields. */
	produce(0, EXO_TRACE_RING_RECS);
	tracering_attach(&t, ring);
	TRACE_A(KEXIT, t7);             /* names thread 7, version 3 */
	TRACE_IPC_FAST(t7);
	TRACE_IPC_FAST(t9);             /* 9: never named in full */
	TRACE_AB(IPC, t9, EXO_ANYTHREAD);
	TRACE_IPC_FAST(t9);
	cr_assert_eq(tracering_drain(&t, keep_rec, &g), 5);
	cr_assert_eq(g.r[0].kind, EXO_TRACE_KEXIT);
	cr_assert_eq(g.r[0].tsc_hi, 0, "a full record's tsc_hi is the guest's 0");
	for (unsigned i = 1; i < 5; i++) {
		if (i == 3)
			continue;
		s = &g.r[i];
		cr_assert_eq(s->kind, EXO_TRACE_IPC_FAST, "record %u: kind %u", i, s->kind);
		cr_assert_eq(s->a16, 0);
		cr_assert_eq(s->a1, 0);
		cr_assert_eq(s->tsc_hi, 0, "the reader unwraps later (vtrace)");
		/* The TSC runs on: each record's low half is after the last's. */
		cr_assert_gt((uint32_t)(s->tsc_lo - g.r[i - 1].tsc_lo), 0);
		cr_assert_lt((uint32_t)(s->tsc_lo - g.r[i - 1].tsc_lo), 1u << 30);
	}
	cr_assert_eq(g.r[1].a0, t7, "version from the KEXIT: %#llx",
		     (unsigned long long)g.r[1].a0);
	cr_assert_eq(g.r[2].a0, EXO_TID(9, 0), "no full id seen: version 0");
	cr_assert_eq(g.r[3].kind, EXO_TRACE_IPC);
	cr_assert_eq(g.r[4].a0, t9, "version from the IPC record");
	cr_assert_eq(t.dropped, 0);
	trace_set(false);
}

/*
 * Full and short records mixed, drained while they are written. The
 * pattern (a short record after every full one whose index is not a
 * multiple of 3) moves each slot between the two forms from lap to lap, so
 * a short record misread as full would show an older lap's record (out of
 * order) and a full one misread as short a bad thread number.
 */
static void
check_mixed(void *ctx, const struct exo_trace_rec *r)
{
	struct seen *m = ctx;

	if (r->kind == EXO_TRACE_IPC) {
		if (r->a1 != ~r->a0 || r->a0 < m->next)
			m->bad++;
		m->next = r->a0 + 1;
	} else if (r->kind != EXO_TRACE_IPC_FAST || r->a1 != 0 || r->a16 != 0 ||
		   EXO_TID_NO(r->a0) == 0 || EXO_TID_NO(r->a0) > 200 ||
		   EXO_TID_VERSION(r->a0) != 0) {
		m->bad++;
	}
	m->n++;
}

static void *
mixed_producer(void *arg)
{
	uint64_t n = *(uint64_t *)arg, made = 0;

	for (uint64_t i = 0; made < n; i++) {
		TRACE_AB(IPC, i, ~i);
		made++;
		if (i % 3 && made < n) {
			TRACE_IPC_FAST(EXO_TID(1 + i % 200, 5));
			made++;
		}
	}
	__atomic_store_n(&producing, 0, __ATOMIC_RELEASE);
	return NULL;
}

Test(trace_ring, concurrent_drain_of_short_and_full_records, .timeout = 60)
{
	drain_while_producing(mixed_producer, 2000000, check_mixed);
}

/* Decoding */

static void
rec(struct trace_log *l, uint64_t tsc, unsigned kind, unsigned a16, uint64_t a0,
    uint64_t a1)
{
	struct exo_trace_rec r = {
		.tsc_lo = (uint32_t)tsc, .tsc_hi = (uint32_t)(tsc >> 32),
		.kind = (uint16_t)kind, .a16 = (uint16_t)a16, .a0 = a0, .a1 = a1,
	};

	trace_log_record(l, 0, &r);
}

#define T(n) ((uint64_t)(n) << 32 | 1)    /* thread n, version 1 */

/* A call by the general path, a reply by the fast path, a pager fault. */
static void
sample_log(struct trace_log *l)
{
	trace_log_init(l);
	rec(l, 1000, EXO_TRACE_SYSCALL, 3, 0, 0);
	rec(l, 1100, EXO_TRACE_IPC, 0, T(5), T(5));
	rec(l, 1200, EXO_TRACE_THREAD_SWITCH, 0, T(5), 0);
	rec(l, 1300, EXO_TRACE_KEXIT, 0, T(5), 0);
	rec(l, 2000, EXO_TRACE_IPC_FAST, 0, T(4), 0);
	rec(l, 3000, EXO_TRACE_EXCEPTION, 14, 0x5000, 0x400123);
	rec(l, 3100, EXO_TRACE_PAGEFAULT, EXO_TRACE_PF_PAGER, 0x5000, 0x400123);
	rec(l, 3500, EXO_TRACE_KEXIT, 0, T(6), 0);
	rec(l, 4000, EXO_TRACE_SYSCALL, 0, 0, 0);   /* exit: never leaves */
}

Test(trace_decode, records_become_crossings_and_a_summary)
{
	struct trace_log l;
	struct trace_stat s;

	sample_log(&l);
	trace_stat_compute(&l, &s);
	cr_assert_eq(s.nrows, 3);
	cr_assert_str_eq(s.rows[0].key, "syscall ipc");
	cr_assert_eq(s.rows[0].median, 300);
	cr_assert_str_eq(s.rows[1].key, "ipc fast path");
	cr_assert_eq(s.rows[1].n, 1);
	cr_assert_str_eq(s.rows[2].key, "exception page fault");
	cr_assert_eq(s.rows[2].min, 500);
	cr_assert_eq(s.pf[EXO_TRACE_PF_PAGER], 1);
	cr_assert_eq(s.unmatched, 1);
	cr_assert_eq(s.kinds[EXO_TRACE_SYSCALL], 2);
	trace_stat_free(&s);
	trace_log_free(&l);
}

/*
 * The pager's fast paths: a PAGEFAULT outside any kernel entry is the fault
 * fast path's crossing, an IPC_FAST marked map the reply's; both page
 * faults (this one and the general path's, inside its exception) count.
 */
Test(trace_decode, pager_fast_paths_are_one_record_crossings)
{
	struct trace_log l;
	struct trace_stat s;

	trace_log_init(&l);
	rec(&l, 1000, EXO_TRACE_EXCEPTION, 14, 0x5000, 0x400123);
	rec(&l, 1100, EXO_TRACE_PAGEFAULT, EXO_TRACE_PF_PAGER, 0x5000, 0x400123);
	rec(&l, 1500, EXO_TRACE_KEXIT, 0, T(6), 0);
	rec(&l, 2000, EXO_TRACE_PAGEFAULT, EXO_TRACE_PF_PAGER, 0x6000, 0x400200);
	rec(&l, 2500, EXO_TRACE_IPC_FAST, EXO_TRACE_IPC_FAST_MAP, T(5), 0);
	rec(&l, 3000, EXO_TRACE_IPC_FAST, 0, T(6), 0);
	trace_stat_compute(&l, &s);
	cr_assert_eq(s.nrows, 4);
	cr_assert_str_eq(s.rows[0].key, "exception page fault");
	cr_assert_str_eq(s.rows[1].key, "page fault pager fast path");
	cr_assert_eq(s.rows[1].n, 1);
	cr_assert_str_eq(s.rows[2].key, "ipc map reply fast path");
	cr_assert_eq(s.rows[2].n, 1);
	cr_assert_str_eq(s.rows[3].key, "ipc fast path");
	cr_assert_eq(s.pf[EXO_TRACE_PF_PAGER], 2);
	cr_assert_eq(s.unmatched, 0);
	trace_stat_free(&s);
	trace_log_free(&l);
}

/* Shootdown records (#6): counted with their pages, targets and ack times. */
Test(trace_decode, shootdowns_are_summed)
{
	struct trace_log l;
	struct trace_stat s;
	struct exo_trace_rec r = { .kind = EXO_TRACE_SHOOTDOWN };
	static const struct { unsigned pages, mask; uint64_t ack; } sd[] = {
		{ 1, 0x2, 500 }, { 0, 0xe, 900 }, { 4, 0x6, 700 },
	};

	trace_log_init(&l);
	for (unsigned i = 0; i < 3; i++) {
		r.tsc_lo = 1000 * (i + 1);
		r.a16 = (uint16_t)sd[i].pages;
		r.a32 = sd[i].mask;
		r.a1 = sd[i].ack;
		trace_log_record(&l, 0, &r);
	}
	trace_stat_compute(&l, &s);
	cr_assert_eq(s.sd.n, 3);
	cr_assert_eq(s.sd.pages, 5);
	cr_assert_eq(s.sd.whole, 1);
	cr_assert_eq(s.sd.targets, 1 + 3 + 2);
	cr_assert_eq(s.sd.ack_min, 500);
	cr_assert_eq(s.sd.ack_median, 700);
	cr_assert_eq(s.sd.ack_max, 900);
	trace_stat_free(&s);
	trace_log_free(&l);
}

/* The log as exo trace writes it (2 GHz), parsed: its traceEvents. */
static struct jv *
chrome_of(const struct trace_log *l)
{
	char *buf = NULL, err[256];
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct jv *v;

	cr_assert_not_null(f);
	cr_assert_eq(trace_chrome_write(f, l, 2000000, NULL, "ptrace"), 0);
	fclose(f);
	v = jv_parse(buf, err, sizeof(err));
	cr_assert_not_null(v, "%s", err);
	free(buf);
	return v;
}

Test(trace_decode, chrome_json_parses_with_slices_and_instants)
{
	struct trace_log l;
	struct jv *v;
	const struct jv *e;
	int x = 0, fast = 0, pf = 0, user = 0;

	sample_log(&l);
	v = chrome_of(&l);
	/* The platform it was recorded on, as reports and bench JSON say it. */
	cr_assert_str_eq(jv_get(jv_get(v, "otherData"), "platform")->str, "ptrace");
	for (size_t i = 0; (e = jv_at(jv_get(v, "traceEvents"), i)); i++) {
		const char *name = jv_get(e, "name")->str;

		if (!strcmp(jv_get(e, "ph")->str, "X") && !strncmp(name, "syscall", 7)) {
			x++;
			/* 300 cycles at 2 GHz: 0.15 us, from the first record's time */
			cr_assert_float_eq(jv_get(e, "dur")->num, 0.15, 1e-9);
			cr_assert_float_eq(jv_get(e, "ts")->num, 0, 1e-9);
		}
		fast += !strcmp(name, "ipc fast path");
		pf += !strcmp(name, "page fault: pager");
		user += !strncmp(name, "user", 4);
	}
	cr_assert_eq(x, 1);
	cr_assert_eq(fast, 1);
	cr_assert_eq(pf, 1);
	cr_assert_eq(user, 3, "thread 5 until the fast path, 4 until the fault, "
		     "6 until exit");
	jv_free(v);
	trace_log_free(&l);
}

/* IPC errors: counted by code, named with their phase in the Chrome JSON;
 * a page fault in an exception's crossing shows the exception's address. */
Test(trace_decode, ipc_errors_are_counted_and_named)
{
	struct trace_log l;
	struct trace_stat s;
	struct jv *v;
	const struct jv *e;
	int send_to = 0, recv_to = 0, pf = 0;

	trace_log_init(&l);
	rec(&l, 1000, EXO_TRACE_SYSCALL, 3, 0, 0);
	rec(&l, 1100, EXO_TRACE_IPC_ERROR, EXO_IPC_ERR(EXO_IPC_TIMEOUT, 0), T(4), 0);
	rec(&l, 1200, EXO_TRACE_KEXIT, 0, T(4), 0);
	rec(&l, 2000, EXO_TRACE_SYSCALL, 3, 0, 0);
	rec(&l, 2100, EXO_TRACE_IPC_ERROR, EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1), T(4), 0);
	rec(&l, 2150, EXO_TRACE_IPC_ERROR, EXO_IPC_ERR(EXO_IPC_NOPARTNER, 0), T(5), 0);
	rec(&l, 2200, EXO_TRACE_KEXIT, 0, T(4), 0);
	rec(&l, 3000, EXO_TRACE_EXCEPTION, 14, 0x7000, 0x400300);
	rec(&l, 3100, EXO_TRACE_PAGEFAULT, EXO_TRACE_PF_KILL, 0xdead, 0xbeef);   /* stale */
	rec(&l, 3200, EXO_TRACE_KEXIT, 0, T(5), 0);
	trace_stat_compute(&l, &s);
	cr_assert_eq(s.ipc_errors[EXO_IPC_TIMEOUT], 2);
	cr_assert_eq(s.ipc_errors[EXO_IPC_NOPARTNER], 1);
	cr_assert_eq(s.ipc_errors[EXO_IPC_CANCELED], 0);
	trace_stat_free(&s);
	v = chrome_of(&l);
	for (size_t i = 0; (e = jv_at(jv_get(v, "traceEvents"), i)); i++) {
		const char *name = jv_get(e, "name")->str;

		send_to += !strcmp(name, "ipc error: timeout (send phase)");
		recv_to += !strcmp(name, "ipc error: timeout (receive phase)");
		if (!strcmp(name, "page fault: kill")) {
			pf++;
			const struct jv *a = jv_get(jv_get(e, "args"), "addr");

			cr_assert(a && a->type == JV_NUMBER && a->num == 0x7000,
				  "the address is the exception record's");
		}
	}
	cr_assert_eq(send_to, 1);
	cr_assert_eq(recv_to, 1);
	cr_assert_eq(pf, 1);
	jv_free(v);
	trace_log_free(&l);
}

/* An extension event's raise (kind, handlers run in a32, a0 the handler
 * that ended it or 0), inside a system call's crossing. */
static void
raise_rec(struct trace_log *l, uint64_t tsc, unsigned event, unsigned runs, uint64_t by,
	  uint64_t point)
{
	struct exo_trace_rec r = {
		.tsc_lo = (uint32_t)tsc, .kind = EXO_TRACE_EXT_RAISE, .a16 = (uint16_t)event,
		.a32 = runs, .a0 = by, .a1 = point,
	};

	trace_log_record(l, 0, &r);
}

/* exo trace names a raise by the section of the extension that answered
 * it (from its load record), else by its event's handler section. */
Test(trace_decode, extension_raises_named_by_section)
{
	struct trace_log l;
	struct exo_trace_rec load = { .tsc_lo = 500, .kind = EXO_TRACE_EXT_LOAD,
				      .a16 = 3, .a32 = EXT_EV_SYSCALL };
	struct jv *v;
	const struct jv *e;
	int named = 0, unnamed = 0, loads = 0;

	memcpy(&load.a0, "event/syscall\0\0\0", 16);
	trace_log_init(&l);
	trace_log_record(&l, 0, &load);
	rec(&l, 1000, EXO_TRACE_SYSCALL, 0x4000, 0, 0);
	raise_rec(&l, 1100, EXT_EV_SYSCALL, 1, 3, 0x4000);
	rec(&l, 1200, EXO_TRACE_KEXIT, 0, T(4), 0);
	rec(&l, 2000, EXO_TRACE_SYSCALL, 3, 0, 0);
	raise_rec(&l, 2100, EXT_EV_THREAD, 1, 0, 4);       /* no answer, no load seen */
	rec(&l, 2200, EXO_TRACE_KEXIT, 0, T(4), 0);
	v = chrome_of(&l);
	for (size_t i = 0; (e = jv_at(jv_get(v, "traceEvents"), i)); i++) {
		const char *name = jv_get(e, "name")->str;

		loads += !strcmp(name, "ext load: event/syscall");
		if (!strcmp(name, "ext raise: event/syscall")) {
			named++;
			cr_assert_str_eq(jv_get(jv_get(e, "args"), "section")->str, "event/syscall");
		}
		unnamed += !strcmp(name, "ext raise: event/thread");
	}
	cr_assert_eq(loads, 1);
	cr_assert_eq(named, 1);
	cr_assert_eq(unnamed, 1);
	jv_free(v);
	trace_log_free(&l);
}

/* exo stat's extension counts: raises, handler runs and handled raises,
 * per event; a fault an extension resolved is a page fault of its own kind. */
Test(trace_decode, extension_raises_counted_by_event)
{
	struct trace_log l;
	struct trace_stat s;

	trace_log_init(&l);
	rec(&l, 1000, EXO_TRACE_SYSCALL, 0x4000, 0, 0);
	raise_rec(&l, 1100, EXT_EV_SYSCALL, 2, 3, 0x4000);     /* the second answered */
	rec(&l, 1200, EXO_TRACE_KEXIT, 0, T(4), 0);
	rec(&l, 2000, EXO_TRACE_SYSCALL, 9, 0, 0);
	raise_rec(&l, 2100, EXT_EV_SYSCALL, 0, 0, 9);          /* its guard said no */
	rec(&l, 2200, EXO_TRACE_KEXIT, 0, T(4), 0);
	rec(&l, 3000, EXO_TRACE_EXCEPTION, 14, 0x5000, 0x400123);
	raise_rec(&l, 3100, EXT_EV_PAGEFAULT, 1, 1, 0x5000);
	rec(&l, 3150, EXO_TRACE_PAGEFAULT, EXO_TRACE_PF_EXT, 0, 0);
	rec(&l, 3200, EXO_TRACE_KEXIT, 0, T(4), 0);
	trace_stat_compute(&l, &s);
	cr_assert_eq(s.ext_raises[EXT_EV_SYSCALL], 2);
	cr_assert_eq(s.ext_runs[EXT_EV_SYSCALL], 2);
	cr_assert_eq(s.ext_handled[EXT_EV_SYSCALL], 1);
	cr_assert_eq(s.ext_raises[EXT_EV_PAGEFAULT], 1);
	cr_assert_eq(s.ext_runs[EXT_EV_PAGEFAULT], 1);
	cr_assert_eq(s.ext_handled[EXT_EV_PAGEFAULT], 1);
	cr_assert_eq(s.pf[EXO_TRACE_PF_EXT], 1);
	cr_assert_eq(s.kinds[EXO_TRACE_EXT_RAISE], 3);
	cr_assert_str_eq(trace_ext_event_name(EXT_EV_PAGEFAULT), "pagefault");
	cr_assert_str_eq(trace_pf_name(EXO_TRACE_PF_EXT), "extension");
	trace_stat_free(&s);
	trace_log_free(&l);
}

/* The kernel writes tsc_lo only: the reader takes the full TSC nearest now. */
Test(trace_decode, the_reader_unwraps_the_tsc_low_half)
{
	uint64_t now = 0x500000100ull;

	cr_assert_eq(vtrace_unwrap(now, 0x80), 0x500000080ull);
	cr_assert_eq(vtrace_unwrap(now, 0x200), 0x500000200ull, "just after now");
	/* Written before the low half wrapped: high half one less. */
	cr_assert_eq(vtrace_unwrap(now, 0xfffffff0u), 0x4fffffff0ull);
	/* Read just before the wrap, written just after it. */
	cr_assert_eq(vtrace_unwrap(0x4fffffff0ull, 0x10), 0x500000010ull);
}

/* The kinds beside the crossings: entry-code crossings, upcalls, revocation
 * steps, slices, transfers and a shootdown, in the summary and the JSON. */
Test(trace_decode, upcalls_revocation_slices_and_shootdowns)
{
	struct trace_log l;
	struct trace_stat s;
	struct jv *v;
	const struct jv *e;
	int sd = 0, rv = 0, exc = 0;

	trace_log_init(&l);
	rec(&l, 1000, EXO_TRACE_EXC_UPCALL, 6, 0, 0);
	rec(&l, 1100, EXO_TRACE_STLB_FILL, 0, 0x7000, 0);
	rec(&l, 1200, EXO_TRACE_SYSCALL_FAST, SYS_pct, 0, 0);
	rec(&l, 2000, EXO_TRACE_SYSCALL, SYS_revoke_request, 0, 0);
	rec(&l, 2100, EXO_TRACE_REVOKE, EXO_TRACE_RV_REQUEST, 3, 2);
	rec(&l, 2200, EXO_TRACE_UPCALL, EXO_UPCALL_REVOKE, 3, 2);
	rec(&l, 2300, EXO_TRACE_KEXIT, 0, T(9), 0);
	rec(&l, 3000, EXO_TRACE_SLICE_START, 5, 1, 400);
	rec(&l, 3100, EXO_TRACE_SHOOTDOWN, 3, 0x4000, 7000);
	rec(&l, 3200, EXO_TRACE_SLICE_END, 5, 1, 0);
	l.ev[8].r.a32 = 0x6;                    /* targets: CPUs 1 and 2 */
	trace_stat_compute(&l, &s);
	cr_assert_eq(s.kinds[EXO_TRACE_EXC_UPCALL], 1);
	cr_assert_eq(s.upcalls[EXO_UPCALL_REVOKE], 1);
	cr_assert_eq(s.revoke[EXO_TRACE_RV_REQUEST], 1);
	cr_assert_eq(s.pct_fast, 1);
	cr_assert_eq(s.sd.n, 1);
	cr_assert_eq(s.sd.pages, 3);
	cr_assert_eq(s.sd.ack_median, 7000);
	cr_assert_eq(s.sd.targets, 2);
	cr_assert_str_eq(s.rows[0].key, "exception upcall invalid opcode");
	cr_assert_str_eq(s.rows[1].key, "software TLB fill");
	cr_assert_str_eq(s.rows[2].key, "syscall pct fast path");
	cr_assert_str_eq(s.rows[3].key, "syscall revoke_request");
	cr_assert_eq(s.unmatched, 0);
	trace_stat_free(&s);

	v = chrome_of(&l);
	for (size_t i = 0; (e = jv_at(jv_get(v, "traceEvents"), i)); i++) {
		const char *name = jv_get(e, "name")->str;
		const struct jv *a = jv_get(e, "args");

		if (!strcmp(name, "shootdown")) {
			sd++;
			cr_assert_eq(jv_get(a, "pages")->num, 3);
			cr_assert_eq(jv_get(a, "targets")->num, 6);
			cr_assert_eq(jv_get(a, "root")->num, 0x4000);
			cr_assert_eq(jv_get(a, "ack_cycles")->num, 7000);
		}
		if (!strcmp(name, "revoke: request")) {
			rv++;
			cr_assert_eq(jv_get(a, "env")->num, 3);
			cr_assert_eq(jv_get(a, "frames")->num, 2);
		}
		exc += !strcmp(name, "exception upcall invalid opcode");
	}
	cr_assert_eq(sd, 1);
	cr_assert_eq(rv, 1);
	cr_assert_eq(exc, 1);
	jv_free(v);
	trace_log_free(&l);
}

/* exo stat's cut of the sampled instruction stream: each crossing owns the
 * instructions after the previous crossing's last iretq up to its own. */
Test(trace_decode, ring0_instructions_cut_at_trace_points_and_iretq)
{
	struct trace_log l;
	struct trace_stat s;
	static const uint64_t marks[] = { 10, 50, 80, 120, 150 };
	static const uint64_t irets[] = { 60, 90, 160 };

	trace_log_init(&l);
	rec(&l, 1000, EXO_TRACE_SYSCALL, SYS_ipc, 0, 0);
	rec(&l, 1100, EXO_TRACE_KEXIT, 0, T(4), 0);
	rec(&l, 1200, EXO_TRACE_IPC_FAST, 0, T(5), 0);
	rec(&l, 1300, EXO_TRACE_SYSCALL, SYS_ipc, 0, 0);
	rec(&l, 1400, EXO_TRACE_KEXIT, 0, T(4), 0);
	for (size_t i = 0; i < 5; i++)
		trace_log_sink(&l).insn(&l, 0, marks[i], VMM_INSN_TRACE);
	for (size_t i = 0; i < 3; i++)
		trace_log_sink(&l).insn(&l, 0, irets[i], VMM_INSN_IRET);
	l.insn[0].sampled = 170;
	trace_stat_compute(&l, &s);
	cr_assert(s.insn_exact, "%s", s.insn_why);
	cr_assert_str_eq(s.rows[0].key, "syscall ipc");
	cr_assert_eq(s.rows[0].ninsns, 2);
	cr_assert_eq(s.rows[0].insn_min, 51, "10..60, with its entry at 10");
	cr_assert_eq(s.rows[0].insn_max, 70, "91..160");
	cr_assert_eq(s.rows[1].insn_total, 30, "61..90");
	cr_assert_eq(s.insn_counted, 151);
	trace_stat_free(&s);
	/* A lost record breaks the correspondence: no per-crossing counts. */
	trace_log_sink(&l).ring(&l, 0, 2000, 0, 1);
	trace_stat_compute(&l, &s);
	cr_assert(!s.insn_exact);
	cr_assert_eq(s.rows[0].ninsns, 0);
	trace_stat_free(&s);
	trace_log_free(&l);
}

static void
rec_on(struct trace_log *l, unsigned cpu, uint64_t tsc, unsigned kind, unsigned a16,
       uint64_t a0)
{
	struct exo_trace_rec r = {
		.tsc_lo = (uint32_t)tsc, .tsc_hi = (uint32_t)(tsc >> 32),
		.kind = (uint16_t)kind, .a16 = (uint16_t)a16, .a0 = a0,
	};

	trace_log_record(l, cpu, &r);
}

/*
 * Two CPUs' records interleaved as the drain delivers them, each CPU with
 * its own instruction stream: each crossing is cut in its own CPU's stream
 * (marks are that CPU's records in order), and a record lost on one CPU
 * takes the counts of that CPU only.
 */
Test(trace_decode, ring0_instructions_cut_per_cpu)
{
	struct trace_log l;
	struct trace_stat s;
	static const uint64_t marks0[] = { 10, 50, 80 }, irets0[] = { 60, 90 };
	static const uint64_t marks1[] = { 5, 20, 30, 70 }, irets1[] = { 8, 40, 75 };
	const struct trace_stat_row *ipc, *fast;

	trace_log_init(&l);
	rec_on(&l, 1, 900, EXO_TRACE_IPC_FAST, 0, T(7));        /* 1: 5..8 */
	rec_on(&l, 0, 1000, EXO_TRACE_SYSCALL, SYS_ipc, 0);     /* 0: 10..60 */
	rec_on(&l, 1, 1050, EXO_TRACE_SYSCALL, SYS_ipc, 0);     /* 1: 9..40 */
	rec_on(&l, 0, 1100, EXO_TRACE_KEXIT, 0, T(4));
	rec_on(&l, 1, 1150, EXO_TRACE_KEXIT, 0, T(8));
	rec_on(&l, 0, 1200, EXO_TRACE_IPC_FAST, 0, T(5));       /* 0: 61..90 */
	rec_on(&l, 1, 1250, EXO_TRACE_IPC_FAST, 0, T(7));       /* 1: 41..75 */
	for (size_t i = 0; i < 3; i++)
		trace_log_sink(&l).insn(&l, 0, marks0[i], VMM_INSN_TRACE);
	for (size_t i = 0; i < 2; i++)
		trace_log_sink(&l).insn(&l, 0, irets0[i], VMM_INSN_IRET);
	for (size_t i = 0; i < 4; i++)
		trace_log_sink(&l).insn(&l, 1, marks1[i], VMM_INSN_TRACE);
	for (size_t i = 0; i < 3; i++)
		trace_log_sink(&l).insn(&l, 1, irets1[i], VMM_INSN_IRET);
	l.insn[0].sampled = 100;
	l.insn[1].sampled = 80;
	trace_stat_compute(&l, &s);
	cr_assert(s.insn_exact, "%s", s.insn_why);
	cr_assert_eq(s.insn_sampled, 180);
	fast = &s.rows[0];
	ipc = &s.rows[1];
	cr_assert_str_eq(fast->key, "ipc fast path");
	cr_assert_str_eq(ipc->key, "syscall ipc");
	cr_assert_eq(fast->ninsns, 3);
	cr_assert_eq(fast->cpu[0].insn_total, 30, "61..90");
	cr_assert_eq(fast->cpu[1].insn_total, 4 + 35, "5..8 (its entry first), 41..75");
	cr_assert_eq(fast->cpu[1].n, 2);
	cr_assert_eq(ipc->cpu[0].insn_total, 51, "10..60");
	cr_assert_eq(ipc->cpu[1].insn_total, 32, "9..40");
	cr_assert_eq(s.cpu[0].counted, 81);
	cr_assert_eq(s.cpu[1].counted, 71);
	cr_assert_eq(s.cpu[1].crossings, 3);
	cr_assert_eq(s.insn_counted, 152);
	trace_stat_free(&s);

	/* A record lost on CPU 1: CPU 0 keeps its counts. */
	trace_log_sink(&l).ring(&l, 1, 2000, 0, 1);
	trace_stat_compute(&l, &s);
	cr_assert(!s.insn_exact);
	cr_assert(s.cpu[0].exact);
	cr_assert(!s.cpu[1].exact);
	cr_assert_str_eq(s.cpu[1].why, "trace records were lost");
	cr_assert_eq(s.rows[0].ninsns, 1, "only CPU 0's fast path");
	cr_assert_eq(s.rows[0].cpu[1].ninsns, 0);
	cr_assert_eq(s.rows[0].cpu[1].n, 2, "still counted as crossings");
	cr_assert_eq(s.cpu[0].counted, 81);
	trace_stat_free(&s);

	/* Two kernel entries with no crossing record between CPU 0's syscall
	 * (way out at 60) and its fast path (entry after 75): 61..75 are
	 * neither's. */
	{
		static const uint64_t irets0b[] = { 60, 70, 75, 90 };

		l.insn[0].niret = 0;
		for (size_t i = 0; i < 4; i++)
			trace_log_sink(&l).insn(&l, 0, irets0b[i], VMM_INSN_IRET);
		l.dropped = 0;          /* as before CPU 1's loss */
		l.cpu_dropped[1] = 0;
		trace_stat_compute(&l, &s);
		cr_assert(s.insn_exact, "%s", s.insn_why);
		cr_assert_eq(s.rows[1].cpu[0].insn_total, 51, "10..60, as before");
		cr_assert_eq(s.rows[0].cpu[0].insn_total, 15, "76..90");
		cr_assert_eq(s.cpu[0].untraced, 15);
		cr_assert_eq(s.cpu[0].untraced_entries, 2);
		cr_assert_eq(s.cpu[0].counted, 66);
		cr_assert_eq(s.cpu[1].untraced_entries, 0);
		trace_stat_free(&s);
	}

	/* Samples perf lost on CPU 1. */
	l.cpu_dropped[1] = 0;
	l.dropped = 0;
	l.insn[1].lost = 3;
	trace_stat_compute(&l, &s);
	cr_assert(s.cpu[0].exact && !s.cpu[1].exact);
	cr_assert_str_eq(s.cpu[1].why, "perf lost samples of its instruction stream");
	cr_assert_eq(s.rows[0].cpu[0].ninsns, 1);
	trace_stat_free(&s);
	l.insn[1].lost = 0;

	/* A trace point CPU 1's stream did not show: not one mark per record. */
	l.cpu_dropped[1] = 0;
	l.insn[1].nmark--;
	trace_stat_compute(&l, &s);
	cr_assert(s.cpu[0].exact && !s.cpu[1].exact);
	trace_stat_free(&s);
	trace_log_free(&l);
}
