/*
 * The time-slice vectors (<exo/exo.h>), one per CPU: EXO_SLICE_SLOTS slots
 * of EXO_SLICE_US, round robin. A run of adjacent slots of one environment
 * is one slice of it: a CPU's timer marks where its slices start and end,
 * and only while some slot of its vector is owned. During a slice its
 * environment's ready threads on that CPU run before everyone else's there
 * (the scheduler asks cpus[c].slice.preferred), whatever their priorities;
 * in free slots everyone runs by L4 priority.
 *
 * A slice's end opens the environment's save window on that CPU: its SLICE
 * entry thread for the CPU (env_slice_slot) gets EXO_UPCALL_SLICE_END and
 * it stays preferred there until it calls slice_yield on that CPU or
 * EXO_SLICE_SAVE_US pass. Past the deadline it is no longer preferred, the
 * overrun counts as a strike, and the time from the deadline to its
 * slice_yield is taken from its next slice there. The next slice starts
 * after the save window. EXO_SLICE_STRIKES overruns in a row on one CPU
 * abort the environment: its task ends, reported as EXO_EV_PROGRAM_ABORT
 * with PROGRAM_ABORT_STATUS (task.h). The kernel's own way out and back in
 * is granted on top of the window (the grace, derived at boot from the
 * measured cost of a ring-0 instruction: kip.slice_grace_us).
 *
 * Slots need authority: an environment holds at most its quota of a CPU's
 * slots (slice_quota.h; a task's root space has the machine). Without a
 * SLICE entry on a CPU an environment that is not a root space loses its
 * slots there after EXO_SLICE_STRIKES slices in a row end unannounced.
 *
 * Protected control transfer lends slices (pct.c): a synchronous transfer
 * from E to F makes F run in E's slices, on every CPU, until control comes
 * back to E (donee, followed as a chain); an asynchronous one gives F the
 * rest of the slice now running on the caller's CPU.
 */
#ifndef CORE_SLICE_H
#define CORE_SLICE_H

#include <exo/exo.h>
#include <exo/types.h>

#include "env.h"
#include "percpu.h"
#include "thread.h"

/* Per environment (the PCT fast path writes donee: asm.h SE_*). The costs
 * of its overruns are per CPU (slice.c). */
struct slice_env {
	u32 donee;          /* env index + 1 running in its slices (PCT sync), 0 none */
};
extern struct slice_env slice_envs[NSPACES];

/* Slots owned in all the vectors (the PCT fast path declines while any is). */
extern u32 slice_owned;

/* At boot: derive the save window's grace from what this host measures
 * (slice.c) and publish it, with the cost it came from, in the KIP. */
void slice_boot(void);
/* SYS_slice_alloc, SYS_slice_yield (errors above each in slice.c). */
i64 slice_alloc(struct thread *t, u64 cpu, u64 count, u64 flags);
i64 slice_yield(struct thread *t);
/* The SLOT capability c, the root of its copies, dies: its slots are free. */
void slice_free(const struct cap *c);
/* e's space dies: forget its slice state and every loan to it. */
void slice_env_destroy(struct env *e);
/* PCT: from lends its slices (sync) or the rest of this one (async) to to. */
void slice_lend(struct env *from, struct env *to, bool sync);

/* For the scheduler: the next TSC this CPU's vector needs its timer at (0:
 * none), and the timer's arrival there. */
u64 slice_deadline(void);
void slice_timer(u64 now);

#endif
