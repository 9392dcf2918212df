/*
 * exo run --step-boot: vCPU 0 single-stepped (KVM_GUESTDBG_SINGLESTEP) from
 * the kernel's first instruction to the first user instruction, each step's
 * rip kept. At the end the boot's ring-0 instructions are counted, exactly,
 * and by function (the namer's names). Where ring 0 runs natively (hardware
 * KVM) no statistic counts them; on PVM insn_emulation does, and --stats
 * says so. A rep-prefixed instruction counts once, however many iterations
 * the trap flag stopped it at (its rip does not move between them).
 */
#ifndef VMM_BOOTSTEP_H
#define VMM_BOOTSTEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct vmm;
struct diag;
struct kvm_run;

struct bootstep {
	bool on;                 /* stepping now */
	bool done;               /* reached user mode (or gave up: why) */
	uint64_t *rip;           /* the instructions' rips, in order */
	size_t n, cap;
	uint64_t steps;          /* traps taken, rep iterations included */
	char why[600];           /* set if it stopped before user mode */
};

/* Start stepping vCPU fd (before its first KVM_RUN): 0 or -errno with d. */
int bootstep_start(struct bootstep *s, int vcpu_fd, struct diag *d);
/* A KVM_EXIT_DEBUG while stepping: note the rip, stop at user mode. */
void bootstep_exit(struct bootstep *s, int vcpu_fd, const struct kvm_run *run);
/* The count and the functions that took most, to f; JSON to report if set. */
void bootstep_print(const struct bootstep *s, const struct vmm *vm, FILE *f,
		    FILE *report);
void bootstep_free(struct bootstep *s);

#endif
