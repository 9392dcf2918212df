/*
 * ExOS's page table (libos/exos/vm_pt.c) on the host: lookups through
 * collisions and removals (against a plain list as the oracle), the frame
 * records, demand-zero regions, the rights a page is loaded with (the dirty
 * tracking), and what each kind of fault calls for.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <exo/error.h>

#include "vm_pt.h"

#define PG EXOS_PAGE

static struct exos_pt pt;

static void
fresh(void)
{
	exos_pt_init(&pt);
}

TestSuite(exos_pt, .init = fresh);

Test(exos_pt, insert_find_remove_one)
{
	struct exos_pte *e = exos_pt_insert(&pt, 0x1234000 + 17);

	cr_assert(e);
	cr_assert_eq(e->va, 0x1234000, "entries are pages");
	cr_assert_eq(exos_pt_find(&pt, 0x1234fff), e);
	cr_assert_null(exos_pt_find(&pt, 0x1235000));
	cr_assert_null(exos_pt_insert(&pt, 0x1234000), "one entry a page");
	cr_assert_null(exos_pt_insert(&pt, 0x10), "page 0 is never the library's");
	cr_assert_eq(exos_pt_remove(&pt, 0x1234000), 0);
	cr_assert_eq(exos_pt_remove(&pt, 0x1234000), -E_NOENT);
	cr_assert_null(exos_pt_find(&pt, 0x1234000));
	cr_assert_eq(pt.used, 0);
}

Test(exos_pt, full_at_three_quarters)
{
	u32 n = 0;

	while (exos_pt_insert(&pt, 0x40000000 + (u64)n * PG))
		n++;
	cr_assert_eq(n, EXOS_PT_MAX);
	cr_assert_eq(exos_pt_remove(&pt, 0x40000000), 0);
	cr_assert(exos_pt_insert(&pt, 0x7000000000), "a removal frees a place");
}

/*
 * Random inserts and removals, many of them at addresses that collide
 * (pages 1 GiB apart and neighbours), against a list of the pages that
 * should be there: every one found with its own entry, no other.
 */
Test(exos_pt, random_against_oracle)
{
	static u64 live[EXOS_PT_MAX];
	u32 nlive = 0;

	srand(14);
	for (int step = 0; step < 200000; step++) {
		u64 va = ((u64)(rand() % 64) << 30) + (u64)(rand() % 32) * PG + PG;
		struct exos_pte *e = exos_pt_find(&pt, va);
		u32 i;

		for (i = 0; i < nlive && live[i] != va; i++)
			;
		cr_assert_eq(e != NULL, i < nlive, "step %d: %#lx", step, va);
		if (e) {
			cr_assert_eq(e->cap, va ^ 0x5a5a, "step %d: its own entry", step);
			cr_assert_eq(exos_pt_remove(&pt, va), 0);
			live[i] = live[--nlive];
		} else if (nlive < EXOS_PT_MAX) {
			e = exos_pt_insert(&pt, va);
			cr_assert(e, "step %d", step);
			e->cap = va ^ 0x5a5a;
			live[nlive++] = va;
		}
		cr_assert_eq(pt.used, nlive);
	}
	for (u32 i = 0; i < nlive; i++)
		cr_assert_eq(exos_pt_find(&pt, live[i])->cap, live[i] ^ 0x5a5a);
}

Test(exos_pt, regions)
{
	cr_assert_eq(exos_region_add(&pt, 0x100000, 4, EXOS_PROT_RW), 0);
	cr_assert_eq(exos_region_add(&pt, 0x103000, 1, EXOS_PROT_R), -E_INVAL, "overlap");
	cr_assert_eq(exos_region_add(&pt, 0x0ff000, 2, EXOS_PROT_R), -E_INVAL, "overlap");
	cr_assert_eq(exos_region_add(&pt, 0x104000, 1, EXOS_PROT_R), 0, "adjacent");
	cr_assert_eq(exos_region_add(&pt, 0x200001, 1, EXOS_PROT_R), -E_INVAL);
	cr_assert_eq(exos_region_add(&pt, 0x200000, 0, EXOS_PROT_R), -E_INVAL);
	cr_assert_eq(exos_region_add(&pt, 0x200000, 1, 0x1), -E_INVAL, "no X");
	cr_assert_eq(exos_region_add(&pt, ~0ull & ~(PG - 1), 2, EXOS_PROT_R), -E_INVAL,
		     "wraps");
	cr_assert_eq(exos_region_find(&pt, 0x103fff)->prot, EXOS_PROT_RW);
	cr_assert_eq(exos_region_find(&pt, 0x104000)->prot, EXOS_PROT_R);
	cr_assert_null(exos_region_find(&pt, 0x105000));
	for (u32 i = 2; i < EXOS_REGIONS; i++)
		cr_assert_eq(exos_region_add(&pt, 0x1000000 * i, 1, EXOS_PROT_R), 0);
	cr_assert_eq(exos_region_add(&pt, 0x7000000000, 1, EXOS_PROT_R), -E_NOMEM);
	cr_assert_eq(exos_region_remove(&pt, 0x100000, 0x104000), 1, "wholly inside only");
	cr_assert_null(exos_region_find(&pt, 0x100000));
	cr_assert(exos_region_find(&pt, 0x104000));
}

