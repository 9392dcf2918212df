/*
 * The time-slice vectors (slice.h), one per CPU (struct slice_cpu in
 * percpu.h). Times are TSC values; a slot starts at base + n * slot ticks
 * for whole n, so a vector keeps its rhythm however late an interrupt
 * arrives.
 *
 * A vector's slices start and end on its own CPU: only that CPU brings it
 * up to date (slice_update, from its timer or its own slice_yield), so the
 * upcalls start there and the SLICE_START/END records go to its trace ring.
 * Another CPU that changes the vector's slots (slice_alloc, slice_free)
 * only changes them and pokes it (slice_touch): its timer comes at once and
 * it does the rest itself. Who runs first (slice_prefer) may be
 * recomputed anywhere: a synchronous PCT on one CPU moves the lender's
 * slices on every CPU to the target (the donee links are per environment).
 * All of it under the big kernel lock.
 */
#include "slice.h"

#include <exo/error.h>
#include <exo/ipc.h>

#include "cap.h"
#include "kernel.h"
#include "percpu.h"
#include "platform.h"
#include "sched.h"
#include "slice_quota.h"
#include "space.h"
#include "trace.h"
#include "task.h"
#include "upcall.h"

/*
 * The save window is the environment's time, not the kernel's: the kernel's
 * own way out to the end upcall and back in with slice_yield is granted on
 * top of EXO_SLICE_SAVE_US (the grace). The deadline the upcall names (rdx)
 * includes it. The way is a number of ring-0 instructions, whatever the
 * host; what one costs differs by 1000x between hardware virtualization
 * (below a cycle) and PVM hosts (every ring-0 instruction emulated: ~1,000
 * TSC ticks on one, ~2,500 on another), so the grace is the way's count
 * times the cost the platform measures at boot (arch_insn_mcycles), never
 * a time measured on one host:
 *  - SLICE_WAY_INSNS: the way is the timer interrupt, the switch into the
 *    entry thread's space, and slice_yield's system call up to its reading
 *    of the clock. The exactly counted operation closest to it is
 *    pct_async, 881 ring-0 instructions (bench/baseline-pvm.json): a kernel
 *    entry, a switch of space into another environment's entry thread, and
 *    that thread's next system call. The way measured on the first PVM host
 *    (an on-time handler yielded 230-280 µs past a bare 100 µs deadline, at
 *    ~0.6 µs per instruction) is 400-700 instructions, below it.
 *  - SLICE_GRACE_SAFETY: a simple instruction, which the boot measures,
 *    costs less than the kernel's average one (loads of kernel data, page
 *    table switches); and on one CPU the way may wait for an interrupt in
 *    flight.
 *  - times the CPUs online: with several, each step of the way waits for
 *    the big kernel lock, which another CPU's kernel path of the same kind
 *    may hold (measured with two on the first host: yields 320-550 µs after
 *    the end as a rule, 600-1500 µs now and then).
 *  - at least SLICE_GRACE_MIN_US per CPU: where an instruction costs under
 *    a cycle, the timer interrupt's own delivery dominates.
 * The penalty stays the environment's: past the deadline, every tick until
 * its slice_yield is its debt, and EXO_SLICE_STRIKES late yields in a row
 * abort it, on any host.
 */
#define SLICE_WAY_INSNS         900
#define SLICE_GRACE_SAFETY      2
#define SLICE_GRACE_MIN_US      20

/*
 * An environment with no SLICE entry on a CPU cannot be told its slices
 * there end, so it has no save window and no strikes: nothing would bound
 * it. Only a task's root space (the machine is its) may hold slots so;
 * another's are taken back after EXO_SLICE_STRIKES of its slices there end
 * in a row unannounced, with its quota there (to its task's root space).
 */

struct slice_env slice_envs[NSPACES];
u32 slice_owned;

/* The grace per CPU online (TSC ticks), from slice_boot. */
static u64 grace_tsc;

/* CPU 0's dues; another CPU's are in its table (env.h struct env_cpu). */
static struct slice_due dues0[NSPACES];

static struct slice_due *
due(u32 c, u32 e)
{
	return c ? &cpus[c].env_here[e].due : &dues0[e];
}

static struct slice_cpu *
vec(u32 c)
{
	return &cpus[c].slice;
}

/* Who runs first on CPU c now: the saving, lent or running environment,
 * through the chain of synchronous loans (bounded: a cycle is a waiting
 * ring). A change makes c's scheduler reconsider. */
static void
slice_prefer(u32 c)
{
	struct slice_cpu *v = vec(c);
	u32 e = v->saving ? v->saving : v->lent ? v->lent : v->running;

	for (u32 i = 0; e && slice_envs[e - 1].donee && i < NSPACES; i++)
		e = slice_envs[e - 1].donee;
	if (e != v->preferred) {
		v->preferred = e;
		sched_reconsider(c);
	}
}

