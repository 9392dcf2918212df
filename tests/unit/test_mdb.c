/*
 * The mapping database (guest/core/mdb.c) on the fake platform: map, grant,
 * flush and space teardown, checked both through the nodes and through the
 * fake page tables, with mdb_check after every step that changes anything.
 */
#include <string.h>

#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>

#include "guest/core/frame.h"
#include "guest/core/mdb.h"
#include "guest/core/space.h"

#include "fake_platform.h"

#define PAGE      EXO_PAGE_SIZE
#define RW        (EXO_R | EXO_W)
#define VA        0x400000ULL          /* user pages the tests map */
#define PA        0x800000ULL          /* frames they map (not the allocator's) */
#define PA2       0xa00000ULL
#define COMPLETE  (1ULL << 47)
#define NSP       5
#define NFRAMES   1024                 /* frames the allocator has */
#define PER_FRAME (PAGE / sizeof(struct mdb_node))

static struct exo_bootinfo bi;
static struct space sp[NSP];
#define A (&sp[0])
#define B (&sp[1])
#define C (&sp[2])
#define D (&sp[3])
#define E (&sp[4])

static void
boot_frames(u64 nframes)
{
	memset(&bi, 0, sizeof(bi));
	bi.magic = EXO_BOOTINFO_MAGIC;
	bi.version = EXO_BOOTINFO_VERSION;
	bi.mem_size = FAKE_MEM_SIZE;
	bi.nregions = 1;
	bi.regions[0] = (struct exo_mem_region){
		.base = 0x100000, .len = nframes * PAGE, .type = EXO_MEM_USABLE };
	cr_assert_eq(frame_init(&bi), 0);
}

static void
setup(void)
{
	fake_reset();
	boot_frames(NFRAMES);
	cr_assert_eq(mdb_init(), 0);
	for (int i = 0; i < NSP; i++) {
		memset(&sp[i], 0, sizeof(sp[i]));
		cr_assert_eq(arch_space_create(&sp[i].pt), 0);
	}
}

TestSuite(mdb, .init = setup);

#define CHECK() cr_assert(mdb_check(), "mdb_check failed: %s", fake_console)

/* The rights of the page at va of s in the fake tables; -1 if unmapped. */
static int
pte_rights(struct space *s, u64 va)
{
	u64 pa;
	int r = 0;

	if (arch_space_lookup(&s->pt, va, 0, &pa))
		return -1;
	for (u32 b = EXO_X; b <= EXO_R; b <<= 1)
		if (arch_space_lookup(&s->pt, va, b, &pa) == 0)
			r |= b;
	return r;
}

static u64
pte_pa(struct space *s, u64 va)
{
	u64 pa = 0;

	cr_assert_eq(arch_space_lookup(&s->pt, va, 0, &pa), 0, "0x%lx unmapped", va);
	return pa;
}

static struct mdb_node *
root(struct space *s, u64 va, u64 pa, u32 rights)
{
	cr_assert_eq(mdb_map_root(s, va, pa, PAGE, rights), 0);
	return mdb_lookup(s, va);
}

static struct mdb_node *
map(struct space *from, u64 fva, struct space *to, u64 tva, u32 rights)
{
	cr_assert_eq(mdb_map(from, fva, to, tva, rights, false), 0,
		     "map 0x%lx -> 0x%lx", fva, tva);
	return mdb_lookup(to, tva);
}

static void
assert_gone(struct space *s, u64 va)
{
	cr_assert_null(mdb_lookup(s, va), "node at 0x%lx still there", va);
	cr_assert_eq(pte_rights(s, va), -1, "page at 0x%lx still mapped", va);
}

