/* TEMPORARY until the LAPIC timer lands: time without a timer interrupt. */
#include "../../core/platform.h"
#include "cpu.h"

u64
arch_now(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

void
arch_timer_arm(u64 deadline)
{
	(void)deadline;
}

void
arch_idle(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

void
lapic_eoi(void)
{
}