/* The same on every CPU whose vector runs. */
static void
slice_prefer_all(void)
{
	for (u32 c = 0; c < ncpus && c < NCPUS_BUILT; c++)
		if (vec(c)->owned)
			slice_prefer(c);
}

/* The run of one owner containing now's slot of v: its owner and end. */
static u32
slice_run(const struct slice_cpu *v, u64 now, u64 *end)
{
	u64 n = (now - v->base) / v->slot;
	u32 s = (u32)(n % EXO_SLICE_SLOTS), len = 1;
	u32 o = v->owner[s];

	while (len < EXO_SLICE_SLOTS && v->owner[(s + len) % EXO_SLICE_SLOTS] == o)
		len++;
	*end = v->base + (n + len) * v->slot;
	return o;
}

/* TSC ticks to microseconds at the rate's full precision (ticks a
 * millisecond, the kHz): a rate rounded down to ticks a microsecond made a
 * START of 12 slots offer 12,005 us on a 2,096.9 MHz TSC. */
static u64
tsc_to_us(u64 ticks)
{
	u64 per_ms = sched_us_to_tsc(1000);

	return ticks / per_ms * 1000 + ticks % per_ms * 1000 / per_ms;
}

static u64
tsc_to_us_up(u64 ticks)
{
	u64 per_ms = sched_us_to_tsc(1000);

	return ticks / per_ms * 1000 + (ticks % per_ms * 1000 + per_ms - 1) / per_ms;
}

void
slice_boot(void)
{
	struct exo_kip *kip = kernel_kip();
	u64 mc = arch_insn_mcycles(), way = mc * SLICE_WAY_INSNS * SLICE_GRACE_SAFETY / 1000;
	u64 min = sched_us_to_tsc(SLICE_GRACE_MIN_US);

	grace_tsc = way > min ? way : min;
	kip->ring0_insn_mcycles = mc;
	kip->slice_grace_us = tsc_to_us_up(grace_tsc * ncpus);
}

/* Abort environment e (index): a thread of its task's root space is doomed
 * so the task ends at the end of this kernel entry (task_reap). */
static void
slice_abort(u32 c, u32 e)
{
	struct space *root = task_root(env_space(&envs[e]));

	for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
		if (threads[i].state != TS_FREE && threads[i].space == root) {
			thread_doom(&threads[i], TASK_ABORT_VECTOR, 0, 0, threads[i].ctx.rip);
			break;
		}
	due(c, e)->strikes = 0;
}

/* Environment e (index) missed the save deadline on CPU c: a strike, its
 * time there counts from the deadline (late) until it yields. */
static void
slice_strike(u32 c, u32 e, u64 deadline)
{
	due(c, e)->late = deadline;
	if (++due(c, e)->strikes >= EXO_SLICE_STRIKES)
		slice_abort(c, e);
}

/* Environment e (index) ended EXO_SLICE_STRIKES slices on CPU c in a row
 * with no SLICE entry there: its slots there are free again, its SLOT
 * capabilities for them die with every copy, and its quota there goes back
 * to its task's root space, or it would take them again at once and the
 * others would run only in the instant between. */
static void
slice_take_back(u32 c, u32 e)
{
	struct slice_cpu *v = vec(c);
	struct cap *dead[EXO_SLICE_SLOTS];
	u32 n = 0, i;

	for (u32 s = 0; s < EXO_SLICE_SLOTS; s++) {
		struct cap *k = cap_deref(v->tag[s]);

		if (v->owner[s] != e + 1)
			continue;
		for (i = 0; i < n && dead[i] != k; i++)
			;
		if (i == n)
			dead[n++] = k;
		v->owner[s] = 0;
		v->tag[s] = 0;
		v->owned--;
		slice_owned--;
	}
	due(c, e)->unannounced = 0;
	slice_quota_reclaim(&envs[e], c);
	/* The slots are free already: slice_free finds none of them. */
	for (i = 0; i < n; i++)
		cap_destroy(dead[i]);
}

/* CPU c's running slice ends: its save window opens (if it has an entry). */
static void
slice_end(u32 c, u64 now, u32 slot)
{
	struct slice_cpu *v = vec(c);
	struct env *e = &envs[v->running - 1];
	u32 me = v->running - 1;
	u64 deadline = now + sched_us_to_tsc(EXO_SLICE_SAVE_US) + grace_tsc * ncpus;

	TRACE_SA(SLICE_END, slot, me);
	v->running = 0;
	v->lent = 0;
	if (upcall_deliver(e, env_slice_slot(c), EXO_UPCALL_SLICE_END, slot, deadline)) {
		v->saving = me + 1;
		v->save_deadline = deadline;
		due(c, me)->unannounced = 0;
	} else if (!slice_quota_is_root(e) && ++due(c, me)->unannounced >= EXO_SLICE_STRIKES) {
		slice_take_back(c, me);
	}
}

