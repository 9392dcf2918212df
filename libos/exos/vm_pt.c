/*
 * ExOS's page table (vm_pt.h): lookups, frame records, demand-zero regions,
 * and the decision a fault calls for. No system calls: vm.c acts on them.
 */
#include "vm_pt.h"

#include <exo/error.h>

#define PAGE_DOWN(va)  ((va) & ~(EXOS_PAGE - 1))

void
exos_pt_init(struct exos_pt *pt)
{
	*pt = (struct exos_pt){ 0 };
}

/* The home slot of page va: a multiplicative hash of the page number. */
static u32
slot_of(u64 va)
{
	return (u32)(((va >> 12) * 0x9e3779b97f4a7c15ull) >> 40) & (EXOS_PT_SLOTS - 1);
}

struct exos_pte *
exos_pt_find(struct exos_pt *pt, u64 va)
{
	u64 page = PAGE_DOWN(va);

	if (!page)
		return 0;
	/* Invariant: used < EXOS_PT_SLOTS, so a free slot ends every probe. */
	for (u32 i = slot_of(page);; i = (i + 1) & (EXOS_PT_SLOTS - 1)) {
		if (pt->pages[i].va == page)
			return &pt->pages[i];
		if (!pt->pages[i].va)
			return 0;
	}
}

struct exos_pte *
exos_pt_insert(struct exos_pt *pt, u64 va)
{
	u64 page = PAGE_DOWN(va);
	u32 i;

	if (!page || pt->used >= EXOS_PT_MAX || exos_pt_find(pt, page))
		return 0;
	for (i = slot_of(page); pt->pages[i].va; i = (i + 1) & (EXOS_PT_SLOTS - 1))
		;
	pt->pages[i] = (struct exos_pte){ .va = page };
	pt->used++;
	return &pt->pages[i];
}

/* Is slot k's home h on the probe path that reaches k from a hole at j?
 * (Cyclic: h not in (j, k].) Then the entry moves back into the hole. */
static bool
may_move(u32 h, u32 j, u32 k)
{
	return j <= k ? (h <= j || h > k) : (h <= j && h > k);
}

int
exos_pt_remove(struct exos_pt *pt, u64 va)
{
	struct exos_pte *e = exos_pt_find(pt, va);
	u32 j, k;

	if (!e)
		return -E_NOENT;
	/* Backward shift: pull later entries of the run into the hole, so
	 * every probe still meets its entry before a free slot. */
	j = (u32)(e - pt->pages);
	for (k = (j + 1) & (EXOS_PT_SLOTS - 1); pt->pages[k].va;
	     k = (k + 1) & (EXOS_PT_SLOTS - 1)) {
		if (may_move(slot_of(pt->pages[k].va), j, k)) {
			pt->pages[j] = pt->pages[k];
			j = k;
		}
	}
	pt->pages[j] = (struct exos_pte){ 0 };
	pt->used--;
	return 0;
}

int
exos_region_add(struct exos_pt *pt, u64 va, u64 npages, u8 prot)
{
	u64 end = va + npages * EXOS_PAGE;
	struct exos_region *free = 0;

	if (!va || va & (EXOS_PAGE - 1) || !npages || npages > (1ull << 35) || end <= va ||
	    prot & ~EXOS_PROT_RW)
		return -E_INVAL;
	for (u32 i = 0; i < EXOS_REGIONS; i++) {
		struct exos_region *r = &pt->regions[i];

		if (!r->end)
			free = free ? free : r;
		else if (va < r->end && r->start < end)
			return -E_INVAL;
	}
	if (!free)
		return -E_NOMEM;
	*free = (struct exos_region){ .start = va, .end = end, .prot = prot };
	return 0;
}

const struct exos_region *
exos_region_find(const struct exos_pt *pt, u64 va)
{
	for (u32 i = 0; i < EXOS_REGIONS; i++)
		if (pt->regions[i].end && va >= pt->regions[i].start && va < pt->regions[i].end)
			return &pt->regions[i];
	return 0;
}

u32
exos_region_remove(struct exos_pt *pt, u64 va, u64 end)
{
	u32 n = 0;

	for (u32 i = 0; i < EXOS_REGIONS; i++) {
		struct exos_region *r = &pt->regions[i];

		if (r->end && r->start >= va && r->end <= end) {
			*r = (struct exos_region){ 0 };
			n++;
		}
	}
	return n;
}

