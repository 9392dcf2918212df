/* The signals that end a run: see vmsignal.h. */
#include "vmsignal.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <time.h>

#include "machine.h"

static const int run_signals[] = { SIGALRM, SIGINT, SIGTERM, SIGHUP };
#define NRUN_SIGNALS (sizeof(run_signals) / sizeof(run_signals[0]))

static struct vmm *volatile signal_vm;
static volatile sig_atomic_t signal_timeout, signal_interrupt;
static double signal_limit;             /* --timeout, seconds */
static struct timespec signal_armed;    /* when it was armed */

/*
 * --timeout counts the time the guest runs, not the time it sits stopped
 * in gdb: at SIGALRM, if the run has had less than its time, arm the timer
 * for what is left. (Stopped for ever, it fires again and again, each time
 * after what is left; no guest runs meanwhile.)
 */
static bool
timeout_deferred(struct vmm *vm)
{
	struct itimerval it = { 0 };
	struct timespec now;
	double ran;

	if (!vm->gdb)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ran = (double)(now.tv_sec - signal_armed.tv_sec) +
	      (double)(now.tv_nsec - signal_armed.tv_nsec) / 1e9 - gdbstub_paused(vm->gdb);
	if (ran >= signal_limit)
		return false;
	it.it_value = vmsignal_timer_value(signal_limit - ran);
	return setitimer(ITIMER_REAL, &it, NULL) == 0;
}

static void
on_signal(int sig)
{
	struct vmm *vm = signal_vm;

	if (sig == SIGUSR1)
		return;                 /* a kick: KVM_RUN returns EINTR */
	if (sig == SIGALRM && vm && timeout_deferred(vm))
		return;
	if (sig == SIGALRM)
		signal_timeout = 1;
	else
		signal_interrupt = 1;
	if (vm)
		vmm_kick_all(vm);
}

struct timeval
vmsignal_timer_value(double timeout)
{
	struct timeval tv = { .tv_sec = (time_t)timeout };

	tv.tv_usec = (suseconds_t)ceil((timeout - (double)tv.tv_sec) * 1e6);
	if (tv.tv_usec >= 1000000) {
		tv.tv_sec++;
		tv.tv_usec -= 1000000;
	}
	if (!tv.tv_sec && !tv.tv_usec)
		tv.tv_usec = 1;
	return tv;
}

void
vmsignal_set(sigset_t *set)
{
	sigemptyset(set);
	for (size_t i = 0; i < NRUN_SIGNALS; i++)
		sigaddset(set, run_signals[i]);
}

int
vmsignal_arm(struct vmm *vm, double timeout, struct diag *d)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itimerval it = { 0 };
	int err;

	sigemptyset(&sa.sa_mask);
	signal_timeout = signal_interrupt = 0;
	/* Invariant: the handler finds vm from the moment it can run. */
	signal_vm = vm;
	for (size_t i = 0; i < NRUN_SIGNALS; i++)
		if (sigaction(run_signals[i], &sa, NULL) < 0)
			goto fail;
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		goto fail;
	signal_limit = timeout;
	clock_gettime(CLOCK_MONOTONIC, &signal_armed);
	if (timeout > 0) {
		it.it_value = vmsignal_timer_value(timeout);
		if (setitimer(ITIMER_REAL, &it, NULL) < 0) {
			err = errno;
			vmsignal_disarm();
			return diag_fail(d, err, "cannot arm --timeout: %s", strerror(err));
		}
	}
	return 0;
fail:
	err = errno;
	vmsignal_disarm();
	return diag_fail(d, err, "cannot install signal handlers: %s", strerror(err));
}

void
vmsignal_disarm(void)
{
	struct itimerval it = { 0 };

	setitimer(ITIMER_REAL, &it, NULL);
	for (size_t i = 0; i < NRUN_SIGNALS; i++)
		signal(run_signals[i], SIG_DFL);
	signal(SIGUSR1, SIG_DFL);
	signal_vm = NULL;
}

bool
vmsignal_pending(enum vmm_outcome *outcome)
{
	if (signal_timeout)
		*outcome = VMM_TIMEOUT;
	else if (signal_interrupt)
		*outcome = VMM_INTERRUPTED;
	else
		return false;
	return true;
}
