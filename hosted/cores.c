/*
 * Where the hosted platform's threads run, and how long its waits watch a
 * word before sleeping on it (hosted.h, spin).
 *
 * A crossing is a hand-off between a thread of a stub process and a CPU
 * thread of exo. Sleeping on a futex and being woken costs about a futex
 * round trip between two processes (a switch each way; 12 us on this
 * project's PVM host, where the SIGSYS that starts a system call costs 3);
 * watching the word instead costs nothing when the other side answers
 * sooner, which for a system call the kernel gives straight back it does.
 * So each side watches for what a hand-off costs, measured at boot, then
 * sleeps: it never spends more than twice what sleeping at once would.
 *
 * Watching pays only where the two sides run at once: a CPU of exo's and
 * the thread it waits for on one host core take turns, every turn a
 * switch. So where the host has two cores for each CPU of exo's (one for
 * the CPU, one for the user thread it runs), each CPU's thread is kept on
 * a core of its own and the stub processes on the others (the first core
 * by exo's pid, so that two exo runs spread).
 * The watch loops look without yielding for the first eighth of their
 * time (a system call answered at once is seen without a yield's cost),
 * then yield the core at every look (sched_yield), so on a loaded host
 * they give it to whatever else is ready. Elsewhere (fewer
 * cores, the ptrace platform, EXO_HOSTED_SPIN=0) waits sleep at once and
 * nothing is kept anywhere, as before.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <exo/bootinfo.h>

#include "hosted.h"

static struct {
	bool on;
	int cpu_core[EXO_MAX_CPUS];     /* CPU i of exo's: its host core */
	cpu_set_t stubs;                /* the stub processes' cores */
} plan;

void
hosted_cores_plan(unsigned ncpus)
{
	const char *off = getenv("EXO_HOSTED_SPIN");
	cpu_set_t set;
	int core[CPU_SETSIZE], n = 0;

	hosted.spin = 0;
	plan.on = false;
	if (hosted.ptrace || (off && strcmp(off, "0") == 0) ||
	    sched_getaffinity(0, sizeof(set), &set) < 0)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			core[n++] = c;
	if ((unsigned)n < 2 * ncpus || ncpus > EXO_MAX_CPUS)
		return;
	plan.stubs = set;
	for (unsigned i = 0; i < ncpus; i++) {
		plan.cpu_core[i] = core[((unsigned)getpid() + i) % (unsigned)n];
		CPU_CLR(plan.cpu_core[i], &plan.stubs);
	}
	hosted.spin = hosted_measure_handoff();
	plan.on = hosted.spin != 0;
}

/* The calling thread is CPU id's. */
void
hosted_cores_cpu(unsigned id)
{
	cpu_set_t one;

	if (!plan.on)
		return;
	CPU_ZERO(&one);
	CPU_SET(plan.cpu_core[id], &one);
	pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
}

/* A stub process, just started. */
void
hosted_cores_stub(pid_t pid)
{
	if (plan.on)
		sched_setaffinity(pid, sizeof(plan.stubs), &plan.stubs);
}