Test(mdb, root_map_and_lookup)
{
	struct mdb_node *n;

	cr_assert_eq(mdb_nodes_live(), 0);
	cr_assert_eq(mdb_map_root(A, VA, PA, 3 * PAGE, RW), 0);
	CHECK();
	cr_assert_eq(mdb_nodes_live(), 3);
	cr_assert_eq(fake_space_npages(&A->pt), 3);
	for (u64 i = 0; i < 3; i++) {
		n = mdb_lookup(A, VA + i * PAGE + 0x123);
		cr_assert_not_null(n);
		cr_assert_eq(n->space, A);
		cr_assert_eq(n->va, VA + i * PAGE);
		cr_assert_eq(n->pa, PA + i * PAGE);
		cr_assert_eq(n->rights, RW);
		cr_assert_null(n->parent);
		cr_assert_null(n->child);
		cr_assert_eq(pte_pa(A, n->va), n->pa);
		cr_assert_eq(pte_rights(A, n->va), RW);
	}
	cr_assert_null(mdb_lookup(A, VA + 3 * PAGE));
	cr_assert_null(mdb_lookup(A, VA - PAGE));
	cr_assert_null(mdb_lookup(B, VA), "found in the wrong space");
	cr_assert_null(mdb_lookup(A, EXO_USER_END));
}

Test(mdb, root_map_refusals)
{
	u64 len = 2 * PAGE;

	cr_assert_eq(mdb_map_root(A, VA + 8, PA, len, RW), -E_INVAL);
	cr_assert_eq(mdb_map_root(A, VA, PA + 8, len, RW), -E_INVAL);
	cr_assert_eq(mdb_map_root(A, VA, PA, len + 8, RW), -E_INVAL);
	cr_assert_eq(mdb_map_root(A, VA, PA, 0, RW), -E_INVAL);
	cr_assert_eq(mdb_map_root(A, EXO_USER_KIP, PA, PAGE, RW), -E_INVAL,
		     "below EXO_USER_MIN");
	cr_assert_eq(mdb_map_root(A, EXO_USER_END - PAGE, PA, len, RW), -E_INVAL);
	cr_assert_eq(mdb_map_root(A, VA, PA, len, EXO_W), -E_INVAL, "no R");
	cr_assert_eq(mdb_map_root(A, VA, PA, len, 8 | EXO_R), -E_INVAL);
	/* A page in the middle already mapped, by a node or by the kernel. */
	root(A, VA + PAGE, PA, EXO_R);
	cr_assert_eq(mdb_map_root(A, VA, PA, 3 * PAGE, RW), -E_INVAL);
	cr_assert_eq(arch_space_map(&B->pt, VA + PAGE, PA, PAGE, EXO_R), 0);
	cr_assert_eq(mdb_map_root(B, VA, PA, 3 * PAGE, RW), -E_INVAL);
	cr_assert_eq(fake_space_npages(&A->pt), 1);
	cr_assert_eq(fake_space_npages(&B->pt), 1);
	cr_assert_eq(mdb_nodes_live(), 1);
	CHECK();
}

/* One page (map_root_page: the platform's map is the check): a page mapped
 * there already, by a node or by the kernel, stays as it was; out of table
 * frames, nothing is mapped or recorded. */
Test(mdb, root_map_of_one_page_refusals)
{
	root(A, VA, PA, EXO_R);
	cr_assert_eq(mdb_map_root(A, VA, PA2, PAGE, RW), -E_INVAL);
	cr_assert_eq(pte_rights(A, VA), EXO_R);
	cr_assert_eq(mdb_lookup(A, VA)->pa, PA);
	cr_assert_eq(arch_space_map(&B->pt, VA, PA, PAGE, EXO_R), 0);
	cr_assert_eq(mdb_map_root(B, VA, PA2, PAGE, RW), -E_INVAL);
	cr_assert_eq(pte_rights(B, VA), EXO_R);
	cr_assert_null(mdb_lookup(B, VA));
	cr_assert_eq(fake_space_npages(&A->pt), 1);
	cr_assert_eq(fake_space_npages(&B->pt), 1);
	cr_assert_eq(mdb_nodes_live(), 1);
	fake_space_map_fail = true;
	cr_assert_eq(mdb_map_root(C, VA, PA2, PAGE, RW), -E_NOMEM);
	fake_space_map_fail = false;
	cr_assert_eq(fake_space_npages(&C->pt), 0);
	cr_assert_eq(mdb_nodes_live(), 1, "the node taken went back");
	CHECK();
}

