/*
 * bind_env (bind.c): a holder of an ENV capability with W binds a frame in
 * that environment, named by a capability in the environment's own table;
 * every other combination is refused and changes nothing.
 */
#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/exo.h>
#include <exo/layout.h>

#include "guest/core/bind.h"
#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/exocall.h"

#include "kernel_fixture.h"

#define VA 0x40000000ULL

static struct space *parent, *child, *other;
static struct thread *pt, *ct;

static void
setup(void)
{
	fake_reset();
	fix_core_boot();
	parent = fix_space(0, true);
	child = fix_space(parent, false);
	other = fix_space(0, true);
	pt = fix_thread(parent, 100);
	ct = fix_thread(child, 100);
}

TestSuite(bind_env, .init = setup);

/* A frame of the parent's, passed to env's table as cap_pass would. */
static exo_cap_t
passed(struct space *to, u32 rights, exo_cap_t *own)
{
	i64 c = frame_cap_alloc(parent, 0);
	i64 p;

	cr_assert_gt(c, 0);
	*own = (exo_cap_t)c;
	p = sys_cap_pass(pt, (u64)c, ct->id, rights, 0, 0);
	if (to == other) {
		struct thread *ot = fix_thread(other, 100);

		p = sys_cap_pass(pt, (u64)c, ot->id, rights, 0, 0);
	}
	cr_assert_gt(p, 0, "cap_pass: %lld", (long long)p);
	return (exo_cap_t)p;
}

static exo_cap_t
env_of_child(u32 rights)
{
	i64 e = env_cap(pt, ct->id, rights);

	cr_assert_gt(e, 0);
	return (exo_cap_t)e;
}

Test(bind_env, binds_in_the_target_as_its_own_bind_would)
{
	exo_cap_t own, c = passed(child, EXO_CAP_ALL, &own);
	exo_cap_t e = env_of_child(EXO_CAP_W);

	cr_assert_eq(sys_bind_env(pt, e, c, VA, EXO_BIND_W | EXO_BIND_NOW, 0), 0);
	cr_assert_eq(bind_query(child, VA), (i64)c, "the child's binding, its name");
	cr_assert_eq(bind_query(parent, VA), -E_NOENT, "nothing in the binder");
	cr_assert_eq(sys_bind_env(pt, e, c, VA + EXO_PAGE_SIZE, EXO_BIND_R, 0), -E_EXIST);
	cr_assert_eq(frame_cap_free(parent, own), 0);
	cr_assert_eq(bind_query(child, VA), -E_NOENT, "it dies with the parent's frame");
	cr_assert(cap_check());
}

Test(bind_env, refuses_an_env_capability_without_w)
{
	exo_cap_t own, c = passed(child, EXO_CAP_ALL, &own);
	exo_cap_t e = env_of_child(EXO_CAP_X | EXO_CAP_R);

	cr_assert_eq(sys_bind_env(pt, e, c, VA, EXO_BIND_R, 0), -E_PERM);
	cr_assert_eq(bind_query(child, VA), -E_NOENT);
}

Test(bind_env, refuses_stale_forged_and_wrong_type_env_capabilities)
{
	exo_cap_t own, c = passed(child, EXO_CAP_ALL, &own);
	exo_cap_t e = env_of_child(EXO_CAP_W);

	cr_assert_eq(sys_bind_env(pt, e + (1 << 16), c, VA, EXO_BIND_R, 0), -E_BADCAP);
	cr_assert_eq(sys_bind_env(pt, EXO_CAP(EXO_NCAPS - 1, 1), c, VA, EXO_BIND_R, 0),
		     -E_BADCAP);
	cr_assert_eq(sys_bind_env(pt, own, c, VA, EXO_BIND_R, 0), -E_BADTYPE,
		     "a frame is no environment");
	cr_assert_eq(sys_cap_drop(pt, e, 0, 0, 0, 0), 0);
	cr_assert_eq(sys_bind_env(pt, e, c, VA, EXO_BIND_R, 0), -E_STALE);
	cr_assert_eq(bind_query(child, VA), -E_NOENT);
}

Test(bind_env, refuses_a_frame_not_in_the_targets_table)
{
	i64 first = frame_cap_alloc(parent, 0);   /* the names differ then */
	exo_cap_t own, c = passed(child, EXO_CAP_ALL, &own);
	exo_cap_t e = env_of_child(EXO_CAP_W);

	cr_assert_gt(first, 0);

	/* The parent's own name for the frame means nothing in the child. */
	cr_assert_neq(own, c);
	cr_assert_eq(sys_bind_env(pt, e, own, VA, EXO_BIND_R, 0), -E_BADCAP);
	cr_assert_eq(sys_bind_env(pt, e, c + (1 << 16), VA, EXO_BIND_R, 0), -E_BADCAP);
	cr_assert_eq(sys_bind_env(pt, e, e, VA, EXO_BIND_R, 0), -E_BADCAP,
		     "the env capability's name is the parent's, not the child's");
	cr_assert_eq(sys_cap_drop(ct, c, 0, 0, 0, 0), 0);
	cr_assert_eq(sys_bind_env(pt, e, c, VA, EXO_BIND_R, 0), -E_STALE);
	cr_assert_eq(bind_query(child, VA), -E_NOENT);
}

Test(bind_env, refuses_rights_beyond_the_targets_capability)
{
	exo_cap_t own, c = passed(child, EXO_CAP_R, &own);
	exo_cap_t e = env_of_child(EXO_CAP_W);

	cr_assert_eq(sys_bind_env(pt, e, c, VA, EXO_BIND_W, 0), -E_PERM);
	cr_assert_eq(sys_bind_env(pt, e, c, VA, EXO_BIND_R, 0), 0);
}

Test(bind_env, refuses_guaranteed_unknown_flags_and_bad_addresses)
{
	exo_cap_t own, c = passed(child, EXO_CAP_ALL, &own);
	exo_cap_t e = env_of_child(EXO_CAP_W);

	cr_assert_eq(sys_bind_env(pt, e, c, VA, EXO_BIND_GUARANTEED, 0), -E_INVAL);
	cr_assert_eq(sys_bind_env(pt, e, c, VA, 1ULL << 32, 0), -E_INVAL);
	cr_assert_eq(sys_bind_env(pt, e, c, VA, 0x100, 0), -E_INVAL);
	cr_assert_eq(sys_bind_env(pt, e, c, VA + 1, EXO_BIND_R, 0), -E_INVAL);
	cr_assert_eq(sys_bind_env(pt, e, c, EXO_USER_END, EXO_BIND_R, 0), -E_INVAL);
	cr_assert_eq(env_of(child)->reserve, 0);
	cr_assert_eq(bind_query(child, VA), -E_NOENT);
}

/* A space the caller did not create: no ENV capability can be had for it. */
Test(bind_env, no_env_capability_for_a_space_not_ones_own)
{
	struct thread *ot = fix_thread(other, 100);

	cr_assert_eq(env_cap(pt, ot->id, EXO_CAP_W), -E_PERM);
}
