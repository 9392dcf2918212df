/*
 * The VMM's half of guest tracing: find each CPU's ring when the kernel
 * announces it (EXO_DOORBELL_TRACE), drain the rings from the I/O thread
 * every millisecond and once more when the guest has stopped, and put the
 * VMM's own exits on the guest's clock. Everything goes to the command's
 * struct vmm_trace_sink.
 */
#ifndef VMM_VTRACE_H
#define VMM_VTRACE_H

#include <stdbool.h>
#include <stdint.h>

#include <ev.h>

#include "tracering.h"

struct vmm;

struct vmm_trace {
	struct tracering rings[EXO_TRACE_CPUS_MAX];
	bool attached[EXO_TRACE_CPUS_MAX];   /* written by the vCPU, read by the I/O thread */
	int64_t tsc_offset;                  /* guest TSC - host TSC */
	bool have_offset;
	ev_timer timer;
};

/* With a trace sink: the drain timer on the I/O thread's loop. */
void vtrace_start(struct vmm *vm);
/* The full TSC of a record whose low half is lo, read at guest TSC now. */
uint64_t vtrace_unwrap(uint64_t now, uint32_t lo);
/* The doorbell: the ring at page frame pfn is the CPU's (checked). */
int vtrace_attach(struct vmm *vm, unsigned vcpu, uint32_t pfn);
/* The last drain, after the I/O thread has stopped. */
void vtrace_finish(struct vmm *vm);
/* A VM exit the VMM handles (vCPU thread). */
void vtrace_exit(struct vmm *vm, unsigned vcpu, uint32_t reason, uint16_t port);

#endif
