/*
 * The time-slice vector (<exo/exo.h>): EXO_SLICE_SLOTS slots of
 * EXO_SLICE_US, round robin. A run of adjacent slots of one environment is
 * one slice of it: the timer marks where a slice starts and ends, and only
 * while some slot is owned. During a slice its environment's ready threads
 * run before everyone else's (the scheduler asks slice_preferred), whatever
 * their priorities; in free slots everyone runs by L4 priority.
 *
 * A slice's end opens the environment's save window: its SLICE entry thread
 * gets EXO_UPCALL_SLICE_END and it stays preferred until it calls
 * slice_yield or EXO_SLICE_SAVE_US pass. Past the deadline it is no longer
 * preferred, the overrun counts as a strike, and the time from the
 * deadline to its slice_yield is taken from its next slice. The next slice
 * starts after the save window. EXO_SLICE_STRIKES overruns in a row abort
 * the environment: its task ends, reported as EXO_EV_PROGRAM_ABORT with
 * PROGRAM_ABORT_STATUS (task.h).
 *
 * Protected control transfer lends slices (pct.c): a synchronous transfer
 * from E to F makes F run in E's slices until control comes back to E
 * (donee, followed as a chain); an asynchronous one gives F the rest of the
 * slice now running.
 */
#ifndef CORE_SLICE_H
#define CORE_SLICE_H

#include <exo/exo.h>
#include <exo/types.h>

#include "env.h"
#include "thread.h"

/* Per environment. */
struct slice_env {
	u32 donee;          /* env index + 1 running in its slices (PCT sync), 0 none */
	u32 strikes;        /* overruns in a row */
	u64 debt;           /* TSC ticks its next slice is shorter by */
	u64 late;           /* TSC of the deadline it missed, 0 if it yielded since */
};
extern struct slice_env slice_envs[NSPACES];

/* env index + 1 whose threads run first now; 0: nobody's (free slot). */
extern u32 slice_preferred;
/* Slots owned: the vector is running (the timer marks its slices). */
extern u32 slice_owned;

/* SYS_slice_alloc, SYS_slice_yield (errors above each in slice.c). */
i64 slice_alloc(struct thread *t, u64 count, u64 flags);
i64 slice_yield(struct thread *t);
/* The SLOT capability c, the root of its copies, dies: its slots are free. */
void slice_free(const struct cap *c);
/* e's space dies: forget its slice state and every loan to it. */
void slice_env_destroy(struct env *e);
/* PCT: from lends its slices (sync) or the rest of this one (async) to to. */
void slice_lend(struct env *from, struct env *to, bool sync);

/* For the scheduler: the next TSC the vector needs the timer at (0: none),
 * and the timer's arrival. */
u64 slice_deadline(void);
void slice_timer(u64 now);

#endif
