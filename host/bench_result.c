/*
 * What exo bench makes of one boot: the marks the guest rang, its result
 * records checked against the rules of <exo/bench.h>, and per operation the
 * TSC statistics and the counters' deltas between its marks.
 */
#include "bench.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exo/error.h>

#include "../vmm/exitperf.h"
#include "../vmm/stats.h"

const char *const bench_counter_names[BENCH_NSTATS] = {
	[BENCH_INSN] = "insn_emulation", [BENCH_EXITS] = "exits", [BENCH_IRQ] = "irq_injections",
	"pf_taken", "tlb_flush",
};

/* Statistics */

static int
cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

uint32_t
bench_percentile(const uint32_t *sorted, size_t n, unsigned pct)
{
	size_t rank = ((size_t)pct * n + 99) / 100;     /* ceil(pct * n / 100) */

	return sorted[rank ? rank - 1 : 0];
}

int
bench_stats_compute(uint32_t *samples, size_t n, struct bench_stats *st)
{
	double sum = 0;

	memset(st, 0, sizeof(*st));
	if (n == 0)
		return -EINVAL;
	qsort(samples, n, sizeof(*samples), cmp_u32);
	for (size_t i = 0; i < n; i++)
		sum += samples[i];
	*st = (struct bench_stats){
		.n = n, .min = samples[0], .max = samples[n - 1],
		.median = bench_percentile(samples, n, 50),
		.p99 = bench_percentile(samples, n, 99), .mean = sum / (double)n,
	};
	return 0;
}

/*
 * The loop's count less the empty loop's, per iteration. An exit count is
 * noisy (interrupts land in either loop): below 0 it is the empty loop's
 * noise, and an operation causes no negative number of exits, so it is 0.
 * The emulated-instruction count is left as measured.
 */
double
bench_op_per_iter(const struct bench_op *op, int c)
{
	double v;

	if (!op->have[c] || op->iterations == 0)
		return NAN;
	v = (double)(op->loop[c] - op->empty[c]) / (double)op->iterations;
	return c != BENCH_INSN && v < 0 ? 0 : v;
}

/* Collecting a boot's marks and results */

void
bench_run_init(struct bench_run *r, const char *suite, const char *program)
{
	memset(r, 0, sizeof(*r));
	r->suite = suite;
	r->program = program;
}

void
bench_run_free(struct bench_run *r)
{
	free(r->marks);
	free(r->vm_linux);
	r->vm_linux = NULL;
	for (unsigned i = 0; i < r->nops; i++)
		free(r->ops[i].sorted);
	r->marks = NULL;
	r->nmarks = r->marks_cap = 0;
}

/* Keep the first protocol error: it is the one that explains the others. */
__attribute__((format(printf, 2, 3))) static int
bench_refuse(struct bench_run *r, const char *fmt, ...)
{
	va_list ap;

	if (!r->error[0]) {
		va_start(ap, fmt);
		vsnprintf(r->error, sizeof(r->error), fmt, ap);
		va_end(ap);
	}
	return -E_INVAL;
}

void
bench_mark_add(struct bench_run *r, uint32_t code, const int64_t v[BENCH_NCOUNTERS])
{
	struct bench_mark *m;

	if (r->nmarks == r->marks_cap) {
		size_t cap = r->marks_cap ? 2 * r->marks_cap : 64;

		if (cap > BENCH_MARKS_MAX || !(m = realloc(r->marks, cap * sizeof(*m)))) {
			bench_refuse(r, "more than %u marks, or no memory for them: "
				     "later marks were dropped", BENCH_MARKS_MAX);
			return;
		}
		r->marks = m;
		r->marks_cap = cap;
	}
	m = &r->marks[r->nmarks++];
	m->code = code;
	memcpy(m->v, v, sizeof(m->v));
}

void
bench_on_mark(void *ctx, uint32_t code, const struct kvm_stats *s,
	      const struct vmm_exits *e)
{
	struct bench_run *r = ctx;
	int64_t v[BENCH_NCOUNTERS];

	for (int i = 0; i < BENCH_NSTATS; i++)
		v[i] = stats_get(s, bench_counter_names[i]);
	for (unsigned k = 0; k < EXITPERF_MAX; k++)
		v[BENCH_REASON + k] = k < e->n ? e->count[k] : -1;
	r->reason_names = e->names;
	r->nreasons = e->n;
	if (!e->n && e->why)
		snprintf(r->exits_why, sizeof(r->exits_why), "%s", e->why);
	bench_mark_add(r, code, v);
}

/* The latest mark with code, or -1. */
static long
bench_mark_find(const struct bench_run *r, uint32_t code)
{
	for (size_t i = r->nmarks; i-- > 0;)
		if (r->marks[i].code == code)
			return (long)i;
	return -1;
}