/*
 * The tree of most tests:
 *   a (A, root) -> b (B) -> c (C) -> e (E)
 *               -> d (D)
 */
struct tree {
	struct mdb_node *a, *b, *c, *d, *e;
};

static struct tree
tree_build(u32 rights)
{
	struct tree t;

	t.a = root(A, VA, PA, rights);
	t.b = map(A, VA, B, VA + PAGE, rights);
	t.c = map(B, VA + PAGE, C, VA + 2 * PAGE, rights);
	t.d = map(A, VA, D, VA + 3 * PAGE, rights);
	t.e = map(C, VA + 2 * PAGE, E, VA + 4 * PAGE, rights);
	CHECK();
	cr_assert_eq(mdb_nodes_live(), 5);
	return t;
}

Test(mdb, map_builds_the_tree)
{
	struct tree t = tree_build(RW);

	cr_assert_eq(t.b->parent, t.a);
	cr_assert_eq(t.c->parent, t.b);
	cr_assert_eq(t.d->parent, t.a);
	cr_assert_eq(t.e->parent, t.c);
	cr_assert(t.a->child == t.d && t.d->next == t.b, "d is a's first child");
	cr_assert_eq(pte_pa(E, VA + 4 * PAGE), PA, "a child maps its parent's frame");
	cr_assert_eq(pte_rights(E, VA + 4 * PAGE), RW);
}

Test(mdb, flush_takes_exactly_the_subtree)
{
	struct tree t = tree_build(RW);

	cr_assert_eq(mdb_flush(B, VA + PAGE, PAGE, EXO_RWX, false), 2);
	CHECK();
	assert_gone(C, VA + 2 * PAGE);
	assert_gone(E, VA + 4 * PAGE);
	cr_assert_eq(mdb_lookup(A, VA), t.a);
	cr_assert_eq(mdb_lookup(B, VA + PAGE), t.b);
	cr_assert_eq(mdb_lookup(D, VA + 3 * PAGE), t.d);
	cr_assert_null(t.b->child);
	cr_assert_eq(pte_rights(B, VA + PAGE), RW, "the flusher's own page changed");
	cr_assert_eq(mdb_nodes_live(), 3);
	/* d comes before b among a's children: its flush must stop at d. */
	map(B, VA + PAGE, C, VA + 2 * PAGE, RW);
	map(D, VA + 3 * PAGE, E, VA + 5 * PAGE, RW);
	cr_assert_eq(t.d->next, t.b);
	cr_assert_eq(mdb_flush(D, VA + 3 * PAGE, PAGE, EXO_R, false), 1);
	assert_gone(E, VA + 5 * PAGE);
	cr_assert_not_null(mdb_lookup(C, VA + 2 * PAGE), "the flush ran on into b");
	CHECK();
}

Test(mdb, flush_own)
{
	struct tree t = tree_build(RW);

	cr_assert_eq(mdb_flush(B, VA + PAGE, PAGE, EXO_R, true), 3);
	CHECK();
	assert_gone(B, VA + PAGE);
	assert_gone(C, VA + 2 * PAGE);
	assert_gone(E, VA + 4 * PAGE);
	cr_assert(t.a->child == t.d && !t.d->next, "b left a's children");
	cr_assert_eq(mdb_nodes_live(), 2);
	/* A root flushed with own loses its mapping too. */
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_R, true), 2);
	CHECK();
	assert_gone(A, VA);
	assert_gone(D, VA + 3 * PAGE);
	cr_assert_eq(mdb_nodes_live(), 0);
}

