/*
 * Every ring-0 instruction the guest runs, one by one, where the host lets
 * us see them: on a PVM host KVM emulates each one and fires the tracepoint
 * kvm:kvm_emulate_insn (guest rip and instruction bytes). The VMM samples
 * it on its vCPU thread with a period of 1 and tells the trace sink where,
 * in that exact sequence, two kinds of instruction fell: a trace point's
 * load of its ring's head (one per record, so the k-th is record k) and an
 * iretq (the way back to user mode). exo stat cuts the sequence there and
 * gets each crossing's ring-0 instructions exactly (host/stat.c).
 */
#ifndef VMM_INSNPERF_H
#define VMM_INSNPERF_H

#include <stddef.h>
#include <stdint.h>

struct vmm_trace_sink;

struct insnperf {
	int fd;                          /* -1: not sampling */
	void *map;                       /* the perf ring: a header page, then data */
	size_t map_len, data_len;
	uint64_t seen;                   /* instructions sampled so far */
	uint64_t failed;                 /* emulations that failed (not counted) */
	uint64_t lost;                   /* samples the kernel could not store */
	uint64_t head_va;                /* the trace ring head's guest address, 0: unknown */
	const struct vmm_trace_sink *sink;
};

/* Open on the calling (vCPU) thread; 0, or -errno with why filled in. */
int insnperf_open(struct insnperf *p, const struct vmm_trace_sink *sink,
		  char *why, size_t n);
/* Hand what the kernel has stored to the sink (I/O thread, or at the end). */
void insnperf_drain(struct insnperf *p);
void insnperf_close(struct insnperf *p);

#endif
