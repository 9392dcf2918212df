/*
 * Interrupts as the core receives them (kernel_timer, kernel_irq in
 * platform.h): the timer drives the scheduler (timeouts, slices, the
 * EXO_IRQ_TIMER tick), a line becomes IPC from its interrupt thread. The
 * record of what arrived is what the ktest system calls wait on.
 */
#ifndef CORE_IRQ_H
#define CORE_IRQ_H

#include <exo/types.h>
#include <exo/ipc.h>

struct irq_log {
	u64 timer;                 /* kernel_timer calls */
	u64 timer_now;             /* the now of the last one */
	u64 line[EXO_NIRQ + 1];    /* kernel_irq calls by line (0 unused) */
};

extern struct irq_log irq_log;

#endif
