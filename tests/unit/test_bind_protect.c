/*
 * Changing the rights of secure bindings in place (bind.c): bind_protect,
 * a page-fault or system-call extension's ext_page_protect, and the range
 * system call bind_protect_range. A binding, its software-TLB entry, its
 * translation and what L4 map derived from it must agree afterwards, and
 * nothing may exceed the capability the page was bound with.
 */
#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/exo.h>
#include <exo/layout.h>

#include "guest/core/bind.h"
#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/frame.h"
#include "guest/core/mdb.h"
#include "guest/core/platform.h"

#include "kernel_fixture.h"

#define VA 0x40000000ULL
#define PG EXO_PAGE_SIZE

static struct space *a, *b;

static void
setup(void)
{
	fake_reset();
	fix_core_boot();
	a = fix_space(0, true);
	b = fix_space(0, true);
}

TestSuite(bind_protect, .init = setup);

/* What the tables allow at va: EXO_R|W|X, or 0 if nothing is mapped. */
static u32
mapped(struct space *s, u64 va)
{
	u64 pa;

	if (arch_space_lookup(&s->pt, va, 0, &pa))
		return 0;
	return EXO_R | (arch_space_lookup(&s->pt, va, EXO_W, &pa) == 0 ? EXO_W : 0) |
	       (arch_space_lookup(&s->pt, va, EXO_X, &pa) == 0 ? EXO_X : 0);
}

static u8
bound(struct space *s, exo_cap_t c)
{
	int err;

	return cap_get(env_of(s), c, EXO_CAP_FRAME, 0, &err)->bound;
}

/* n pages bound at VA with rights, installed now or lazily. */
static void
bind_n(exo_cap_t *c, u32 n, u32 flags)
{
	for (u32 i = 0; i < n; i++) {
		c[i] = fix_frame(a);
		cr_assert_eq(bind_frame(a, c[i], VA + i * PG, flags), 0);
	}
}

Test(bind_protect, raises_and_lowers_a_binding_within_its_capability)
{
	exo_cap_t c = fix_frame(a);

	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_R | EXO_BIND_NOW), 0);
	cr_assert_eq(mapped(a, VA), EXO_R);
	cr_assert_eq(bind_protect(a, VA, EXO_W), 0, "R is implied");
	cr_assert_eq(mapped(a, VA), EXO_R | EXO_W, "only W added");
	cr_assert_eq(bound(a, c), EXO_R | EXO_W);
	cr_assert_eq(bind_protect(a, VA, EXO_R), 0);
	cr_assert_eq(mapped(a, VA), EXO_R, "lowered in place, still mapped");
	cr_assert_eq(bound(a, c), EXO_R);
	cr_assert_eq(bind_protect(a, VA, EXO_R | EXO_X), 0);
	cr_assert_eq(mapped(a, VA), EXO_R | EXO_X);
	cr_assert(cap_check());
}

Test(bind_protect, refused_beyond_the_capability)
{
	exo_cap_t c = fix_frame(a), ro;
	int err;
	struct cap *k = cap_get(env_of(a), c, EXO_CAP_FRAME, 0, &err);

	/* A copy with R only, as cap_derive makes it. */
	cr_assert_eq(cap_new(env_of(a), EXO_CAP_FRAME, EXO_CAP_R, k->object, k, &ro), 0);
	cr_assert_eq(bind_frame(a, ro, VA, EXO_BIND_R | EXO_BIND_NOW), 0);
	cr_assert_eq(bind_protect(a, VA, EXO_W), -E_PERM);
	cr_assert_eq(bind_protect(a, VA, EXO_X), -E_PERM);
	cr_assert_eq(mapped(a, VA), EXO_R, "still read-only");
}

