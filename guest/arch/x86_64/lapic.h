/*
 * The local APIC in x2APIC mode: the timer behind arch_timer_arm, the
 * interrupt vectors (asm.h) and their routing, arch_idle and arch_now.
 */
#ifndef ARCH_LAPIC_H
#define ARCH_LAPIC_H

#include <exo/types.h>
#include <exo/bootinfo.h>

/*
 * Enable the x2APIC if CPUID offers one, program its timer (TSC-deadline
 * mode if CPUID has it and the command line does not say "timer=oneshot",
 * else one-shot mode), and route the VMM's console input to VEC_CONSOLE.
 * Without an x2APIC the boot goes on with no interrupts at all.
 */
void lapic_init(const struct exo_bootinfo *bi);

/* An interrupt on vector (VEC_IRQ_FIRST..IDT_NVEC-1) arrived; trap() calls
 * this for it in ring 0 and in ring 3 alike. */
void lapic_interrupt(u64 vector);

/* An application processor's x2APIC, in the boot CPU's mode. */
void lapic_init_ap(void);
void lapic_eoi(void);
/* An interrupt that arrived in arch_idle (ring 0, without the lock). */
void lapic_interrupt_idle(u64 vector);

#endif
