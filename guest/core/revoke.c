/*
 * Visible revocation and the abort protocol (revoke.h).
 *
 * An environment that owes frames sits on one list sorted by deadline; the
 * scheduler's one-shot timer is armed for the head (sched_arm asks
 * revoke_next_deadline), so nothing polls. Every owned frame that leaves the
 * environment, by frame_free, cap_drop or the abort protocol itself, counts
 * toward what it owes (revoke_frame_returned); when the debt reaches zero it
 * leaves the list.
 *
 * Policy the kernel cannot avoid choosing, kept simple and stated here:
 *  - The abort protocol takes owned frames outside the reserve in table
 *    order. An autosave frame is taken only if its contents reached the
 *    backing store; one that cannot be saved (no store designated, the
 *    store full) is passed over, so nothing is lost. Whatever is still owed
 *    once no frame is left to take is forgiven.
 *  - When frame_alloc finds the pool empty, the victim is the environment,
 *    other than the caller's, owning the most frames outside its reserve and
 *    owing nothing yet; it is asked for REVOKE_POOL_FRAMES (fewer if it has
 *    fewer) within REVOKE_POOL_US. The caller gets -E_AGAIN and retries: the
 *    kernel never blocks a thread inside frame_alloc.
 */
#include "revoke.h"

#include <exo/error.h>
#include <exo/hostio.h>

#include "cap.h"
#include "kernel.h"
#include "trace.h"
#include "platform.h"
#include "sched.h"
#include "upcall.h"

static struct env *deadlines;           /* sorted by rv.deadline */

/* One CPU, one request in flight (per-CPU with SMP), as for the console. */
static struct exo_backing_req backing_req;

static void
deadline_unlink(struct env *e)
{
	struct env **pp;

	for (pp = &deadlines; *pp; pp = &(*pp)->rv.next)
		if (*pp == e) {
			*pp = e->rv.next;
			break;
		}
	e->rv.next = 0;
	e->rv.deadline = 0;
}

static void
deadline_insert(struct env *e, u64 deadline)
{
	struct env **pp = &deadlines;

	while (*pp && (*pp)->rv.deadline <= deadline)
		pp = &(*pp)->rv.next;
	e->rv.next = *pp;
	e->rv.deadline = deadline;
	*pp = e;
}

u64
revoke_next_deadline(void)
{
	return deadlines ? deadlines->rv.deadline : 0;
}

void
revoke_frame_returned(struct env *e)
{
	if (!e->rv.owed)
		return;
	TRACE_KAB(REVOKE, EXO_TRACE_RV_RETURNED, e->index, e->rv.owed - 1);
	if (--e->rv.owed == 0 && e->rv.deadline)
		deadline_unlink(e);
}

/* Frames e owns outside its reserve. */
static u32
env_takeable(const struct env *e)
{
	return e->frames - e->reserve;
}

u64
revoke_standing(const struct env *e)
{
	return (u64)env_takeable(e) | (u64)e->rv.owed << 32;
}

/*
 * e owes count more frames by deadline (TSC): tell its REVOKE entry thread.
 * A deadline later than the pending one's does not postpone it.
 */
static void
revoke_start(struct env *e, u32 count, u64 deadline)
{
	e->rv.owed += count;
	TRACE_KAB(REVOKE, EXO_TRACE_RV_REQUEST, e->index, e->rv.owed);
	if (!e->rv.deadline || deadline < e->rv.deadline) {
		deadline_unlink(e);
		deadline_insert(e, deadline);
		sched_arm_cpu(0);
	}
	upcall_deliver(e, EXO_ENTRY_REVOKE, EXO_UPCALL_REVOKE, e->rv.owed,
		       e->rv.deadline);
}

/*
 * revoke_request(env, count, deadline_us): ask env for count frames, to be
 * given back with frame_free within deadline_us (<exo/exo.h>). Its REVOKE
 * entry thread gets EXO_UPCALL_REVOKE (rsi: all it owes now, rdx: the
 * deadline, TSC) and runs next (the caller stays ready); without one, the
 * abort protocol runs at the deadline. A request while one is pending adds
 * to what is owed and may bring the deadline forward, never back. Returns 0.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   env is not a live ENV capability
 *   -E_PERM    env lacks EXO_CAP_W
 *   -E_INVAL   count is 0 or more than the environment owns outside its
 *              reserve and does not owe already; deadline_us is 0 or above
 *              REVOKE_DEADLINE_MAX_US
 */
i64
revoke_request(struct thread *t, exo_cap_t env, u64 count, u64 deadline_us)
{
	int err;
	struct cap *k = cap_get(env_of(t->space), env, EXO_CAP_ENV, EXO_CAP_W, &err);
	struct env *e;
	struct thread *et;

	if (!k)
		return err;
	/* Invariant: ENV capabilities die with their space (env_destroy). */
	kassert(k->object < NSPACES && space_at((u32)k->object));
	e = &envs[k->object];
	if (!count || count > env_takeable(e) || count + e->rv.owed > env_takeable(e) ||
	    !deadline_us ||
	    deadline_us > REVOKE_DEADLINE_MAX_US)
		return -E_INVAL;
	/* Commit point. */
	revoke_start(e, (u32)count, arch_now() + sched_us_to_tsc(deadline_us));
	et = upcall_thread(e, EXO_ENTRY_REVOKE);
	if (et && et != t && et->state == TS_READY)
		sched_yield_to(et);
	return 0;
}

