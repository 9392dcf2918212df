/*
 * ExOS's fork bookkeeping on the host (libos/exos/proc_pages.c): which
 * pages a fork makes copy-on-write, the frame pool's counts through forks,
 * copies and ends, and what a write fault calls for.
 */
#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/exo.h>
#include <exo/layout.h>

#include "proc_pages.h"

#define NPOOL   8
#define TEXT    0x400000ULL
#define DATA    0x401000ULL
#define STACK   0x7fffffffd000ULL

static struct mgr_frame pool[NPOOL];
static struct mgr_page parent[3], child[3], grandchild[3];

/* A process of three pages: text (R X), data and stack (W), each its own
 * frame in the pool, with a link (a made-up name: no system call here). */
static void
setup(void)
{
	const u64 va[3] = { TEXT, DATA, STACK };
	const u8 rights[3] = { EXO_BIND_X, EXO_BIND_W, EXO_BIND_W };

	memset(pool, 0, sizeof pool);
	for (u32 i = 0; i < 3; i++) {
		long f = mgr_pool_slot(pool, NPOOL);

		cr_assert_eq(f, i);
		pool[f] = (struct mgr_frame){ .cap = 0x100 + i, .refs = 1 };
		parent[i] = (struct mgr_page){ .va = va[i], .frame = (u32)f,
					       .link = 0x200 + i, .rights = rights[i] };
	}
}

TestSuite(exos_fork, .init = setup);

/* A fork: writable pages become copy-on-write in both and need their
 * link made again without W; text is shared as it is; every frame gains
 * one holder; the child's pages have no link until the manager makes it. */
Test(exos_fork, writable_pages_become_copy_on_write_in_both)
{
	for (u32 i = 0; i < 3; i++) {
		bool relink = mgr_page_fork(pool, &parent[i], &child[i]);

		cr_assert_eq(relink, i != 0, "page %u", i);
		cr_assert_eq(parent[i].cow, i != 0);
		cr_assert_eq(child[i].cow, parent[i].cow);
		cr_assert_eq(child[i].frame, parent[i].frame);
		cr_assert_eq(child[i].va, parent[i].va);
		cr_assert_eq(child[i].link, 0);
		cr_assert_eq(parent[i].link, 0x200 + i, "the caller drops it");
		cr_assert_eq(pool[i].refs, 2);
	}
	cr_assert_eq(mgr_page_rights(&parent[0]), EXO_BIND_X | EXO_CAP_R);
	cr_assert_eq(mgr_page_rights(&parent[1]), EXO_CAP_R, "no W while cow");
	cr_assert_eq(mgr_page_rights(&child[2]), EXO_CAP_R);
}

/* A fork of a page already copy-on-write: no link to remake, one holder
 * more. */
Test(exos_fork, a_second_fork_shares_without_relinking)
{
	for (u32 i = 0; i < 3; i++)
		mgr_page_fork(pool, &parent[i], &child[i]);
	for (u32 i = 0; i < 3; i++) {
		cr_assert_not(mgr_page_fork(pool, &child[i], &grandchild[i]), "page %u", i);
		cr_assert_eq(pool[i].refs, 3);
	}
}

/* Write faults: a shared copy-on-write page is copied; once the others
 * have their own, the last holder takes the frame; text and addresses
 * outside the process are not fork's. */
Test(exos_fork, write_faults_copy_while_shared_and_the_last_takes)
{
	struct mgr_page *pg;
	long f;

	for (u32 i = 0; i < 3; i++)
		mgr_page_fork(pool, &parent[i], &child[i]);
	cr_assert_eq(mgr_cow_plan(pool, child, 3, DATA + 0x123, &pg), MGR_COW_COPY);
	cr_assert_eq(pg, &child[1], "any address in the page");
	/* The manager copies: a fresh frame, the old one loses a holder. */
	f = mgr_pool_slot(pool, NPOOL);
	cr_assert_eq(f, 3);
	pool[f] = (struct mgr_frame){ .cap = 0x103, .refs = 1 };
	cr_assert_not(mgr_pool_unref(pool, pg->frame), "the parent holds it still");
	pg->frame = (u32)f;
	pg->cow = 0;
	cr_assert_eq(mgr_page_rights(pg), EXO_BIND_W | EXO_CAP_R);
	cr_assert_eq(mgr_cow_plan(pool, child, 3, DATA, &pg), MGR_COW_NONE, "its own now");
	cr_assert_eq(mgr_cow_plan(pool, parent, 3, DATA, &pg), MGR_COW_TAKE);
	cr_assert_eq(pg, &parent[1]);
	cr_assert_eq(pool[1].refs, 1);
	cr_assert_eq(mgr_cow_plan(pool, parent, 3, STACK + 8, &pg), MGR_COW_COPY);
	cr_assert_eq(mgr_cow_plan(pool, parent, 3, TEXT, &pg), MGR_COW_NONE, "not writable");
	cr_assert_eq(mgr_cow_plan(pool, parent, 3, 0x5a5a00000000ULL, &pg), MGR_COW_NONE);
	cr_assert_null(pg);
}

/* Ends: a frame is freed with its last holder, in whatever order the
 * processes end; the pool then has room again. */
Test(exos_fork, frames_are_freed_with_their_last_holder)
{
	for (u32 i = 0; i < 3; i++)
		mgr_page_fork(pool, &parent[i], &child[i]);
	for (u32 i = 0; i < 3; i++)
		mgr_page_fork(pool, &child[i], &grandchild[i]);
	for (u32 i = 0; i < 3; i++)
		cr_assert_not(mgr_pool_unref(pool, child[i].frame));
	for (u32 i = 0; i < 3; i++)
		cr_assert_not(mgr_pool_unref(pool, parent[i].frame));
	for (u32 i = 0; i < 3; i++) {
		cr_assert(mgr_pool_unref(pool, grandchild[i].frame), "page %u: the last", i);
		pool[grandchild[i].frame] = (struct mgr_frame){ 0 };
	}
	cr_assert_eq(mgr_pool_slot(pool, NPOOL), 0);
	for (u32 i = 0; i < NPOOL; i++)
		pool[i] = (struct mgr_frame){ .cap = 0x300 + i, .refs = 1 };
	cr_assert_eq(mgr_pool_slot(pool, NPOOL), -E_NOMEM, "full");
}
