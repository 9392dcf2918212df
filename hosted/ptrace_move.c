/*
 * The ptrace platform with several CPUs: a thread's tracer moves with it.
 *
 * ptrace requests are a thread's: only the exo thread that attached to a
 * user thread may resume it. Each CPU's thread traces the user threads it
 * runs (ptrace.c); a user thread runs on its home CPU only, which changes
 * at the kernel's word (exchange_registers with EXR_CPU). The CPU that is
 * to run a thread another CPU traces asks that CPU to let it go: that CPU
 * blocks every signal of the thread, points it at STUB_PARK (a pause loop
 * in the stub's text that touches no memory) and detaches; the new CPU
 * attaches again (PTRACE_SEIZE, PTRACE_INTERRUPT), unblocks its signals
 * and gives it its registers. Untraced in between, the thread runs only
 * STUB_PARK with registers exo chose, and nothing of the program reaches
 * it: a signal would need a system call, which every other thread of the
 * program makes to exo.
 *
 * A CPU answers such requests wherever it waits (hosted_ptrace_service:
 * before each run, idle, spinning for the lock or for answers); a CPU it
 * runs a thread on is made to stop it by the IPI (cpu.c: arch_ipi kicks).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/user.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "hosted.h"

/* One request per asking CPU (it waits for its answer): pending is 1
 * until the tracer has let the thread go. */
static struct move {
	struct hspace *s;
	u32 slot, from;
	u32 pending;
} moves[NCPUS_MAX];

/* On the tracer: park the stopped thread and detach from it. */
static void
release(struct hspace *s, u32 slot)
{
	pid_t tid = (pid_t)s->tid[slot];
	struct user_regs_struct u;
	u64 all = ~0ULL;

	if (ptrace(PTRACE_SETSIGMASK, tid, (void *)8, &all) < 0 ||
	    ptrace(PTRACE_GETREGS, tid, 0, &u) < 0)
		goto kill;
	u.rip = STUB_PARK;
	u.orig_rax = -1ULL;     /* no system call to restart */
	if (ptrace(PTRACE_SETREGS, tid, 0, &u) < 0 || ptrace(PTRACE_DETACH, tid, 0, 0) < 0)
		goto kill;
	__atomic_store_n(&s->tracer[slot], 0, __ATOMIC_RELEASE);
	return;
kill:
	/* It cannot be handed on: its process ends (the core sees it gone). */
	kill(s->pid, SIGKILL);
	__atomic_store_n(&s->tracer[slot], 0, __ATOMIC_RELEASE);
}

bool
hosted_ptrace_asked(void)
{
	u32 me = this_cpu()->id;

	for (u32 i = 0; i < ncpus; i++)
		if (__atomic_load_n(&moves[i].pending, __ATOMIC_ACQUIRE) && moves[i].from == me)
			return true;
	return false;
}

void
hosted_ptrace_service(void)
{
	u32 me = this_cpu()->id;

	if (!hosted.ptrace || ncpus < 2)
		return;
	for (u32 i = 0; i < ncpus; i++) {
		struct move *m = &moves[i];

		if (!__atomic_load_n(&m->pending, __ATOMIC_ACQUIRE) || m->from != me)
			continue;
		if (m->s->tracer[m->slot] == me + 1)
			release(m->s, m->slot);
		__atomic_store_n(&m->pending, 0, __ATOMIC_RELEASE);
	}
}

/* On the new tracer: attach to the parked thread and unblock its signals. */
static int
attach(struct hspace *s, u32 slot)
{
	pid_t tid = (pid_t)s->tid[slot];
	u64 none = 0;
	int st;

	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0 ||
	    ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return -1;
	st = hosted_ptrace_wait(tid);
	if (st < 0 || st >> 16 != PTRACE_EVENT_STOP ||
	    ptrace(PTRACE_SETSIGMASK, tid, (void *)8, &none) < 0)
		return -1;
	s->tracer[slot] = (u8)(this_cpu()->id + 1);
	return 0;
}

int
hosted_ptrace_take(struct hspace *s, u32 slot)
{
	u32 me = this_cpu()->id, from;
	struct move *m = &moves[me];

	from = __atomic_load_n(&s->tracer[slot], __ATOMIC_ACQUIRE);
	if (from) {
		*m = (struct move){ s, slot, from - 1, 0 };
		__atomic_store_n(&m->pending, 1, __ATOMIC_RELEASE);
		arch_ipi(from - 1);
		while (__atomic_load_n(&m->pending, __ATOMIC_ACQUIRE)) {
			u32 q = __atomic_load_n(&this_cpu()->req, __ATOMIC_ACQUIRE);

			/* A request that needs this thread stopped: it has
			 * not run; it enters now, and is taken over later. */
			if (q & (SMP_REQ_EVICT | SMP_REQ_RESCHED)) {
				while (__atomic_load_n(&m->pending, __ATOMIC_ACQUIRE)) {
					hosted_ptrace_service();
					arch_relax();
				}
				return __atomic_load_n(&s->tracer[slot], __ATOMIC_ACQUIRE) ?
				       1 : attach(s, slot) < 0 ? -1 : 1;
			}
			if (q)
				smp_poll(this_cpu());
			hosted_ptrace_service();
			arch_relax();
		}
		if (__atomic_load_n(&s->tracer[slot], __ATOMIC_ACQUIRE))
			return -1;      /* its tracer could not let it go */
	}
	return attach(s, slot);
}
