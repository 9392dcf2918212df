/*
 * The time-slice vector (slice.h). One CPU. Times are TSC values; a slot
 * starts at base + n * slot ticks for whole n, so the vector keeps its
 * rhythm however late an interrupt arrives.
 */
#include "slice.h"

#include <exo/error.h>

#include "cap.h"
#include "kernel.h"
#include "platform.h"
#include "sched.h"
#include "space.h"
#include "trace.h"
#include "task.h"
#include "upcall.h"

/*
 * The save window is the environment's time, not the kernel's: the kernel's
 * own way out to the end upcall and back in with slice_yield is granted on
 * top of EXO_SLICE_SAVE_US. On a PVM host, where every ring-0 instruction
 * is emulated (~0.6 µs), that way takes 250-400 µs (measured: an on-time
 * handler yielded 230-280 µs past a bare 100 µs deadline); natively, a few.
 * The deadline the upcall names (rdx) includes the grace.
 */
#define SLICE_GRACE_US_PVM      600
#define SLICE_GRACE_US          20

struct slice_env slice_envs[NSPACES];
u32 slice_preferred;
u32 slice_owned;

static struct {
	u8 owner[EXO_SLICE_SLOTS];  /* env index + 1, 0: free */
	u32 tag[EXO_SLICE_SLOTS];   /* capref of the root SLOT capability */
	u64 base;                   /* TSC where slot 0 began, some round */
	u64 slot;                   /* TSC ticks per slot */
	u32 running;                /* env index + 1 in its slice, 0 none */
	u64 run_end;                /* when that slice ends */
	u64 done_until;             /* no slice starts before: the run began one */
	u32 saving;                 /* env index + 1 in its save window, 0 none */
	u64 save_deadline;
	u32 lent;                   /* async PCT: has the rest of this slice */
} sv;

/* Who runs first now: the saving, lent or running environment, through
 * the chain of synchronous loans (bounded: a cycle is a waiting ring). */
static void
slice_prefer(void)
{
	u32 e = sv.saving ? sv.saving : sv.lent ? sv.lent : sv.running;

	for (u32 i = 0; e && slice_envs[e - 1].donee && i < NSPACES; i++)
		e = slice_envs[e - 1].donee;
	if (e != slice_preferred) {
		slice_preferred = e;
		sched_yield(0);         /* the scheduler reconsiders */
	}
}

/* The run of one owner containing now's slot: its owner and end. */
static u32
slice_run(u64 now, u64 *end)
{
	u64 n = (now - sv.base) / sv.slot;
	u32 s = (u32)(n % EXO_SLICE_SLOTS), len = 1;
	u32 o = sv.owner[s];

	while (len < EXO_SLICE_SLOTS && sv.owner[(s + len) % EXO_SLICE_SLOTS] == o)
		len++;
	*end = sv.base + (n + len) * sv.slot;
	return o;
}

static u64
tsc_to_us(u64 ticks)
{
	u64 per_us = sched_us_to_tsc(1000) / 1000;

	return ticks / (per_us ? per_us : 1);
}

/* Abort environment e (index): a thread of its task's root space is doomed
 * so the task ends at the end of this kernel entry (task_reap). */
static void
slice_abort(u32 e)
{
	struct space *root = task_root(env_space(&envs[e]));

	for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
		if (threads[i].state != TS_FREE && threads[i].space == root) {
			thread_doom(&threads[i], TASK_ABORT_VECTOR, 0, 0, threads[i].ctx.rip);
			break;
		}
	slice_envs[e].strikes = 0;
}

/* Environment e (index) missed the save deadline: a strike, its time
 * counts from there (late) until it yields. */
static void
slice_strike(u32 e, u64 deadline)
{
	slice_envs[e].late = deadline;
	if (++slice_envs[e].strikes >= EXO_SLICE_STRIKES)
		slice_abort(e);
}