Test(exos_pt, frame_records)
{
	exo_cap_t a = EXO_CAP(5, 1), a_later = EXO_CAP(5, 2);
	int i = exos_frame_ref(&pt, a, true);

	cr_assert_eq(i, 5, "indexed by the capability's slot");
	cr_assert_eq(exos_frame_ref(&pt, a, true), 5);
	cr_assert_eq(pt.frames[5].refs, 2);
	cr_assert_eq(exos_frame_ref(&pt, a_later, true), -E_INVAL, "another owner there");
	cr_assert_eq(exos_frame_ref(&pt, 0, true), -E_INVAL);
	cr_assert_eq(exos_frame_unref(&pt, 5), 1);
	cr_assert_eq(exos_frame_unref(&pt, 5), 0);
	cr_assert_eq(pt.frames[5].owner, 0, "the record is free at 0");
	cr_assert_eq(exos_frame_unref(&pt, 5), 0, "no underflow");
	cr_assert_eq(exos_frame_ref(&pt, a_later, false), 5, "the slot's next owner");
}

/* Dirty tracking is in the load rights: clean writable pages load
 * read-only unless the access writes; shared (COW) ones never writable. */
Test(exos_pt, load_rights)
{
	struct exos_pte e = { .va = PG, .cap = 1, .prot = EXOS_PROT_RW };

	cr_assert_eq(exos_pte_rights(&e, 0), EXOS_PROT_R);
	cr_assert_eq(exos_pte_rights(&e, EXOS_ACCESS_R), EXOS_PROT_R);
	cr_assert_eq(exos_pte_rights(&e, EXOS_ACCESS_W), EXOS_PROT_RW);
	exos_pte_loaded(&e, EXOS_PROT_R, EXOS_ACCESS_R);
	cr_assert_eq(e.flags, EXOS_PTE_ACCESSED);
	exos_pte_loaded(&e, EXOS_PROT_RW, EXOS_ACCESS_W);
	cr_assert_eq(e.flags, EXOS_PTE_ACCESSED | EXOS_PTE_DIRTY);
	cr_assert_eq(e.loaded, EXOS_PROT_RW);
	cr_assert_eq(exos_pte_rights(&e, 0), EXOS_PROT_RW, "dirty: load writable");
	e.flags |= EXOS_PTE_COW;
	cr_assert_eq(exos_pte_rights(&e, EXOS_ACCESS_W), EXOS_PROT_R);
	e.prot = EXOS_PROT_R;
	e.flags = EXOS_PTE_DIRTY;
	cr_assert_eq(exos_pte_rights(&e, EXOS_ACCESS_W), EXOS_PROT_R);
	e.prot = EXOS_PROT_NONE;
	cr_assert_eq(exos_pte_rights(&e, EXOS_ACCESS_R), 0);
}

Test(exos_pt, fault_plans)
{
	struct exos_pte *e;
	int f;

	cr_assert_eq(exos_pt_plan(&pt, 0x500000, EXOS_ACCESS_R), EXOS_PLAN_FOREIGN);
	cr_assert_eq(exos_region_add(&pt, 0x500000, 2, EXOS_PROT_R), 0);
	cr_assert_eq(exos_pt_plan(&pt, 0x500000, EXOS_ACCESS_R), EXOS_PLAN_ZERO);
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_W), EXOS_PLAN_VIOLATION);
	e = exos_pt_insert(&pt, 0x501000);
	e->prot = EXOS_PROT_RW;         /* made writable page by page: no frame yet */
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_W), EXOS_PLAN_ZERO);
	f = exos_frame_ref(&pt, EXO_CAP(9, 1), true);
	e->cap = EXO_CAP(9, 1);
	e->frame = (u16)f;
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_W), EXOS_PLAN_LOAD);
	e->flags |= EXOS_PTE_COW;
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_R), EXOS_PLAN_LOAD);
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_W), EXOS_PLAN_UNSHARE);
	exos_frame_ref(&pt, EXO_CAP(9, 1), true);       /* a second page shares it */
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_W), EXOS_PLAN_COPY);
	e->prot = EXOS_PROT_R;
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_W), EXOS_PLAN_VIOLATION,
		     "protection before sharing");
	e->prot = EXOS_PROT_NONE;
	cr_assert_eq(exos_pt_plan(&pt, 0x501000, EXOS_ACCESS_R), EXOS_PLAN_VIOLATION);
}

/* A page of frame f at va, as vm.c makes them. */
static struct exos_pte *
page_of(u64 va, exo_cap_t cap, exo_cap_t owner, u8 flags)
{
	struct exos_pte *e = exos_pt_insert(&pt, va);
	int f = exos_frame_ref(&pt, owner, true);

	cr_assert(e && f >= 0);
	e->cap = cap;
	e->frame = (u16)f;
	e->prot = EXOS_PROT_RW;
	e->loaded = EXOS_PROT_RW;
	e->flags = flags;
	return e;
}