/* CPU c's slot now is owned and no slice of its run began: start one. */
static void
slice_start(u32 c, u64 now)
{
	struct slice_cpu *v = vec(c);
	u64 end, until, cut, slot;
	u32 o = slice_run(v, now, &end);
	struct slice_due *d;

	if (!o || now < v->done_until)
		return;
	v->done_until = end;
	d = due(c, o - 1);
	if (d->late) {                  /* still saving, long past its deadline */
		d->debt += now - d->late;
		d->late = now;
	}
	cut = d->debt < end - now ? d->debt : end - now;
	d->debt -= cut;
	until = end - cut;
	if (until <= now)
		return;                 /* the whole slice went to pay the debt */
	v->running = o;
	v->run_end = until;
	slot = (now - v->base) / v->slot % EXO_SLICE_SLOTS;
	TRACE_SAB(SLICE_START, slot, o - 1, tsc_to_us(until - now));
	upcall_deliver(&envs[o - 1], env_slice_slot(c), EXO_UPCALL_SLICE_START, slot,
		       tsc_to_us(until - now));
}

/* Bring this CPU's vector (c) up to now: deadlines, ends, starts. */
static void
slice_update(u32 c, u64 now)
{
	struct slice_cpu *v = vec(c);

	kassert(c == THIS_CPU_ID());
	v->poke = 0;
	if (v->saving && now >= v->save_deadline) {
		u32 e = v->saving - 1;

		v->saving = 0;
		slice_strike(c, e, v->save_deadline);
	}
	if (v->running && now >= v->run_end)
		slice_end(c, now, (u32)((v->run_end - 1 - v->base) / v->slot % EXO_SLICE_SLOTS));
	if (v->owned && !v->running && !v->saving)
		slice_start(c, now);
	slice_prefer(c);
	sched_arm();
}

/* CPU c's slots changed: bring its vector up to date, here or, poked, on
 * its own CPU (whose timer is armed for the poke, a TSC already past). */
static void
slice_touch(u32 c)
{
	u64 now = arch_now();

	if (c == THIS_CPU_ID()) {
		slice_update(c, now);
		return;
	}
	vec(c)->poke = now ? now : 1;
	sched_arm_cpu(c);
}

u64
slice_deadline(void)
{
	struct slice_cpu *v = &this_cpu()->slice;
	u64 end;

	if (!v->owned)
		return 0;
	if (v->poke)
		return v->poke;
	if (v->saving)
		return v->save_deadline;
	if (v->running)
		return v->run_end;
	/* Free now: the start of the next owned run (at most a round away). */
	{
		u64 now = arch_now(), n = (now - v->base) / v->slot;

		for (u32 k = 1; k <= EXO_SLICE_SLOTS; k++)
			if (v->owner[(n + k) % EXO_SLICE_SLOTS]) {
				end = v->base + (n + k) * v->slot;
				return end > v->done_until ? end : v->done_until;
			}
	}
	return 0;
}

void
slice_timer(u64 now)
{
	if (this_cpu()->slice.owned)
		slice_update(THIS_CPU_ID(), now);
}

/*
 * slice_alloc(cpu, count, flags): count free slots of CPU cpu's vector for
 * the caller's environment, as a SLOT capability with every right (object:
 * EXO_SLOT_OBJECT(first, count, cpu)). EXO_SLICE_CONTIGUOUS: adjacent
 * slots, one slice per round; else the lowest free ones. The slots are free
 * again when the capability (the root of its copies) dies, or when the
 * kernel takes them back (no SLICE entry there, above).
 *   -E_INVAL   no such CPU (cpu >= kip.ncpus), count 0 or above
 *              EXO_SLICE_SLOTS, or unknown flags
 *   -E_NOMEM   not that many free slots (adjacent ones) on that CPU, or the
 *              capability table is full
 *   -E_PERM    there are, but the caller's environment would hold more slots
 *              of cpu than its quota there (slice_quota.h: none unless given)
 */
