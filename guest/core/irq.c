/* The core's side of interrupts: see irq.h. */
#include "irq.h"

#include "../../ipc/ipc.h"
#include "kernel.h"
#include "platform.h"
#include "sched.h"

struct irq_log irq_log;
u64 kernel_tsc_khz;

void
kernel_timer(u64 now)
{
	irq_log.timer++;
	irq_log.timer_now = now;
	sched_timer(now);
}

void
kernel_irq(u32 line)
{
	kassert(line >= 1 && line <= EXO_NIRQ);
	irq_log.line[line]++;
	ipc_irq(line);
}
