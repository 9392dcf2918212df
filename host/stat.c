/*
 * exo stat's summary: crossings by kind with count and min/median/p99 TSC
 * cycles from the trace, page faults by resolution, records by kind, VM
 * exits by reason and device, and the exact ring-0 instruction count of the
 * whole run where KVM gives one (PVM: insn_emulation).
 */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <exo/exo.h>
#include <exo/ext.h>
#include <exo/ipc.h>
#include <exo/syscall.h>
#include <linux/kvm.h>

#include "bench.h"
#include "json.h"

static struct trace_stat_row *
stat_row(struct trace_stat *s, const char *key)
{
	struct trace_stat_row *r;

	for (size_t i = 0; i < s->nrows; i++)
		if (!strcmp(s->rows[i].key, key))
			return &s->rows[i];
	if (s->nrows == s->cap) {
		size_t c = s->cap ? 2 * s->cap : 16;

		r = realloc(s->rows, c * sizeof(*r));
		if (!r)
			return NULL;
		s->rows = r;
		s->cap = c;
	}
	r = &s->rows[s->nrows++];
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%s", key);
	return r;
}

static bool
push_u64(uint64_t **v, size_t *n, size_t *cap, uint64_t x)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		uint64_t *p = realloc(*v, c * sizeof(*p));

		if (!p)
			return false;
		*v = p;
		*cap = c;
	}
	(*v)[(*n)++] = x;
	return true;
}

