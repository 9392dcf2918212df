/*
 * Visible revocation and the abort protocol (guest/core/revoke.c) on the
 * fake platform: what the abort protocol takes (owned frames outside the
 * reserve, nothing else), the repossession vector, autosave through the
 * fake backing store, copies in other environments dying with the frame,
 * cooperative payment, the upcall, the pool-dry victim; cap_check and
 * mdb_check after every step that changes anything.
 */
#include <string.h>

#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/exo.h>
#include <exo/layout.h>

#include "guest/core/bind.h"
#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/exocall.h"
#include "guest/core/frame.h"
#include "guest/core/mdb.h"
#include "guest/core/revoke.h"
#include "guest/core/sched.h"
#include "guest/core/upcall.h"

#include "kernel_fixture.h"

#define PAGE    EXO_PAGE_SIZE
#define VA      0x500000000ULL
#define PEEK    0x600000000ULL

static struct space *sa, *sb;           /* the parent, and its child */
static struct thread *ta, *tb;
static struct env *ea, *eb;
static exo_cap_t ec;                    /* A's ENV capability for B, with W */

static void
setup(void)
{
	fake_reset();
	fix_core_boot();
	sa = fix_space(NULL, true);
	sb = fix_space(sa, false);
	ta = fix_thread(sa, 100);
	tb = fix_thread(sb, 100);
	cr_assert_eq(fix_schedule(), ta);
	ea = env_of(sa);
	eb = env_of(sb);
	ec = (exo_cap_t)env_cap(ta, tb->id, EXO_CAP_W);
	cr_assert_geq((i64)ec, 0);
}

TestSuite(revoke, .init = setup);

static void
check_all(void)
{
	cr_assert(cap_check(), "cap_check");
	cr_assert(mdb_check(), "mdb_check");
}

/* A frame of B, bound at VA + i pages (flags 0: not bound), filled with i. */
static exo_cap_t
b_frame(u32 i, u32 alloc_flags, u32 bind_flags)
{
	i64 c = frame_cap_alloc(sb, alloc_flags);
	struct cap *k;

	cr_assert_geq(c, 0, "frame_alloc: %lld", (long long)c);
	k = &eb->caps[EXO_CAP_INDEX(c)];
	memset(fake_mem + k->object, 0x40 + i, PAGE);
	if (bind_flags)
		cr_assert_eq(bind_frame(sb, (exo_cap_t)c, VA + i * PAGE, bind_flags), 0);
	return (exo_cap_t)c;
}

static bool
alive(struct env *e, exo_cap_t c)
{
	int err;

	return cap_get(e, c, EXO_CAP_FRAME, 0, &err) != NULL;
}

/* Run the abort protocol the way the kernel does: its deadline passes. */
static void
pass_deadline(void)
{
	u64 d = revoke_next_deadline();

	cr_assert_neq(d, 0, "no deadline pending");
	cr_assert_neq(fake_timer, 0, "no timer armed for the deadline");
	cr_assert_leq(fake_timer, d, "the timer is armed after the deadline");
	while (revoke_next_deadline() == d)
		fake_timer_fire(NULL);
}