Test(mdb, flush_reduces_rights)
{
	struct tree t = tree_build(EXO_RWX);

	/* d holds only R: taking W leaves it alone, and it is not counted. */
	cr_assert_eq(mdb_flush(D, VA + 3 * PAGE, PAGE, EXO_R, true), 1);
	t.d = map(A, VA, D, VA + 3 * PAGE, EXO_R);
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_W, false), 3);
	CHECK();
	cr_assert_eq(t.a->rights, EXO_RWX, "the flusher's own rights changed");
	cr_assert_eq(pte_rights(A, VA), EXO_RWX);
	cr_assert_eq(t.b->rights, EXO_R | EXO_X);
	cr_assert_eq(t.c->rights, EXO_R | EXO_X);
	cr_assert_eq(t.e->rights, EXO_R | EXO_X);
	cr_assert_eq(pte_rights(B, VA + PAGE), EXO_R | EXO_X);
	cr_assert_eq(pte_rights(C, VA + 2 * PAGE), EXO_R | EXO_X);
	cr_assert_eq(pte_rights(E, VA + 4 * PAGE), EXO_R | EXO_X);
	cr_assert_eq(pte_rights(D, VA + 3 * PAGE), EXO_R);
	cr_assert_eq(mdb_nodes_live(), 5, "a reduction freed nodes");
	/* Taking W again finds nothing to do. */
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_W, false), 0);
	/* With own, the flusher's page loses the right as well. */
	cr_assert_eq(mdb_flush(B, VA + PAGE, PAGE, EXO_X, true), 3);
	CHECK();
	cr_assert_eq(pte_rights(B, VA + PAGE), EXO_R);
	cr_assert_eq(pte_rights(E, VA + 4 * PAGE), EXO_R);
	cr_assert_eq(pte_rights(A, VA), EXO_RWX);
}

Test(mdb, flush_nothing)
{
	tree_build(RW);
	cr_assert_eq(mdb_flush(A, VA, 0, EXO_RWX, true), 0);
	cr_assert_eq(mdb_flush(A, VA, PAGE, 0, true), 0);
	cr_assert_eq(mdb_flush(A, VA + PAGE, PAGE, EXO_RWX, true), 0, "no node there");
	cr_assert_eq(mdb_flush(A, EXO_USER_END, PAGE, EXO_RWX, true), 0);
	cr_assert_eq(mdb_nodes_live(), 5);
	CHECK();
}

Test(mdb, flush_leaves_kernel_pages)
{
	cr_assert_eq(arch_space_map(&A->pt, VA + PAGE, PA2, PAGE, EXO_R), 0);
	root(A, VA, PA, RW);
	cr_assert_eq(mdb_flush(A, 0, COMPLETE, EXO_RWX, true), 1);
	cr_assert_eq(mdb_flush(A, VA, 4 * PAGE, EXO_RWX, true), 0);
	assert_gone(A, VA);
	cr_assert_eq(pte_rights(A, VA + PAGE), EXO_R, "kernel page flushed");
	CHECK();
}

Test(mdb, grant_moves_the_node)
{
	struct tree t = tree_build(RW);
	struct mdb_node *g;

	cr_assert_eq(mdb_map(B, VA + PAGE, E, VA + 5 * PAGE, RW, true), 0);
	CHECK();
	assert_gone(B, VA + PAGE);
	g = mdb_lookup(E, VA + 5 * PAGE);
	cr_assert_eq(g, t.b, "grant made a new node");
	cr_assert_eq(g->space, E);
	cr_assert_eq(g->parent, t.a);
	cr_assert_eq(g->child, t.c);
	cr_assert_eq(t.c->parent, g);
	cr_assert_eq(pte_pa(E, VA + 5 * PAGE), PA);
	cr_assert_eq(pte_rights(E, VA + 5 * PAGE), RW);
	cr_assert_eq(mdb_nodes_live(), 5);
	/* The granter's parent still reaches it all. */
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_R, false), 4);
	CHECK();
	assert_gone(E, VA + 5 * PAGE);
	assert_gone(C, VA + 2 * PAGE);
	cr_assert_eq(mdb_nodes_live(), 1);
}

Test(mdb, grant_with_fewer_rights_reduces_the_children)
{
	struct tree t = tree_build(RW);

	cr_assert_eq(mdb_map(B, VA + PAGE, B, VA + 9 * PAGE, EXO_R, true), 0);
	CHECK();
	assert_gone(B, VA + PAGE);
	cr_assert_eq(mdb_lookup(B, VA + 9 * PAGE), t.b);
	cr_assert_eq(t.b->rights, EXO_R);
	cr_assert_eq(pte_rights(C, VA + 2 * PAGE), EXO_R);
	cr_assert_eq(pte_rights(E, VA + 4 * PAGE), EXO_R);
	cr_assert_eq(pte_rights(D, VA + 3 * PAGE), RW, "a sibling lost rights");
}