/* How many of t's iretqs lie before position y. */
static size_t
irets_before(const struct trace_insns *t, uint64_t y)
{
	size_t lo = 0, hi = t->niret;

	while (lo < hi) {               /* first iretq at or after y */
		size_t mid = (lo + hi) / 2;

		if (t->iret[mid] < y)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* k's pending crossing owns n instructions. */
static void
stat_insns_own(struct trace_stat *s, unsigned cpu, uint64_t n)
{
	struct trace_stat_cpu *k = &s->cpu[cpu];
	struct trace_stat_row *r = k->pend;

	if (!push_u64(&r->insns, &r->ninsns, &r->cap_insns, n))
		return;
	r->cpu[cpu].ninsns++;
	r->cpu[cpu].insn_total += n;
	k->counted += n;
	k->crossings++;
	s->insn_counted += n;
}

/*
 * The exact ring-0 instructions of each crossing on an exact CPU, from its
 * sampled instruction stream. Between two of its crossings A and B:
 *
 *	A's last record ... iretq | ... iretq | B's entry code, B's first record
 *	      A's way out        ^  untraced  ^
 *
 * A owns everything up to the first iretq after its last record (its way
 * out), B everything after the last iretq before its first record (its
 * entry code). Kernel entries that are no crossing of their own lie
 * between, each ending with an iretq: an IPI that finds the CPU in user
 * mode (a shootdown's answer; no record), the pager's map reply by the
 * fast path (no record), a fault by the page-fault fast path (its record
 * is an instant, trace_walk). They are counted apart (untraced), not given
 * to A or B. A CPU's
 * first crossing starts after the last iretq before it, or at its record.
 * The pending crossing is closed when the next one on the same CPU is
 * known; a record's trace point is its CPU's nth mark.
 */
static void
stat_insns(struct trace_stat *s, struct trace_stat_row *r, const struct trace_crossing *c)
{
	struct trace_stat_cpu *k = &s->cpu[c->cpu];
	const struct trace_insns *t = &s->log->insn[c->cpu];
	uint64_t pa = t->mark[c->entry->nth];
	size_t last = irets_before(t, pa);      /* B's entry follows iret[last - 1] */
	uint64_t start = last ? t->iret[last - 1] : 0;

	if (k->pend) {
		uint64_t pb = t->mark[k->pend_exit];
		size_t first = irets_before(t, pb + 1); /* A's way out: iret[first] */

		if (first >= last) {            /* no iretq between: all A's */
			start = pa - 1;
			stat_insns_own(s, c->cpu, start - k->bound);
		} else {
			stat_insns_own(s, c->cpu, t->iret[first] - k->bound);
			k->untraced += start - t->iret[first];
			k->untraced_entries += last - 1 - first;
		}
	} else if (!last) {
		start = pa - 1;
	}
	k->bound = start;
	k->pend = r;
	k->pend_exit = c->exit->nth;
}

/* A CPU's last crossing: up to the first iretq after its last record. */
static void
stat_insns_end(struct trace_stat *s, unsigned cpu)
{
	struct trace_stat_cpu *k = &s->cpu[cpu];
	const struct trace_insns *t = &s->log->insn[cpu];
	uint64_t pb;

	if (!k->pend)
		return;
	pb = t->mark[k->pend_exit];
	for (size_t i = 0; i < t->niret; i++)
		if (t->iret[i] > pb) {
			stat_insns_own(s, cpu, t->iret[i] - k->bound);
			break;
		}
	k->pend = NULL;
}

static void
stat_crossing(void *ctx, const struct trace_crossing *c)
{
	struct trace_stat *s = ctx;
	struct trace_stat_row *r = stat_row(ctx, c->key);

	if (!r || c->cpu >= EXO_TRACE_CPUS_MAX)
		return;
	r->cpu[c->cpu].n++;
	if (s->cpu[c->cpu].exact)
		stat_insns(s, r, c);
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		uint64_t *p = realloc(r->cycles, cap * sizeof(*p));

		if (!p)
			return;
		r->cycles = p;
		r->cap = cap;
	}
	r->cycles[r->n++] = c->t1 - c->t0;
}

static void
stat_shootdown(struct trace_shootdowns *sd, const struct exo_trace_rec *r)
{
	if (sd->n == sd->cap) {
		size_t cap = sd->cap ? 2 * sd->cap : 64;
		uint64_t *a = realloc(sd->ack, cap * sizeof(*a));

		if (!a)
			return;         /* counted below, not timed */
		sd->ack = a;
		sd->cap = cap;
	}
	if (sd->n < sd->cap)
		sd->ack[sd->n] = r->a1;
	sd->n++;
	sd->pages += r->a16;
	sd->whole += r->a16 == 0;
	sd->targets += (uint64_t)__builtin_popcount(r->a32);
}

_Static_assert(STAT_UPCALLS == EXO_UPCALL_REPOSSESS + 1, "STAT_UPCALLS");
_Static_assert(STAT_EXT_EVENTS == EXT_EV_COUNT, "STAT_EXT_EVENTS");

/* Counts by kind and by each kind's own sub-kind, whatever the walk made of it. */
static void
stat_record(struct trace_stat *s, const struct exo_trace_rec *r)
{
	if (r->kind >= EXO_TRACE_NKINDS)
		return;
	s->kinds[r->kind]++;
	switch (r->kind) {
	case EXO_TRACE_UPCALL:
		if (r->a16 < STAT_UPCALLS)
			s->upcalls[r->a16]++;
		break;
	case EXO_TRACE_REVOKE:
		if (r->a16 < EXO_TRACE_RV_N)
			s->revoke[r->a16]++;
		break;
	case EXO_TRACE_SYSCALL_FAST:
		s->pct_fast += r->a16 == SYS_pct;
		break;
	case EXO_TRACE_IPC_ERROR:
		s->ipc_errors[EXO_IPC_ERR_CODE(r->a16)]++;
		break;
	case EXO_TRACE_PAGEFAULT:       /* a crossing of its own or inside one */
		if (r->a16 < EXO_TRACE_PF_N)
			s->pf[r->a16]++;
		break;
	case EXO_TRACE_SHOOTDOWN:
		stat_shootdown(&s->sd, r);
		break;
	case EXO_TRACE_EXT_RAISE:
		if (r->a16 < STAT_EXT_EVENTS) {
			s->ext_raises[r->a16]++;
			s->ext_runs[r->a16] += r->a32;
			s->ext_handled[r->a16] += r->a0 != 0;
		}
		break;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Nearest rank, as exo bench's percentiles. */
static uint64_t
pct(const uint64_t *v, size_t n, unsigned p)
{
	size_t rank = (p * n + 99) / 100;

	return v[rank ? rank - 1 : 0];
}

/* Whether every record of CPU c can be put in its instruction stream, or
 * why not. */
static bool
stat_cpu_exact(const struct trace_log *l, unsigned c, const char **why)
{
	const struct trace_insns *t = &l->insn[c];

	if (t->sampled < 0)
		*why = "the host gave no instruction stream (kvm:kvm_emulate_insn)";
	else if (t->lost)
		*why = "perf lost samples of its instruction stream";
	else if (l->cpu_dropped[c] || l->oom)
		*why = "trace records were lost";
	else if (t->nmark != l->cpu_nev[c])
		*why = "not one trace point in its instruction stream per record "
		       "(not a PVM host, or trace points of a form exo does not know)";
	else
		return true;
	return false;
}

/* Each CPU's stream: exact or why not; every one seen exact is insn_exact. */
static void
stat_cpus(const struct trace_log *l, struct trace_stat *s)
{
	bool any = false, all = true;

	s->insn_sampled = -1;
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++) {
		struct trace_stat_cpu *k = &s->cpu[c];
		const struct trace_insns *t = &l->insn[c];

		k->seen = l->cpu_nev[c] || t->sampled >= 0;
		if (!k->seen)
			continue;
		any = true;
		k->sampled = t->sampled;
		k->lost = t->lost;
		k->records = l->cpu_nev[c];
		k->marks = t->nmark;
		k->irets = t->niret;
		k->exact = stat_cpu_exact(l, c, &k->why);
		if (t->sampled >= 0)
			s->insn_sampled = (s->insn_sampled < 0 ? 0 : s->insn_sampled) +
					  t->sampled;
		if (!k->exact && all) {
			all = false;
			s->insn_why = k->why;
		}
	}
	s->insn_exact = any && all;
	if (!any)
		s->insn_why = "the host gave no instruction stream (kvm:kvm_emulate_insn)";
}

void
trace_stat_compute(const struct trace_log *l, struct trace_stat *s)
{
	struct trace_walk w = { stat_crossing, NULL, NULL, s };

	memset(s, 0, sizeof(*s));
	s->log = l;
	stat_cpus(l, s);
	s->unmatched = trace_walk(l, &w);
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++)
		if (s->cpu[c].exact)
			stat_insns_end(s, c);
	s->records = l->nev;
	s->dropped = l->dropped;
	for (size_t i = 0; i < l->nev; i++)
		stat_record(s, &l->ev[i].r);
	if (s->sd.n && s->sd.n <= s->sd.cap) {
		qsort(s->sd.ack, s->sd.n, sizeof(*s->sd.ack), cmp_u64);
		s->sd.ack_min = s->sd.ack[0];
		s->sd.ack_max = s->sd.ack[s->sd.n - 1];
		s->sd.ack_median = pct(s->sd.ack, s->sd.n, 50);
		s->sd.ack_p99 = pct(s->sd.ack, s->sd.n, 99);
	}
	for (size_t i = 0; i < s->nrows; i++) {
		struct trace_stat_row *r = &s->rows[i];

		qsort(r->cycles, r->n, sizeof(*r->cycles), cmp_u64);
		r->min = r->cycles[0];
		r->max = r->cycles[r->n - 1];
		r->median = pct(r->cycles, r->n, 50);
		r->p99 = pct(r->cycles, r->n, 99);
		if (r->ninsns) {
			qsort(r->insns, r->ninsns, sizeof(*r->insns), cmp_u64);
			r->insn_min = r->insns[0];
			r->insn_max = r->insns[r->ninsns - 1];
			r->insn_median = pct(r->insns, r->ninsns, 50);
			for (size_t k = 0; k < r->ninsns; k++)
				r->insn_total += r->insns[k];
		}
	}
	for (size_t i = 0; i < l->nexit; i++) {
		const struct trace_exit *x = &l->exit[i];

		if (x->reason < 64)
			s->exits_by_reason[x->reason]++;
		if (x->reason == KVM_EXIT_IO) {
			if (x->port >= 0x510 && x->port < 0x518)
				s->exits_by_port[x->port - 0x510]++;
			else
				s->exits_other_port++;
		}
	}
}

void
trace_stat_free(struct trace_stat *s)
{
	for (size_t i = 0; i < s->nrows; i++) {
		free(s->rows[i].cycles);
		free(s->rows[i].insns);
	}
	free(s->rows);
	free(s->sd.ack);
	memset(s, 0, sizeof(*s));
}

static const char *const exit_names[] = {
	[KVM_EXIT_IO] = "io", [KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_INTR] = "intr", [KVM_EXIT_SHUTDOWN] = "shutdown",
};
static const char *const device_names[8] = {
	"console", "exit", "event", "doorbell", "bench", "console_in", "0x516", "0x517",
};

static const char *
exit_name(unsigned r)
{
	return r < sizeof(exit_names) / sizeof(exit_names[0]) && exit_names[r] ?
	       exit_names[r] : "other";
}

/* The r0 columns' legend, and each CPU's stream: exact, or why not. */
static void
stat_print_cpus(FILE *f, const struct trace_stat *s, const struct vmm_result *res)
{
	unsigned seen = 0;
	uint64_t untraced = 0;

	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++) {
		seen += s->cpu[c].seen;
		untraced += s->cpu[c].untraced_entries;
	}
	if (s->insn_exact)
		fprintf(f, "  r0: ring-0 instructions of each crossing, exact on %s (every "
			"one KVM emulated, sampled from kvm:kvm_emulate_insn on each vCPU's "
			"thread and cut at the trace points and iretqs; trace points "
			"included); %llu of %lld in crossings\n",
			seen > 1 ? "every vCPU" : "its vCPU",
			(unsigned long long)s->insn_counted, (long long)s->insn_sampled);
	else if (s->insn_sampled < 0)
		fprintf(f, "  r0: per-crossing ring-0 instructions not available: %s\n",
			res->insn_why[0] ? res->insn_why : s->insn_why);
	else
		fprintf(f, "  r0: ring-0 instructions of each crossing on the vCPUs "
			"marked exact below (sampled from kvm:kvm_emulate_insn, cut at "
			"the trace points and iretqs); %llu of %lld in crossings\n",
			(unsigned long long)s->insn_counted, (long long)s->insn_sampled);
	if (seen < 2 && s->insn_exact && !untraced)
		return;
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++) {
		const struct trace_stat_cpu *k = &s->cpu[c];

		if (!k->seen)
			continue;
		if (k->exact)
			fprintf(f, "  r0 on vCPU %u: exact, %llu crossings, %llu of %lld "
				"sampled instructions in them, %llu in %llu kernel entries "
				"between them that are no crossing of their own\n", c,
				(unsigned long long)k->crossings,
				(unsigned long long)k->counted, (long long)k->sampled,
				(unsigned long long)k->untraced,
				(unsigned long long)k->untraced_entries);
		else if (k->sampled < 0)
			fprintf(f, "  r0 on vCPU %u: not exact: %s\n", c,
				res->insn_why[0] ? res->insn_why : k->why);
		else
			fprintf(f, "  r0 on vCPU %u: not exact: %s (%llu records, %llu "
				"trace points, %llu samples lost)\n", c, k->why,
				(unsigned long long)k->records,
				(unsigned long long)k->marks, (unsigned long long)k->lost);
	}
}

