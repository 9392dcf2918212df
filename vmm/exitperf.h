/*
 * VM exits by reason, where hardware KVM tells: one perf counter per reason
 * on the tracepoint kvm:kvm_exit, filtered on its exit_reason, on each
 * vCPU's thread (a perf event follows the thread that opens it), in one
 * group read at once. exo bench reads them at its marks beside KVM's exits
 * statistic, which has the total but no reason. The reasons are the AMD (kvm_amd) or Intel (kvm_intel)
 * exit codes exo's paths can cause; whatever else exits is the total less
 * their sum. On PVM, whose exits have no such codes, nothing is counted.
 */
#ifndef VMM_EXITPERF_H
#define VMM_EXITPERF_H

#include <stddef.h>
#include <stdint.h>

#define EXITPERF_MAX 20

struct exitperf {
	int fd[EXITPERF_MAX];            /* the first n are open */
	unsigned n;
	const char *const *names;        /* the reason each counts */
};

/* What the marks hand on: counts summed over the vCPUs, by name. */
struct vmm_exits {
	unsigned n;                      /* 0: not counted, why says why */
	const char *const *names;
	int64_t count[EXITPERF_MAX];
	const char *why;
};

/* Open on the calling thread, which runs a vCPU: 0, or -errno with why. */
int exitperf_open(struct exitperf *p, char *why, size_t len);
/* Add this vCPU's counts to count[0..p->n) (any thread). */
void exitperf_add(const struct exitperf *p, int64_t *count);
void exitperf_close(struct exitperf *p);

#endif
