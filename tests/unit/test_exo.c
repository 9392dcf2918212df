/*
 * The exokernel's portable core on the fake platform: capability tables and
 * their derivation tree (cap.c), frames by capability, secure bindings and
 * the software TLB (bind.c), the portable exception upcall (env.c).
 * Changing a binding's rights: test_bind_protect.c.
 */
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
#include "guest/core/platform.h"

#include "kernel_fixture.h"

#define VA 0x40000000ULL

static struct space *a, *b;

static void
setup(void)
{
	fake_reset();
	fix_core_boot();
	a = fix_space(0, true);
	b = fix_space(0, true);
}

TestSuite(exo, .init = setup);

Test(exo, capability_errors_are_distinct)
{
	exo_cap_t c = fix_frame(a);
	int err;

	cr_assert_not_null(cap_get(env_of(a), c, EXO_CAP_FRAME, EXO_CAP_ALL, &err));
	cr_assert_null(cap_get(env_of(a), EXO_CAP(EXO_NCAPS, 1), 0, 0, &err));
	cr_assert_eq(err, -E_BADCAP);
	cr_assert_null(cap_get(env_of(a), c + (1 << 16), 0, 0, &err));  /* a future gen */
	cr_assert_eq(err, -E_BADCAP);
	cr_assert_null(cap_get(env_of(a), c, EXO_CAP_ENV, 0, &err));
	cr_assert_eq(err, -E_BADTYPE);
	cr_assert_null(cap_get(env_of(b), c, 0, 0, &err));       /* not b's */
	cr_assert_eq(err, -E_BADCAP);
	cr_assert_eq(frame_cap_free(a, c), 0);
	cr_assert_null(cap_get(env_of(a), c, 0, 0, &err));
	cr_assert_eq(err, -E_STALE);
	cr_assert(cap_check());
}

/*
 * A slot dropped and refilled 65,536 times and more (its 16-bit generation
 * would wrap): the first name it had stays stale, and no later name equals
 * it. Before slots were retired, the 65,536th refill gave the first name
 * back, valid again.
 */
Test(exo, a_dropped_name_never_comes_back)
{
	exo_cap_t first = fix_frame(a);
	int err;

	cr_assert_eq(frame_cap_free(a, first), 0);
	for (u32 i = 0; i < 0x10000 + 16; i++) {
		exo_cap_t c = fix_frame(a);

		cr_assert_neq(c, first, "refill %u: the first name again", i);
		cr_assert_null(cap_get(env_of(a), first, 0, 0, &err), "refill %u", i);
		cr_assert_eq(err, -E_STALE, "refill %u", i);
		cr_assert_eq(frame_cap_free(a, c), 0);
	}
	cr_assert(cap_check());
}

/*
 * Every slot at its last generation, then dropped: each is retired, its last
 * name stale, and the table has no slot left: -E_NOMEM, never a reuse.
 */
Test(exo, a_table_of_retired_slots_refuses_allocation)
{
	struct env *e = env_of(a);
	exo_cap_t last[EXO_NCAPS], c;
	int err;

	for (u32 i = 0; i < EXO_NCAPS; i++)
		e->caps[i].gen = 0xffff;        /* as after 65,534 refills each */
	for (u32 i = 0; i < EXO_NCAPS; i++) {
		cr_assert_eq(cap_new(e, EXO_CAP_ENV, EXO_CAP_X, a->index, 0, &last[i]), 0);
		cr_assert_eq(EXO_CAP_GEN(last[i]), 0xffff);
	}
	for (u32 i = 0; i < EXO_NCAPS; i++)
		cap_destroy(cap_get(e, last[i], EXO_CAP_ENV, 0, &err));
	cr_assert_eq(cap_new(e, EXO_CAP_ENV, EXO_CAP_X, a->index, 0, &c), -E_NOMEM);
	cr_assert_eq(frame_cap_alloc(a, 0), -E_NOMEM);
	for (u32 i = 0; i < EXO_NCAPS; i++) {
		cr_assert_null(cap_get(e, last[i], 0, 0, &err));
		cr_assert_eq(err, -E_STALE, "slot %u", i);
	}
	cr_assert(cap_check());
}

/* A copy of a copy, in another environment: dropping the root takes all. */
Test(exo, dropping_a_capability_takes_every_copy)
{
	exo_cap_t c = fix_frame(a), d, p;
	struct cap *k;
	int err;

	cr_assert_eq(cap_new(env_of(a), EXO_CAP_FRAME, EXO_CAP_R | EXO_CAP_PASS,
			     cap_get(env_of(a), c, 0, 0, &err)->object,
			     cap_get(env_of(a), c, 0, 0, &err), &d), 0);
	k = cap_get(env_of(a), d, 0, 0, &err);
	cr_assert_eq(cap_new(env_of(b), EXO_CAP_FRAME, EXO_CAP_R, k->object, k, &p), 0);
	cr_assert_eq(bind_frame(b, p, VA, EXO_BIND_R | EXO_BIND_NOW), 0);
	cr_assert_eq(fake_space_npages(&b->pt), 2, "the KIP and the binding");
	cr_assert(cap_check());
	cr_assert_eq(env_of(a)->ncaps, 2);
	cr_assert_eq(frame_cap_free(a, c), 0);
	cr_assert_eq(env_of(a)->ncaps, 0);
	cr_assert_eq(env_of(b)->ncaps, 0);
	cr_assert_eq(fake_space_npages(&b->pt), 1, "b's binding died with a's frame");
	cr_assert_null(cap_get(env_of(b), p, 0, 0, &err));
	cr_assert_eq(err, -E_STALE);
	cr_assert(cap_check());
}

