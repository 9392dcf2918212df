/*
 * What one ring-0 instruction costs on this host (platform.h
 * arch_insn_mcycles). On a PVM host every ring-0 instruction is emulated
 * and costs ~1,000-2,500 TSC ticks, depending on the host; with hardware
 * virtualization under one. The kernel's time bounds are its instruction
 * counts times this cost, so they hold on every host.
 *
 * Two runs are timed: a short one and the same with INSN_RUN more
 * instructions (half loads from the stack, half adds: the kernel's own mix
 * of data loads and arithmetic); their difference leaves out the cost of
 * reading the TSC. Each is the least of INSN_TRIES tries, so an interrupt
 * or a descheduled vCPU in one try does not count. Measured once, at boot
 * (~INSN_TRIES * 2 * (INSN_RUN + 12) instructions, ~1 ms on a PVM host).
 */
#include "../../core/platform.h"

#include "x86.h"

#define INSN_RUN        64
#define INSN_TRIES      5

/* The TSC ticks of a run of 4 instructions, plus INSN_RUN more if more. */
static u64
insn_run(bool more)
{
	u64 t0, t1, x = 1, y = 0;

	if (more) {
		t0 = rdtsc();
		__asm__ volatile(".rept 32\n\tmov %1, %%rcx\n\tadd %%rcx, %0\n\t.endr\n"
				 "mov %1, %%rcx\n\tadd %%rcx, %0\n\tmov %1, %%rcx\n\tadd %%rcx, %0"
				 : "+r"(y) : "m"(x) : "rcx");
		t1 = rdtsc();
	} else {
		t0 = rdtsc();
		__asm__ volatile("mov %1, %%rcx\n\tadd %%rcx, %0\n\tmov %1, %%rcx\n\tadd %%rcx, %0"
				 : "+r"(y) : "m"(x) : "rcx");
		t1 = rdtsc();
	}
	return t1 - t0;
}

static u64
insn_run_min(bool more)
{
	u64 best = ~0ULL;

	for (int i = 0; i < INSN_TRIES; i++) {
		u64 d = insn_run(more);

		if (d < best)
			best = d;
	}
	return best;
}

static u64 insn_mcycles;

u64
arch_insn_mcycles(void)
{
	if (!insn_mcycles) {
		u64 with = insn_run_min(true), without = insn_run_min(false);

		insn_mcycles = with > without ? (with - without) * 1000 / INSN_RUN : 1;
		if (!insn_mcycles)
			insn_mcycles = 1;
	}
	return insn_mcycles;
}
