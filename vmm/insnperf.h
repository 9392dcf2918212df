/*
 * Every ring-0 instruction the guest runs, one by one, where the host lets
 * us see them: on a PVM host KVM emulates each one and fires the tracepoint
 * kvm:kvm_emulate_insn (guest rip and instruction bytes). The VMM samples
 * it with a period of 1 on each vCPU's thread, one perf event per vCPU, and
 * tells the trace sink where, in that vCPU's exact sequence, two kinds of
 * instruction fell: a trace point's load of the vCPU's own ring head (one
 * per record, so the k-th is that ring's record k) and an iretq (the way
 * back to user mode). exo stat cuts each vCPU's sequence there and gets
 * each crossing's ring-0 instructions exactly (host/stat.c).
 */
#ifndef VMM_INSNPERF_H
#define VMM_INSNPERF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vmm_trace_sink;

struct insnperf {
	int fd;                          /* -1: not sampling */
	bool ready;                      /* set (release) once fd and map are */
	unsigned cpu;                    /* the vCPU whose thread opened it */
	void *map;                       /* the perf ring: a header page, then data */
	size_t map_len, data_len;
	uint64_t seen;                   /* instructions sampled so far */
	uint64_t failed;                 /* seen again, flagged failed (not in seen) */
	uint64_t lost;                   /* samples the kernel could not store */
	uint64_t head_va;                /* this vCPU's ring head, guest virtual; 0:
					    unknown (release after tr) */
	uint16_t tr;                     /* this vCPU's task register selector */
	const struct vmm_trace_sink *sink;
};

/* Open on the calling thread, which runs vCPU cpu; 0, or -errno with why
 * filled in. */
int insnperf_open(struct insnperf *p, unsigned cpu, const struct vmm_trace_sink *sink,
		  char *why, size_t n);
/* The ring this vCPU writes: its head's guest virtual address and the
 * vCPU's task register when it announced it (any thread). */
void insnperf_ring(struct insnperf *p, uint64_t head_va, uint16_t tr);
/* Hand what the kernel has stored to the sink (I/O thread, or at the end). */
void insnperf_drain(struct insnperf *p);
void insnperf_close(struct insnperf *p);

/*
 * What one emulated instruction (len bytes at in, at guest rip) is to exo
 * stat, on a vCPU whose ring head is at head_va and whose task register
 * holds tr: a trace point's load of that head (VMM_INSN_TRACE), an iretq
 * (VMM_INSN_IRET), or 0.
 */
unsigned insnperf_classify(const uint8_t *in, unsigned len, uint64_t rip,
			   uint64_t head_va, uint16_t tr);

#endif
