/*
 * The extension window (platform.h arch_ext_map): 4 KiB pages of kernel
 * virtual memory 1 GiB below the kernel, PDPT slot 509 of the kernel's
 * PML4 entry, which every space shares (mmu.c copies that entry), so a
 * mapping made here is seen in every space. 1 GiB below the kernel's text
 * keeps compiled code within a rel32 call of the helpers (jit.h).
 *
 * The window's tables (a PD and the PTs it needs, one per 2 MiB) are made
 * on first use and kept: at most 3 frames for what ext.c uses (the work
 * area in the first 2 MiB, code slots in the second).
 *
 * Leaf entries are never global, so a CR3 write flushes them too; a leaf is
 * writable and no-execute, or read-only and executable: never both.
 */
#include <exo/error.h>
#include <exo/layout.h>

#include "../../core/frame.h"
#include "../../core/kernel.h"
#include "../../core/platform.h"
#include "../../core/tlb.h"
#include "pte.h"
#include "x86.h"

#define WIN_PDPT_SLOT  509
#define WIN_BASE       (EXO_KERNEL_BASE - (1ULL << 30))
#define WIN_PAGES      (PT_ENTRIES * PT_ENTRIES)

static u64 *
win_pdpt(void)
{
	u64 *pml4 = table_of(read_cr3() & PTE_ADDR);

	return table_of(pml4[511] & PTE_ADDR);
}

/* The leaf entry of window page p; with alloc, missing tables are made. */
static u64 *
win_pte(u32 p, bool alloc)
{
	u64 *pdpt = win_pdpt(), *pd, pa;

	if (!(pdpt[WIN_PDPT_SLOT] & PTE_P)) {
		if (!alloc || !(pa = frame_alloc()))
			return 0;
		pdpt[WIN_PDPT_SLOT] = pa | PTE_P | PTE_W;
	}
	pd = table_of(pdpt[WIN_PDPT_SLOT] & PTE_ADDR);
	if (!(pd[p / PT_ENTRIES] & PTE_P)) {
		if (!alloc || !(pa = frame_alloc()))
			return 0;
		pd[p / PT_ENTRIES] = pa | PTE_P | PTE_W;
	}
	return &table_of(pd[p / PT_ENTRIES] & PTE_ADDR)[p % PT_ENTRIES];
}

u64
arch_ext_addr(u32 p)
{
	return WIN_BASE + (u64)p * EXO_PAGE_SIZE;
}

void *
arch_ext_map(u32 first, const u64 *pa, u32 n, u32 rights)
{
	u64 bits = PTE_P;

	if ((rights & EXO_SEG_W && rights & EXO_SEG_X) || first + n > WIN_PAGES)
		return 0;
	bits |= rights & EXO_SEG_W ? PTE_W : 0;
	bits |= rights & EXO_SEG_X ? 0 : PTE_NX;
	/* Tables first, so a failure leaves no page mapped. */
	for (u32 i = 0; i < n; i++)
		if (!win_pte(first + i, true))
			return 0;
	for (u32 i = 0; i < n; i++) {
		u64 *e = win_pte(first + i, false);

		kassert(!(*e & PTE_P));
		*e = pa[i] | bits;
	}
	return (void *)arch_ext_addr(first);
}

void
arch_ext_unmap(u32 first, u32 n)
{
	u64 va[TLB_BATCH_MAX];

	for (u32 i = 0; i < n; i++) {
		u64 *e = win_pte(first + i, false);

		if (e)
			*e = 0;
		if (i < TLB_BATCH_MAX)
			va[i] = arch_ext_addr(first + i);
	}
	tlb_kernel_shootdown(va, n > TLB_BATCH_MAX ? TLB_ALL : n);
}

void
arch_ext_frames(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	u64 *pdpt = win_pdpt(), *pd;

	if (!(pdpt[WIN_PDPT_SLOT] & PTE_P))
		return;
	fn(pdpt[WIN_PDPT_SLOT] & PTE_ADDR, ctx);
	pd = table_of(pdpt[WIN_PDPT_SLOT] & PTE_ADDR);
	for (u32 i = 0; i < PT_ENTRIES; i++)
		if (pd[i] & PTE_P)
			fn(pd[i] & PTE_ADDR, ctx);
}
