/*
 * Slot quotas (slice_quota.h). An environment's quota on a CPU is its base
 * (the whole vector for a task's root space, none for any other) plus what
 * it was given less what it gave away, kept as one signed count per
 * environment and CPU. Quota moves, it is never made: the slots all
 * environments of a task may hold on a CPU add up to at most what its root
 * space had, so no environment can take slots its task's root did not
 * hand down. What an environment holds is read from the vector itself
 * (16 bytes), so slice.c keeps no second count that could disagree.
 * All of it under the big kernel lock.
 */
#include "slice_quota.h"

#include <exo/error.h>

#include "cap.h"
#include "kernel.h"
#include "percpu.h"
#include "space.h"
#include "task.h"

/* Given less given away, per environment index and CPU. */
static i32 net[NSPACES][NCPUS_BUILT];

/* A task's root space: privileged, made by the kernel. (A space whose
 * creator died is given its creator's parent, maybe none: it stays
 * unprivileged, so it gains nothing.) */
bool
slice_quota_is_root(const struct env *e)
{
	const struct space *s = env_space(e);

	return s && !s->parent && s->privileged;
}

u32
slice_quota(const struct env *e, u32 c)
{
	i32 q = (slice_quota_is_root(e) ? EXO_SLICE_SLOTS : 0) + net[e->index][c];

	return q < 0 ? 0 : q > EXO_SLICE_SLOTS ? EXO_SLICE_SLOTS : (u32)q;
}

u32
slice_held(const struct env *e, u32 c)
{
	const struct slice_cpu *v = &cpus[c].slice;
	u32 n = 0;

	for (u32 s = 0; s < EXO_SLICE_SLOTS; s++)
		n += v->owner[s] == e->index + 1;
	return n;
}

/*
 * slice_give(env, cpu, count): give count slots of the caller's quota on
 * CPU cpu to environment env: env may then hold that many more slots of
 * cpu's vector, the caller that many fewer. The quota goes back to env's
 * task's root space when env dies, not to the giver.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   env is not a live ENV capability
 *   -E_PERM    env lacks EXO_CAP_W
 *   -E_INVAL   no such CPU (cpu >= kip.ncpus), count 0 or above
 *              EXO_SLICE_SLOTS, or env is the caller's own environment
 *   -E_NOMEM   the caller's quota on cpu, less the slots it holds there, is
 *              below count; or env's would exceed EXO_SLICE_SLOTS
 */
i64
slice_give(struct thread *t, exo_cap_t env, u64 cpu, u64 count)
{
	struct env *me = env_of(t->space), *to;
	int err;
	struct cap *k = cap_get(me, env, EXO_CAP_ENV, EXO_CAP_W, &err);
	u32 c = (u32)cpu;

	if (!k)
		return err;
	/* Invariant: ENV capabilities die with their space (env_destroy). */
	kassert(k->object < NSPACES && space_at((u32)k->object));
	to = &envs[k->object];
	if (cpu >= ncpus || cpu >= NCPUS_BUILT || !count || count > EXO_SLICE_SLOTS ||
	    to == me)
		return -E_INVAL;
	if (slice_quota(me, c) < slice_held(me, c) + count ||
	    slice_quota(to, c) + count > EXO_SLICE_SLOTS)
		return -E_NOMEM;
	/* Commit point. */
	net[me->index][c] -= (i32)count;
	net[to->index][c] += (i32)count;
	return 0;
}

void
slice_quota_reclaim(struct env *e, u32 c)
{
	struct space *s = env_space(e), *root = s ? task_root(s) : 0;

	if (slice_quota_is_root(e))
		return;
	if (root && root != s && root->live) {
		i32 r = net[root->index][c] + (i32)slice_quota(e, c);

		net[root->index][c] = r < EXO_SLICE_SLOTS ? r : EXO_SLICE_SLOTS;
	}
	net[e->index][c] = 0;
}

void
slice_quota_env_destroy(struct env *e)
{
	for (u32 c = 0; c < NCPUS_BUILT; c++) {
		slice_quota_reclaim(e, c);
		net[e->index][c] = 0;   /* a root's too: the next space starts afresh */
	}
}