Test(revoke, abort_takes_only_owned_frames_outside_the_reserve)
{
	exo_cap_t res[2], fr[4], der;
	i64 pass;

	res[0] = b_frame(0, 0, EXO_BIND_W | EXO_BIND_GUARANTEED);
	fr[0] = b_frame(1, 0, EXO_BIND_W | EXO_BIND_NOW);
	res[1] = b_frame(2, 0, EXO_BIND_W | EXO_BIND_GUARANTEED);
	fr[1] = b_frame(3, 0, 0);                       /* owned, not bound */
	fr[2] = b_frame(4, 0, EXO_BIND_W);              /* lazy */
	fr[3] = b_frame(5, 0, EXO_BIND_W | EXO_BIND_NOW);
	der = (exo_cap_t)sys_cap_derive(tb, res[1], EXO_CAP_R, 0, 0, 0);
	cr_assert_geq((i64)der, 0);
	pass = sys_cap_pass(tb, fr[0], ta->id, EXO_CAP_R, 0, 0);
	cr_assert_geq(pass, 0);
	cr_assert_eq(bind_frame(sa, (exo_cap_t)pass, PEEK, EXO_BIND_R | EXO_BIND_NOW), 0);
	check_all();

	cr_assert_eq(revoke_request(ta, ec, 4, 1000), 0);
	cr_assert_eq(revoke_request(ta, ec, 1, 1000), -E_INVAL, "only 4 outside the reserve");
	pass_deadline();
	check_all();

	/* Everything outside the reserve went, in table order; the rest stayed. */
	for (int i = 0; i < 4; i++)
		cr_assert(!alive(eb, fr[i]), "frame %d survived", i);
	cr_assert(alive(eb, res[0]) && alive(eb, res[1]) && alive(eb, der));
	cr_assert_eq(eb->frames, 2);
	cr_assert_eq(eb->reserve, 2);
	cr_assert_eq(bind_query(sb, VA), (i64)res[0]);
	cr_assert_eq(bind_query(sb, VA + 2 * PAGE), (i64)res[1]);
	/* The copy passed to A died with its frame, and its binding with it. */
	cr_assert(!alive(ea, (exo_cap_t)pass));
	cr_assert_eq(bind_query(sa, PEEK), -E_NOENT);
	{
		u64 pa;

		cr_assert_lt(arch_space_lookup(&sa->pt, PEEK, 0, &pa), 0);
		cr_assert_lt(arch_space_lookup(&sb->pt, VA + PAGE, 0, &pa), 0);
	}
	/* The vector: each frame with its capability and address, no block. */
	cr_assert_eq(eb->rv.repo_n, 4);
	for (u32 i = 0; i < 4; i++) {
		struct exo_repossession *r = &eb->rv.repo[i];
		static const u64 vas[4] = { VA + PAGE, 0, VA + 4 * PAGE, VA + 5 * PAGE };

		cr_assert_eq(r->cap, fr[i]);
		cr_assert_eq(r->va, vas[i]);
		cr_assert_eq(r->block, 0);
	}
	cr_assert_eq(revoke_repo_clear(eb, 0), 4);
	cr_assert_eq(revoke_repo_clear(eb, 4), 4);
	cr_assert_eq(eb->rv.repo_n, 0);
	cr_assert_eq(eb->rv.owed, 0);
	cr_assert_eq(revoke_next_deadline(), 0);
}

Test(revoke, autosave_goes_to_the_backing_store)
{
	exo_cap_t a, b;
	u64 pa;

	cr_assert_eq(env_backing(tb, 2), 0);
	cr_assert_eq(env_backing(ta, 2), -E_EXIST, "a store serves one environment");
	a = b_frame(1, EXO_FRAME_AUTOSAVE, EXO_BIND_W | EXO_BIND_NOW);
	pa = eb->caps[EXO_CAP_INDEX(a)].object;
	b = b_frame(2, 0, EXO_BIND_W | EXO_BIND_NOW);
	cr_assert_eq(revoke_request(ta, ec, 1, 500), 0);
	pass_deadline();
	check_all();
	cr_assert(!alive(eb, a) && alive(eb, b));
	cr_assert_eq(fake_backing_n[2], 1);
	cr_assert_eq(eb->rv.repo_n, 1);
	cr_assert_eq(eb->rv.repo[0].cap, a);
	cr_assert_eq(eb->rv.repo[0].block, 1, "block 0, + 1");
	for (u32 i = 0; i < PAGE; i++)
		cr_assert_eq(fake_backing[2][0][i], 0x41);
	(void)pa;
	/* backing_read puts it into a frame B holds with W. */
	{
		exo_cap_t c = b_frame(3, 0, 0);
		u64 cpa = eb->caps[EXO_CAP_INDEX(c)].object;
		exo_cap_t r = (exo_cap_t)sys_cap_derive(tb, c, EXO_CAP_R, 0, 0, 0);

		cr_assert_eq(backing_read(tb, 0, r), -E_PERM);
		cr_assert_eq(backing_read(tb, 1, c), -E_NOENT);
		cr_assert_eq(backing_read(ta, 0, c), -E_BADCAP, "A has no such capability");
		cr_assert_eq(backing_read(tb, 0, c), 0);
		for (u32 i = 0; i < PAGE; i++)
			cr_assert_eq(fake_mem[cpa + i], 0x41);
	}
}

Test(revoke, autosave_that_cannot_be_saved_is_not_taken)
{
	exo_cap_t a = b_frame(1, EXO_FRAME_AUTOSAVE, EXO_BIND_W | EXO_BIND_NOW);
	exo_cap_t b = b_frame(2, 0, 0);

	/* No store designated: the autosave frame is passed over. */
	cr_assert_eq(revoke_request(ta, ec, 2, 500), 0);
	pass_deadline();
	check_all();
	cr_assert(alive(eb, a) && !alive(eb, b));
	cr_assert_eq(eb->rv.repo_n, 1);
	cr_assert_eq(eb->rv.owed, 0, "the rest is forgiven");
	/* A full store: the same. */
	cr_assert_eq(env_backing(tb, 1), 0);
	fake_backing_full = true;
	cr_assert_eq(revoke_request(ta, ec, 1, 500), 0);
	pass_deadline();
	cr_assert(alive(eb, a));
	cr_assert_eq(eb->rv.repo_n, 1);
	check_all();
}

