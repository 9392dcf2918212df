/*
 * exo trace and exo stat: collect a boot's trace records (<exo/trace.h>),
 * the VMM's exits and the rings' occupancy, then turn them into crossings
 * (time in the kernel, per CPU), a Chrome trace-event JSON file that
 * ui.perfetto.dev opens, and a summary by kind.
 */
#ifndef HOST_TRACE_H
#define HOST_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <exo/trace.h>

#include "../vmm/vmm.h"

struct trace_ev {
	uint64_t tsc;
	unsigned cpu;
	uint64_t nth;                    /* its CPU's nth record (from 0) */
	struct exo_trace_rec r;
};

/* One vCPU's sampled ring-0 instructions (vmm/insnperf.h): the positions in
 * its sequence of each of its ring's records' trace points and of each
 * iretq. */
struct trace_insns {
	uint64_t *mark, *iret;
	size_t nmark, cap_mark, niret, cap_iret;
	int64_t sampled;                 /* vmm_result's: -1 not sampled */
	uint64_t lost;
};

struct trace_ring_sample {
	uint64_t tsc, pending, dropped;
	unsigned cpu;
};

struct trace_exit {
	uint64_t tsc;
	uint32_t reason;
	uint16_t port;
	uint16_t cpu;
};

/* Everything one boot produced; each array has one writer (see vmm.h). */
struct trace_log {
	struct trace_ev *ev;
	size_t nev, cap_ev;
	struct trace_ring_sample *ring;
	size_t nring, cap_ring;
	struct trace_exit *exit;
	size_t nexit, cap_exit;
	uint64_t dropped;                /* records lost, all CPUs */
	uint64_t cpu_dropped[EXO_TRACE_CPUS_MAX];
	bool oom;                        /* some were not kept: out of memory */
	uint64_t cpu_nev[EXO_TRACE_CPUS_MAX];  /* records kept, per CPU */
	/* With instruction sampling, per CPU (trace_log_insns sets sampled and
	 * lost from the run's result). */
	struct trace_insns insn[EXO_TRACE_CPUS_MAX];
};

void trace_log_init(struct trace_log *l);
void trace_log_free(struct trace_log *l);
/* The sink the VMM feeds (ctx = a struct trace_log). */
extern const struct vmm_trace_sink trace_log_sink_ops;
struct vmm_trace_sink trace_log_sink(struct trace_log *l);
/* Append a record as the VMM would (also for tests). */
void trace_log_record(void *ctx, unsigned cpu, const struct exo_trace_rec *rec);
/* The instruction streams' sizes and losses, from the run's result. */
void trace_log_insns(struct trace_log *l, const struct vmm_result *res);

/* Names: a kind, a system call number, a vector, a page-fault resolution. */
const char *trace_upcall_name(unsigned up);     /* EXO_UPCALL_* */
const char *trace_revoke_name(unsigned step);   /* EXO_TRACE_RV_* */
const char *trace_ext_event_name(unsigned ev);  /* EXT_EV_* */
const char *trace_ipc_error_name(unsigned code); /* EXO_IPC_* error codes */
#define TRACE_IPC_ERRORS 8                         /* EXO_IPC_ERR_CODE's range */
struct json;
/* A record's fields as JSON members named by EXO_TRACE_KINDS. */
void trace_rec_args(struct json *j, const struct exo_trace_rec *r);
const char *trace_kind_name(unsigned kind);
const char *trace_syscall_name(unsigned nr);
const char *trace_vector_name(unsigned vector);
const char *trace_pf_name(unsigned resolution);

/*
 * A crossing: the kernel entered on cpu at t0 (kind SYSCALL, EXCEPTION,
 * IRQ from user mode) and left at t1 (KEXIT), or a fast-path IPC (t0 == t1:
 * one record marks it). key names its class ("syscall ipc",
 * "exception page fault", "irq 32", "ipc fast path").
 */
struct trace_crossing {
	unsigned cpu;
	uint64_t t0, t1;
	char key[48];
	uint64_t thread_in, thread_out;  /* who entered, who was resumed (0: ?) */
	const struct trace_ev *entry;
	const struct trace_ev *exit;     /* its last record (entry for one-record ones) */
};

struct trace_walk {
	/* A crossing ended. */
	void (*crossing)(void *ctx, const struct trace_crossing *c);
	/* Any other record: inside the crossing c (NULL: outside any). */
	void (*instant)(void *ctx, const struct trace_ev *e, const struct trace_crossing *c);
	/* Thread ran in user mode on cpu from t0 to t1. */
	void (*user)(void *ctx, unsigned cpu, uint64_t thread, uint64_t t0, uint64_t t1);
	void *ctx;
};

/* Walk l's records in order, per CPU. Returns crossings left unmatched
 * (an entry without its exit, e.g. records lost or the guest stopped). */
size_t trace_walk(const struct trace_log *l, const struct trace_walk *w);

/* Symbols for guest instruction pointers (symbols.c): may be NULL. */
struct symtab;