Test(mdb, map_replaces_another_mapping)
{
	struct mdb_node *p, *n;

	tree_build(RW);
	p = root(D, VA, PA2, EXO_R);
	/* b (in B at VA + PAGE, with c and e below) is replaced by p's page. */
	n = map(D, VA, B, VA + PAGE, RW);
	CHECK();
	cr_assert_eq(n->parent, p);
	cr_assert_eq(n->rights, EXO_R, "more rights than the source");
	cr_assert_eq(pte_pa(B, VA + PAGE), PA2);
	cr_assert_eq(pte_rights(B, VA + PAGE), EXO_R);
	assert_gone(C, VA + 2 * PAGE);
	assert_gone(E, VA + 4 * PAGE);
	cr_assert_eq(mdb_nodes_live(), 4);
}

Test(mdb, map_onto_own_child_raises_rights)
{
	struct tree t;
	struct mdb_node *n;

	t.a = root(A, VA, PA, RW);
	t.b = map(A, VA, B, VA + PAGE, EXO_R);
	t.c = map(B, VA + PAGE, C, VA + 2 * PAGE, EXO_R);
	n = map(A, VA, B, VA + PAGE, EXO_RWX);
	CHECK();
	cr_assert_eq(n, t.b, "the child was replaced");
	cr_assert_eq(n->rights, RW, "not raised to the source's rights");
	cr_assert_eq(pte_rights(B, VA + PAGE), RW);
	cr_assert_eq(mdb_lookup(C, VA + 2 * PAGE), t.c, "the grandchild went");
	/* Never lowered. */
	cr_assert_eq(map(A, VA, B, VA + PAGE, EXO_R), t.b);
	cr_assert_eq(t.b->rights, RW);
	CHECK();
}

Test(mdb, refusals_change_nothing)
{
	u64 pa;

	tree_build(RW);
	cr_assert_eq(arch_space_map(&A->pt, VA + PAGE, PA2, PAGE, EXO_R), 0);
	/* No node at the source: nothing mapped, or a kernel page. */
	cr_assert_eq(mdb_map(A, VA + 2 * PAGE, B, VA, RW, false), -E_FAULT);
	cr_assert_eq(mdb_map(A, VA + PAGE, B, VA, RW, false), -E_FAULT);
	cr_assert_eq(mdb_map(A, VA + PAGE, B, VA, RW, true), -E_FAULT);
	/* A kernel page at the target. */
	cr_assert_eq(mdb_map(B, VA + PAGE, A, VA + PAGE, RW, false), -E_INVAL);
	/* The source's own parent, or grandparent, at the target. */
	cr_assert_eq(mdb_map(B, VA + PAGE, A, VA, RW, false), -E_INVAL);
	cr_assert_eq(mdb_map(C, VA + 2 * PAGE, A, VA, RW, true), -E_INVAL);
	cr_assert_eq(mdb_map(E, VA + 4 * PAGE, B, VA + PAGE, RW, false), -E_INVAL);
	/* Unaligned, or outside the user range. */
	cr_assert_eq(mdb_map(A, VA + 1, B, VA, RW, false), -E_INVAL);
	cr_assert_eq(mdb_map(A, VA, B, VA + 1, RW, false), -E_INVAL);
	cr_assert_eq(mdb_map(A, VA, B, EXO_USER_SYSCALL_STUB, RW, false), -E_INVAL);
	cr_assert_eq(mdb_map(A, VA, B, EXO_USER_END, RW, false), -E_INVAL);
	/* Nothing to pass on: no rights, or no R (x86 cannot express it). */
	cr_assert_eq(mdb_map(A, VA, B, VA, 0, false), 0);
	cr_assert_eq(mdb_map(A, VA, B, VA, EXO_W | EXO_X, false), 0);
	cr_assert_eq(mdb_map(A, VA, B, VA, EXO_X, true), 0);
	cr_assert_eq(arch_space_lookup(&B->pt, VA, 0, &pa), -E_FAULT);
	/* Onto itself. */
	cr_assert_eq(mdb_map(A, VA, A, VA, RW, false), 0);
	cr_assert_eq(mdb_map(A, VA, A, VA, RW, true), 0);

	cr_assert_eq(mdb_nodes_live(), 5);
	cr_assert_eq(fake_space_npages(&A->pt), 2);
	cr_assert_eq(fake_space_npages(&B->pt), 1);
	cr_assert_eq(mdb_lookup(A, VA)->child->next->child, mdb_lookup(C, VA + 2 * PAGE));
	cr_assert_eq(pte_rights(B, VA + PAGE), RW);
	CHECK();
}

