/*
 * Decoding of the exokernel's system calls (<exo/exo.h>): arguments come
 * from the caller's registers, the objects do the work (cap.c, bind.c,
 * env.c). Each call's errors are documented above the function that does it.
 */
#include "exocall.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "bind.h"
#include "cap.h"
#include "ext.h"
#include "kernel.h"
#include "platform.h"
#include "revoke.h"
#include "slice.h"
#include "slice_quota.h"
#include "upcall.h"

/* Every page of user [va, va+len) in s is mapped writable. -E_FAULT */
int
user_writable(struct space *s, u64 va, u64 len)
{
	u64 first = EXO_PAGE_DOWN(va), last, pa;

	if (va >= EXO_USER_END || len > EXO_USER_END - va || !len)
		return -E_FAULT;
	last = EXO_PAGE_DOWN(va + len - 1);
	for (u64 p = first; p <= last; p += EXO_PAGE_SIZE)
		if (space_lookup(s, p, EXO_SEG_W, &pa) < 0)
			return -E_FAULT;
	return 0;
}

/* Copy len bytes to user va in s, all pages checked writable first. -E_FAULT */
int
user_write(struct space *s, u64 va, const void *src, u64 len)
{
	u64 pa;
	int r = user_writable(s, va, len);

	if (r < 0)
		return r;
	for (u64 done = 0; done < len;) {
		u64 chunk = EXO_PAGE_SIZE - ((va + done) & (EXO_PAGE_SIZE - 1));

		if (chunk > len - done)
			chunk = len - done;
		arch_space_lookup(&s->pt, va + done, EXO_SEG_W, &pa);
		__builtin_memcpy(arch_phys_to_virt(pa), (const u8 *)src + done, chunk);
		done += chunk;
	}
	return 0;
}

/*
 * Copy len bytes from user va in s to dst, every page looked up readable
 * in s's own tables (never through the user's mapping). -E_FAULT, then dst
 * may hold part of it.
 */
int
user_read(struct space *s, void *dst, u64 va, u64 len)
{
	u64 pa;

	if (va >= EXO_USER_END || len > EXO_USER_END - va || !len)
		return -E_FAULT;
	for (u64 done = 0; done < len;) {
		u64 chunk = EXO_PAGE_SIZE - ((va + done) & (EXO_PAGE_SIZE - 1));

		if (chunk > len - done)
			chunk = len - done;
		if (space_lookup(s, va + done, EXO_SEG_R, &pa) < 0)
			return -E_FAULT;
		__builtin_memcpy((u8 *)dst + done, arch_phys_to_virt(pa), chunk);
		done += chunk;
	}
	return 0;
}

/*
 * cap_info(cap, info): describe a capability the caller holds. An ENV
 * capability with W (its creator's) also tells the environment's standing
 * with revocation (<exo/exo.h>): what it may be asked for, what it owes,
 * what the abort protocol took.
 *   -E_BADCAP, -E_STALE   cap is not a live capability of the caller's
 *   -E_FAULT   info is not writable user memory
 */
i64
sys_cap_info(struct thread *t, u64 c, u64 info, u64 a2, u64 a3, u64 a4)
{
	int err;
	struct cap *k = cap_get(env_of(t->space), c, EXO_CAP_NONE, 0, &err);
	struct exo_capinfo ci;

	(void)a2, (void)a3, (void)a4;
	if (!k)
		return err;
	ci = (struct exo_capinfo){
		.type = k->type, .rights = k->rights, .object = k->object,
		.va = k->va, .flags = k->flags & EXO_FRAME_AUTOSAVE,
		.derived = k->parent != 0,
	};
	if (k->type == EXO_CAP_ENV && k->rights & EXO_CAP_W) {
		const struct env *e;

		/* Invariant: ENV capabilities die with their space (env_destroy). */
		kassert(k->object < NSPACES && space_at((u32)k->object));
		e = &envs[k->object];
		ci.va = revoke_standing(e);
		ci.flags = e->rv_taken;
	}
	return user_write(t->space, info, &ci, sizeof ci);
}

