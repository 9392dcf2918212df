/*
 * The trace log, names, the walk that pairs entries with exits, and the
 * Chrome trace-event JSON writer (see trace.h).
 */
#include "trace.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <exo/exo.h>
#include <exo/ext.h>
#include <exo/ipc.h>
#include <exo/syscall.h>
#include <exo/vectors.h>
#include <linux/kvm.h>

#include "json.h"
#include "symbols.h"

/* The log */

static bool
grow(void **arr, size_t *n, size_t *cap, size_t size)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 1024;
		void *p = realloc(*arr, c * size);

		if (!p)
			return false;
		*arr = p;
		*cap = c;
	}
	return true;
}

void
trace_log_init(struct trace_log *l)
{
	memset(l, 0, sizeof(*l));
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++)
		l->insn[c].sampled = -1;
}

void
trace_log_free(struct trace_log *l)
{
	free(l->ev);
	free(l->ring);
	free(l->exit);
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++) {
		free(l->insn[c].mark);
		free(l->insn[c].iret);
	}
	memset(l, 0, sizeof(*l));
}

void
trace_log_record(void *ctx, unsigned cpu, const struct exo_trace_rec *rec)
{
	struct trace_log *l = ctx;
	uint64_t nth = cpu < EXO_TRACE_CPUS_MAX ? l->cpu_nev[cpu]++ : 0;

	if (!grow((void **)&l->ev, &l->nev, &l->cap_ev, sizeof(*l->ev))) {
		l->oom = true;
		return;
	}
	l->ev[l->nev++] = (struct trace_ev){
		.tsc = (uint64_t)rec->tsc_hi << 32 | rec->tsc_lo, .cpu = cpu,
		.nth = nth, .r = *rec,
	};
}

static void
trace_log_ring(void *ctx, unsigned cpu, uint64_t tsc, uint64_t pending,
	       uint64_t dropped)
{
	struct trace_log *l = ctx;

	if (!grow((void **)&l->ring, &l->nring, &l->cap_ring, sizeof(*l->ring))) {
		l->oom = true;
		return;
	}
	l->ring[l->nring++] = (struct trace_ring_sample){ tsc, pending, dropped, cpu };
	/* dropped is per CPU and only grows. */
	if (cpu < EXO_TRACE_CPUS_MAX) {
		l->dropped += dropped - l->cpu_dropped[cpu];
		l->cpu_dropped[cpu] = dropped;
	}
}

static void
trace_log_exit(void *ctx, unsigned cpu, uint64_t tsc, uint32_t reason, uint16_t port)
{
	struct trace_log *l = ctx;

	if (!grow((void **)&l->exit, &l->nexit, &l->cap_exit, sizeof(*l->exit))) {
		l->oom = true;
		return;
	}
	l->exit[l->nexit++] = (struct trace_exit){ tsc, reason, port, (uint16_t)cpu };
}

static void
trace_log_insn(void *ctx, unsigned cpu, uint64_t pos, unsigned what)
{
	struct trace_log *l = ctx;
	bool mark = what == VMM_INSN_TRACE;
	struct trace_insns *t;

	if (cpu >= EXO_TRACE_CPUS_MAX)
		return;
	t = &l->insn[cpu];
	if (!grow(mark ? (void **)&t->mark : (void **)&t->iret,
		  mark ? &t->nmark : &t->niret, mark ? &t->cap_mark : &t->cap_iret,
		  sizeof(uint64_t))) {
		l->oom = true;
		return;
	}
	if (mark)
		t->mark[t->nmark++] = pos;
	else
		t->iret[t->niret++] = pos;
}

void
trace_log_insns(struct trace_log *l, const struct vmm_result *res)
{
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX && c < EXO_MAX_CPUS; c++) {
		l->insn[c].sampled = c < res->ncpus ? res->cpu_insn_sampled[c] : -1;
		l->insn[c].lost = c < res->ncpus ? res->cpu_insn_lost[c] : 0;
	}
}

struct vmm_trace_sink
trace_log_sink(struct trace_log *l)
{
	return (struct vmm_trace_sink){
		.ctx = l, .record = trace_log_record, .ring = trace_log_ring,
		.exit = trace_log_exit, .insn = trace_log_insn,
	};
}

/* Names */

