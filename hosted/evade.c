/*
 * A thread that keeps the kernel's timer out. The timer is a signal
 * (STUB_SIG_PREEMPT) to the running thread; a hostile program can block it
 * with a forged rt_sigreturn (which it may make from the stub's code), and
 * then never enter the kernel again, stalling every other program. It
 * cannot be prevented in the process (whatever the stub keeps there the
 * program can change), so exo watches from outside, in /proc, while it
 * waits for the entry after a timer signal:
 *   - the signal blocked (SigBlk), and
 *   - the thread asleep (state S) at two polls in a row, or using two clock
 *     ticks of CPU time since the signal was first seen blocked.
 * The stub's own handler blocks the signal too, but only between the
 * signal and the entry exo waits for: it never sleeps there and runs a few
 * hundred instructions, far from a clock tick. So the rule counts work the
 * thread did, never time that passed, and an innocent thread on a loaded
 * host is not taken for an evader.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "hosted.h"

#define EVADE_TICKS 2

static FILE *
task_file(const struct hspace *s, u32 slot, const char *what)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/%d/task/%u/%s", (int)s->pid, s->tid[slot], what);
	return fopen(path, "r");
}

/* SIGUSR2 in the thread's blocked mask: 1, 0, or -1 (not readable). */
static int
timer_blocked(const struct hspace *s, u32 slot)
{
	FILE *f = task_file(s, slot, "status");
	char line[256];
	unsigned long long mask;
	int r = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &mask) == 1) {
			r = mask >> (STUB_SIG_PREEMPT - 1) & 1;
			break;
		}
	fclose(f);
	return r;
}

/* Its state letter and CPU time (utime + stime, clock ticks). */
static int
task_stat(const struct hspace *s, u32 slot, char *state, unsigned long long *cpu)
{
	FILE *f = task_file(s, slot, "stat");
	char buf[1024], *p;
	unsigned long long ut, st;
	int n = 0;

	if (!f)
		return -1;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	/* After the name: state (3), then fields 4..13, utime (14), stime (15). */
	if (p)
		n = sscanf(p + 2, "%c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			   state, &ut, &st);
	if (n != 3)
		return -1;
	*cpu = ut + st;
	return 0;
}

bool
hosted_evading(const struct hspace *s, u32 slot, struct hosted_evade *ev)
{
	unsigned long long cpu;
	char state;

	if (!s->tid[slot] || timer_blocked(s, slot) != 1 ||
	    task_stat(s, slot, &state, &cpu) < 0) {
		ev->seen = false;
		return false;
	}
	if (!ev->seen) {
		*ev = (struct hosted_evade){ .seen = true, .cpu0 = cpu, .asleep = state == 'S' };
		return false;
	}
	if ((state == 'S' && ev->asleep) || cpu - ev->cpu0 >= EVADE_TICKS)
		return true;
	ev->asleep = state == 'S';
	return false;
}