Test(exo, bind_checks_rights_and_places)
{
	exo_cap_t c = fix_frame(a), r;
	int err;

	cr_assert_eq(cap_new(env_of(a), EXO_CAP_FRAME, EXO_CAP_R,
			     cap_get(env_of(a), c, 0, 0, &err)->object,
			     cap_get(env_of(a), c, 0, 0, &err), &r), 0);
	cr_assert_eq(bind_frame(a, r, VA, EXO_BIND_W), -E_PERM);
	cr_assert_eq(bind_frame(a, r, VA, EXO_BIND_GUARANTEED), -E_PERM);
	cr_assert_eq(bind_frame(a, c, VA + 1, EXO_BIND_R), -E_INVAL);
	cr_assert_eq(bind_frame(a, c, EXO_USER_END, EXO_BIND_R), -E_INVAL);
	cr_assert_eq(bind_frame(a, c, VA, 0x100), -E_INVAL);
	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_W), 0);              /* lazy */
	cr_assert_eq(bind_frame(a, r, VA, EXO_BIND_R), -E_EXIST);       /* lazily taken */
	cr_assert_eq(bind_frame(a, c, VA + EXO_PAGE_SIZE, EXO_BIND_R), -E_EXIST);
	cr_assert_eq(bind_query(a, VA + 10), (i64)c);
	cr_assert_eq(unbind_frame(a, r), -E_NOENT);
	cr_assert_eq(unbind_frame(a, c), 0);
	cr_assert_eq(bind_query(a, VA), -E_NOENT);
}

/* Lazy bindings wait in the software TLB; the first touch installs them. */
Test(exo, software_tlb_fills_lazy_bindings)
{
	exo_cap_t c = fix_frame(a), c2 = fix_frame(a);
	u64 pa;

	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_R), 0);
	cr_assert_eq(arch_space_lookup(&a->pt, VA, 0, &pa), -E_FAULT, "not installed yet");
	/* Same entry, another page: a lazy one is never evicted; this one installs. */
	cr_assert_eq(bind_frame(a, c2, VA + EXO_STLB_ENTRIES * EXO_PAGE_SIZE, EXO_BIND_R), 0);
	cr_assert_eq(arch_space_lookup(&a->pt, VA + EXO_STLB_ENTRIES * EXO_PAGE_SIZE, 0, &pa), 0);
	cr_assert_not(stlb_fault(a, VA, EXO_W), "a write to a read-only binding");
	cr_assert(stlb_fault(a, VA, EXO_R));
	cr_assert_eq(arch_space_lookup(&a->pt, VA, EXO_R, &pa), 0);
	cr_assert_not(stlb_fault(a, VA, EXO_R), "installed: no second fill");
	cr_assert_not(stlb_fault(a, VA + EXO_PAGE_SIZE, EXO_R), "nothing bound there");
	cr_assert_eq(env_of(a)->stlb_hits, 1);
	cr_assert_eq(env_of(a)->stlb_misses, 3);
	cr_assert_eq(unbind_frame(a, c), 0);
	cr_assert_not(stlb_fault(a, VA, EXO_R));
	cr_assert_eq(arch_space_lookup(&a->pt, VA, 0, &pa), -E_FAULT);
}

/* L4 map from a bound page: flushing the binding follows the derivation. */
Test(exo, unbind_flushes_what_was_mapped_from_a_binding)
{
	exo_cap_t c = fix_frame(a);
	u64 pa;

	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_W | EXO_BIND_NOW), 0);
	cr_assert_eq(bind_mdb_root(a, VA), 0);
	cr_assert_eq(mdb_map(a, VA, b, VA, EXO_R, false), 0);
	cr_assert_eq(arch_space_lookup(&b->pt, VA, EXO_R, &pa), 0);
	cr_assert(mdb_check());
	cr_assert_eq(unbind_frame(a, c), 0);
	cr_assert_eq(arch_space_lookup(&b->pt, VA, 0, &pa), -E_FAULT);
	cr_assert_eq(arch_space_lookup(&a->pt, VA, 0, &pa), -E_FAULT);
	cr_assert(mdb_check());
}