/* Extensions' events: each one raised, how many handlers ran, how many
 * raises a handler ended (the rest went on to the kernel's default). */
static void
stat_print_ext(FILE *f, const struct trace_stat *s)
{
	bool any = false;

	fprintf(f, "  extension events:");
	for (unsigned i = 1; i < STAT_EXT_EVENTS; i++) {
		if (!s->ext_raises[i])
			continue;
		fprintf(f, "%s %s raised %llu, handlers run %llu, handled %llu",
			any ? ";" : "", trace_ext_event_name(i),
			(unsigned long long)s->ext_raises[i], (unsigned long long)s->ext_runs[i],
			(unsigned long long)s->ext_handled[i]);
		any = true;
	}
	fprintf(f, "%s\n", any ? "" : " none");
}

void
trace_stat_print(FILE *f, const struct trace_stat *s, const struct vmm_result *res)
{

	fprintf(f, "exo stat: %llu trace records, %llu lost\n",
		(unsigned long long)s->records, (unsigned long long)s->dropped);
	fprintf(f, "  %-36s %8s %10s %10s %10s %8s %8s %8s\n", "crossing", "count",
		"min", "median", "p99", "r0 min", "r0 med", "r0 max");
	for (size_t i = 0; i < s->nrows; i++) {
		const struct trace_stat_row *r = &s->rows[i];

		if (!r->max)            /* one record: no duration */
			fprintf(f, "  %-36s %8llu %10s %10s %10s", r->key,
				(unsigned long long)r->n, "-", "-", "-");
		else
			fprintf(f, "  %-36s %8llu %10llu %10llu %10llu", r->key,
				(unsigned long long)r->n, (unsigned long long)r->min,
				(unsigned long long)r->median, (unsigned long long)r->p99);
		if (r->ninsns)
			fprintf(f, " %8llu %8llu %8llu\n", (unsigned long long)r->insn_min,
				(unsigned long long)r->insn_median,
				(unsigned long long)r->insn_max);
		else
			fprintf(f, " %8s %8s %8s\n", "-", "-", "-");
	}
	fprintf(f, "  cycles: TSC cycles from the entry's trace point to the exit's "
		"(nearest rank); a fast path or the entry code's own work (exception "
		"upcall, software TLB fill) writes one record, so it has no duration\n");
	stat_print_cpus(f, s, res);
	fprintf(f, "  page faults:");
	for (unsigned i = 1; i < EXO_TRACE_PF_N; i++)
		fprintf(f, " %s %llu%s", trace_pf_name(i), (unsigned long long)s->pf[i],
			i < EXO_TRACE_PF_N - 1 ? "," : "\n");
	fprintf(f, "  upcalls:");
	for (unsigned i = 1; i < STAT_UPCALLS; i++)
		fprintf(f, " %s %llu%s", trace_upcall_name(i),
			(unsigned long long)s->upcalls[i], i < STAT_UPCALLS - 1 ? "," : "");
	fprintf(f, "; exception upcalls %llu\n",
		(unsigned long long)s->kinds[EXO_TRACE_EXC_UPCALL]);
	fprintf(f, "  revocation steps:");
	for (unsigned i = 1; i < EXO_TRACE_RV_N; i++)
		fprintf(f, " %s %llu%s", trace_revoke_name(i),
			(unsigned long long)s->revoke[i], i < EXO_TRACE_RV_N - 1 ? "," : "\n");
	stat_print_ext(f, s);
	fprintf(f, "  IPC errors:");
	for (unsigned i = 1; i <= EXO_IPC_NOTMINE; i++)
		fprintf(f, " %s %llu%s", trace_ipc_error_name(i),
			(unsigned long long)s->ipc_errors[i], i < EXO_IPC_NOTMINE ? "," :
			" (an IPC without an error record succeeded)\n");
	fprintf(f, "  slices: %llu started, %llu ended; protected control transfers: "
		"%llu (%llu by the fast path)\n",
		(unsigned long long)s->kinds[EXO_TRACE_SLICE_START],
		(unsigned long long)s->kinds[EXO_TRACE_SLICE_END],
		(unsigned long long)(s->kinds[EXO_TRACE_PCT] + s->pct_fast),
		(unsigned long long)s->pct_fast);
	if (!s->sd.n)
		fprintf(f, "  TLB shootdowns: 0 (none interrupted another CPU)\n");
	else
		fprintf(f, "  TLB shootdowns: %llu, %llu pages one by one, %llu whole-space, "
			"%llu target CPUs in all; cycles to acknowledgement min %llu "
			"median %llu p99 %llu max %llu\n", (unsigned long long)s->sd.n,
			(unsigned long long)s->sd.pages, (unsigned long long)s->sd.whole,
			(unsigned long long)s->sd.targets,
			(unsigned long long)s->sd.ack_min,
			(unsigned long long)s->sd.ack_median,
			(unsigned long long)s->sd.ack_p99,
			(unsigned long long)s->sd.ack_max);
	fprintf(f, "  VM exits:");
	for (unsigned r = 0; r < 64; r++)
		if (s->exits_by_reason[r])
			fprintf(f, " %s %llu", exit_name(r),
				(unsigned long long)s->exits_by_reason[r]);
	fprintf(f, "\n  port I/O by device:");
	for (unsigned p = 0; p < 8; p++)
		if (s->exits_by_port[p])
			fprintf(f, " %s %llu", device_names[p],
				(unsigned long long)s->exits_by_port[p]);
	fprintf(f, "\n");
	if (res->insn_emulation >= 0 && res->platform == EXO_PLATFORM_KVM_PVM)
		fprintf(f, "  ring-0 instructions: %lld in all (exact: KVM's "
			"insn_emulation on PVM), trace points included (8 to 11 "
			"each: exo bench trace measures them)\n",
			(long long)res->insn_emulation);
	else
		fprintf(f, "  ring-0 instructions: not countable here (%s)\n",
			res->insn_emulation < 0 ? "no KVM binary statistics" :
			"hardware KVM runs ring 0 natively");
	if (s->unmatched)
		fprintf(f, "  %llu kernel entries without their exit (records lost, or "
			"the guest stopped inside the kernel)\n",
			(unsigned long long)s->unmatched);
}