static bool
bench_name_ok(const char *name)
{
	size_t n = strnlen(name, EXO_BENCH_NAME_MAX);

	if (n == 0 || n == EXO_BENCH_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-", name[i]))
			return false;
	return true;
}

/* The rules of <exo/bench.h> for a record's own fields. */
static int
bench_result_check(struct bench_run *r, const struct exo_bench_result *rec,
		   size_t len)
{
	if (len < EXO_BENCH_RESULT_HDR || rec->magic != EXO_BENCH_MAGIC)
		return bench_refuse(r, "a result record without the magic number");
	if (!bench_name_ok(rec->name))
		return bench_refuse(r, "a result whose name is not 1 to %d characters "
				    "of [A-Za-z0-9_.-]", EXO_BENCH_NAME_MAX - 1);
	if (rec->mark == 0 || rec->mark % EXO_BENCH_PHASES ||
	    rec->mark > EXO_BENCH_MARK_MAX)
		return bench_refuse(r, "%s: mark base %u is not a nonzero multiple "
				    "of %d", rec->name, rec->mark, EXO_BENCH_PHASES);
	if (rec->nsamples == 0 || rec->nsamples > EXO_BENCH_SAMPLES_MAX ||
	    rec->nsamples > rec->iterations)
		return bench_refuse(r, "%s: %u samples for %llu iterations (1 to "
				    "%d, at most one an iteration)", rec->name,
				    rec->nsamples, (unsigned long long)rec->iterations,
				    EXO_BENCH_SAMPLES_MAX);
	if (len < EXO_BENCH_RESULT_LEN(rec->nsamples))
		return bench_refuse(r, "%s: %zu bytes cannot hold %u samples",
				    rec->name, len, rec->nsamples);
	if (r->nops == EXO_BENCH_OPS_MAX)
		return bench_refuse(r, "more than %d results in one boot",
				    EXO_BENCH_OPS_MAX);
	return 0;
}

/*
 * Leave the untimed preparations between marks begin and end out of op's
 * loop counts: each pair's delta, and an empty pair for the marks
 * themselves (<exo/bench.h>).
 */
static void
bench_result_preps(const struct bench_run *r, uint32_t base, long begin, long end,
		   struct bench_op *op)
{
	const struct bench_mark *open = NULL;

	for (long i = begin + 1; i < end; i++) {
		const struct bench_mark *m = &r->marks[i];

		if (m->code == (base | EXO_BENCH_PREP)) {
			open = m;
		} else if (m->code == (base | EXO_BENCH_PREP | 1) && open) {
			for (int c = 0; c < BENCH_NCOUNTERS; c++)
				if (op->have[c] && m->v[c] >= 0 && open->v[c] >= 0)
					op->loop[c] -= m->v[c] - open->v[c] + op->empty[c];
			open = NULL;
		}
	}
}

/* The counters' deltas between op's four marks, which must come in order. */
static int
bench_result_marks(struct bench_run *r, const struct exo_bench_result *rec,
		   struct bench_op *op)
{
	static const char *const phase[EXO_BENCH_PHASES] = {
		"EMPTY_BEGIN", "EMPTY_END", "BEGIN", "END",
	};
	const struct bench_mark *m[EXO_BENCH_PHASES];
	long at[EXO_BENCH_PHASES];

	for (int p = 0; p < EXO_BENCH_PHASES; p++) {
		at[p] = bench_mark_find(r, rec->mark | (uint32_t)p);
		if (at[p] < 0)
			return bench_refuse(r, "%s: no %s mark (code %u) before its "
					    "result", rec->name, phase[p], rec->mark | p);
		if (p > 0 && at[p] < at[p - 1])
			return bench_refuse(r, "%s: its %s mark came before %s",
					    rec->name, phase[p], phase[p - 1]);
		m[p] = &r->marks[at[p]];
	}
	for (int c = 0; c < BENCH_NCOUNTERS; c++) {
		op->have[c] = true;
		for (int p = 0; p < EXO_BENCH_PHASES; p++)
			op->have[c] = op->have[c] && m[p]->v[c] >= 0;
		if (!op->have[c])
			continue;
		op->empty[c] = m[EXO_BENCH_EMPTY_END]->v[c] - m[EXO_BENCH_EMPTY_BEGIN]->v[c];
		op->loop[c] = m[EXO_BENCH_END]->v[c] - m[EXO_BENCH_BEGIN]->v[c];
	}
	bench_result_preps(r, rec->mark, at[EXO_BENCH_BEGIN], at[EXO_BENCH_END], op);
	return 0;
}

int
bench_result_add(struct bench_run *r, const void *buf, size_t len)
{
	const struct exo_bench_result *rec = buf;
	struct bench_op op = { .ratio_to_null = NAN };
	uint32_t *sorted;
	int err;

	err = bench_result_check(r, rec, len);
	if (err < 0)
		return err;
	err = bench_result_marks(r, rec, &op);
	if (err < 0)
		return err;
	sorted = malloc(rec->nsamples * sizeof(*sorted));
	if (!sorted)
		return bench_refuse(r, "%s: no memory for %u samples", rec->name,
				    rec->nsamples);
	memcpy(sorted, rec->samples, rec->nsamples * sizeof(*sorted));
	bench_stats_compute(sorted, rec->nsamples, &op.cycles);
	op.sorted = sorted;
	memcpy(op.name, rec->name, sizeof(op.name));
	op.iterations = rec->iterations;
	op.warmup = rec->warmup;
	op.loop_cycles = rec->loop_cycles;
	op.flags = rec->flags;
	r->ops[r->nops++] = op;
	return 0;
}

int
bench_on_result(void *ctx, const void *rec, size_t len)
{
	return bench_result_add(ctx, rec, len);
}

void
bench_run_finish(struct bench_run *r)
{
	const struct bench_op *null = NULL;

	for (unsigned i = 0; i < r->nops && !null; i++)
		if (!strcmp(r->ops[i].name, "null_syscall"))
			null = &r->ops[i];
	for (unsigned i = 0; i < r->nops; i++)
		r->ops[i].ratio_to_null = null && null->cycles.median ?
			(double)r->ops[i].cycles.median / null->cycles.median : NAN;
}

bool
bench_run_ok(const struct bench_run *r)
{
	return r->ran && r->res.outcome == VMM_EXITED && r->res.status == 0 &&
	       !r->error[0] && r->nops > 0;
}

bool
bench_run_ring0_exact(const struct bench_run *r)
{
	for (unsigned i = 0; i < r->nops; i++)
		if (!r->ops[i].have[BENCH_INSN])
			return false;
	return r->nops > 0 && r->res.platform == EXO_PLATFORM_KVM_PVM;
}
