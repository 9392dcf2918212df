/*
 * The hosted platform's CPUs (platform.h's SMP part, percpu.h's this_cpu).
 *
 * Each CPU is a thread of the exo process running the kernel's loop
 * (loop.c) for the user threads homed on it: CPU 0 is the thread that
 * called hosted_run, the others are started by arch_start_cpus. The big
 * kernel lock is the core's own (percpu.h); a CPU holds it from an entry
 * of its user thread to that thread's release, and drops it to idle.
 *
 * An IPI is a bump of the target's word (struct hcpu ipi) and a futex
 * wake. Every wait of a CPU (for its thread's entry, idle, for answers)
 * waits on that word as well, with futex_waitv, so an IPI is never lost
 * between a check and a sleep: the wait compares the word with the value
 * last taken (ipi_seen) in the kernel. A CPU running a user thread answers
 * by making it enter when the request needs it (loop.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/sched.h"
#include "../guest/core/thread.h"
#include "../guest/core/trace.h"
#include "../vmm/machine.h"
#include "hosted.h"

struct hcpu hcpus[NCPUS_MAX];
/* This thread's CPU: CPU 0 until arch_start_cpus's threads set theirs. */
static __thread struct percpu *self = &cpus[0];

struct percpu *
this_cpu(void)
{
	return self;
}

struct hcpu *
hosted_cpu(void)
{
	return &hcpus[self->id];
}