Test(bind_protect, needs_a_binding_of_ones_own)
{
	exo_cap_t cb = fix_frame(b);

	cr_assert_eq(bind_protect(a, VA, EXO_W), -E_NOENT, "nothing bound");
	cr_assert_eq(bind_frame(b, cb, VA, EXO_BIND_R | EXO_BIND_W | EXO_BIND_NOW), 0);
	cr_assert_eq(bind_protect(a, VA, EXO_R), -E_NOENT, "b's binding is not a's");
	cr_assert_eq(mapped(b, VA), EXO_R | EXO_W);
	/* A page the kernel mapped without a binding (program text, UTCB). */
	cr_assert_eq(arch_space_map(&a->pt, VA + PG, frame_alloc(), PG,
				    EXO_SEG_R | EXO_SEG_W), 0);
	cr_assert_eq(bind_protect(a, VA + PG, EXO_R), -E_NOENT);
	cr_assert_eq(mapped(a, VA + PG), EXO_R | EXO_W, "the kernel's page untouched");
	cr_assert_eq(bind_protect(a, EXO_USER_END, EXO_W), -E_NOENT);
}

/* A lazy binding changed before its first touch: the software TLB installs
 * it with the new rights, and refuses what they no longer allow. */
Test(bind_protect, a_lazy_binding_reaches_the_software_tlb)
{
	exo_cap_t c = fix_frame(a);

	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_R), 0);
	cr_assert_not(stlb_fault(a, VA, EXO_W));
	cr_assert_eq(bind_protect(a, VA, EXO_W), 0);
	cr_assert(stlb_fault(a, VA, EXO_W));
	cr_assert_eq(mapped(a, VA), EXO_R | EXO_W);
	cr_assert_eq(bind_protect(a, VA, EXO_R), 0);
	cr_assert_eq(mapped(a, VA), EXO_R);
	cr_assert_not(stlb_fault(a, VA, EXO_W), "the entry says R now");
}

/* A binding passed on by L4 map is a mapping-database root: raised, the
 * root grows and its child keeps what it was given; lowered, the child
 * loses what the root loses, and the database stays whole. */
Test(bind_protect, a_mapped_binding_keeps_the_database_whole)
{
	exo_cap_t c = fix_frame(a);

	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_R | EXO_BIND_NOW), 0);
	cr_assert_eq(bind_mdb_root(a, VA), 0);
	cr_assert_eq(mdb_map(a, VA, b, VA, EXO_R, false), 0);
	cr_assert_eq(bind_protect(a, VA, EXO_W), 0);
	cr_assert_eq(mapped(a, VA), EXO_R | EXO_W);
	cr_assert_eq(mapped(b, VA), EXO_R);
	cr_assert(mdb_check());
	cr_assert_eq(mdb_map(a, VA, b, VA + PG, EXO_R | EXO_W, false), 0);
	cr_assert_eq(mapped(b, VA + PG), EXO_R | EXO_W);
	cr_assert_eq(bind_protect(a, VA, EXO_R), 0);
	cr_assert_eq(mapped(a, VA), EXO_R);
	cr_assert_eq(mapped(b, VA + PG), EXO_R, "the child lost W with its root");
	cr_assert_eq(mapped(b, VA), EXO_R);
	cr_assert(mdb_check());
}

/* A page of a's mapped into b is b's to change only if b bound it: b's
 * binding elsewhere does not let b touch a's derived page. */
Test(bind_protect, a_page_mapped_over_is_not_the_bindings)
{
	exo_cap_t c = fix_frame(a), cb = fix_frame(b);

	cr_assert_eq(bind_frame(a, c, VA, EXO_BIND_R | EXO_BIND_W | EXO_BIND_NOW), 0);
	cr_assert_eq(bind_mdb_root(a, VA), 0);
	cr_assert_eq(mdb_map(a, VA, b, VA, EXO_R, false), 0);
	/* b binds a frame of its own, lazily, where a's page is mapped. */
	cr_assert_eq(bind_frame(b, cb, VA, EXO_BIND_R | EXO_BIND_W), -E_EXIST);
	cr_assert_eq(bind_protect(b, VA, EXO_R | EXO_W), -E_NOENT);
	cr_assert_eq(mapped(b, VA), EXO_R);
}