#define KIND_NAME_(N, n, b, c, d, e) [EXO_TRACE_##N] = n,
static const char *const kind_names[EXO_TRACE_NKINDS] = { EXO_TRACE_KINDS(KIND_NAME_) };

const char *
trace_kind_name(unsigned kind)
{
	return kind < EXO_TRACE_NKINDS ? kind_names[kind] : "unknown";
}

static const char *const syscall_names[SYS_NR] = {
	[SYS_exit] = "exit", [SYS_console_write] = "console_write",
	[SYS_ktest] = "ktest", [SYS_ipc] = "ipc",
	[SYS_thread_control] = "thread_control",
	[SYS_exchange_registers] = "exchange_registers",
	[SYS_thread_switch] = "thread_switch", [SYS_unmap] = "unmap",
	[SYS_irq_control] = "irq_control", [SYS_bench_mark] = "bench_mark",
	[SYS_cap_info] = "cap_info", [SYS_cap_derive] = "cap_derive",
	[SYS_cap_pass] = "cap_pass", [SYS_cap_drop] = "cap_drop",
	[SYS_env_cap] = "env_cap", [SYS_frame_alloc] = "frame_alloc",
	[SYS_frame_free] = "frame_free", [SYS_bind] = "bind", [SYS_unbind] = "unbind",
	[SYS_bind_query] = "bind_query", [SYS_env_entry] = "env_entry",
	[SYS_upcall_wait] = "upcall_wait", [SYS_pct] = "pct",
	[SYS_slice_alloc] = "slice_alloc", [SYS_slice_yield] = "slice_yield",
	[SYS_revoke_request] = "revoke_request", [SYS_repossessed] = "repossessed",
	[SYS_env_backing] = "env_backing", [SYS_backing_read] = "backing_read",
	[SYS_slice_give] = "slice_give", [SYS_bind_env] = "bind_env",
	[SYS_bind_protect] = "bind_protect",
};

const char *
trace_syscall_name(unsigned nr)
{
	return nr < SYS_NR && syscall_names[nr] ? syscall_names[nr] : "unknown";
}

static const char *const vector_names[] = EXO_VECTOR_NAMES;

const char *
trace_vector_name(unsigned v)
{
	return v < sizeof(vector_names) / sizeof(vector_names[0]) ? vector_names[v] : "?";
}

const char *
trace_ext_event_name(unsigned ev)
{
	static const char *const names[] = {
		[EXT_EV_SYSCALL] = "syscall", [EXT_EV_PAGEFAULT] = "pagefault",
		[EXT_EV_THREAD] = "thread", [EXT_EV_IPC] = "ipc", [EXT_EV_IRQ] = "irq",
		[EXT_EV_TIMER] = "timer", [EXT_EV_PACKET] = "packet",
	};

	return ev < EXT_EV_COUNT && names[ev] ? names[ev] : "?";
}

const char *
trace_pf_name(unsigned res)
{
	static const char *const names[] = {
		[EXO_TRACE_PF_SIGMA0] = "sigma0", [EXO_TRACE_PF_PAGER] = "pager",
		[EXO_TRACE_PF_UPCALL] = "upcall", [EXO_TRACE_PF_KILL] = "kill",
		[EXO_TRACE_PF_STLB] = "software_tlb", [EXO_TRACE_PF_EXT] = "extension",
		[EXO_TRACE_PF_MODULE] = "module",
	};

	return res < EXO_TRACE_PF_N && names[res] ? names[res] : "?";
}

const char *
trace_upcall_name(unsigned up)
{
	static const char *const names[] = {
		[EXO_UPCALL_SLICE_START] = "slice_start",
		[EXO_UPCALL_SLICE_END] = "slice_end", [EXO_UPCALL_REVOKE] = "revoke",
		[EXO_UPCALL_REPOSSESS] = "repossess",
	};

	return up < sizeof(names) / sizeof(names[0]) && names[up] ? names[up] : "?";
}

const char *
trace_ipc_error_name(unsigned code)
{
	static const char *const names[] = {
		[EXO_IPC_TIMEOUT] = "timeout", [EXO_IPC_NOPARTNER] = "no_partner",
		[EXO_IPC_CANCELED] = "canceled", [EXO_IPC_OVERFLOW] = "overflow",
		[EXO_IPC_NOTMINE] = "not_mine",
	};

	return code < sizeof(names) / sizeof(names[0]) && names[code] ? names[code] : "?";
}

