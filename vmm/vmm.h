/* Boot exo's kernel with a list of programs and run it to the end. */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <exo/bootinfo.h>

#include "diag.h"

enum vmm_outcome {
	VMM_EXITED = 0,      /* the kernel exited with a status */
	VMM_TIMEOUT,         /* stopped at --timeout */
	VMM_CRASHED,         /* kernel panic, triple fault, KVM error, bad request */
	VMM_INTERRUPTED,     /* SIGINT, SIGTERM or SIGHUP */
};

struct vmm_program {
	const char *path;    /* ELF file */
	const char *name;    /* for reports */
	int argc;
	char **argv;
	bool sigma0;         /* σ0: owns free memory, runs beside the others */
};

struct kvm_stats;
struct vmm_exits;

/*
 * Where SYS_bench_mark's marks and results go (<exo/bench.h>); exo bench
 * gives one, exo run none (marks are counted, results accepted and dropped).
 */
struct vmm_bench_sink {
	void *ctx;
	/* A mark with its code; s was read just now (s->fd < 0: no statistics),
	 * and e, the exits by reason (e->n 0: not counted, e->why says why). */
	void (*mark)(void *ctx, uint32_t code, const struct kvm_stats *s,
		     const struct vmm_exits *e);
	/* A result record, len bytes, copied out of the guest: 0 accepts it,
	 * -E_INVAL (<exo/error.h>) refuses it and is what the program gets. */
	int (*result)(void *ctx, const void *rec, size_t len);
};

/*
 * Where the guest's trace records go (<exo/trace.h>); exo trace and exo stat
 * give one, and add "trace" to the kernel's command line so it announces
 * its rings. record and ring run on the I/O thread while the guest runs and
 * on the calling thread at the end; exit runs on the vCPU thread.
 */
struct exo_trace_rec;
struct vmm_trace_sink {
	void *ctx;
	void (*record)(void *ctx, unsigned cpu, const struct exo_trace_rec *rec);
	/* After each drain: guest TSC now, records that were waiting, records
	 * lost so far (overwritten before the drain reached them). */
	void (*ring)(void *ctx, unsigned cpu, uint64_t tsc, uint64_t pending,
		     uint64_t dropped);
	/* A VM exit the VMM handled, at guest TSC tsc (port for port I/O). */
	void (*exit)(void *ctx, unsigned cpu, uint64_t tsc, uint32_t reason,
		     uint16_t port);
	/* With insn_sample (vmm/insnperf.h): the pos-th ring-0 instruction
	 * vCPU cpu ran was a trace point's load of cpu's ring head
	 * (VMM_INSN_TRACE) or an iretq. Each vCPU's positions count from 1 and
	 * come in order; the I/O thread calls it, or the caller at the end. */
	void (*insn)(void *ctx, unsigned cpu, uint64_t pos, unsigned what);
};
enum { VMM_INSN_TRACE = 1, VMM_INSN_IRET = 2 };

/* Names a guest address ("kernel:trap+0x12") for reports: true if a symbol
 * covers it. Called on vCPU threads, which open no files: load first. */
struct vmm_namer {
	bool (*name)(const void *ctx, uint64_t addr, char *buf, size_t len);
	const void *ctx;
};

struct vmm_config {
	const char *kvm_path;
	const char *kernel_path;
	const char *cmdline;             /* kernel command line */
	uint64_t mem_size;
	unsigned ncpus;                  /* vCPUs, 1..EXO_MAX_CPUS */
	double timeout;                  /* seconds, 0 for none */
	struct vmm_program progs[EXO_MAX_MODULES];
	unsigned nprogs;
	bool stats;                      /* print statistics at exit */
	bool step_boot;                  /* single-step vCPU 0 to user mode (bootstep.h) */
	bool verbose;
	FILE *report;                    /* JSON lines, or NULL */
	FILE *console;                   /* the guest's console output */
	const struct vmm_bench_sink *bench;  /* or NULL */
	const char *input;               /* console input: a file, "-" stdin, NULL none */
	const struct vmm_trace_sink *trace;  /* or NULL */
	bool no_jail;                        /* --no-jail: vCPU and I/O threads
						 unfiltered (vmm/jail.h) */
	bool insn_sample;                    /* with trace: every ring-0 instruction
						(kvm:kvm_emulate_insn) to trace->insn */
	const struct vmm_namer *namer;       /* or NULL: addresses stay numbers */
	const char *gdb;                     /* --gdb [HOST:]PORT, or NULL */
	bool gdb_wait;                       /* --gdb-wait: stopped at the entry */
	uint32_t platform;                   /* EXO_PLATFORM_HOSTED, or 0: KVM */
};

struct vmm_result {
	enum vmm_outcome outcome;
	int status;                      /* VMM_EXITED: 0..255 */
	uint32_t platform;               /* enum exo_platform the guest ran on */
	uint64_t tsc_khz;                /* the guest's TSC rate, 0 if unknown */
	int64_t insn_emulation;          /* KVM's count at the end (exact ring-0
					    instructions on PVM), -1 if unknown */
	uint64_t exits;                  /* VM exits the VMM handled */
	int64_t insn_sampled;            /* insn_sample: instructions seen on every
					    vCPU, -1: none */
	uint64_t insn_lost;              /* ... and lost by perf */
	char insn_why[128];              /* why there are none (the first vCPU's) */
	unsigned ncpus;                  /* vCPUs the machine had */
	/* The same per vCPU (-1: that vCPU's were not sampled), the samples KVM
	 * reported as failed emulations, and KVM's insn_emulation per vCPU
	 * (-1 if unknown). */
	int64_t cpu_insn_sampled[EXO_MAX_CPUS];
	uint64_t cpu_insn_lost[EXO_MAX_CPUS], cpu_insn_failed[EXO_MAX_CPUS];
	int64_t cpu_insn_emulation[EXO_MAX_CPUS];
};

/* Guest memory: a multiple of VMM_MEM_ALIGN from VMM_MEM_MIN to VMM_MEM_MAX
 * (the boot page tables map 2 MiB pages; the kernel's direct map ends at
 * EXO_DIRECT_MAP_MAX). */
#define VMM_MEM_MIN   (4ULL << 20)
#define VMM_MEM_MAX   EXO_DIRECT_MAP_MAX
#define VMM_MEM_ALIGN (2ULL << 20)

/* 0, or -EINVAL with d saying the valid range. */
int vmm_mem_check(uint64_t mem_size, struct diag *d);
/* Every number in cfg within its range (memory, vCPUs, programs, timeout):
 * 0, or -EINVAL with d saying which and the range. vmm_run calls it first. */
int vmm_config_check(const struct vmm_config *cfg, struct diag *d);

/*
 * Returns 0 once the guest has run (res says how it ended), or a negative
 * errno if it could not be started; d then says why and what to do.
 */
int vmm_run(const struct vmm_config *cfg, struct vmm_result *res, struct diag *d);
/* The same on the hosted platform (hosted/run.c), where the exo binary has
 * it (weak: the unit tests link the VMM without it). */
int hosted_run(const struct vmm_config *cfg, struct vmm_result *res,
	       struct diag *d) __attribute__((weak));

#endif