Test(mdb, space_clear_revokes_everywhere)
{
	struct tree t = tree_build(RW);
	struct mdb_node *r;

	r = root(B, VA, PA2, RW);
	map(B, VA, C, VA, EXO_R);
	map(B, VA, B, VA + 7 * PAGE, EXO_R);     /* a child in the same space */
	cr_assert_eq(mdb_nodes_live(), 8);
	mdb_space_clear(B);
	CHECK();
	cr_assert_null(B->maps);
	cr_assert_eq(fake_space_npages(&B->pt), 0);
	assert_gone(C, VA);
	assert_gone(C, VA + 2 * PAGE);
	assert_gone(E, VA + 4 * PAGE);
	cr_assert(t.a->child == t.d && !t.d->next, "b still a's child");
	cr_assert_eq(mdb_lookup(D, VA + 3 * PAGE), t.d);
	cr_assert_eq(mdb_nodes_live(), 2);
	(void)r;
	mdb_space_clear(A);
	CHECK();
	cr_assert_eq(mdb_nodes_live(), 0);
	cr_assert_eq(fake_space_npages(&D->pt), 0);
}

Test(mdb, many_nodes_come_back)
{
	struct frame_stats before, after;
	u64 n = 3 * PER_FRAME + 7;

	cr_assert_eq(mdb_map_root(A, VA, PA, n * PAGE, RW), 0);
	for (u64 i = 0; i < n; i++)
		map(A, VA + i * PAGE, B, VA + i * PAGE, EXO_R);
	CHECK();
	cr_assert_eq(mdb_nodes_live(), 2 * n);
	frame_stats(&before);
	cr_assert_eq(mdb_flush(A, VA, n * PAGE, EXO_R, false), n);
	cr_assert_eq(mdb_nodes_live(), n);
	mdb_space_clear(A);
	cr_assert_eq(mdb_nodes_live(), 0);
	CHECK();
	/* All nodes went back to the pool: doing it again takes no frame. */
	cr_assert_eq(mdb_map_root(A, VA, PA, n * PAGE, RW), 0);
	for (u64 i = 0; i < n; i++)
		map(A, VA + i * PAGE, B, VA + i * PAGE, EXO_R);
	frame_stats(&after);
	cr_assert_eq(after.fresh, before.fresh, "took %lu frames", before.fresh - after.fresh);
	cr_assert_eq(mdb_nodes_live(), 2 * n);
	CHECK();
}

Test(mdb, one_page_to_many)
{
	root(A, VA, PA, RW);
	for (u64 i = 0; i < 300; i++)
		map(A, VA, &sp[1 + i % 4], VA + (i + 1) * PAGE, RW);
	CHECK();
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_W, false), 300);
	cr_assert_eq(pte_rights(C, VA + 2 * PAGE), EXO_R);
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_R, false), 300);
	cr_assert_eq(mdb_nodes_live(), 1);
	CHECK();
}

/* A chain far deeper than a recursive walk could take on a kernel stack. */
Test(mdb, deep_chain)
{
	u64 depth = 4000;

	root(A, VA, PA, RW);
	for (u64 i = 1; i < depth; i++) {
		struct space *from = i % 2 ? A : B, *to = i % 2 ? B : A;

		map(from, VA + (i - 1) / 2 * PAGE, to, VA + i / 2 * PAGE, RW);
	}
	cr_assert_eq(mdb_nodes_live(), depth);
	CHECK();
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_W, false), depth - 1);
	CHECK();
	cr_assert_eq(mdb_flush(A, VA, PAGE, EXO_R, false), depth - 1);
	cr_assert_eq(mdb_nodes_live(), 1);
	cr_assert_eq(fake_space_npages(&B->pt), 0);
	CHECK();
}

