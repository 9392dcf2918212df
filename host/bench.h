/*
 * exo bench: boot a suite's guest program, collect the marks and results it
 * reports through SYS_bench_mark (<exo/bench.h>), and turn them into cycles
 * and ring-0 instructions per operation (docs/bench.md).
 */
#ifndef HOST_BENCH_H
#define HOST_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <exo/bench.h>

#include "../vmm/exitperf.h"
#include "../vmm/vmm.h"

/*
 * A summary of TSC samples. Percentiles are by nearest rank (the sample at
 * rank ceil(p/100 * n) of the sorted samples), so each is a measured value
 * and min <= median <= p99 <= max always holds.
 */
struct bench_stats {
	uint64_t n;
	uint32_t min, median, p99, max;
	double mean;
};

/* The pct-th percentile (1..100) of n > 0 sorted samples, by nearest rank. */
uint32_t bench_percentile(const uint32_t *sorted, size_t n, unsigned pct);
/* Sort samples in place and summarize them: 0, or -EINVAL if n is 0. */
int bench_stats_compute(uint32_t *samples, size_t n, struct bench_stats *st);

/*
 * KVM statistics sampled at every mark: BENCH_INSN is insn_emulation;
 * BENCH_IRQ (irq_injections) tells whether an interrupt, whose handler's
 * instructions would count too, reached the guest between the marks.
 */
#define BENCH_NSTATS    5
#define BENCH_INSN      0
#define BENCH_EXITS     1
#define BENCH_IRQ       2
extern const char *const bench_counter_names[BENCH_NSTATS];
/* Then VM exits by reason, where the VMM counts them (vmm/exitperf.h):
 * counter BENCH_REASON + k is r->reason_names[k]. */
#define BENCH_REASON    BENCH_NSTATS
#define BENCH_NCOUNTERS (BENCH_NSTATS + EXITPERF_MAX)

struct bench_mark {
	uint32_t code;
	int64_t v[BENCH_NCOUNTERS];          /* -1: not available */
};

/* One measured operation. */
struct bench_op {
	char name[EXO_BENCH_NAME_MAX];
	uint64_t iterations, warmup, loop_cycles;
	uint32_t flags;
	struct bench_stats cycles;
	bool have[BENCH_NCOUNTERS];          /* sampled at all four marks */
	int64_t empty[BENCH_NCOUNTERS];      /* EMPTY_END - EMPTY_BEGIN */
	int64_t loop[BENCH_NCOUNTERS];       /* END - BEGIN */
	double ratio_to_null;                /* median / null_syscall's; NAN if none */
	uint32_t *sorted;                    /* the samples, sorted (bench_run_free) */
};

/* Counter c per iteration: (loop - empty) / iterations, or NAN if unknown. */
double bench_op_per_iter(const struct bench_op *op, int c);

#define BENCH_MARKS_MAX (1u << 16)

struct bench_vm_linux;

/* Everything one boot of one suite reported. */
struct bench_run {
	const char *suite, *program;
	bool ran;                            /* the guest was started */
	struct vmm_result res;
	char error[256];                     /* the first protocol error, or "" */
	struct bench_mark *marks;
	size_t nmarks, marks_cap;
	struct bench_op ops[EXO_BENCH_OPS_MAX];
	unsigned nops;
	const char *const *reason_names;     /* the VMM's, nreasons of them */
	unsigned nreasons;                   /* 0: exits_why says why not */
	char exits_why[160];
	struct bench_vm_linux *vm_linux;     /* vm: Linux's column measured on
						this host (bench_vm.h), or NULL;
						bench_run_free frees it */
};

void bench_run_init(struct bench_run *r, const char *suite, const char *program);
void bench_run_free(struct bench_run *r);

/* Record a mark with the counters read at it (what the VMM's mark hook does). */
void bench_mark_add(struct bench_run *r, uint32_t code,
		    const int64_t v[BENCH_NCOUNTERS]);
/*
 * Take a result record of len bytes: 0, or -E_INVAL (<exo/error.h>) if it
 * breaks a rule of <exo/bench.h> or its marks are missing; r->error says which.
 */
int bench_result_add(struct bench_run *r, const void *rec, size_t len);
/* The VMM's hooks (struct vmm_bench_sink), ctx a struct bench_run. */
struct kvm_stats;
struct vmm_exits;
void bench_on_mark(void *ctx, uint32_t code, const struct kvm_stats *s,
		   const struct vmm_exits *e);
int bench_on_result(void *ctx, const void *rec, size_t len);
/* After the boot: the ratios to null_syscall. */
void bench_run_finish(struct bench_run *r);
/* The guest exited 0, reported at least one result and broke no rule. */
bool bench_run_ok(const struct bench_run *r);
/* Ring-0 instructions are exact here: PVM, and insn_emulation was sampled. */
bool bench_run_ring0_exact(const struct bench_run *r);

/* 0 if r measured what it should, else the exit status and why (docs/bench.md). */
int bench_run_verdict(const struct bench_run *r, char *msg, size_t len);

/* The table for people. */
void bench_table_print(FILE *f, const struct bench_run *r);
/* Linux's own crossings on this host, for the hosted platforms
 * (bench_linux.c): medians in TSC cycles, 0 where not measured. */
enum { BL_GETPPID, BL_FUTEX, BL_SIGSEGV, BL_SIGSYS, BL_N };
struct bench_linux {
	bool measured;
	uint64_t cycles[BL_N];
};
extern const char *const bench_linux_names[BL_N];
void bench_linux_measure(struct bench_linux *l);
void bench_linux_print(FILE *f, const struct bench_linux *l, uint64_t tsc_khz);
/* The hosted platform's targets, each an operation of the runs over a
 * Linux crossing of l, as measured: printed where both are there. */
void bench_linux_targets(FILE *f, const struct bench_run *runs, unsigned nruns,
			 const struct bench_linux *l);
/* All runs as one JSON document (docs/bench.md), with l where measured:
 * 0 or -errno. */
int bench_json_write(FILE *f, const struct bench_run *runs, unsigned nruns,
		     const struct bench_linux *l);

/* What bench_json_write writes in "schema", and what a baseline must say. */
#define BENCH_SCHEMA "exo-bench/1"
/* The largest baseline read: far above any exo bench --json document
 * (BENCH_RUNS_MAX suites of EXO_BENCH_OPS_MAX operations of under 1 KiB). */
#define BENCH_BASELINE_MAX (4 << 20)

/*
 * Read the exo bench --json document at path and check it against the
 * schema (bench_baseline.c): 0 with *doc (jv_free it), or -errno with err
 * saying what is wrong (not a regular file, too big, not JSON, the first
 * value of the wrong type, by its place: suites[0].operations[2].name).
 */
struct jv;
int bench_baseline_load(const char *path, struct jv **doc, char *err, size_t len);
/* The schema check alone: 0, or -EINVAL with err filled. */
int bench_baseline_check(const struct jv *doc, char *err, size_t len);

/*
 * Compare runs with doc, a baseline that bench_baseline_load accepted, read
 * from path (bench_check.c): the number of regressions, printed to out.
 */
int bench_check(FILE *out, const char *path, const struct jv *doc,
		const struct bench_run *runs, unsigned nruns, double ring0_tol,
		double ratio_tol);
/* A latency histogram per operation, as SVG (bench_plot.c): 0 or -errno. */
int bench_plot_svg(FILE *f, const struct bench_run *runs, unsigned nruns);

/* exo bench [SUITE...] [options]: the subcommand. */
int bench_cmd(int argc, char **argv);

#endif