/* ring0_per_cpu: each vCPU's instruction stream (exo-stat/1, added). */
static void
stat_json_cpus(struct json *j, const struct trace_stat *s, const struct vmm_result *res)
{
	json_key(j, "ring0_per_cpu");
	json_array(j);
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++) {
		const struct trace_stat_cpu *k = &s->cpu[c];
		bool known = c < res->ncpus && c < EXO_MAX_CPUS;

		if (!k->seen)
			continue;
		json_object(j);
		json_key(j, "cpu");
		json_u64(j, c);
		json_key(j, "exact");
		json_bool(j, k->exact);
		json_key(j, "why");
		if (k->exact)
			json_null(j);
		else
			json_string(j, k->sampled < 0 && res->insn_why[0] ? res->insn_why
									  : k->why);
		json_key(j, "sampled");
		json_i64(j, k->sampled);
		json_key(j, "lost");
		json_u64(j, k->lost);
		json_key(j, "failed");          /* samples KVM marked failed */
		json_u64(j, known ? res->cpu_insn_failed[c] : 0);
		json_key(j, "insn_emulation");  /* KVM's own count, this vCPU */
		json_i64(j, known ? res->cpu_insn_emulation[c] : -1);
		json_key(j, "records");
		json_u64(j, k->records);
		json_key(j, "trace_points");
		json_u64(j, k->marks);
		json_key(j, "iretqs");
		json_u64(j, k->irets);
		json_key(j, "crossings");
		json_u64(j, k->crossings);
		json_key(j, "in_crossings");
		json_u64(j, k->counted);
		json_key(j, "untraced_entries");        /* between crossings */
		json_u64(j, k->untraced_entries);
		json_key(j, "in_untraced");
		json_u64(j, k->untraced);
		json_close(j);
	}
	json_close(j);
}

