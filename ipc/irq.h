/* Interrupts as IPC (irq.c), and the helpers ipc.c shares with it. */
#ifndef IPC_IRQ_H
#define IPC_IRQ_H

#include "../guest/core/thread.h"

/* cur (the driver) acknowledges interrupt thread t; false: not its driver. */
bool irq_ack(struct thread *t, struct thread *cur);
/* Detach interrupt thread t from its driver: the line is masked. */
void irq_detach(struct thread *t);

/* The general path's helpers irq.c shares (ipc.c). */
void ipc_set_error(struct thread *t, u32 code, bool recv);
void ipc_sendq_add(struct thread *dst, struct thread *t);
bool ipc_accepts(const struct thread *dst, const struct thread *src);
void ipc_wake(struct thread *t);

#endif