/* The kernel took a frame two pages shared, saved: both keep its block and
 * read it back on their next fault; the other pages are untouched. */
Test(exos_pt, frame_taken_saved)
{
	exo_cap_t own = EXO_CAP(7, 1), copy = EXO_CAP(8, 1);
	struct exos_pte *a = page_of(0x10000, own, own, EXOS_PTE_COW | EXOS_PTE_DIRTY);
	struct exos_pte *other = page_of(0x30000, EXO_CAP(9, 1), EXO_CAP(9, 1), 0);

	page_of(0x20000, copy, own, EXOS_PTE_COW);
	cr_assert_eq(exos_pt_frame_taken(&pt, 7, 42), 2);
	a = exos_pt_find(&pt, 0x10000);
	cr_assert(a->cap == 0 && a->block == 42 && a->loaded == 0);
	cr_assert_eq(a->flags, EXOS_PTE_DIRTY, "no longer shared; still dirty");
	cr_assert_eq(exos_pt_find(&pt, 0x20000)->block, 42);
	cr_assert_eq(pt.frames[7].owner, 0, "the record is free");
	cr_assert_eq(exos_pt_plan(&pt, 0x10000, EXOS_ACCESS_R), EXOS_PLAN_SWAPIN);
	cr_assert_eq(exos_pt_plan(&pt, 0x20000, EXOS_ACCESS_W), EXOS_PLAN_SWAPIN);
	cr_assert_eq(other->cap, EXO_CAP(9, 1));
	cr_assert_eq(exos_pt_frame_taken(&pt, 7, 42), 0, "nothing there any more");
}

/* Taken unsaved: the pages are no longer the library's (however the
 * removals shift the table); the others all stay findable. */
Test(exos_pt, frame_taken_unsaved_removes_its_pages)
{
	exo_cap_t own = EXO_CAP(3, 1);
	u32 kept = 0;

	for (u64 i = 0; i < 300; i++) {
		u64 va = 0x40000000 + i * PG;

		if (i % 3 == 0)
			page_of(va, i ? EXO_CAP(100 + i, 1) : own, own, EXOS_PTE_COW);
		else
			exos_pt_insert(&pt, va)->prot = EXOS_PROT_R;
	}
	cr_assert_eq(exos_pt_frame_taken(&pt, 3, 0), 100);
	for (u64 i = 0; i < 300; i++) {
		const struct exos_pte *e = exos_pt_find(&pt, 0x40000000 + i * PG);

		cr_assert_eq(e != NULL, i % 3 != 0, "page %lu", i);
		kept += e != NULL;
	}
	cr_assert_eq(kept, 200);
	cr_assert_eq(pt.used, 200);
}

/* Victims: the library's own unshared frames still zero, round the table. */
Test(exos_pt, victims_are_zero_unshared_own_frames)
{
	exo_cap_t shared = EXO_CAP(4, 1);
	u32 hand = 0, found = 0;
	struct exos_pte *e;

	page_of(0x1000, EXO_CAP(1, 1), EXO_CAP(1, 1), EXOS_PTE_ZERO);      /* yes */
	page_of(0x2000, EXO_CAP(2, 1), EXO_CAP(2, 1), EXOS_PTE_DIRTY);     /* written */
	page_of(0x3000, shared, shared, EXOS_PTE_ZERO);                    /* shared */
	page_of(0x4000, EXO_CAP(5, 1), shared, EXOS_PTE_ZERO);
	e = page_of(0x5000, EXO_CAP(6, 1), EXO_CAP(6, 1), EXOS_PTE_ZERO);   /* mapped */
	pt.frames[e->frame].owned = false;
	page_of(0x6000, EXO_CAP(7, 1), EXO_CAP(7, 1), EXOS_PTE_ZERO);      /* yes */
	while ((e = exos_pt_victim(&pt, &hand)) && found < 10) {
		cr_assert(e->va == 0x1000 || e->va == 0x6000, "%#lx", e->va);
		e->flags = 0;                   /* given back: no longer a victim */
		found++;
	}
	cr_assert_eq(found, 2);
}

/* A zero fill's page stays a victim until written. */
Test(exos_pt, a_write_ends_zero)
{
	struct exos_pte e = { .va = PG, .cap = 1, .prot = EXOS_PROT_RW, .flags = EXOS_PTE_ZERO };

	exos_pte_loaded(&e, EXOS_PROT_R, EXOS_ACCESS_R);
	cr_assert(e.flags & EXOS_PTE_ZERO);
	exos_pte_loaded(&e, EXOS_PROT_RW, EXOS_ACCESS_W);
	cr_assert_eq(e.flags & (EXOS_PTE_ZERO | EXOS_PTE_DIRTY), EXOS_PTE_DIRTY);
}
