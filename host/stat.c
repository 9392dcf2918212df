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

/* The position of the last iretq before position y (0: none). */
static uint64_t
iret_before(const struct trace_log *l, uint64_t y)
{
	size_t lo = 0, hi = l->niret;

	while (lo < hi) {               /* first iretq at or after y */
		size_t mid = (lo + hi) / 2;

		if (l->insn_iret[mid] < y)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo ? l->insn_iret[lo - 1] : 0;
}

/*
 * The exact ring-0 instructions of each crossing (insn_exact): the sampled
 * instruction stream is cut between two crossings at the last iretq after
 * the first one's last record and before the next one's first record (its
 * way out ends there, and the next entry's code starts after it), so a
 * crossing owns its entry code, everything up to its exit record, and its
 * way out. The pending crossing is closed when the next one is known.
 */
static void
stat_insns(struct trace_stat *s, struct trace_stat_row *r, const struct trace_crossing *c)
{
	const struct trace_log *l = s->log;
	size_t a = (size_t)(c->entry - l->ev), b = (size_t)(c->exit - l->ev);
	uint64_t pa = l->insn_mark[a], cut = iret_before(l, pa);

	if (s->pend) {
		if (cut <= l->insn_mark[s->pend_exit])
			cut = pa - 1;   /* no iretq between them: all the earlier one's */
		if (push_u64(&s->pend->insns, &s->pend->ninsns, &s->pend->cap_insns,
			     cut - s->bound))
			s->insn_counted += cut - s->bound;
	} else if (!cut) {
		cut = pa - 1;
	}
	s->bound = cut;
	s->pend = r;
	s->pend_exit = b;
}

/* The last crossing: up to the first iretq after its last record. */
static void
stat_insns_end(struct trace_stat *s)
{
	const struct trace_log *l = s->log;
	uint64_t pb;

	if (!s->pend)
		return;
	pb = l->insn_mark[s->pend_exit];
	for (size_t i = 0; i < l->niret; i++)
		if (l->insn_iret[i] > pb) {
			if (push_u64(&s->pend->insns, &s->pend->ninsns,
				     &s->pend->cap_insns, l->insn_iret[i] - s->bound))
				s->insn_counted += l->insn_iret[i] - s->bound;
			break;
		}
	s->pend = NULL;
}

static void
stat_crossing(void *ctx, const struct trace_crossing *c)
{
	struct trace_stat *s = ctx;
	struct trace_stat_row *r = stat_row(ctx, c->key);

	if (!r)
		return;
	if (s->insn_exact)
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

/* Whether every record can be put in the instruction stream, or why not. */
static bool
stat_insn_exact(const struct trace_log *l, const char **why)
{
	if (l->insn_sampled < 0)
		*why = "the host gave no instruction stream (kvm:kvm_emulate_insn)";
	else if (l->insn_lost)
		*why = "perf lost samples of the instruction stream";
	else if (l->dropped || l->oom)
		*why = "trace records were lost";
	else if (l->nmark != l->nev)
		*why = "not one trace point in the instruction stream per record "
		       "(more than one vCPU, or not a PVM host)";
	else
		return true;
	return false;
}

void
trace_stat_compute(const struct trace_log *l, struct trace_stat *s)
{
	struct trace_walk w = { stat_crossing, NULL, NULL, s };

	memset(s, 0, sizeof(*s));
	s->log = l;
	s->insn_exact = stat_insn_exact(l, &s->insn_why);
	s->unmatched = trace_walk(l, &w);
	if (s->insn_exact)
		stat_insns_end(s);
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
	if (s->insn_exact)
		fprintf(f, "  r0: ring-0 instructions of each crossing, exact (every one "
			"KVM emulated, sampled from kvm:kvm_emulate_insn and cut at the trace "
			"points and iretqs; trace points included); %llu of %lld in crossings\n",
			(unsigned long long)s->insn_counted, (long long)s->log->insn_sampled);
	else
		fprintf(f, "  r0: per-crossing ring-0 instructions not available: %s\n",
			res->insn_sampled < 0 && res->insn_why[0] ? res->insn_why :
			s->insn_why);
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

int
trace_stat_json(FILE *f, const struct trace_stat *s, const struct vmm_result *res)
{
	bool exact = res->insn_emulation >= 0 && res->platform == EXO_PLATFORM_KVM_PVM;
	struct json j;

	json_begin(&j, f);
	json_object(&j);
	json_key(&j, "schema");
	json_string(&j, "exo-stat/1");
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
	json_i64(&j, s->log->insn_sampled);
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
