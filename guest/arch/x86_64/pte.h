/*
 * x86-64 page-table entries, and the one map the page-fault fast path makes
 * (inline here so that guest/arch/x86_64/pfmap.c inlines it into the reply
 * path; mmu.c has the rest of the page tables).
 */
#ifndef ARCH_PTE_H
#define ARCH_PTE_H

#include <exo/bootinfo.h>
#include <exo/layout.h>
#include <exo/types.h>

#include "../../core/platform.h"

/*
 * x86-64 4-level paging, 4 KiB pages. A virtual address indexes
 *   PML4 [47:39] -> PDPT [38:30] -> PD [29:21] -> PT [20:12] -> offset [11:0]
 * An entry:
 *   63  62..52  51..12          11..9  8  7   6  5  4    3    2    1    0
 *   NX  avail   frame address   avail  G  PS  D  A  PCD  PWT  U/S  R/W  P
 * Intermediate entries are P|W|U; the leaf alone decides the rights.
 */
#define PTE_P     0x001ULL
#define PTE_W     0x002ULL
#define PTE_U     0x004ULL
#define PTE_NX    (1ULL << 63)
#define PTE_ADDR  0x000ffffffffff000ULL
#define PT_ENTRIES 512

/* Every frame is mapped at EXO_KERNEL_BASE + its physical address. */
static inline u64 *
table_of(u64 pa)
{
	return (u64 *)(pa + EXO_KERNEL_BASE);
}

/*
 * The leaf bits for rights: a present page is always readable, so R needs no
 * bit; W sets R/W, and a page without X gets NX. A table by the three
 * rights bits: one load on the page-fault fast path, not eight ALU steps.
 */
#define PTE_BITS_(r) (PTE_P | PTE_U | ((r) & EXO_SEG_W ? PTE_W : 0) | \
		      ((r) & EXO_SEG_X ? 0 : PTE_NX))
static const u64 pte_bits_of[8] = {
	PTE_BITS_(0), PTE_BITS_(1), PTE_BITS_(2), PTE_BITS_(3),
	PTE_BITS_(4), PTE_BITS_(5), PTE_BITS_(6), PTE_BITS_(7),
};
_Static_assert((EXO_SEG_R | EXO_SEG_W | EXO_SEG_X) == 7, "rights index pte_bits_of");

static inline u64
pte_bits(u32 rights)
{
	return pte_bits_of[rights & 7];
}

/* arch_space_map_page (core/platform.h), inline: s keeps the last leaf
 * table it walked to (leaf_key: va >> 21, plus one; 0 is none). */
static inline bool
pte_map_page(struct arch_space *s, u64 va, u64 pa, u32 rights)
{
	u64 e, *pte;

	if (s->leaf_key != (va >> 21) + 1) {
		e = table_of(s->root)[(va >> 39) & (PT_ENTRIES - 1)];
		if (!(e & PTE_P))
			return false;
		e = table_of(e & PTE_ADDR)[(va >> 30) & (PT_ENTRIES - 1)];
		if (!(e & PTE_P))
			return false;
		e = table_of(e & PTE_ADDR)[(va >> 21) & (PT_ENTRIES - 1)];
		if (!(e & PTE_P))
			return false;
		s->leaf_key = (va >> 21) + 1;
		s->leaf_pa = e & PTE_ADDR;
	}
	pte = &table_of(s->leaf_pa)[(va >> 12) & (PT_ENTRIES - 1)];
	if (*pte & PTE_P)
		return false;
	*pte = pa | pte_bits(rights);
	return true;
}

#endif
