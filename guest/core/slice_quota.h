/*
 * Who may hold slots of the time-slice vectors (slice_quota.c): the
 * authority behind slice_alloc. Every environment has a quota per CPU, the
 * most slots of that CPU's vector it may hold at once. A task's root space
 * (the program the kernel started, and σ0) has the whole vector of every
 * CPU: the machine is its. Any other environment starts with none and gets
 * slots of quota from a holder of an ENV capability for it with W
 * (slice_give), which gives away that much of its own quota there. When an
 * environment dies, or misuses its slots on a CPU (held them with no SLICE
 * entry there, slice.c), its quota there goes back to its task's root
 * space.
 */
#ifndef CORE_SLICE_QUOTA_H
#define CORE_SLICE_QUOTA_H

#include <exo/exo.h>
#include <exo/types.h>

#include "env.h"
#include "thread.h"

/* Slots environment e may hold on CPU c (held ones included). */
u32 slice_quota(const struct env *e, u32 c);
/* Slots environment e holds on CPU c now. */
u32 slice_held(const struct env *e, u32 c);
/* Is e the root space of its task (the machine is its)? */
bool slice_quota_is_root(const struct env *e);
/* SYS_slice_give (errors above it in slice_quota.c). */
i64 slice_give(struct thread *t, exo_cap_t env, u64 cpu, u64 count);
/* e's quota on CPU c goes back to its task's root space (e not a root). */
void slice_quota_reclaim(struct env *e, u32 c);
/* e dies (its slots were freed already): its quota goes back to its root. */
void slice_quota_env_destroy(struct env *e);

#endif
