/*
 * exo run --gdb [HOST:]PORT: a GDB remote-protocol server for the guest, as
 * QEMU's -gdb and kvmtool's --gdb. One thread (gdbstub.c) listens, accepts
 * one debugger, enters the jail (vmm/jail.h: it needs only read, write,
 * poll and the vCPUs' ioctls then) and serves it. Each vCPU is a GDB thread
 * (id = vCPU number + 1). All-stop: when one vCPU stops (a breakpoint, a
 * step, Ctrl-C) every vCPU is kicked out of KVM_RUN and parks before its
 * next entry until gdb resumes them (gdbstop.c). While parked the guest's
 * --timeout does not run (vmsignal.c asks gdbstub_paused).
 */
#ifndef VMM_GDBSTUB_H
#define VMM_GDBSTUB_H

#include <stdbool.h>
#include <linux/kvm.h>

#include "diag.h"

struct vmm;
struct vcpu;
struct gdb_stub;

/*
 * Listen on addr ("PORT" or "HOST:PORT"; HOST defaults to 127.0.0.1; PORT
 * 0 picks a free one, which the message names). With wait, every vCPU
 * parks before its first instruction until gdb resumes it. 0 with *out
 * set, or -errno with d saying why and what to do (a port in use: which).
 */
int gdbstub_open(struct vmm *vm, const char *addr, bool wait,
		 struct gdb_stub **out, struct diag *d);
/* Start the server's thread (after the VM is set up). */
int gdbstub_start(struct gdb_stub *g, struct diag *d);
/* After the run has stopped: end the session (gdb hears how the guest
 * ended), join the thread, free. */
void gdbstub_close(struct gdb_stub *g);

/* The port listened on (for reports). */
unsigned gdbstub_port(const struct gdb_stub *g);

/* A vCPU thread before KVM_RUN, with vm->lock held: park while gdb has the
 * machine stopped. */
void gdbstub_park(struct gdb_stub *g, struct vcpu *c);
/* A vCPU's KVM_EXIT_DEBUG, with vm->lock held. */
void gdbstub_debug_exit(struct gdb_stub *g, struct vcpu *c, struct kvm_run *run);

/* Any other exit of that vCPU, with vm->lock held. */
void gdbstub_exit(struct gdb_stub *g, struct vcpu *c);

/* Something changed (the run stops, a signal came): wake the server's
 * thread. Async-signal-safe. */
void gdbstub_wake(struct gdb_stub *g);
/* Seconds the machine has spent stopped in gdb so far. Async-signal-safe. */
double gdbstub_paused(struct gdb_stub *g);

#endif