int
exos_frame_ref(struct exos_pt *pt, exo_cap_t owner, bool owned)
{
	u32 i = EXO_CAP_INDEX(owner);
	struct exos_frame *f;

	if (!owner || i >= EXO_NCAPS)
		return -E_INVAL;
	f = &pt->frames[i];
	if (f->owner && f->owner != owner)
		return -E_INVAL;
	if (!f->owner)
		*f = (struct exos_frame){ .owner = owner, .owned = owned };
	f->refs++;
	return (int)i;
}

u32
exos_frame_unref(struct exos_pt *pt, u16 frame)
{
	struct exos_frame *f = &pt->frames[frame % EXO_NCAPS];
	u32 left;

	if (!f->refs)
		return 0;
	left = --f->refs;
	if (!left)
		*f = (struct exos_frame){ 0 };
	return left;
}

u8
exos_pte_rights(const struct exos_pte *e, u8 access)
{
	u8 r;

	if (!(e->prot & EXOS_PROT_R))
		return 0;
	r = EXOS_PROT_R;
	if (e->prot & EXO_BIND_W && !(e->flags & EXOS_PTE_COW) &&
	    (e->flags & EXOS_PTE_DIRTY || access & EXO_BIND_W))
		r |= EXO_BIND_W;
	return r;
}

void
exos_pte_loaded(struct exos_pte *e, u8 rights, u8 access)
{
	e->loaded = rights;
	if (access)
		e->flags |= EXOS_PTE_ACCESSED;
	if (access & EXO_BIND_W)
		e->flags = (u8)((e->flags | EXOS_PTE_DIRTY) & ~EXOS_PTE_ZERO);
}

/* A page with an entry: its protection first, then its frame's state. */
static enum exos_plan
plan_page(const struct exos_pt *pt, const struct exos_pte *e, u8 access)
{
	if ((access & e->prot) != access)
		return EXOS_PLAN_VIOLATION;
	if (!e->cap)
		return e->block ? EXOS_PLAN_SWAPIN : EXOS_PLAN_ZERO;
	if (access & EXO_BIND_W && e->flags & EXOS_PTE_COW)
		return pt->frames[e->frame].refs > 1 ? EXOS_PLAN_COPY : EXOS_PLAN_UNSHARE;
	return EXOS_PLAN_LOAD;
}

enum exos_plan
exos_pt_plan(const struct exos_pt *pt, u64 va, u8 access)
{
	const struct exos_pte *e = exos_pt_find((struct exos_pt *)pt, va);
	const struct exos_region *r;

	if (e)
		return plan_page(pt, e, access);
	if (!(r = exos_region_find(pt, va)))
		return EXOS_PLAN_FOREIGN;
	return (access & r->prot) == access ? EXOS_PLAN_ZERO : EXOS_PLAN_VIOLATION;
}

/* Marks a page of a frame taken unsaved, between the two passes below. */
#define BLOCK_GONE (~0ull)

u32
exos_pt_frame_taken(struct exos_pt *pt, u16 f, u64 block)
{
	u32 n = 0;

	if (f >= EXO_NCAPS || !pt->frames[f].owner)
		return 0;
	for (u32 i = 0; i < EXOS_PT_SLOTS; i++) {
		struct exos_pte *e = &pt->pages[i];

		if (!e->va || !e->cap || e->frame != f)
			continue;
		e->cap = 0;
		e->loaded = 0;
		e->block = block ? block : BLOCK_GONE;
		e->flags &= (u8)~(EXOS_PTE_COW | EXOS_PTE_ZERO);
		n++;
	}
	pt->frames[f] = (struct exos_frame){ 0 };
	/* Not saved: the pages go. A removal shifts entries (across the
	 * wrap too), so pass again until a pass finds none. */
	for (bool again = !block; again;) {
		again = false;
		for (u32 i = 0; i < EXOS_PT_SLOTS; i++)
			if (pt->pages[i].va && pt->pages[i].block == BLOCK_GONE) {
				exos_pt_remove(pt, pt->pages[i].va);
				again = true;
			}
	}
	return n;
}

struct exos_pte *
exos_pt_victim(struct exos_pt *pt, u32 *hand)
{
	for (u32 n = 0; n < EXOS_PT_SLOTS; n++) {
		struct exos_pte *e = &pt->pages[*hand % EXOS_PT_SLOTS];

		*hand = (*hand + 1) % EXOS_PT_SLOTS;
		if (e->va && e->cap && e->flags & EXOS_PTE_ZERO &&
		    pt->frames[e->frame].owned && pt->frames[e->frame].refs == 1 &&
		    pt->frames[e->frame].owner == e->cap)
			return e;
	}
	return 0;
}
