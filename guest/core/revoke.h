/*
 * Visible revocation and the abort protocol (<exo/exo.h>): the kernel asks
 * an environment for frames with an upcall and a deadline; the environment
 * gives back frames of its choice (frame_free); at the deadline the kernel
 * takes what is still owed itself, outside the reserve, saving autosave
 * frames to the environment's backing store (the VMM's, <exo/hostio.h>),
 * and records what it took in the environment's repossession vector.
 */
#ifndef CORE_REVOKE_H
#define CORE_REVOKE_H

#include <exo/exo.h>
#include <exo/types.h>

#include "env.h"
#include "thread.h"

/* The longest deadline a revocation request may give: 10 s. */
#define REVOKE_DEADLINE_MAX_US  10000000u
/* When the pool runs dry: frames asked of the victim, and its deadline. */
#define REVOKE_POOL_FRAMES      16u
#define REVOKE_POOL_US          10000u

/* System calls (<exo/syscall.h>); their errors are documented in revoke.c. */
i64 revoke_request(struct thread *t, exo_cap_t env, u64 count, u64 deadline_us);
i64 env_backing(struct thread *t, u64 store);
i64 backing_read(struct thread *t, u64 block, exo_cap_t frame);
/*
 * Clear e's n oldest repossession entries (n <= rv.repo_n; the caller has
 * copied them out); n 0 only counts. Returns n (or the entries kept, for
 * n 0) | the dropped count << 32, which is then zeroed unless n is 0.
 */
u64 revoke_repo_clear(struct env *e, u32 n);

/*
 * frame_alloc found the kernel's pool empty: start a revocation from
 * another environment (revoke.c says which). True if one is under way,
 * so the caller may retry (-E_AGAIN); false if no environment has frames
 * to give (-E_NOMEM).
 */
bool revoke_pool_dry(struct env *caller);

/* An owned frame of e went back to the kernel: it counts toward what e owes. */
void revoke_frame_returned(struct env *e);
/* e's standing, as cap_info tells its creator (<exo/exo.h>): the frames it
 * owns outside its reserve | the frames it owes << 32. */
u64 revoke_standing(const struct env *e);
/* e dies: off the deadline list, its backing store dropped. */
void revoke_env_destroy(struct env *e);

/* The timer (sched.c): the earliest deadline (TSC, 0: none), and its expiry. */
u64 revoke_next_deadline(void);
void revoke_timer(u64 now);

/* The abort protocol on e now: what it owes is taken. Returns frames taken. */
u32 revoke_abort(struct env *e);

#endif