Test(mdb, flush_complete_space)
{
	const u64 far[] = { EXO_USER_MIN, VA, EXO_USER_SIGMA0_BASE,
			    EXO_USER_STACK_TOP - PAGE, EXO_USER_END - PAGE };

	/* Probing 2^35 pages would not finish: this takes the list. */
	for (unsigned i = 0; i < 5; i++) {
		root(A, far[i], PA + i * PAGE, RW);
		map(A, far[i], B, far[i], RW);
	}
	cr_assert_eq(mdb_flush(A, 0, COMPLETE, EXO_W, false), 5);
	cr_assert_eq(pte_rights(B, EXO_USER_END - PAGE), EXO_R);
	cr_assert_eq(mdb_flush(B, 0, COMPLETE, EXO_R, true), 5);
	cr_assert_eq(mdb_nodes_live(), 5);
	cr_assert_eq(mdb_flush(A, 0, COMPLETE, EXO_R, true), 5);
	cr_assert_eq(mdb_nodes_live(), 0);
	cr_assert_null(A->maps);
	cr_assert_eq(fake_space_npages(&A->pt), 0);
	CHECK();
}

/*
 * The list walk of a flush must survive the flush freeing the node it would
 * visit next: r (A) -> b (B) -> q (A), with r granted within A so that it
 * comes before q on A's list.
 */
Test(mdb, flush_list_frees_the_next_node)
{
	struct mdb_node *r = root(A, VA, PA, RW);

	map(A, VA, B, VA, RW);
	map(B, VA, A, VA + PAGE, RW);
	cr_assert_eq(mdb_map(A, VA, A, VA + 2 * PAGE, RW, true), 0);
	cr_assert(A->maps == r && r->snext == mdb_lookup(A, VA + PAGE),
		  "r not before q on the list");
	cr_assert_eq(mdb_flush(A, 0, COMPLETE, EXO_R, true), 3);
	cr_assert_eq(mdb_nodes_live(), 0);
	cr_assert_eq(fake_space_npages(&A->pt), 0);
	cr_assert_eq(fake_space_npages(&B->pt), 0);
	CHECK();
}

/* Probing a range with a node of the range below another one of it. */
Test(mdb, flush_probe_range_with_descendant_in_range)
{
	root(A, VA, PA, RW);
	map(A, VA, A, VA + PAGE, RW);
	map(A, VA + PAGE, B, VA, RW);
	cr_assert_eq(mdb_map_root(A, VA + 16 * PAGE, PA2, 8 * PAGE, RW), 0);
	cr_assert_eq(mdb_flush(A, VA, 2 * PAGE, EXO_R, true), 3);
	cr_assert_eq(mdb_nodes_live(), 8);
	assert_gone(B, VA);
	CHECK();
}

/* Use up every frame the allocator has; the frames are simply dropped. */
static void
frames_drain(void)
{
	while (frame_alloc())
		;
}

Test(mdb, pool_exhaustion_changes_nothing)
{
	u64 room;

	root(A, VA, PA, RW);     /* the pool now has PER_FRAME - 1 free nodes */
	frames_drain();
	room = PER_FRAME - 1;
	cr_assert_eq(mdb_map_root(B, VA, PA, (room + 1) * PAGE, RW), -E_NOMEM);
	cr_assert_eq(fake_space_npages(&B->pt), 0);
	cr_assert_eq(mdb_nodes_live(), 1);
	CHECK();
	/* The nodes taken went back: exactly room still fit. */
	cr_assert_eq(mdb_map_root(B, VA, PA, (room - 1) * PAGE, RW), 0);
	map(A, VA, C, VA, EXO_R);
	cr_assert_eq(mdb_nodes_live(), PER_FRAME);
	cr_assert_eq(mdb_map(A, VA, D, VA, RW, false), -E_NOMEM);
	cr_assert_eq(fake_space_npages(&D->pt), 0);
	cr_assert_eq(mdb_map_root(D, VA, PA, PAGE, RW), -E_NOMEM);
	cr_assert_eq(mdb_nodes_live(), PER_FRAME);
	CHECK();
	/* Grant needs no node. */
	cr_assert_eq(mdb_map(C, VA, D, VA, RW, true), 0);
	assert_gone(C, VA);
	/* Freed nodes are found again. */
	mdb_space_clear(B);
	cr_assert_eq(mdb_map(A, VA, E, VA, RW, false), 0);
	CHECK();
}