/* A copy of the caller's cap with rights for env e. Errors: sys_cap_derive. */
static i64
cap_copy(struct thread *t, u64 c, struct env *to, u64 rights, u32 need)
{
	int err;
	struct cap *k = cap_get(env_of(t->space), c, EXO_CAP_NONE, need, &err);
	exo_cap_t out;

	if (!k)
		return err;
	if (rights & ~(u64)k->rights)
		return -E_PERM;
	err = cap_new(to, k->type, (u32)rights, k->object, k, &out);
	if (err)
		return err;
	to->caps[EXO_CAP_INDEX(out)].flags = k->flags & EXO_FRAME_AUTOSAVE;
	return (i64)out;
}

/*
 * cap_derive(cap, rights): a copy of cap in the caller's table with rights
 * (a subset of cap's); it dies with cap.
 *   -E_BADCAP, -E_STALE   cap is not a live capability of the caller's
 *   -E_PERM    rights beyond cap's
 *   -E_NOMEM   the table is full
 */
i64
sys_cap_derive(struct thread *t, u64 c, u64 rights, u64 a2, u64 a3, u64 a4)
{
	(void)a2, (void)a3, (void)a4;
	return cap_copy(t, c, env_of(t->space), rights, 0);
}

/*
 * cap_pass(cap, tid, rights): a copy of cap with rights in the table of the
 * environment thread tid belongs to; returns its name there (tell the
 * receiver by IPC). It dies with cap.
 *   -E_BADCAP, -E_STALE   cap is not a live capability of the caller's
 *   -E_PERM    cap lacks EXO_CAP_PASS, or rights beyond cap's
 *   -E_NOENT   no such thread
 *   -E_NOMEM   the receiver's table is full
 */
i64
sys_cap_pass(struct thread *t, u64 c, u64 tid, u64 rights, u64 a3, u64 a4)
{
	struct thread *d = thread_lookup(tid);

	(void)a3, (void)a4;
	if (!d || tid < EXO_TID(THREAD_FIRST, 0)) {
		int err;

		/* A bad capability is the first thing to report. */
		return cap_get(env_of(t->space), c, EXO_CAP_NONE, 0, &err) ? -E_NOENT : err;
	}
	return cap_copy(t, c, env_of(d->space), rights, EXO_CAP_PASS);
}

/*
 * cap_drop(cap): cap and every copy made from it die (an owned frame goes
 * back to the kernel, as with frame_free).
 *   -E_BADCAP, -E_STALE   cap is not a live capability of the caller's
 */
i64
sys_cap_drop(struct thread *t, u64 c, u64 a1, u64 a2, u64 a3, u64 a4)
{
	int err;
	struct cap *k = cap_get(env_of(t->space), c, EXO_CAP_NONE, 0, &err);

	(void)a1, (void)a2, (void)a3, (void)a4;
	if (!k)
		return err;
	cap_destroy(k);
	return 0;
}

i64
sys_env_cap(struct thread *t, u64 tid, u64 rights, u64 a2, u64 a3, u64 a4)
{
	(void)a2, (void)a3, (void)a4;
	return env_cap(t, tid, rights);
}

i64
sys_frame_alloc(struct thread *t, u64 flags, u64 a1, u64 a2, u64 a3, u64 a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	return flags >> 32 ? -E_INVAL : frame_cap_alloc(t->space, (u32)flags);
}

i64
sys_frame_free(struct thread *t, u64 c, u64 a1, u64 a2, u64 a3, u64 a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	return frame_cap_free(t->space, c);
}

i64
sys_bind(struct thread *t, u64 c, u64 va, u64 flags, u64 a3, u64 a4)
{
	(void)a3, (void)a4;
	return flags >> 32 ? -E_INVAL : bind_frame(t->space, c, va, (u32)flags);
}

i64
sys_bind_env(struct thread *t, u64 env, u64 c, u64 va, u64 flags, u64 a4)
{
	(void)a4;
	return flags >> 32 ? -E_INVAL : bind_env(t->space, env, c, va, (u32)flags);
}

i64
sys_unbind(struct thread *t, u64 c, u64 a1, u64 a2, u64 a3, u64 a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	return unbind_frame(t->space, c);
}

i64
sys_bind_query(struct thread *t, u64 va, u64 a1, u64 a2, u64 a3, u64 a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	return bind_query(t->space, va);
}