/* A crossing kind's by_cpu: its count and ring-0 total on each vCPU. */
static void
stat_json_row_cpus(struct json *j, const struct trace_stat_row *r)
{
	json_key(j, "by_cpu");
	json_array(j);
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++) {
		if (!r->cpu[c].n)
			continue;
		json_object(j);
		json_key(j, "cpu");
		json_u64(j, c);
		json_key(j, "count");
		json_u64(j, r->cpu[c].n);
		json_key(j, "ring0_count");     /* of them with an exact count */
		json_u64(j, r->cpu[c].ninsns);
		json_key(j, "ring0_total");
		json_u64(j, r->cpu[c].insn_total);
		json_close(j);
	}
	json_close(j);
}

int
trace_stat_json(FILE *f, const struct trace_stat *s, const struct vmm_result *res)
{
	bool exact = res->insn_emulation >= 0 && res->platform == EXO_PLATFORM_KVM_PVM;
	struct json j;

	json_begin(&j, f);
	json_object(&j);
	json_key(&j, "schema");
	json_string(&j, "exo-stat/1");
	json_key(&j, "platform");
	json_string(&j, exo_platform_name(res->platform));
	json_key(&j, "records");
	json_u64(&j, s->records);
	json_key(&j, "dropped");
	json_u64(&j, s->dropped);
	json_key(&j, "unmatched");
	json_u64(&j, s->unmatched);
	json_key(&j, "ring0_exact");
	json_bool(&j, exact);
	json_key(&j, "ring0_insns");
	if (exact)
		json_i64(&j, res->insn_emulation);
	else
		json_null(&j);
	json_key(&j, "ring0_per_crossing_exact");
	json_bool(&j, s->insn_exact);
	json_key(&j, "ring0_in_crossings");
	json_u64(&j, s->insn_counted);
	json_key(&j, "ring0_sampled");
	json_i64(&j, s->insn_sampled);
	stat_json_cpus(&j, s, res);
	json_key(&j, "crossings");
	json_array(&j);
	for (size_t i = 0; i < s->nrows; i++) {
		const struct trace_stat_row *r = &s->rows[i];
		bool fast = !r->max;

		json_object(&j);
		json_key(&j, "kind");
		json_string(&j, r->key);
		json_key(&j, "count");
		json_u64(&j, r->n);
		json_key(&j, "ring0");
		if (r->ninsns) {
			json_object(&j);
			json_key(&j, "min");
			json_u64(&j, r->insn_min);
			json_key(&j, "median");
			json_u64(&j, r->insn_median);
			json_key(&j, "max");
			json_u64(&j, r->insn_max);
			json_key(&j, "total");
			json_u64(&j, r->insn_total);
			json_close(&j);
		} else {
			json_null(&j);
		}
		stat_json_row_cpus(&j, r);
		json_key(&j, "cycles");
		if (fast) {
			json_null(&j);
		} else {
			json_object(&j);
			json_key(&j, "min");
			json_u64(&j, r->min);
			json_key(&j, "median");
			json_u64(&j, r->median);
			json_key(&j, "p99");
			json_u64(&j, r->p99);
			json_key(&j, "max");
			json_u64(&j, r->max);
			json_close(&j);
		}
		json_close(&j);
	}
	json_close(&j);
	json_key(&j, "shootdowns");
	json_object(&j);
	json_key(&j, "count");
	json_u64(&j, s->sd.n);
	json_key(&j, "pages");
	json_u64(&j, s->sd.pages);
	json_key(&j, "whole_space");
	json_u64(&j, s->sd.whole);
	json_key(&j, "target_cpus");
	json_u64(&j, s->sd.targets);
	json_key(&j, "ack_cycles_median");     /* as main's schema had it */
	json_u64(&j, s->sd.ack_median);
	json_key(&j, "ack_cycles");
	if (s->sd.n) {
		json_object(&j);
		json_key(&j, "min");
		json_u64(&j, s->sd.ack_min);
		json_key(&j, "median");
		json_u64(&j, s->sd.ack_median);
		json_key(&j, "p99");
		json_u64(&j, s->sd.ack_p99);
		json_key(&j, "max");
		json_u64(&j, s->sd.ack_max);
		json_close(&j);
	} else {
		json_null(&j);
	}
	json_close(&j);
	json_key(&j, "page_faults");
	json_object(&j);
	for (unsigned i = 1; i < EXO_TRACE_PF_N; i++) {
		json_key(&j, trace_pf_name(i));
		json_u64(&j, s->pf[i]);
	}
	json_close(&j);
	json_key(&j, "upcalls");
	json_object(&j);
	for (unsigned i = 1; i < STAT_UPCALLS; i++) {
		json_key(&j, trace_upcall_name(i));
		json_u64(&j, s->upcalls[i]);
	}
	json_key(&j, "exception");
	json_u64(&j, s->kinds[EXO_TRACE_EXC_UPCALL]);
	json_close(&j);
	json_key(&j, "revoke");
	json_object(&j);
	for (unsigned i = 1; i < EXO_TRACE_RV_N; i++) {
		json_key(&j, trace_revoke_name(i));
		json_u64(&j, s->revoke[i]);
	}
	json_close(&j);
	json_key(&j, "extensions");
	json_object(&j);
	for (unsigned i = 1; i < STAT_EXT_EVENTS; i++) {
		json_key(&j, trace_ext_event_name(i));
		json_object(&j);
		json_key(&j, "raises");
		json_u64(&j, s->ext_raises[i]);
		json_key(&j, "handler_runs");
		json_u64(&j, s->ext_runs[i]);
		json_key(&j, "handled");
		json_u64(&j, s->ext_handled[i]);
		json_close(&j);
	}
	json_close(&j);
	json_key(&j, "ipc_errors");
	json_object(&j);
	for (unsigned i = 1; i <= EXO_IPC_NOTMINE; i++) {
		json_key(&j, trace_ipc_error_name(i));
		json_u64(&j, s->ipc_errors[i]);
	}
	json_close(&j);
	json_key(&j, "records_by_kind");
	json_object(&j);
	for (unsigned k = 1; k < EXO_TRACE_NKINDS; k++) {
		json_key(&j, trace_kind_name(k));
		json_u64(&j, s->kinds[k]);
	}
	json_close(&j);
	json_key(&j, "vm_exits");
	json_object(&j);
	for (unsigned r = 0; r < 64; r++) {
		if (!s->exits_by_reason[r])
			continue;
		json_key(&j, exit_name(r));
		json_u64(&j, s->exits_by_reason[r]);
	}
	json_close(&j);
	json_key(&j, "port_io");
	json_object(&j);
	for (unsigned p = 0; p < 6; p++) {
		json_key(&j, device_names[p]);
		json_u64(&j, s->exits_by_port[p]);
	}
	json_close(&j);
	json_close(&j);
	return json_end(&j);
}