void
arch_ipi(u32 cpu)
{
	struct hcpu *h = &hcpus[cpu];

	u32 *w;

	__atomic_fetch_add(&h->ipi, 1, __ATOMIC_SEQ_CST);
	syscall(SYS_futex, &h->ipi, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	w = __atomic_load_n(&h->waiting, __ATOMIC_SEQ_CST);
	if (w)          /* wait_one's entry word: a wake it re-checks */
		syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
	/* ptrace: the target may be waiting for its thread's stop, not on
	 * its word; the thread enters, and the target answers after. */
	if (hosted.ptrace)
		hosted_ptrace_kick(cpu);
}

/* Was this CPU sent an IPI since it last looked? Takes it if so. */
bool
hosted_ipi_take(struct hcpu *h)
{
	u32 v = __atomic_load_n(&h->ipi, __ATOMIC_ACQUIRE);

	if (v == h->ipi_seen)
		return false;
	h->ipi_seen = v;
	return true;
}

/* futex_waitv is Linux 5.16's: 1 here, 0 not (one CPU only then), -1 not
 * asked yet. */
static int have_waitv = -1;

/* One futex only (before Linux 5.16): the entry word, or the IPI word. An
 * IPI during a wait for an entry also wakes that word (arch_ipi), but one
 * sent between the look and the sleep is seen at the wait's next step (one
 * CPU has no IPI but console input's). */
static int
wait_one(struct hcpu *h, u32 *word, u32 val, const struct timespec *abs)
{
	u32 *w = word ? word : &h->ipi;
	int op = FUTEX_WAIT_BITSET | (word ? 0 : FUTEX_PRIVATE_FLAG);
	long r;

	__atomic_store_n(&h->waiting, word, __ATOMIC_SEQ_CST);
	r = syscall(SYS_futex, w, op, word ? val : h->ipi_seen, abs, NULL,
		    FUTEX_BITSET_MATCH_ANY);
	__atomic_store_n(&h->waiting, NULL, __ATOMIC_RELAXED);
	return r < 0 && errno == ETIMEDOUT ? -ETIMEDOUT : 0;
}

/* Can this host run several CPUs (futex_waitv)? */
bool
hosted_cpus_possible(void)
{
	if (have_waitv < 0) {
		static u32 probe;       /* always 0: the call cannot sleep */
		struct futex_waitv w = { .val = 1, .uaddr = (u64)(uintptr_t)&probe,
					 .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG };

		have_waitv = syscall(SYS_futex_waitv, &w, 1, 0, NULL, 0) < 0 && errno == ENOSYS ?
			     0 : 1;
	}
	return have_waitv;
}

/*
 * Sleep until word (if any; shared: from the memfd) differs from val, an
 * IPI arrives or deadline_ns (CLOCK_MONOTONIC, absolute) passes. 0, or
 * -ETIMEDOUT. An IPI since the last hosted_ipi_take returns at once.
 */
int
hosted_cpu_wait(struct hcpu *h, u32 *word, u32 val, u64 deadline_ns)
{
	struct futex_waitv w[2] = {
		{ .val = h->ipi_seen, .uaddr = (u64)(uintptr_t)&h->ipi,
		  .flags = FUTEX_32 | FUTEX_PRIVATE_FLAG },
		{ .val = val, .uaddr = (u64)(uintptr_t)word, .flags = FUTEX_32 },
	};
	struct timespec ts = { (time_t)(deadline_ns / 1000000000ULL),
			       (long)(deadline_ns % 1000000000ULL) };
	long r;

	if (!hosted_cpus_possible())
		return wait_one(h, word, val, &ts);
	r = syscall(SYS_futex_waitv, w, word ? 2 : 1, 0, &ts, CLOCK_MONOTONIC);
	return r < 0 && errno == ETIMEDOUT ? -ETIMEDOUT : 0;
}

/*
 * A spin for the lock or for answers: give the host CPU away, since the
 * CPU we wait for may be a thread that needs it (two host cores here, and
 * other programs on them); and notice the end of the run.
 */
void
arch_relax(void)
{
	hosted_check_stop();
	hosted_ptrace_service();
	sched_yield();
}

/* Holding the lock, wait for an IPI (the answer to a request). */
void
arch_wait_interrupt(void)
{
	struct hcpu *h = hosted_cpu();

	while (!hosted_ipi_take(h)) {
		hosted_check_stop();
		hosted_ptrace_service();
		hosted_cpu_wait(h, NULL, 0, hosted_mono_ns() + HOSTED_POLL_NS);
	}
}

/* Kernel stacks are the threads' of exo: none to hand out. */
u64
arch_cpu_kstack(u32 cpu)
{
	(void)cpu;
	return 0;
}

/*
 * The "TLB" of a space is its process's mappings, which every thread of
 * the process shares, on whatever CPU it runs: a queued munmap or mprotect
 * (space.c) is a stale translation until the process has carried it out.
 * So invalidating is carrying out the queue of the space loaded here, and
 * it is enough, although threads of the space may be running on several
 * CPUs right now: the control thread's munmap returns only once Linux has
 * dropped the pages from every CPU that runs a thread of the process (its
 * own shootdown), so when this returns no thread of the space can reach
 * the old pages, and the initiator frees them only after every target has
 * answered. A target with the space loaded but no thread out has nothing
 * to stop either: its next release carries out the queue first (loop.c).
 *
 * This runs on a target without the big lock, while the initiator holds it
 * and waits; several targets of one shootdown name the same space, so the
 * space's own mutex (hosted_flush) orders them. A process not started yet
 * has no thread running.
 */
void
arch_tlb_invalidate(const u64 *va, u32 n)
{
	struct hspace *s = hosted_space(this_cpu()->root);

	(void)va, (void)n;
	if (s && s->pid && s->nq)
		hosted_flush(s);
}

void
arch_tlb_leave(struct percpu *pc)
{
	pc->root = 0;
}

/*
 * Before the lock is dropped: a change this entry made to a space whose
 * thread runs on another CPU now is carried out at once, as a page-table
 * write is seen by a running CPU on kvm (unmaps went already, by the
 * shootdown; this is for new mappings).
 */
void
hosted_flush_loaded(void)
{
	u32 me = this_cpu()->id;

	for (u32 i = 0; i < ncpus; i++) {
		struct hspace *s = i == me ? NULL : hosted_space(cpus[i].root);

		if (s && s->pid && s->nq)
			hosted_flush(s);
	}
}

/* The end of the run, from any CPU: every CPU leaves at its next wait. */
void
hosted_end(int why)
{
	struct hcpu *h = hosted_cpu();

	__atomic_store_n(&hosted.ending, 1, __ATOMIC_SEQ_CST);
	for (u32 i = 0; i < ncpus; i++)
		if (i != self->id)
			arch_ipi(i);
	if (self->id == 0)
		longjmp(hosted.out, why);
	longjmp(h->out, why);
}

static void *
cpu_main(void *arg)
{
	struct percpu *pc = arg;
	struct thread *t;
	sigset_t set;

	/* SIGINT, SIGTERM, SIGHUP are CPU 0's to see (run.c). */
	sigemptyset(&set);
	sigaddset(&set, SIGINT), sigaddset(&set, SIGTERM), sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	self = pc;
	hosted_cores_cpu(pc->id);
	hosted.vm->vcpus[pc->id].index = pc->id;
	vmm_self_set(&hosted.vm->vcpus[pc->id]);       /* the trace ring it attaches */
	if (setjmp(hcpus[pc->id].out))
		return NULL;
	if (hosted.ptrace && hosted_ptrace_init() < 0) {
		fprintf(stderr, "exo: ptrace: cannot make the timers of CPU %u: %s\n", pc->id,
			strerror(errno));
		hosted_end(2);
	}
	trace_announce();
	smp_lock();
	pc->online = true;
	t = sched_next();       /* idles, the lock dropped, until there is work */
	sched_switch(t);
	hosted_loop(t);
}

void
arch_start_cpus(void)
{
	for (u32 i = 1; i < ncpus; i++) {
		if (pthread_create(&hcpus[i].thread, NULL, cpu_main, &cpus[i]) != 0) {
			fprintf(stderr, "exo: hosted: cannot start the thread of CPU %u: %s\n",
				i, strerror(errno));
			hosted_end(2);
		}
		hcpus[i].started = true;
	}
}

/* After the run ended (CPU 0 is out): the others leave and are joined. */
void
hosted_cpus_join(void)
{
	__atomic_store_n(&hosted.ending, 1, __ATOMIC_SEQ_CST);
	for (u32 i = 1; i < NCPUS_MAX; i++) {
		if (!hcpus[i].started)
			continue;
		arch_ipi(i);
		pthread_join(hcpus[i].thread, NULL);
		hcpus[i].started = false;
	}
}
