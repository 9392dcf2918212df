/*
 * Interrupts as IPC: interrupt line n is thread n (version 1). When the line
 * fires, its thread sends an empty message (label EXO_LABEL_INTERRUPT) to the
 * driver associated with it; the line stays masked until the driver replies
 * to the interrupt thread. An interrupt that fires while masked is counted and
 * delivered once right after the acknowledgement.
 */
#include "irq.h"

#include <exo/error.h>

#include "../guest/core/ext.h"
#include "../guest/core/sched.h"
#include "fastpath.h"
#include "ipc.h"
#include "transfer.h"

static struct thread *
irq_deliver(struct thread *t)
{
	struct thread *h = thread_lookup(t->handler);

	if (!h) {
		irq_detach(t);
		return 0;
	}
	t->state = TS_IRQ_PENDING;
	t->partner = h->id;
	if (!ipc_accepts(h, t)) {
		ipc_sendq_add(h, t);
		return 0;
	}
	transfer(t, h);
	t->state = TS_IRQ_ACK;
	ipc_wake(h);
	return h;
}

/* Not idle, or the line has handlers (TF_EXT): out of line, reached by a
 * tail call, so that the idle line's path has no frame to set up. */
static __attribute__((noinline)) struct thread *
irq_not_idle(struct thread *t)
{
	if (t->flags & TF_EXT && ext_irq_raise(t))
		return 0;       /* consumed by an extension */
	if (t->state != TS_IRQ_IDLE) {
		t->irq_missed++;
		return 0;
	}
	return irq_deliver(t);
}

struct thread *
ipc_irq(u32 line)
{
	struct thread *t;

	if (line < 1 || line > EXO_NIRQ)
		return 0;
	t = &threads[line];
	if (!t->handler)
		return 0;
	/* One test for "not idle, or TF_EXT": the line's handlers first. */
	if (state_flags(t) != TS_IRQ_IDLE)
		return irq_not_idle(t);
	return irq_deliver(t);
}

bool
irq_ack(struct thread *t, struct thread *cur)
{
	if (t->handler != cur->id) {
		ipc_set_error(cur, EXO_IPC_NOPARTNER, false);
		return false;
	}
	if (t->state != TS_IRQ_ACK)
		return true;
	t->state = TS_IRQ_IDLE;
	if (t->irq_missed) {
		t->irq_missed = 0;
		irq_deliver(t);
	}
	return true;
}

void
irq_detach(struct thread *t)
{
	if (EXO_TID_NO(t->id) == EXO_IRQ_TIMER)
		sched_tick_enable(false);
	t->handler = EXO_NILTHREAD;
	t->state = TS_IRQ_IDLE;
	t->irq_missed = 0;
}

/*
 * irq_control(irq, handler): handler (nil: detach) receives irq's interrupts.
 *   -E_INVAL  irq is not an interrupt thread, or handler not a live thread
 *             of the caller's own space
 *   -E_FAULT  the line has another driver already (detach it first)
 */
int
ipc_irq_control(struct thread *caller, u64 irq, u64 handler)
{
	struct thread *t = thread_lookup(irq), *h;

	if (!t || EXO_TID_NO(irq) >= THREAD_FIRST)
		return -E_INVAL;
	if (handler == EXO_NILTHREAD) {
		if (t->handler == EXO_NILTHREAD)
			return 0;
		h = thread_lookup(t->handler);
		if (h && h->space != caller->space)
			return -E_FAULT;
		if (t->state == TS_IRQ_PENDING && h) {
			/* Take it off the driver's queue: ipc_detach's job. */
			ipc_detach(t);
		}
		irq_detach(t);
		return 0;
	}
	h = thread_lookup(handler);
	if (!h || h->space != caller->space || EXO_TID_NO(handler) < THREAD_FIRST)
		return -E_INVAL;
	if (t->handler != EXO_NILTHREAD && t->handler != handler)
		return -E_FAULT;
	t->handler = handler;
	t->state = TS_IRQ_IDLE;
	if (EXO_TID_NO(irq) == EXO_IRQ_TIMER)
		sched_tick_enable(true);
	return 0;
}