const char *
trace_revoke_name(unsigned step)
{
	static const char *const names[] = {
		[EXO_TRACE_RV_REQUEST] = "request", [EXO_TRACE_RV_RETURNED] = "returned",
		[EXO_TRACE_RV_ABORT] = "abort",
	};

	return step < EXO_TRACE_RV_N && names[step] ? names[step] : "?";
}

/* The fields a kind uses, by the names in EXO_TRACE_KINDS, as JSON members. */
#define KIND_FIELDS_(N, n, b, c, d, e) [EXO_TRACE_##N] = { b, c, d, e },
static const char *const kind_fields[EXO_TRACE_NKINDS][4] = {
	EXO_TRACE_KINDS(KIND_FIELDS_)
};

void
trace_rec_args(struct json *j, const struct exo_trace_rec *r)
{
	const char *const *f;

	if (r->kind >= EXO_TRACE_NKINDS)
		return;
	f = kind_fields[r->kind];
	if (*f[0]) {
		json_key(j, f[0]);
		json_u64(j, r->a16);
	}
	if (*f[1]) {
		json_key(j, f[1]);
		json_u64(j, r->a32);
	}
	if (*f[2]) {
		json_key(j, f[2]);
		json_u64(j, r->a0);
	}
	if (*f[3]) {
		json_key(j, f[3]);
		json_u64(j, r->a1);
	}
}

/* The walk */

struct cpu_state {
	bool open;
	struct trace_crossing c;
	uint64_t thread;                 /* in user mode since user_t0, 0: none */
	uint64_t user_t0;
};

static void
crossing_open(struct cpu_state *s, const struct trace_ev *e)
{
	const struct exo_trace_rec *r = &e->r;

	s->open = true;
	s->c = (struct trace_crossing){ .cpu = e->cpu, .t0 = e->tsc, .entry = e,
					 .thread_in = s->thread };
	if (r->kind == EXO_TRACE_SYSCALL)
		snprintf(s->c.key, sizeof(s->c.key), "syscall %s",
			 trace_syscall_name(r->a16));
	else if (r->kind == EXO_TRACE_EXCEPTION)
		snprintf(s->c.key, sizeof(s->c.key), "exception %s",
			 trace_vector_name(r->a16));
	else
		snprintf(s->c.key, sizeof(s->c.key), "irq %u", r->a16);
}

static void
user_end(struct cpu_state *s, const struct trace_walk *w, unsigned cpu, uint64_t t)
{
	if (s->thread && w->user)
		w->user(w->ctx, cpu, s->thread, s->user_t0, t);
	s->thread = 0;
}

/* A one-record crossing (trace_walk): the thread it resumes runs from here. */
static void
crossing_instant(struct cpu_state *s, const struct trace_walk *w,
		 const struct trace_ev *e)
{
	const struct exo_trace_rec *r = &e->r;
	struct trace_crossing c = {
		.cpu = e->cpu, .t0 = e->tsc, .t1 = e->tsc, .entry = e, .exit = e,
		.thread_in = s->thread, .thread_out = s->thread,
	};

	switch (r->kind) {
	case EXO_TRACE_IPC_FAST:
		snprintf(c.key, sizeof(c.key), r->a16 == EXO_TRACE_IPC_FAST_MAP ?
			 "ipc map reply fast path" : "ipc fast path");
		c.thread_out = r->a0;
		break;
	case EXO_TRACE_SYSCALL_FAST:
		snprintf(c.key, sizeof(c.key), "syscall %s fast path",
			 trace_syscall_name(r->a16));
		if (r->a16 == SYS_pct)
			c.thread_out = 0;       /* the target's entry thread: not recorded */
		break;
	case EXO_TRACE_EXC_UPCALL:
		snprintf(c.key, sizeof(c.key), "exception upcall %s",
			 trace_vector_name(r->a16));
		break;
	case EXO_TRACE_PAGEFAULT:
		snprintf(c.key, sizeof(c.key), "page fault %s fast path",
			 trace_pf_name(r->a16));
		c.thread_out = 0;       /* the pager: not recorded */
		break;
	default:
		snprintf(c.key, sizeof(c.key), "software TLB fill");
		break;
	}
	user_end(s, w, e->cpu, e->tsc);
	if (w->crossing)
		w->crossing(w->ctx, &c);
	s->thread = c.thread_out;
	s->user_t0 = e->tsc;
}