/* The environment dies: its frames go back, others' ENV capabilities die. */
Test(exo, env_destroy_leaves_nothing_behind)
{
	struct thread *t = fix_thread(a, 100);
	exo_cap_t c = fix_frame(a);
	i64 e = env_cap(t, t->id, EXO_CAP_X);
	exo_cap_t in_b;

	cr_assert_gt(e, 0);
	cr_assert_eq(cap_new(env_of(b), EXO_CAP_ENV, EXO_CAP_X, a->index, 0, &in_b), 0);
	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_W), 0);
	env_destroy(a);
	cr_assert_eq(env_of(a)->ncaps, 0);
	cr_assert_eq(env_of(a)->frames, 0);
	cr_assert_eq(env_of(a)->stlb_live, 0);
	cr_assert_eq(env_of(b)->ncaps, 0, "b's capability for a died");
	cr_assert(cap_check());
}

/* The portable exception upcall writes the frame the arch layer would. */
Test(exo, exception_upcall_fills_the_frame)
{
	struct thread *t = fix_thread(a, 100);
	struct exo_xframe *x = (struct exo_xframe *)((u8 *)t->utcb + EXO_UTCB_XFRAME);

	t->ctx.rip = 0x401000;
	t->ctx.rsp = 0x7000;
	t->ctx.rax = 5;
	cr_assert_not(upcall_exception(t, 6, 0, 0), "no entry registered");
	cr_assert_eq(env_entry(t, EXO_ENTRY_EXCEPTION, 0x402000, 0x9000), 0);
	cr_assert_eq(env_entry(t, 99, 0, 0), -E_INVAL);
	cr_assert(upcall_exception(t, 14, 6, 0x1234));
	cr_assert_eq(x->vector, 14);
	cr_assert_eq(x->rip, 0x401000);
	cr_assert_eq(x->rsp, 0x7000);
	cr_assert_eq(x->rax, 5);
	cr_assert_eq(x->cr2, 0x1234);
	cr_assert_eq(x->error, 6);
	cr_assert_eq(t->ctx.rip, 0x402000);
	cr_assert_eq(t->ctx.rsp, 0x9000);
	cr_assert_eq(t->ctx.rax, 0x1234, "rax holds cr2 for a page fault");
	cr_assert_not(upcall_exception(t, 6, 0, 0), "busy: a fault in the handler");
	x->vector = 0;
	cr_assert_not(upcall_exception(t, 3, 0, 0), "not an upcall vector");
	cr_assert_eq(upcall_entry_bad(t, 6), 0, "a user entry");
	x->entry_pc = 1ULL << 63;
	cr_assert_not(upcall_exception(t, 6, 0, 0), "entry_pc not a user address");
	cr_assert_eq(upcall_entry_bad(t, 6), 1ULL << 63, "an entry that is not a user address");
	cr_assert_eq(upcall_entry_bad(t, 3), 0, "not an upcall vector: no entry taken");
	x->vector = 6;
	cr_assert_eq(upcall_entry_bad(t, 6), 0, "busy: the kernel decides, as before");
}

/*
 * bind_digest, the witness the bindfast scenario compares the fast and the
 * general bind by: it sees each thing a bind changes (the binding, its
 * rights, the software-TLB entry, a lazy or installed translation, the hit
 * counts), is the same for the same state, and comes back when the binding
 * goes.
 */
Test(exo, bind_digest_sees_every_bind_change)
{
	exo_cap_t c = fix_frame(a), c2 = fix_frame(a);
	u64 empty = bind_digest(a, true), lazy, now, w;
	struct cap *k;
	int err;

	cr_assert_eq(bind_digest(a, false), empty, "same state, same digest");
	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_R), 0);
	lazy = bind_digest(a, false);
	cr_assert_neq(lazy, empty);
	cr_assert_eq(unbind_frame(a, c), 0);
	cr_assert_eq(bind_digest(a, false), empty, "unbind restores it");
	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_R | EXO_BIND_NOW), 0);
	now = bind_digest(a, false);
	cr_assert_neq(now, lazy, "installed or not");
	cr_assert_eq(unbind_frame(a, c), 0);
	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_W | EXO_BIND_NOW), 0);
	w = bind_digest(a, false);
	cr_assert_neq(w, now, "the rights");
	k = cap_get(env_of(a), c, EXO_CAP_FRAME, 0, &err);
	k->bound = EXO_BIND_R;
	cr_assert_neq(bind_digest(a, false), w, "the binding's recorded rights");
	k->bound = EXO_BIND_R | EXO_BIND_W;
	cr_assert_eq(bind_digest(a, false), w);
	env_of(a)->stlb_live++;
	cr_assert_neq(bind_digest(a, false), w, "the live count");
	env_of(a)->stlb_live--;
	cr_assert_eq(unbind_frame(a, c), 0);
	cr_assert_eq(bind_frame(a, c2, VA, EXO_BIND_R), 0);
	cr_assert_neq(bind_digest(a, false), lazy, "another frame");
	cr_assert(stlb_fault(a, VA, EXO_R));
	cr_assert_neq(bind_digest(a, false), bind_digest(a, true), "the hit count");
	cr_assert_eq(unbind_frame(a, c2), 0);
	cr_assert_eq(bind_digest(a, true), empty);
}