/* The platform out of page-table frames: map and grant change nothing. */
Test(mdb, table_exhaustion_changes_nothing)
{
	struct tree t = tree_build(RW);

	fake_space_map_fail = true;
	cr_assert_eq(mdb_map(A, VA, C, VA, RW, false), -E_NOMEM);
	cr_assert_eq(mdb_map(B, VA + PAGE, C, VA, RW, true), -E_NOMEM);
	cr_assert_eq(mdb_map_root(C, VA + 8 * PAGE, PA2, 4 * PAGE, RW), -E_NOMEM);
	cr_assert_eq(mdb_nodes_live(), 5);
	cr_assert_eq(mdb_lookup(B, VA + PAGE), t.b);
	cr_assert_eq(pte_rights(B, VA + PAGE), RW);
	cr_assert_eq(fake_space_npages(&C->pt), 1);
	CHECK();
	fake_space_map_fail = false;
	cr_assert_eq(mdb_map(A, VA, C, VA, RW, false), 0, "a node was lost");
	CHECK();
}

Test(mdb, init_out_of_frames)
{
	struct frame_stats st;

	boot_frames(0);
	cr_assert_eq(mdb_init(), -E_NOMEM);
	/* A directory but no bucket frame: the directory goes back. */
	boot_frames(1);
	cr_assert_eq(mdb_init(), -E_NOMEM);
	frame_stats(&st);
	cr_assert_eq(st.free, 1);
	boot_frames(2);
	cr_assert_eq(mdb_init(), 0);
	cr_assert_eq(mdb_nodes_live(), 0);
	CHECK();
}

/* The self-check sees what it claims to check. */
Test(mdb, check_finds_broken_invariants)
{
	struct tree t = tree_build(RW);
	u64 pa;

	cr_assert_eq(arch_space_protect(&C->pt, VA + 2 * PAGE, EXO_R), 0);
	cr_assert(!mdb_check(), "a PTE with other rights than its node");
	cr_assert_eq(arch_space_protect(&C->pt, VA + 2 * PAGE, RW), 0);
	CHECK();
	t.e->rights = EXO_RWX;
	cr_assert_eq(arch_space_protect(&E->pt, VA + 4 * PAGE, EXO_RWX), 0);
	cr_assert(!mdb_check(), "a child with more rights than its parent");
	t.e->rights = RW;
	cr_assert_eq(arch_space_protect(&E->pt, VA + 4 * PAGE, RW), 0);
	CHECK();
	cr_assert_eq(arch_space_unmap(&D->pt, VA + 3 * PAGE, &pa), 0);
	cr_assert(!mdb_check(), "a node with no page");
	cr_assert_eq(arch_space_map(&D->pt, VA + 3 * PAGE, PA2, PAGE, RW), 0);
	cr_assert(!mdb_check(), "a node whose page maps another frame");
	cr_assert_eq(arch_space_unmap(&D->pt, VA + 3 * PAGE, &pa), 0);
	cr_assert_eq(arch_space_map(&D->pt, VA + 3 * PAGE, PA, PAGE, RW), 0);
	CHECK();
	B->maps = NULL;
	cr_assert(!mdb_check(), "a node off its space's list");
	B->maps = t.b;
	t.c->parent = t.a;
	cr_assert(!mdb_check(), "a child not among its parent's children");
	t.c->parent = t.b;
	CHECK();
}