/* The running slice ends: its save window opens (if it has an entry). */
static void
slice_end(u64 now, u32 slot)
{
	struct env *e = &envs[sv.running - 1];
	u64 grace = kernel_kip()->platform == EXO_PLATFORM_KVM_PVM ?
		    SLICE_GRACE_US_PVM : SLICE_GRACE_US;
	u64 deadline = now + sched_us_to_tsc(EXO_SLICE_SAVE_US + grace);

	TRACE_SA(SLICE_END, slot, sv.running - 1);
	if (upcall_deliver(e, EXO_ENTRY_SLICE, EXO_UPCALL_SLICE_END, slot, deadline)) {
		sv.saving = sv.running;
		sv.save_deadline = deadline;
	}
	sv.running = 0;
	sv.lent = 0;
}

/* The slot now is owned and no slice of its run began: start one. */
static void
slice_start(u64 now)
{
	u64 end, until, cut;
	u32 o = slice_run(now, &end);
	struct slice_env *se;

	if (!o || now < sv.done_until)
		return;
	sv.done_until = end;
	se = &slice_envs[o - 1];
	if (se->late) {                 /* still saving, long past its deadline */
		se->debt += now - se->late;
		se->late = now;
	}
	cut = se->debt < end - now ? se->debt : end - now;
	se->debt -= cut;
	until = end - cut;
	if (until <= now)
		return;                 /* the whole slice went to pay the debt */
	sv.running = o;
	sv.run_end = until;
	TRACE_SAB(SLICE_START, (now - sv.base) / sv.slot % EXO_SLICE_SLOTS, o - 1,
		  tsc_to_us(until - now));

	upcall_deliver(&envs[o - 1], EXO_ENTRY_SLICE, EXO_UPCALL_SLICE_START,
		       (now - sv.base) / sv.slot % EXO_SLICE_SLOTS, tsc_to_us(until - now));
}

/* Bring the vector up to now: deadlines, ends, starts. */
static void
slice_update(u64 now)
{
	if (sv.saving && now >= sv.save_deadline) {
		u32 e = sv.saving - 1;

		sv.saving = 0;
		slice_strike(e, sv.save_deadline);
	}
	if (sv.running && now >= sv.run_end)
		slice_end(now, (u32)((sv.run_end - 1 - sv.base) / sv.slot % EXO_SLICE_SLOTS));
	if (slice_owned && !sv.running && !sv.saving)
		slice_start(now);
	slice_prefer();
	sched_arm_cpu0();
}

u64
slice_deadline(void)
{
	u64 end;

	if (!slice_owned)
		return 0;
	if (sv.saving)
		return sv.save_deadline;
	if (sv.running)
		return sv.run_end;
	/* Free now: the start of the next owned run (at most a round away). */
	{
		u64 now = arch_now(), n = (now - sv.base) / sv.slot;

		for (u32 k = 1; k <= EXO_SLICE_SLOTS; k++)
			if (sv.owner[(n + k) % EXO_SLICE_SLOTS]) {
				end = sv.base + (n + k) * sv.slot;
				return end > sv.done_until ? end : sv.done_until;
			}
	}
	return 0;
}

void
slice_timer(u64 now)
{
	if (slice_owned)
		slice_update(now);
}

/*
 * slice_alloc(count, flags): count free slots of the vector for the
 * caller's environment, as a SLOT capability with every right (object:
 * first | count << 32). EXO_SLICE_CONTIGUOUS: adjacent slots, one slice per
 * round; else the lowest free ones. The slots are free again when the
 * capability (the root of its copies) dies.
 *   -E_INVAL   count 0 or above EXO_SLICE_SLOTS, or unknown flags
 *   -E_NOMEM   not that many free slots (adjacent ones), or the capability
 *              table is full
 */