size_t
trace_walk(const struct trace_log *l, const struct trace_walk *w)
{
	struct cpu_state cs[EXO_TRACE_CPUS_MAX] = { 0 };
	size_t unmatched = 0;

	for (size_t i = 0; i < l->nev; i++) {
		const struct trace_ev *e = &l->ev[i];
		struct cpu_state *s = &cs[e->cpu % EXO_TRACE_CPUS_MAX];
		unsigned kind = e->r.kind;

		switch (kind) {
		case EXO_TRACE_IRQ:
			if (s->open)            /* while the kernel idles */
				break;
			__attribute__((fallthrough));
		case EXO_TRACE_SYSCALL:
		case EXO_TRACE_EXCEPTION:
			if (s->open)
				unmatched++;    /* its exit was lost */
			user_end(s, w, e->cpu, e->tsc);
			crossing_open(s, e);
			continue;
		case EXO_TRACE_KEXIT:
			if (!s->open) {
				unmatched++;
				continue;
			}
			s->open = false;
			s->c.t1 = e->tsc;
			s->c.exit = e;
			s->c.thread_out = e->r.a0;
			if (w->crossing)
				w->crossing(w->ctx, &s->c);
			s->thread = e->r.a0;
			s->user_t0 = e->tsc;
			continue;
		case EXO_TRACE_IPC_FAST:
		case EXO_TRACE_EXC_UPCALL:
		case EXO_TRACE_STLB_FILL:
		case EXO_TRACE_SYSCALL_FAST:
		case EXO_TRACE_PAGEFAULT:
			/* From user mode to user mode with one record (the fast
			 * paths, the entry code's own work): a crossing without a
			 * duration. Inside an open crossing it is an event of it
			 * (a page fault the general path resolves, in its
			 * exception's crossing). */
			if (s->open)
				break;
			crossing_instant(s, w, e);
			continue;
		}
		if (w->instant)
			w->instant(w->ctx, e, s->open ? &s->c : NULL);
	}
	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++)
		if (cs[c].open)
			unmatched++;
	return unmatched;
}

/* Chrome trace-event JSON */

#define PID_KERNEL  1
#define PID_THREADS 2
#define PID_VMM     3

struct chrome {
	struct json j;
	uint64_t t0, khz;
	const struct symtab *syms;
	uint64_t threads[512];           /* thread ids seen, for their names */
	size_t nthreads;
	/* Extensions' section names by kernel slot + 1, from their EXT_LOAD
	 * records (a raise names its handler by slot + 1). */
	char ext_section[256][17];
};

/* The section an EXT_LOAD record names: a0 and a1, NUL-padded. */
static void
ext_load_section(const struct exo_trace_rec *r, char out[17])
{
	memcpy(out, &r->a0, 8);
	memcpy(out + 8, &r->a1, 8);
	out[16] = 0;
}

/* A raise's name: the section of the extension that answered it if its
 * load was traced; else its event's handler section, "event/E", which is
 * every handler's of E (<exo/ext.h>). */
static void
ext_raise_section(const struct chrome *c, const struct exo_trace_rec *r, char *out,
		  size_t n)
{
	if (r->a0 && r->a0 < 256 && c->ext_section[r->a0][0])
		snprintf(out, n, "%s", c->ext_section[r->a0]);
	else
		snprintf(out, n, "event/%s", trace_ext_event_name(r->a16));
}

static void
chrome_ts(struct chrome *c, const char *key, uint64_t tsc)
{
	double d = (double)(tsc - c->t0);

	json_key(&c->j, key);
	json_double(&c->j, c->khz ? d * 1000.0 / (double)c->khz : d);
}

static void
chrome_begin(struct chrome *c, const char *ph, const char *name, int pid,
	     uint64_t tid, uint64_t tsc)
{
	json_object(&c->j);
	json_key(&c->j, "ph");
	json_string(&c->j, ph);
	json_key(&c->j, "name");
	json_string(&c->j, name);
	json_key(&c->j, "pid");
	json_u64(&c->j, (uint64_t)pid);
	json_key(&c->j, "tid");
	json_u64(&c->j, tid);
	chrome_ts(c, "ts", tsc);
}