i64
slice_alloc(struct thread *t, u64 cpu, u64 count, u64 flags)
{
	struct env *e = env_of(t->space);
	u32 pick[EXO_SLICE_SLOTS], n = 0, c = (u32)cpu;
	struct slice_cpu *v;
	exo_cap_t cap;
	int r;

	if (cpu >= ncpus || cpu >= NCPUS_BUILT || !count || count > EXO_SLICE_SLOTS ||
	    flags & ~(u64)EXO_SLICE_CONTIGUOUS)
		return -E_INVAL;
	v = vec(c);
	for (u32 s = 0; s < EXO_SLICE_SLOTS && n < count; s++) {
		if (!v->owner[s])
			pick[n++] = s;
		else if (flags & EXO_SLICE_CONTIGUOUS)
			n = 0;          /* adjacent: start over after an owned one */
	}
	if (n < count)
		return -E_NOMEM;        /* first: a full vector is full for anyone */
	if (slice_held(e, c) + count > slice_quota(e, c))
		return -E_PERM;
	r = cap_new(e, EXO_CAP_SLOT, EXO_CAP_ALL, EXO_SLOT_OBJECT(pick[0], count, c), 0,
		    &cap);
	if (r < 0)
		return r;
	/* Commit point. The vector starts with slot 0 now if it was idle. */
	if (!v->owned) {
		v->slot = sched_us_to_tsc(EXO_SLICE_US);
		v->base = arch_now();
		v->done_until = 0;
	}
	for (u32 i = 0; i < count; i++) {
		v->owner[pick[i]] = (u8)(e - envs + 1);
		v->tag[pick[i]] = cap_ref(&e->caps[EXO_CAP_INDEX(cap)]);
	}
	v->owned += (u32)count;
	slice_owned += (u32)count;
	slice_touch(c);
	return (i64)cap;
}

void
slice_free(const struct cap *k)
{
	u32 tag = cap_ref(k), freed = 0, c = EXO_SLOT_CPU(k->object);
	struct slice_cpu *v = vec(c);

	for (u32 s = 0; s < EXO_SLICE_SLOTS; s++)
		if (v->owner[s] && v->tag[s] == tag) {
			v->owner[s] = 0;
			v->tag[s] = 0;
			freed++;
		}
	v->owned -= freed;
	slice_owned -= freed;
	if (!v->owned) {
		v->running = v->saving = v->lent = 0;
		v->poke = 0;
		slice_prefer(c);
		sched_arm_cpu(c);
	} else if (freed) {
		slice_touch(c);
	}
}

/*
 * slice_yield(): the caller's environment is done with its slice on the
 * caller's CPU: in its save window there, the end upcall is handled (on
 * time: its strikes there are forgiven; late: what it took past the
 * deadline is taken from its next slice there); during its slice there, it
 * gives up the rest of it (no end upcall). Called by a SLICE entry thread
 * (of any CPU), it then waits for its next upcall, as with upcall_wait.
 * Never fails.
 */
i64
slice_yield(struct thread *t)
{
	struct env *e = env_of(t->space);
	u32 me = (u32)(e - envs) + 1, c = CPU_OF(t);
	struct slice_cpu *v = vec(c);
	struct slice_due *d = due(c, me - 1);
	u64 now = arch_now();

	if (v->saving == me) {
		v->saving = 0;
		if (now <= v->save_deadline)
			d->strikes = 0;
		else                    /* before the timer said so */
			slice_strike(c, me - 1, v->save_deadline);
	} else if (!d->late && v->running == me) {
		/* Done early (not the late answer to an end: that one
		 * must not cut the slice that began since). */
		v->running = 0;
		v->lent = 0;
	}
	if (d->late) {
		d->debt += now - d->late;
		d->late = 0;
	}
	if (v->owned)
		slice_update(c, now);
	for (u32 k = 0; k < ncpus && k < NCPUS_BUILT; k++)
		if (env_slot(e, env_slice_slot(k))->tid == t->id) {
			upcall_wait(t);
			break;
		}
	return 0;
}

void
slice_lend(struct env *from, struct env *to, bool sync)
{
	u32 f = (u32)(from - envs) + 1, d = (u32)(to - envs) + 1;

	if (sync) {
		slice_envs[f - 1].donee = d;
		slice_envs[d - 1].donee = 0;
	} else if (this_cpu()->slice.preferred == f) {
		this_cpu()->slice.lent = d;
		slice_envs[d - 1].donee = 0;
	}
	if (slice_owned)
		slice_prefer_all();
}

void
slice_env_destroy(struct env *e)
{
	u32 me = (u32)(e - envs) + 1;

	slice_envs[me - 1] = (struct slice_env){ 0 };
	slice_quota_env_destroy(e);
	for (u32 i = 0; i < NSPACES; i++)
		if (slice_envs[i].donee == me)
			slice_envs[i].donee = 0;
	for (u32 c = 0; c < ncpus && c < NCPUS_BUILT; c++) {
		struct slice_cpu *v = vec(c);

		bool was = v->running == me || v->saving == me || v->lent == me;

		*due(c, me - 1) = (struct slice_due){ 0 };
		if (v->running == me)
			v->running = 0;
		if (v->saving == me)
			v->saving = 0;
		if (v->lent == me)
			v->lent = 0;
		if (v->owned && (was || c == THIS_CPU_ID()))
			slice_touch(c);
		else
			slice_prefer(c);
	}
}
