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

#define INSN_RUN        64      /* 34 - 2 pairs: insn_run */
#define INSN_TRIES      5

/*
 * The TSC ticks from one rdtsc to the next over pairs (load, add) pairs
 * of instructions, all in one asm block so that both runs time exactly the
 * same frame (the two moves that keep the first reading) around them.
 */
#define INSN_TIMED(pairs, ticks) do {                                         \
	u32 lo0_, hi0_, lo1_, hi1_;                                           \
	u64 x_ = 1, y_ = 0;                                                   \
	__asm__ volatile("rdtsc\n\tmov %%eax, %2\n\tmov %%edx, %3\n\t"       \
			 ".rept " #pairs "\n\tmov %6, %%rcx\n\tadd %%rcx, %4\n\t"  \
			 ".endr\n\trdtsc"                                       \
			 : "=a"(lo1_), "=d"(hi1_), "=&r"(lo0_), "=&r"(hi0_), "+r"(y_) \
			 : "0"(0), "m"(x_) : "rcx");                            \
	(ticks) = ((u64)hi1_ << 32 | lo1_) - ((u64)hi0_ << 32 | lo0_);         \
} while (0)

/* The TSC ticks of a run of 4 instructions, or of INSN_RUN + 4. */
static u64
insn_run(bool more)
{
	u64 t;

	if (more)
		INSN_TIMED(34, t);      /* INSN_RUN / 2 + 2 pairs */
	else
		INSN_TIMED(2, t);
	return t;
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
