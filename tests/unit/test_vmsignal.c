/*
 * The signals that end a run (vmm/vmsignal.c), on a machine without KVM: a
 * struct vmm whose kvm_run is plain memory. What a vCPU would see is its
 * immediate_exit: once a stopping signal has been handled it must be set, or
 * KVM_RUN would run the guest on, past --timeout, for ever.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "vmm/machine.h"
#include "vmm/vmsignal.h"

static struct vmm *vm;
static struct kvm_run *run;

static void
setup(void)
{
	vm = calloc(1, sizeof(*vm));
	run = calloc(1, sizeof(*run));
	cr_assert(vm && run);
	vm->kvm.ncpus = 1;
	vm->kvm.run[0] = run;
}

static void
teardown(void)
{
	vmsignal_disarm();
	free(run);
	free(vm);
}

/* .timeout: a signal that is never handled fails the test, not hangs it. */
TestSuite(vmsignal, .init = setup, .fini = teardown, .timeout = 20);

/* Until a stopping signal has been handled (the handler runs on this thread). */
static enum vmm_outcome
wait_for_stop(void)
{
	enum vmm_outcome why;

	while (!vmsignal_pending(&why))
		usleep(1000);
	return why;
}

/* The shortest --timeout fires on the return from setitimer: it must
 * already find the machine and kick it. */
Test(vmsignal, the_shortest_timeout_kicks_the_vcpus)
{
	struct diag d = { "" };

	for (int i = 0; i < 100; i++) {
		run->immediate_exit = 0;
		cr_assert_eq(vmsignal_arm(vm, 0.000001, &d), 0, "%s", d.msg);
		cr_assert_eq(wait_for_stop(), VMM_TIMEOUT);
		cr_assert_eq(run->immediate_exit, 1, "try %d: the timeout fired but no "
			     "vCPU was kicked: KVM_RUN would run on", i);
		vmsignal_disarm();
	}
}

/* SIGINT, SIGTERM and SIGHUP stop the run as interrupted (before, SIGHUP
 * killed exo: a trace ended with no file written). */
Test(vmsignal, user_signals_interrupt)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct diag d = { "" };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		run->immediate_exit = 0;
		cr_assert_eq(vmsignal_arm(vm, 0, &d), 0, "%s", d.msg);
		cr_assert_eq(raise(sigs[i]), 0);
		cr_assert_eq(wait_for_stop(), VMM_INTERRUPTED, "signal %d", sigs[i]);
		cr_assert_eq(run->immediate_exit, 1, "signal %d did not kick", sigs[i]);
		vmsignal_disarm();
	}
}

/* Arming clears what an earlier run left. */
Test(vmsignal, arm_starts_clean)
{
	struct diag d = { "" };
	enum vmm_outcome why;

	cr_assert_eq(vmsignal_arm(vm, 0, &d), 0);
	raise(SIGINT);
	wait_for_stop();
	vmsignal_disarm();
	cr_assert_eq(vmsignal_arm(vm, 0, &d), 0);
	cr_assert_not(vmsignal_pending(&why));
}

/* Every signal that stops a run is one the other vCPU threads block. */
Test(vmsignal, the_set_holds_every_run_signal)
{
	sigset_t set;

	vmsignal_set(&set);
	cr_assert(sigismember(&set, SIGALRM));
	cr_assert(sigismember(&set, SIGINT));
	cr_assert(sigismember(&set, SIGTERM));
	cr_assert(sigismember(&set, SIGHUP));
	cr_assert_not(sigismember(&set, SIGUSR1), "the kick must reach them");
}

/* --timeout in seconds to the timer: rounded up, never 0 (0 disarms). */
Test(vmsignal, timer_values)
{
	static const struct { double t; long sec, usec; } cases[] = {
		{ 0.000001, 0, 1 }, { 1e-9, 0, 1 }, { 0.0000015, 0, 2 },
		{ 0.5, 0, 500000 }, { 2.25, 2, 250000 }, { 1, 1, 0 },
		{ 1000000, 1000000, 0 }, { 0.9999999, 1, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct timeval tv = vmsignal_timer_value(cases[i].t);

		cr_assert(tv.tv_sec == cases[i].sec && tv.tv_usec == cases[i].usec,
			  "%g s gave %ld.%06ld", cases[i].t, (long)tv.tv_sec,
			  (long)tv.tv_usec);
	}
}
