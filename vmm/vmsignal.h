/*
 * The signals that end a run: SIGALRM (--timeout), and SIGINT, SIGTERM and
 * SIGHUP (the user, or the terminal going away). Each sets a flag and kicks
 * every vCPU out of KVM_RUN through kvm_run.immediate_exit, which KVM reads
 * on entry, so a signal at any instant stops the run:
 *
 *   - the machine the handler kicks is set BEFORE the handlers are installed
 *     and the timer is armed (a timer of a microsecond fires on the return
 *     from setitimer: it must find the machine);
 *   - a vCPU that leaves KVM_RUN by a signal clears its immediate_exit
 *     BEFORE it reads the flags (vmsignal_take), so a signal that comes in
 *     between sets immediate_exit again and the next KVM_RUN returns at once.
 *
 * One run at a time per process (the flags are global, as signals are).
 */
#ifndef VMM_VMSIGNAL_H
#define VMM_VMSIGNAL_H

#include <signal.h>
#include <stdbool.h>
#include <sys/time.h>

#include "diag.h"
#include "vmm.h"

struct vmm;

/* The timer value for timeout seconds (> 0): rounded up to a whole
 * microsecond, never zero (zero would disarm the timer). */
struct timeval vmsignal_timer_value(double timeout);

/*
 * Make sig's handlers stop vm, then arm --timeout (0: none). -errno with d
 * filled if a handler or the timer cannot be set up (nothing stays armed).
 */
int vmsignal_arm(struct vmm *vm, double timeout, struct diag *d);
/* Disarm the timer and restore the default actions. */
void vmsignal_disarm(void);

/* Which stop a signal asked for: VMM_TIMEOUT, VMM_INTERRUPTED, or false. */
bool vmsignal_pending(enum vmm_outcome *outcome);

/* The signals of a run, to block in threads that must not take them. */
void vmsignal_set(sigset_t *set);

#endif