Test(revoke, cooperation_pays_the_debt)
{
	exo_cap_t f[3];

	for (int i = 0; i < 3; i++)
		f[i] = b_frame((u32)i, 0, EXO_BIND_W | EXO_BIND_NOW);
	cr_assert_eq(revoke_request(ta, ec, 2, 1000), 0);
	cr_assert_eq(eb->rv.owed, 2);
	cr_assert_eq(frame_cap_free(sb, f[2]), 0);
	cr_assert_eq(eb->rv.owed, 1);
	cr_assert_neq(revoke_next_deadline(), 0);
	cr_assert_eq(sys_cap_drop(tb, f[0], 0, 0, 0, 0), 0);  /* counts too */
	cr_assert_eq(eb->rv.owed, 0);
	cr_assert_eq(revoke_next_deadline(), 0, "paid: off the deadline list");
	cr_assert(alive(eb, f[1]));
	cr_assert_eq(eb->rv.repo_n, 0);
	check_all();
}

Test(revoke, the_entry_thread_gets_the_upcalls)
{
	struct thread *te = fix_thread(sb, 100);

	b_frame(0, 0, EXO_BIND_W | EXO_BIND_NOW);
	b_frame(1, 0, EXO_BIND_W | EXO_BIND_NOW);
	cr_assert_eq(env_entry(te, EXO_ENTRY_REVOKE, 0x401000, 0x7000), 0);
	sched_dequeue(te);
	cr_assert_eq(upcall_wait(te), 0);
	cr_assert_eq(te->state, TS_ENTRY_WAIT);
	cr_assert_eq(revoke_request(ta, ec, 2, 1000), 0);
	cr_assert_eq(te->state, TS_READY);
	cr_assert_eq(te->ctx.rip, 0x401000);
	cr_assert_eq(te->ctx.rsp, 0x7000);
	cr_assert_eq(te->ctx.rdi, EXO_UPCALL_REVOKE);
	cr_assert_eq(te->ctx.rsi, 2);
	cr_assert_eq(te->ctx.rdx, revoke_next_deadline());
	/* It does not comply: the repossession upcall is held until it waits. */
	pass_deadline();
	cr_assert_eq(eb->rv.repo_n, 2);
	te->ctx.rip = 0;
	cr_assert_eq(upcall_wait(te), 0);
	cr_assert_eq(te->ctx.rip, 0x401000);
	cr_assert_eq(te->ctx.rdi, EXO_UPCALL_REPOSSESS);
	cr_assert_eq(te->ctx.rsi, 2);
	check_all();
}

Test(revoke, the_vector_keeps_the_newest_and_counts_the_rest)
{
	u32 n = EXO_REPOSSESS_MAX + 6;

	for (u32 i = 0; i < n; i++)
		b_frame(i, 0, 0);
	cr_assert_eq(revoke_request(ta, ec, n, 1000), 0);
	pass_deadline();
	check_all();
	cr_assert_eq(eb->frames, 0);
	cr_assert_eq(revoke_repo_clear(eb, 0), EXO_REPOSSESS_MAX | 6ULL << 32);
	cr_assert_eq(revoke_repo_clear(eb, 10), 10 | 6ULL << 32);
	cr_assert_eq(revoke_repo_clear(eb, 0), EXO_REPOSSESS_MAX - 10, "dropped reported once");
}

Test(revoke, requests_are_checked_first)
{
	exo_cap_t r = (exo_cap_t)env_cap(ta, tb->id, EXO_CAP_R);
	exo_cap_t f = b_frame(0, 0, 0);

	cr_assert_eq(revoke_request(ta, r, 1, 1000), -E_PERM);
	cr_assert_eq(revoke_request(ta, EXO_CAP(400, 1), 1, 1000), -E_BADCAP);
	cr_assert_eq(revoke_request(tb, f, 1, 1000), -E_BADTYPE);
	cr_assert_eq(revoke_request(ta, ec, 0, 1000), -E_INVAL);
	cr_assert_eq(revoke_request(ta, ec, 2, 1000), -E_INVAL);
	cr_assert_eq(revoke_request(ta, ec, ~0ULL, 1000), -E_INVAL);
	cr_assert_eq(revoke_request(ta, ec, 1, 0), -E_INVAL);
	cr_assert_eq(revoke_request(ta, ec, 1, REVOKE_DEADLINE_MAX_US + 1), -E_INVAL);
	cr_assert_eq(eb->rv.owed, 0);
	cr_assert_eq(revoke_next_deadline(), 0);
	cr_assert_eq(env_backing(tb, 0), -E_INVAL);
	cr_assert_eq(env_backing(tb, EXO_BACKING_STORES + 1), -E_INVAL);
}