i64
slice_alloc(struct thread *t, u64 count, u64 flags)
{
	struct env *e = env_of(t->space);
	u32 pick[EXO_SLICE_SLOTS], n = 0;
	exo_cap_t c;
	int r;

	if (!count || count > EXO_SLICE_SLOTS || flags & ~(u64)EXO_SLICE_CONTIGUOUS)
		return -E_INVAL;
	for (u32 s = 0; s < EXO_SLICE_SLOTS && n < count; s++) {
		if (!sv.owner[s])
			pick[n++] = s;
		else if (flags & EXO_SLICE_CONTIGUOUS)
			n = 0;          /* adjacent: start over after an owned one */
	}
	if (n < count)
		return -E_NOMEM;
	r = cap_new(e, EXO_CAP_SLOT, EXO_CAP_ALL, pick[0] | count << 32, 0, &c);
	if (r < 0)
		return r;
	/* Commit point. The vector starts with slot 0 now if it was idle. */
	if (!slice_owned) {
		sv.slot = sched_us_to_tsc(EXO_SLICE_US);
		sv.base = arch_now();
		sv.done_until = 0;
	}
	for (u32 i = 0; i < count; i++) {
		sv.owner[pick[i]] = (u8)(e - envs + 1);
		sv.tag[pick[i]] = cap_ref(&e->caps[EXO_CAP_INDEX(c)]);
	}
	slice_owned += (u32)count;
	slice_update(arch_now());
	return (i64)c;
}

void
slice_free(const struct cap *c)
{
	u32 tag = cap_ref(c), freed = 0;

	for (u32 s = 0; s < EXO_SLICE_SLOTS; s++)
		if (sv.owner[s] && sv.tag[s] == tag) {
			sv.owner[s] = 0;
			sv.tag[s] = 0;
			freed++;
		}
	slice_owned -= freed;
	if (!slice_owned) {
		sv.running = sv.saving = sv.lent = 0;
		slice_prefer();
		sched_arm_cpu0();
	} else if (freed) {
		slice_update(arch_now());
	}
}

/*
 * slice_yield(): the caller's environment is done with its slice: in its
 * save window, the end upcall is handled (on time: its strikes are
 * forgiven; late: what it took past the deadline is taken from its next
 * slice); during its slice, it gives up the rest of it (no end upcall).
 * Called by the SLICE entry thread, it then waits for its next upcall, as
 * with upcall_wait. Never fails.
 */
i64
slice_yield(struct thread *t)
{
	struct env *e = env_of(t->space);
	u32 me = (u32)(e - envs) + 1;
	struct slice_env *se = &slice_envs[me - 1];
	u64 now = arch_now();

	if (sv.saving == me) {
		sv.saving = 0;
		if (now <= sv.save_deadline)
			se->strikes = 0;
		else                    /* before the timer said so */
			slice_strike(me - 1, sv.save_deadline);
	} else if (!se->late && sv.running == me) {
		/* Done early (not the late answer to an end: that one
		 * must not cut the slice that began since). */
		sv.running = 0;
		sv.lent = 0;
	}
	if (se->late) {
		se->debt += now - se->late;
		se->late = 0;
	}
	if (slice_owned)
		slice_update(now);
	if (e->entry[EXO_ENTRY_SLICE].tid == t->id)
		upcall_wait(t);
	return 0;
}

void
slice_lend(struct env *from, struct env *to, bool sync)
{
	u32 f = (u32)(from - envs) + 1, d = (u32)(to - envs) + 1;

	if (sync) {
		slice_envs[f - 1].donee = d;
		slice_envs[d - 1].donee = 0;
	} else if (slice_preferred == f) {
		sv.lent = d;
		slice_envs[d - 1].donee = 0;
	}
	if (slice_owned)
		slice_prefer();
}

void
slice_env_destroy(struct env *e)
{
	u32 me = (u32)(e - envs) + 1;

	slice_envs[me - 1] = (struct slice_env){ 0 };
	for (u32 i = 0; i < NSPACES; i++)
		if (slice_envs[i].donee == me)
			slice_envs[i].donee = 0;
	if (sv.running == me)
		sv.running = 0;
	if (sv.saving == me)
		sv.saving = 0;
	if (sv.lent == me)
		sv.lent = 0;
	if (slice_owned)
		slice_update(arch_now());
	else
		slice_prefer();
}