i64
sys_bind_protect(struct thread *t, u64 va, u64 npages, u64 rights, u64 a3, u64 a4)
{
	(void)a3, (void)a4;
	return bind_protect_range(t->space, va, npages, rights);
}

i64
sys_env_entry(struct thread *t, u64 kind, u64 pc, u64 sp, u64 a3, u64 a4)
{
	(void)a3, (void)a4;
	return env_entry(t, kind, pc, sp);
}

i64
sys_upcall_wait(struct thread *t, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	(void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
	return upcall_wait(t);
}

i64
sys_slice_alloc(struct thread *t, u64 cpu, u64 count, u64 flags, u64 a3, u64 a4)
{
	(void)a3, (void)a4;
	return slice_alloc(t, cpu, count, flags);
}

i64
sys_slice_yield(struct thread *t, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
{
	(void)a0, (void)a1, (void)a2, (void)a3, (void)a4;
	return slice_yield(t);
}

i64
sys_slice_give(struct thread *t, u64 env, u64 cpu, u64 count, u64 a3, u64 a4)
{
	(void)a3, (void)a4;
	return slice_give(t, env, cpu, count);
}

i64
sys_revoke_request(struct thread *t, u64 env, u64 count, u64 deadline_us, u64 a3,
		   u64 a4)
{
	(void)a3, (void)a4;
	return revoke_request(t, env, count, deadline_us);
}

/*
 * repossessed(buf, n): move up to n of the oldest entries of the caller's
 * repossession vector to buf (struct exo_repossession[n]) and clear them.
 * Returns the entries moved | dropped << 32, dropped being the entries lost
 * to overflow since the last call (then zeroed). n 0: buf is not touched,
 * nothing is cleared, and the result counts the entries kept.
 *   -E_INVAL   n above EXO_REPOSSESS_MAX
 *   -E_FAULT   buf is not writable user memory for the entries moved
 */
i64
sys_repossessed(struct thread *t, u64 buf, u64 n, u64 a2, u64 a3, u64 a4)
{
	struct env *e = env_of(t->space);
	u64 kept = e->rv.repo_n;
	int r;

	(void)a2, (void)a3, (void)a4;
	if (n > EXO_REPOSSESS_MAX)
		return -E_INVAL;
	if (n > kept)
		n = kept;
	if (n) {
		r = user_writable(t->space, buf, n * sizeof(struct exo_repossession));
		if (r < 0)
			return r;
	}
	/* Commit point. The ring's oldest n entries go out in at most two pieces. */
	if (n) {
		struct env_revoke *rv = &e->rv;
		u64 sz = sizeof(struct exo_repossession);
		u64 n1 = EXO_REPOSSESS_MAX - rv->repo_head;

		if (n1 > n)
			n1 = n;
		r = user_write(t->space, buf, &rv->repo[rv->repo_head], n1 * sz);
		if (r == 0 && n > n1)
			r = user_write(t->space, buf + n1 * sz, &rv->repo[0], (n - n1) * sz);
		kassert(r == 0);
	}
	return (i64)revoke_repo_clear(e, (u32)n);
}

i64
sys_env_backing(struct thread *t, u64 store, u64 a1, u64 a2, u64 a3, u64 a4)
{
	(void)a1, (void)a2, (void)a3, (void)a4;
	return env_backing(t, store);
}

i64
sys_backing_read(struct thread *t, u64 block, u64 frame, u64 a2, u64 a3, u64 a4)
{
	(void)a2, (void)a3, (void)a4;
	return backing_read(t, block, frame);
}

i64
sys_ext_load(struct thread *t, u64 insns, u64 n, u64 event, u64 err, u64 domain)
{
	return ext_load(t, insns, n, event, err, domain);
}

i64
sys_ext_attach(struct thread *t, u64 ext, u64 env, u64 point, u64 guard, u64 a4)
{
	(void)a4;
	return ext_attach(t, ext, env, point, guard);
}

i64
sys_ext_counter(struct thread *t, u64 ext, u64 slot, u64 a2, u64 a3, u64 a4)
{
	(void)a2, (void)a3, (void)a4;
	return ext_counter(t, ext, slot);
}

i64
sys_ext_domain(struct thread *t, u64 op, u64 a, u64 b, u64 a3, u64 a4)
{
	(void)a3, (void)a4;
	return ext_domain(t, op, a, b);
}
