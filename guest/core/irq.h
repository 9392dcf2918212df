/*
 * Interrupts as the core receives them (kernel_timer, kernel_irq in
 * platform.h). For now the core only records what arrived, and the ktest
 * system calls wait on the record; the scheduler will take both entry
 * points over (and must keep the record up to date while the ktests use it).
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