static void
chrome_tid_hex(struct json *j, const char *key, uint64_t id)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu.%llu", (unsigned long long)(id >> 32),
		 (unsigned long long)(id & 0xffffffff));
	json_key(j, key);
	json_string(j, buf);
}

static void
chrome_note_thread(struct chrome *c, uint64_t id)
{
	for (size_t i = 0; i < c->nthreads; i++)
		if (c->threads[i] == id)
			return;
	if (c->nthreads < sizeof(c->threads) / sizeof(c->threads[0]))
		c->threads[c->nthreads++] = id;
}

static void
chrome_crossing(void *ctx, const struct trace_crossing *x)
{
	struct chrome *c = ctx;
	const struct exo_trace_rec *r = &x->entry->r;

	chrome_begin(c, x->t1 > x->t0 ? "X" : "i", x->key, PID_KERNEL, x->cpu, x->t0);
	if (x->t1 > x->t0) {
		json_key(&c->j, "dur");
		json_double(&c->j, c->khz ? (double)(x->t1 - x->t0) * 1000.0 /
			    (double)c->khz : (double)(x->t1 - x->t0));
	} else {
		json_key(&c->j, "s");
		json_string(&c->j, "t");
	}
	json_key(&c->j, "args");
	json_object(&c->j);
	json_key(&c->j, "cycles");
	json_u64(&c->j, x->t1 - x->t0);
	if (x->thread_in)
		chrome_tid_hex(&c->j, "thread", x->thread_in);
	if (x->thread_out)
		chrome_tid_hex(&c->j, "resumes", x->thread_out);
	if (r->kind == EXO_TRACE_STLB_FILL) {
		json_key(&c->j, "addr");
		json_u64(&c->j, r->a0);
	}
	if (r->kind == EXO_TRACE_EXCEPTION || r->kind == EXO_TRACE_PAGEFAULT) {
		char sym[160];

		json_key(&c->j, "addr");
		json_u64(&c->j, r->a0);
		symtab_name(c->syms, r->a1, sym, sizeof(sym));
		json_key(&c->j, "ip");
		json_string(&c->j, sym);
	}
	json_close(&c->j);
	json_close(&c->j);
}