/* The Chrome trace-event JSON document: 0 or -errno. tsc_khz 0: timestamps
 * are in TSC cycles, labelled as microseconds. platform (exo_platform_name;
 * NULL: not said) goes in otherData, as reports and bench JSON say it. */
int trace_chrome_write(FILE *f, const struct trace_log *l, uint64_t tsc_khz,
		       const struct symtab *syms, const char *platform);

/* The summary of exo stat. */
struct trace_stat_row {
	char key[48];
	uint64_t n;
	uint64_t *cycles;                /* n durations, sorted after finish */
	size_t cap;
	uint64_t min, median, p99, max;
	uint64_t *insns;                 /* ring-0 instructions of each, if exact */
	size_t ninsns, cap_insns;
	uint64_t insn_min, insn_median, insn_max, insn_total;
	struct {                         /* the same crossings on each CPU */
		uint64_t n, ninsns, insn_total;
	} cpu[EXO_TRACE_CPUS_MAX];
};

/*
 * One CPU's instruction stream under exo stat: exact when every record of
 * its ring has its trace point in the stream, in order (then each of its
 * crossings gets its ring-0 instructions), else why not.
 */
struct trace_stat_cpu {
	bool seen;                       /* records or a sampled stream */
	bool exact;
	const char *why;                 /* when not exact */
	int64_t sampled;                 /* -1: not sampled */
	uint64_t lost, records, marks, irets;
	uint64_t counted;                /* instructions put in its crossings */
	uint64_t crossings;              /* ... in that many */
	uint64_t untraced;               /* instructions of kernel entries between
					    crossings that are none (stat.c) */
	uint64_t untraced_entries;       /* ... in that many (iretqs) */
	/* walk state */
	struct trace_stat_row *pend;     /* the last crossing, until the next one */
	uint64_t pend_exit;              /* its last record's nth */
	uint64_t bound;                  /* its first instruction's position - 1 */
};

/* EXO_UPCALL_SLICE_START .. EXO_UPCALL_REPOSSESS, and 0 unused */
#define STAT_UPCALLS 5
/* EXT_EV_SYSCALL .. EXT_EV_PACKET (<exo/ext.h>), and 0 unused */
#define STAT_EXT_EVENTS 8

struct trace_stat {
	struct trace_stat_row *rows;
	size_t nrows, cap;
	uint64_t pf[EXO_TRACE_PF_N];     /* page faults by resolution (EXO_TRACE_PF_*) */
	uint64_t kinds[EXO_TRACE_NKINDS];/* records by kind */
	uint64_t unmatched, records, dropped;
	uint64_t exits_by_reason[64];
	uint64_t exits_by_port[8];       /* ports 0x510..0x517 */
	uint64_t exits_other_port;
	/* TLB shootdowns (EXO_TRACE_SHOOTDOWN): pages named one by one, whole-
	 * space flushes, target CPUs summed, and TSC ticks to acknowledgement. */
	struct trace_shootdowns {
		uint64_t n, pages, whole, targets;
		uint64_t *ack;          /* n of them, sorted by trace_stat_compute */
		size_t cap;
		uint64_t ack_min, ack_median, ack_p99, ack_max;
	} sd;
	uint64_t upcalls[STAT_UPCALLS];  /* entry upcalls by EXO_UPCALL_* */
	uint64_t revoke[EXO_TRACE_RV_N]; /* revocation steps by EXO_TRACE_RV_* */
	uint64_t ipc_errors[TRACE_IPC_ERRORS]; /* IPCs that failed, by error code */
	uint64_t pct_fast;               /* transfers the fast path made */
	/* Extensions (EXO_TRACE_EXT_RAISE), by event (EXT_EV_*): raises that
	 * reached an environment's handlers, handlers run, raises one ended. */
	uint64_t ext_raises[STAT_EXT_EVENTS], ext_runs[STAT_EXT_EVENTS];
	uint64_t ext_handled[STAT_EXT_EVENTS];
	/* Per-crossing ring-0 instructions, per CPU (cpu[]); insn_exact: on
	 * every CPU seen, else insn_why is the first one's reason. */
	struct trace_stat_cpu cpu[EXO_TRACE_CPUS_MAX];
	bool insn_exact;
	const char *insn_why;
	uint64_t insn_counted;           /* instructions put in a crossing, all CPUs */
	int64_t insn_sampled;            /* sampled on all CPUs, -1: none */
	const struct trace_log *log;
};

void trace_stat_compute(const struct trace_log *l, struct trace_stat *s);
void trace_stat_free(struct trace_stat *s);
void trace_stat_print(FILE *f, const struct trace_stat *s, const struct vmm_result *res);
int trace_stat_json(FILE *f, const struct trace_stat *s, const struct vmm_result *res);

/* exo trace, exo stat: the subcommands. */
int trace_cmd(int argc, char **argv);
int stat_cmd(int argc, char **argv);

#endif