Test(revoke, a_dry_pool_asks_the_richest_other_environment)
{
	struct space *sc = fix_space(sa, false);
	struct env *e3 = env_of(sc);
	i64 c;
	u32 n = 0;

	for (int i = 0; i < 20; i++)
		b_frame((u32)i, 0, 0);
	for (int i = 0; i < 5; i++)
		cr_assert_geq(frame_cap_alloc(sa, 0), 0);
	/* C takes the rest of the pool. */
	while ((c = frame_cap_alloc(sc, 0)) >= 0)
		n++;
	cr_assert_eq(c, -E_AGAIN, "dry pool: %lld after %u frames", (long long)c, n);
	cr_assert_eq(eb->rv.owed, REVOKE_POOL_FRAMES, "B is the richest but C");
	cr_assert_eq(ea->rv.owed, 0);
	cr_assert_eq(e3->rv.owed, 0);
	/* B has no entry: at the deadline the frames come back to the pool. */
	pass_deadline();
	cr_assert_eq(eb->frames, 20 - REVOKE_POOL_FRAMES);
	cr_assert_geq(frame_cap_alloc(sc, 0), 0);
	check_all();
}

/* cap_info of B's ENV capability, written into A's page at PEEK. */
static struct exo_capinfo
env_info(exo_cap_t env, u64 pa)
{
	struct exo_capinfo ci;

	i64 e = sys_cap_info(ta, env, PEEK, 0, 0, 0);

	cr_assert_eq(e, 0, "cap_info: %lld", (long long)e);
	memcpy(&ci, fake_mem + pa, sizeof ci);
	return ci;
}

/* The creator reads its child's standing with revocation: the frames it
 * may be asked for, what it owes, and what the abort protocol took (how
 * ExOS's manager learns that a process did not answer). */
Test(revoke, cap_info_tells_the_creator_what_the_abort_took)
{
	i64 out = frame_cap_alloc(sa, 0);
	exo_cap_t f[3], r;
	struct exo_capinfo ci;
	u64 pa;

	cr_assert_geq(out, 0);
	pa = ea->caps[EXO_CAP_INDEX(out)].object;
	cr_assert_eq(bind_frame(sa, (exo_cap_t)out, PEEK, EXO_BIND_W | EXO_BIND_NOW), 0);
	for (int i = 0; i < 3; i++)
		f[i] = b_frame((u32)i, 0, EXO_BIND_W | EXO_BIND_NOW);
	ci = env_info(ec, pa);
	cr_assert_eq(ci.type, EXO_CAP_ENV);
	cr_assert_eq(ci.va, 3, "3 frames, nothing owed");
	cr_assert_eq(ci.flags, 0);
	cr_assert_eq(revoke_request(ta, ec, 2, 1000), 0);
	cr_assert_eq(env_info(ec, pa).va, 3 | 2ULL << 32);
	cr_assert_eq(frame_cap_free(sb, f[2]), 0);              /* pays one */
	cr_assert_eq(env_info(ec, pa).va, 2 | 1ULL << 32);
	pass_deadline();                                        /* takes one */
	ci = env_info(ec, pa);
	cr_assert_eq(ci.va, 1, "one left, nothing owed");
	cr_assert_eq(ci.flags, 1, "the abort protocol took one");
	cr_assert_eq(revoke_request(ta, ec, 1, 1000), 0);
	pass_deadline();
	ci = env_info(ec, pa);
	cr_assert_eq(ci.va, 0);
	cr_assert_eq(ci.flags, 2, "counted in all");
	cr_assert(!alive(eb, f[0]) && !alive(eb, f[1]));
	/* Without W (not the creator's standing) it tells none of it. */
	r = (exo_cap_t)env_cap(ta, tb->id, EXO_CAP_R);
	cr_assert_geq((i64)r, 0, "env_cap: %lld", (long long)r);
	ci = env_info(r, pa);
	cr_assert_eq(ci.type, EXO_CAP_ENV);
	cr_assert_eq(ci.va, 0);
	cr_assert_eq(ci.flags, 0);
	cr_assert_eq(revoke_repo_clear(eb, 2), 2);
	cr_assert(cap_check(), "cap_check");
	cr_assert(mdb_check(), "mdb_check");
}