static void
chrome_instant(void *ctx, const struct trace_ev *e, const struct trace_crossing *in)
{
	struct chrome *c = ctx;
	const struct exo_trace_rec *r = &e->r;
	char name[64], sym[160];

	if (r->kind == EXO_TRACE_PAGEFAULT)
		snprintf(name, sizeof(name), "page fault: %s", trace_pf_name(r->a16));
	else if (r->kind == EXO_TRACE_UPCALL)
		snprintf(name, sizeof(name), "upcall: %s", trace_upcall_name(r->a16));
	else if (r->kind == EXO_TRACE_REVOKE)
		snprintf(name, sizeof(name), "revoke: %s", trace_revoke_name(r->a16));
	else if (r->kind == EXO_TRACE_IPC_ERROR)
		snprintf(name, sizeof(name), "ipc error: %s (%s phase)",
			 trace_ipc_error_name(EXO_IPC_ERR_CODE(r->a16)),
			 EXO_IPC_ERR_RECV(r->a16) ? "receive" : "send");
	else if (r->kind == EXO_TRACE_EXT_LOAD) {
		if (r->a16 < 256)
			ext_load_section(r, c->ext_section[r->a16]);
		snprintf(name, sizeof(name), "ext load: %.16s", c->ext_section[r->a16 & 255]);
	} else if (r->kind == EXO_TRACE_EXT_RAISE) {
		char sec[24];

		ext_raise_section(c, r, sec, sizeof(sec));
		snprintf(name, sizeof(name), "ext raise: %s", sec);
	} else
		snprintf(name, sizeof(name), "%s", trace_kind_name(r->kind));
	chrome_begin(c, "i", name, PID_KERNEL, e->cpu, e->tsc);
	json_key(&c->j, "s");
	json_string(&c->j, "t");
	json_key(&c->j, "args");
	json_object(&c->j);
	switch (r->kind) {
	case EXO_TRACE_IPC:
		chrome_tid_hex(&c->j, "to", r->a0);
		chrome_tid_hex(&c->j, "from", r->a1);
		break;
	case EXO_TRACE_IPC_FAST:
		chrome_tid_hex(&c->j, "to", r->a0);
		break;
	case EXO_TRACE_IPC_ERROR:
		chrome_tid_hex(&c->j, "thread", r->a0);
		json_key(&c->j, "error");
		json_string(&c->j, trace_ipc_error_name(EXO_IPC_ERR_CODE(r->a16)));
		json_key(&c->j, "phase");
		json_string(&c->j, EXO_IPC_ERR_RECV(r->a16) ? "receive" : "send");
		json_key(&c->j, "item");
		json_u64(&c->j, EXO_IPC_ERR_ITEM(r->a16));
		break;
	case EXO_TRACE_PAGEFAULT: {
		/* In an exception's crossing, address and ip are its record's. */
		const struct exo_trace_rec *f =
			in && in->entry->r.kind == EXO_TRACE_EXCEPTION ? &in->entry->r : r;

		json_key(&c->j, "addr");
		json_u64(&c->j, f->a0);
		symtab_name(c->syms, f->a1, sym, sizeof(sym));
		json_key(&c->j, "ip");
		json_string(&c->j, sym);
		break;
	}
	case EXO_TRACE_THREAD_SWITCH:
		chrome_tid_hex(&c->j, "thread", r->a0);
		break;
	case EXO_TRACE_EXT_RAISE:
		trace_rec_args(&c->j, r);
		json_key(&c->j, "event_name");
		json_string(&c->j, trace_ext_event_name(r->a16));
		json_key(&c->j, "section");
		ext_raise_section(c, r, sym, sizeof(sym));
		json_string(&c->j, sym);
		break;
	case EXO_TRACE_EXT_LOAD:
		json_key(&c->j, "ext");
		json_u64(&c->j, r->a16);
		json_key(&c->j, "event");
		json_string(&c->j, trace_ext_event_name(r->a32 & 0xff));
		json_key(&c->j, "section");
		json_string(&c->j, c->ext_section[r->a16 & 255]);
		break;
	case EXO_TRACE_SPACE_SWITCH:
		json_key(&c->j, "root");
		json_u64(&c->j, r->a0);
		break;
	case EXO_TRACE_IRQ:
		json_key(&c->j, "vector");
		json_u64(&c->j, r->a16);
		break;
	case EXO_TRACE_SHOOTDOWN: {
		char cpus[4 * 32 + 1] = "";

		for (unsigned i = 0; i < 32; i++)
			if (r->a32 >> i & 1)
				snprintf(cpus + strlen(cpus), sizeof(cpus) - strlen(cpus),
					 "%s%u", cpus[0] ? "," : "", i);
		json_key(&c->j, "initiator");
		json_u64(&c->j, e->cpu);
		json_key(&c->j, "targets");         /* the mask, as <exo/trace.h> names a32 */
		json_u64(&c->j, r->a32);
		json_key(&c->j, "target_cpus");
		json_string(&c->j, cpus);
		json_key(&c->j, "pages");
		if (r->a16)
			json_u64(&c->j, r->a16);
		else
			json_string(&c->j, "whole space");
		json_key(&c->j, "root");
		json_u64(&c->j, r->a0);
		json_key(&c->j, "ack_cycles");
		json_u64(&c->j, r->a1);
		json_key(&c->j, "ack_us");
		json_double(&c->j, c->khz ? (double)r->a1 * 1000.0 / (double)c->khz : 0);
		break;
	}
	default:
		trace_rec_args(&c->j, r);
		break;
	}
	json_close(&c->j);
	json_close(&c->j);
}

static void
chrome_user(void *ctx, unsigned cpu, uint64_t thread, uint64_t t0, uint64_t t1)
{
	struct chrome *c = ctx;
	char name[48];

	snprintf(name, sizeof(name), "user on vCPU %u", cpu);
	chrome_note_thread(c, thread);
	chrome_begin(c, "X", name, PID_THREADS, thread >> 32, t0);
	json_key(&c->j, "dur");
	json_double(&c->j, c->khz ? (double)(t1 - t0) * 1000.0 / (double)c->khz :
		    (double)(t1 - t0));
	json_close(&c->j);
}

static void
chrome_meta(struct chrome *c, const char *what, int pid, uint64_t tid,
	    const char *name)
{
	json_object(&c->j);
	json_key(&c->j, "ph");
	json_string(&c->j, "M");
	json_key(&c->j, "name");
	json_string(&c->j, what);
	json_key(&c->j, "pid");
	json_u64(&c->j, (uint64_t)pid);
	json_key(&c->j, "tid");
	json_u64(&c->j, tid);
	json_key(&c->j, "args");
	json_object(&c->j);
	json_key(&c->j, "name");
	json_string(&c->j, name);
	json_close(&c->j);
	json_close(&c->j);
}