bool
revoke_pool_dry(struct env *caller)
{
	struct env *victim = 0;
	bool pending = deadlines != 0;

	for (u32 i = 0; i < NSPACES; i++) {
		struct env *e = &envs[i];

		if (e == caller || !space_at(i) || e->rv.owed || !env_takeable(e))
			continue;
		if (!victim || env_takeable(e) > env_takeable(victim))
			victim = e;
	}
	if (!victim)
		return pending;
	revoke_start(victim, env_takeable(victim) < REVOKE_POOL_FRAMES ?
			     env_takeable(victim) : REVOKE_POOL_FRAMES,
		     arch_now() + sched_us_to_tsc(REVOKE_POOL_US));
	return true;
}

/* Append to e's repossession ring; the oldest entry makes room if full. */
static void
repo_push(struct env *e, exo_cap_t cap, u64 va, u64 block)
{
	struct env_revoke *rv = &e->rv;

	if (rv->repo_n == EXO_REPOSSESS_MAX) {
		rv->repo_head = (rv->repo_head + 1) % EXO_REPOSSESS_MAX;
		rv->repo_n--;
		rv->repo_dropped++;
	}
	rv->repo[(rv->repo_head + rv->repo_n) % EXO_REPOSSESS_MAX] =
		(struct exo_repossession){ .cap = cap, .va = va, .block = block };
	rv->repo_n++;
}

u64
revoke_repo_clear(struct env *e, u32 n)
{
	struct env_revoke *rv = &e->rv;
	u64 dropped = rv->repo_dropped;

	if (!n)
		return rv->repo_n | dropped << 32;
	kassert(n <= rv->repo_n);
	rv->repo_head = (rv->repo_head + n) % EXO_REPOSSESS_MAX;
	rv->repo_n -= n;
	rv->repo_dropped = 0;
	return n | dropped << 32;
}

/* One request to the VMM's backing store: its status. */
static u32
backing_io(u32 op, u32 store, u64 block, u64 pa)
{
	backing_req = (struct exo_backing_req){
		.op = op, .store = store, .block = block, .gpa = pa,
		.status = EXO_BACKING_EINVAL };
	arch_host_backing(&backing_req);
	return backing_req.status;
}

/* Save autosave frame c of e: its block + 1, or 0 if it could not be saved. */
static u64
autosave(struct env *e, const struct cap *c)
{
	if (!e->rv.backing ||
	    backing_io(EXO_BACKING_SAVE, e->rv.backing, 0, c->object) != EXO_BACKING_OK)
		return 0;
	return backing_req.block + 1;
}

u32
revoke_abort(struct env *e)
{
	u32 taken = 0;

	if (e->rv.deadline)
		deadline_unlink(e);
	for (u32 i = 0; i < EXO_NCAPS && e->rv.owed; i++) {
		struct cap *c = &e->caps[i];
		u64 block = 0;

		if (c->type != EXO_CAP_FRAME ||
		    (c->flags & (CAPF_OWNED | CAPF_RESERVE)) != CAPF_OWNED)
			continue;
		if (c->flags & EXO_FRAME_AUTOSAVE && !(block = autosave(e, c)))
			continue;
		repo_push(e, cap_name(c), c->va, block);
		/* Bindings, copies in any environment, the frame: all go, and
		 * revoke_frame_returned counts it. */
		cap_destroy(c);
		taken++;
	}
	e->rv.owed = 0;         /* nothing left to take: forgiven */
	e->rv_taken += taken;
	TRACE_KAB(REVOKE, EXO_TRACE_RV_ABORT, e->index, taken);
	if (taken)
		upcall_deliver(e, EXO_ENTRY_REVOKE, EXO_UPCALL_REPOSSESS, taken, 0);
	return taken;
}

void
revoke_timer(u64 now)
{
	while (deadlines && deadlines->rv.deadline <= now)
		revoke_abort(deadlines);
}

void
revoke_env_destroy(struct env *e)
{
	if (e->rv.deadline)
		deadline_unlink(e);
	if (e->rv.backing)
		backing_io(EXO_BACKING_DROP, e->rv.backing, 0, 0);
	e->rv = (struct env_revoke){ 0 };
	e->rv_taken = 0;
}

/*
 * env_backing(store): designate the VMM's backing store (1..
 * EXO_BACKING_STORES) that autosave frames go to. A store serves one
 * environment, and an environment keeps its store until it dies (its
 * blocks are then dropped). Returns 0.
 *   -E_INVAL   store out of range
 *   -E_EXIST   the caller has a store already, or another environment has
 *              this one
 */
i64
env_backing(struct thread *t, u64 store)
{
	struct env *e = env_of(t->space);

	if (!store || store > EXO_BACKING_STORES)
		return -E_INVAL;
	if (e->rv.backing)
		return -E_EXIST;
	for (u32 i = 0; i < NSPACES; i++)
		if (envs[i].rv.backing == store && space_at(i))
			return -E_EXIST;
	e->rv.backing = (u32)store;
	return 0;
}

/*
 * backing_read(block, frame): copy block of the caller's backing store into
 * the frame (the VMM writes it; no copy in the kernel). The block stays in
 * the store. Returns 0.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   frame is not a live FRAME capability
 *   -E_PERM    frame lacks EXO_CAP_W
 *   -E_NOENT   no store designated, or no such block in it
 */
i64
backing_read(struct thread *t, u64 block, exo_cap_t frame)
{
	struct env *e = env_of(t->space);
	int err;
	struct cap *k = cap_get(e, frame, EXO_CAP_FRAME, EXO_CAP_W, &err);

	if (!k)
		return err;
	if (!e->rv.backing || block >= EXO_BACKING_BLOCKS)
		return -E_NOENT;
	switch (backing_io(EXO_BACKING_READ, e->rv.backing, block, k->object)) {
	case EXO_BACKING_OK:
		return 0;
	case EXO_BACKING_ENOENT:
		return -E_NOENT;
	default:
		return -E_INVAL;        /* the kernel asked wrongly: a bug */
	}
}