Test(bind_protect, a_range_in_one_call)
{
	exo_cap_t c[8];

	bind_n(c, 8, EXO_BIND_R | EXO_BIND_W | EXO_BIND_NOW);
	/* Pages 8 and 9 have no binding: passed over, not counted. */
	cr_assert_eq(bind_protect_range(a, VA, 10, EXO_R), 8);
	for (u32 i = 0; i < 8; i++) {
		cr_assert_eq(mapped(a, VA + i * PG), EXO_R, "page %u", i);
		cr_assert_eq(bound(a, c[i]), EXO_R);
	}
	cr_assert_eq(bind_protect_range(a, VA + 2 * PG, 3, EXO_R | EXO_W), 3);
	for (u32 i = 0; i < 8; i++)
		cr_assert_eq(mapped(a, VA + i * PG), i >= 2 && i < 5 ? EXO_R | EXO_W : EXO_R,
			     "page %u", i);
	cr_assert_eq(bind_protect_range(a, VA + 8 * PG, 2, EXO_R), 0, "nothing there");
	cr_assert(cap_check());
}

/* More pages than the software TLB has entries: the range is found by a
 * walk of the capability table, with the same result. */
Test(bind_protect, a_range_past_the_software_tlb)
{
	static exo_cap_t c[EXO_STLB_ENTRIES + 8];
	u32 n = EXO_STLB_ENTRIES + 8;

	bind_n(c, n, EXO_BIND_R | EXO_BIND_W | EXO_BIND_NOW);
	cr_assert_eq(bind_protect_range(a, VA, n, EXO_R), n);
	for (u32 i = 0; i < n; i++)
		cr_assert_eq(mapped(a, VA + i * PG), EXO_R, "page %u", i);
	cr_assert_eq(bind_protect_range(a, VA, n, EXO_R | EXO_W), n);
	cr_assert_eq(mapped(a, VA + (n - 1) * PG), EXO_R | EXO_W);
}

/* All or nothing: one binding whose capability refuses W leaves every
 * page of the range as it was, by either way of finding them. */
Test(bind_protect, a_refused_page_changes_nothing)
{
	exo_cap_t c[4], ro;
	int err;
	struct cap *k;

	bind_n(c, 3, EXO_BIND_R | EXO_BIND_NOW);
	c[3] = fix_frame(a);
	k = cap_get(env_of(a), c[3], EXO_CAP_FRAME, 0, &err);
	cr_assert_eq(cap_new(env_of(a), EXO_CAP_FRAME, EXO_CAP_R, k->object, k, &ro), 0);
	cr_assert_eq(bind_frame(a, ro, VA + 3 * PG, EXO_BIND_R | EXO_BIND_NOW), 0);
	cr_assert_eq(bind_protect_range(a, VA, 4, EXO_R | EXO_W), -E_PERM);
	cr_assert_eq(bind_protect_range(a, VA, 6, EXO_R | EXO_W), -E_PERM, "by the table");
	for (u32 i = 0; i < 4; i++)
		cr_assert_eq(mapped(a, VA + i * PG), EXO_R, "page %u", i);
}

Test(bind_protect, range_arguments_are_checked)
{
	exo_cap_t c[1];

	bind_n(c, 1, EXO_BIND_R | EXO_BIND_NOW);
	cr_assert_eq(bind_protect_range(a, VA + 1, 1, EXO_R), -E_INVAL, "unaligned");
	cr_assert_eq(bind_protect_range(a, VA, 0, EXO_R), -E_INVAL, "no pages");
	cr_assert_eq(bind_protect_range(a, VA, EXO_PROTECT_MAX + 1, EXO_R), -E_INVAL);
	cr_assert_eq(bind_protect_range(a, VA, 1, 8), -E_INVAL, "unknown rights");
	cr_assert_eq(bind_protect_range(a, VA, 1, 1ull << 32 | EXO_R), -E_INVAL);
	cr_assert_eq(bind_protect_range(a, EXO_USER_END - PG, 2, EXO_R), -E_INVAL,
		     "leaves user space");
	cr_assert_eq(bind_protect_range(a, EXO_USER_END, 1, EXO_R), -E_INVAL);
	cr_assert_eq(bind_protect_range(a, 0, 1, EXO_R), -E_INVAL, "below user space");
	cr_assert_eq(bind_protect_range(a, -PG, 2, EXO_R), -E_INVAL, "wraps");
	cr_assert_eq(bind_protect_range(a, VA, EXO_PROTECT_MAX, EXO_R), 1);
}