static const char *
port_name(uint16_t port)
{
	static const char *const names[] = {
		"console", "exit", "event", "doorbell", "bench", "console_in",
	};

	return port >= 0x510 && port < 0x516 ? names[port - 0x510] : "port";
}

static void
chrome_exits(struct chrome *c, const struct trace_log *l)
{
	char name[48];

	for (size_t i = 0; i < l->nexit; i++) {
		const struct trace_exit *x = &l->exit[i];

		if (x->tsc < c->t0)
			continue;
		if (x->reason == KVM_EXIT_IO)
			snprintf(name, sizeof(name), "exit: pio %#x %s", x->port,
				 port_name(x->port));
		else
			snprintf(name, sizeof(name), "exit: reason %u", x->reason);
		chrome_begin(c, "i", name, PID_VMM, x->cpu, x->tsc);
		json_key(&c->j, "s");
		json_string(&c->j, "t");
		json_close(&c->j);
	}
	for (size_t i = 0; i < l->nring; i++) {
		const struct trace_ring_sample *s = &l->ring[i];

		if (s->tsc < c->t0)
			continue;
		snprintf(name, sizeof(name), "trace ring vCPU %u", s->cpu);
		chrome_begin(c, "C", name, PID_VMM, s->cpu, s->tsc);
		json_key(&c->j, "args");
		json_object(&c->j);
		json_key(&c->j, "pending");
		json_u64(&c->j, s->pending);
		json_key(&c->j, "dropped");
		json_u64(&c->j, s->dropped);
		json_close(&c->j);
		json_close(&c->j);
	}
}

int
trace_chrome_write(FILE *f, const struct trace_log *l, uint64_t tsc_khz,
		   const struct symtab *syms, const char *platform)
{
	static struct chrome c;
	struct trace_walk w = { chrome_crossing, chrome_instant, chrome_user, &c };
	char name[48];
	unsigned ncpu = 1;

	memset(&c, 0, sizeof(c));
	c.khz = tsc_khz;
	c.syms = syms;
	c.t0 = l->nev ? l->ev[0].tsc : 0;
	for (size_t i = 0; i < l->nev; i++)
		if (l->ev[i].cpu + 1 > ncpu)
			ncpu = l->ev[i].cpu + 1;
	json_begin(&c.j, f);
	json_object(&c.j);
	json_key(&c.j, "displayTimeUnit");
	json_string(&c.j, "ns");
	json_key(&c.j, "otherData");
	json_object(&c.j);
	if (platform) {
		json_key(&c.j, "platform");
		json_string(&c.j, platform);
	}
	json_key(&c.j, "tsc_khz");
	json_u64(&c.j, tsc_khz);
	json_key(&c.j, "records");
	json_u64(&c.j, l->nev);
	json_key(&c.j, "dropped");
	json_u64(&c.j, l->dropped);
	json_close(&c.j);
	json_key(&c.j, "traceEvents");
	json_array(&c.j);
	chrome_meta(&c, "process_name", PID_KERNEL, 0, "exo kernel (per vCPU)");
	chrome_meta(&c, "process_name", PID_THREADS, 0, "exo threads (user mode)");
	chrome_meta(&c, "process_name", PID_VMM, 0, "VMM (host side)");
	for (unsigned i = 0; i < ncpu; i++) {
		snprintf(name, sizeof(name), "vCPU %u", i);
		chrome_meta(&c, "thread_name", PID_KERNEL, i, name);
		chrome_meta(&c, "thread_name", PID_VMM, i, name);
	}
	trace_walk(l, &w);
	for (size_t i = 0; i < c.nthreads; i++) {
		snprintf(name, sizeof(name), "thread %llu.%llu",
			 (unsigned long long)(c.threads[i] >> 32),
			 (unsigned long long)(c.threads[i] & 0xffffffff));
		chrome_meta(&c, "thread_name", PID_THREADS, c.threads[i] >> 32, name);
	}
	chrome_exits(&c, l);
	json_close(&c.j);
	json_close(&c.j);
	return json_end(&c.j);
}
