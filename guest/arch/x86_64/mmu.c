/* Page tables of user address spaces (the platform's space_* hooks). */
#include <exo/error.h>
#include <exo/layout.h>

#include "../../core/frame.h"
#include "../../core/kernel.h"
#include "../../core/platform.h"
#include "../../core/tlb.h"
#include "../../core/trace.h"
#include "cpu.h"
#include "mmu.h"
#include "pte.h"
#include "x86.h"

/* Entries and the fast map of one page: pte.h. */
#define KERNEL_PML4_SLOT 511   /* EXO_KERNEL_BASE lives in the last slot */

/*
 * Each space keeps a list frame (space->tables) naming every table frame it
 * owns, root included, so teardown frees exactly those without walking.
 */
#define TABLES_MAX (EXO_PAGE_SIZE / sizeof(u64))

static u64 kernel_pml4_pa;   /* percpu.root is what each CPU's CR3 holds */
extern char syscall_stub_pvm[];

void *
arch_phys_to_virt(u64 pa)
{
	return (void *)(pa + EXO_KERNEL_BASE);
}

u64
arch_virt_to_phys(const void *va)
{
	return (u64)va - EXO_KERNEL_BASE;
}

void
arch_frame_zero(u64 pa)
{
	u64 *p = table_of(pa);
	u64 n = EXO_PAGE_SIZE / 8;

	__asm__ volatile("rep stosq" : "+D"(p), "+c"(n) : "a"(0ULL) : "memory");
}

void
mmu_init(void)
{
	kernel_pml4_pa = read_cr3() & PTE_ADDR;
	this_cpu()->root = kernel_pml4_pa;
}

/* A new table frame for s, recorded in its list. 0 if out of frames. */
static u64
table_alloc(struct arch_space *s)
{
	u64 pa;

	if (s->ntables == TABLES_MAX)
		return 0;
	pa = frame_alloc();
	if (pa)
		table_of(s->tables)[s->ntables++] = pa;
	return pa;
}

int
arch_space_create(struct arch_space *s)
{
	u64 *root;

	s->ntables = 0;
	s->root = 0;
	s->leaf_key = 0;
	s->tables = frame_alloc();
	if (!s->tables)
		return -E_NOMEM;
	s->root = table_alloc(s);
	if (!s->root)
		return -E_NOMEM;
	root = table_of(s->root);
	root[KERNEL_PML4_SLOT] = table_of(kernel_pml4_pa)[KERNEL_PML4_SLOT];
	if (arch_platform == EXO_PLATFORM_KVM_PVM)
		return arch_space_map(s, EXO_USER_SYSCALL_STUB,
				      arch_virt_to_phys(syscall_stub_pvm),
				      EXO_PAGE_SIZE, EXO_SEG_R | EXO_SEG_X);
	return 0;
}

/* The leaf entry for va in s; with alloc, missing tables are made. */
static u64 *
pte_walk(struct arch_space *s, u64 va, bool alloc)
{
	u64 *table = table_of(s->root);

	for (int shift = 39; shift > 12; shift -= 9) {
		u64 *e = &table[(va >> shift) & (PT_ENTRIES - 1)];

		if (!(*e & PTE_P)) {
			u64 pa = alloc ? table_alloc(s) : 0;

			if (!pa)
				return 0;
			*e = pa | PTE_P | PTE_W | PTE_U;
		}
		table = table_of(*e & PTE_ADDR);
	}
	return &table[(va >> 12) & (PT_ENTRIES - 1)];
}

/* One walk per page table: a run of pages fills consecutive leaf entries. */
int
arch_space_map(struct arch_space *s, u64 va, u64 pa, u64 len, u32 rights)
{
	u64 bits = pte_bits(rights);

	if ((va | pa | len) & (EXO_PAGE_SIZE - 1) || len == 0 ||
	    va >= EXO_USER_END || len > EXO_USER_END - va)
		return -E_INVAL;
	while (len) {
		u64 *pte = pte_walk(s, va, true);
		u64 n = PT_ENTRIES - ((va >> 12) & (PT_ENTRIES - 1));

		if (!pte)
			return -E_NOMEM;
		if (n > len / EXO_PAGE_SIZE)
			n = len / EXO_PAGE_SIZE;
		for (u64 i = 0; i < n; i++, pa += EXO_PAGE_SIZE) {
			if (pte[i] & PTE_P)
				return -E_INVAL;
			pte[i] = pa | bits;
		}
		va += n * EXO_PAGE_SIZE;
		len -= n * EXO_PAGE_SIZE;
	}
	return 0;
}

/* arch[0] the leaf entry's kernel address, arch[1] the entry to store there. */
int
arch_stlb_fill(struct arch_space *s, u64 va, u64 pa, u32 rights, u64 arch[2])
{
	u64 *pte = pte_walk(s, va, true);

	if (!pte)
		return -E_NOMEM;
	/* The bind fast path (bind_fast.S) finds its leaf table here next time. */
	s->leaf_key = (va >> 21) + 1;
	s->leaf_pa = arch_virt_to_phys(pte) & PTE_ADDR;
	arch[0] = (u64)pte;
	arch[1] = pa | pte_bits(rights);
	return 0;
}

bool
arch_stlb_present(const u64 arch[2])
{
	return *(const u64 *)arch[0] & PTE_P;
}

/* Not present before: nothing to flush. */
void
arch_stlb_install(const u64 arch[2])
{
	*(u64 *)arch[0] = arch[1];
}

/*
 * The fast path's map: never an allocation, and mostly no walk. Table frames
 * live as long as their space, so the leaf table found for one 2 MiB region
 * (leaf_key: va >> 21, plus one so that 0 means none) stays right until the
 * space is destroyed; faults come in runs over nearby pages.
 */
bool
arch_space_map_page(struct arch_space *s, u64 va, u64 pa, u32 rights)
{
	return pte_map_page(s, va, pa, rights);
}

int
arch_space_lookup(const struct arch_space *s, u64 va, u32 need, u64 *pa)
{
	u64 *pte, e;

	if (va >= EXO_USER_END)
		return -E_FAULT;
	pte = pte_walk((struct arch_space *)s, va, false);
	e = pte ? *pte : 0;
	if (!(e & PTE_P) || !(e & PTE_U) || (need & EXO_SEG_W && !(e & PTE_W)) ||
	    (need & EXO_SEG_X && e & PTE_NX))
		return -E_FAULT;
	*pa = (e & PTE_ADDR) | (va & (EXO_PAGE_SIZE - 1));
	return 0;
}

bool
arch_space_range_free(const struct arch_space *s, u64 va, u64 len)
{
	while (len) {
		const u64 *pte = pte_walk((struct arch_space *)s, va, false);
		u64 n = PT_ENTRIES - ((va >> 12) & (PT_ENTRIES - 1));

		if (n > len / EXO_PAGE_SIZE)
			n = len / EXO_PAGE_SIZE;
		for (u64 i = 0; pte && i < n; i++)
			if (pte[i] & PTE_P)
				return false;
		va += n * EXO_PAGE_SIZE;
		len -= n * EXO_PAGE_SIZE;
	}
	return true;
}

/* The present leaf entry for user va in s, or 0. */
static u64 *
pte_present(struct arch_space *s, u64 va)
{
	u64 *pte;

	if (va >= EXO_USER_END)
		return 0;
	pte = pte_walk(s, va, false);
	return pte && *pte & PTE_P ? pte : 0;
}

/* The table frames stay: teardown frees them, and remapping va needs none. */
int
arch_space_unmap(struct arch_space *s, u64 va, u64 *pa)
{
	u64 *pte = pte_present(s, va);

	if (!pte)
		return -E_FAULT;
	*pa = *pte & PTE_ADDR;
	*pte = 0;
	tlb_batch_add(s, va);
	return 0;
}

int
arch_space_protect(struct arch_space *s, u64 va, u32 rights)
{
	u64 *pte = pte_present(s, va);

	if (!pte)
		return -E_FAULT;
	*pte = (*pte & PTE_ADDR) | pte_bits(rights);
	tlb_batch_add(s, va);
	return 0;
}

void
arch_space_destroy(struct arch_space *s)
{
	if (!s->tables)
		return;
	/* Never free tables a CPU is walking: every CPU with s loaded leaves it. */
	tlb_teardown(s);
	for (u64 i = 0; i < s->ntables; i++)
		frame_free(table_of(s->tables)[i]);
	frame_free(s->tables);
	s->tables = s->root = s->ntables = s->leaf_key = 0;
}

void
arch_space_frames(const struct arch_space *s, void (*fn)(u64 pa, void *ctx), void *ctx)
{
	if (!s->tables)
		return;
	fn(s->tables, ctx);
	for (u64 i = 0; i < s->ntables; i++)
		fn(table_of(s->tables)[i], ctx);
}

/* The leaf entries of one page table (level 1), covering base upwards. */
static void
walk_leaves(const u64 *pt, u64 base, void (*fn)(u64, u64, u32, void *), void *ctx)
{
	for (u64 i = 0; i < PT_ENTRIES; i++) {
		u64 e = pt[i];

		if (e & PTE_P && e & PTE_U)
			fn(base + (i << 12), e & PTE_ADDR, EXO_SEG_R |
			   (e & PTE_W ? EXO_SEG_W : 0) | (e & PTE_NX ? 0 : EXO_SEG_X), ctx);
	}
}

/* Every level above the leaves: the user half of the root only. */
void
arch_space_walk(const struct arch_space *s, void (*fn)(u64, u64, u32, void *), void *ctx)
{
	const u64 *l4 = table_of(s->root);

	for (u64 a = 0; a < PT_ENTRIES && a << 39 < EXO_USER_END; a++) {
		const u64 *l3 = l4[a] & PTE_P ? table_of(l4[a] & PTE_ADDR) : 0;

		for (u64 b = 0; l3 && b < PT_ENTRIES; b++) {
			const u64 *l2 = l3[b] & PTE_P ? table_of(l3[b] & PTE_ADDR) : 0;

			for (u64 c = 0; l2 && c < PT_ENTRIES; c++)
				if (l2[c] & PTE_P)
					walk_leaves(table_of(l2[c] & PTE_ADDR),
						    a << 39 | b << 30 | c << 21, fn, ctx);
		}
	}
}

void
arch_space_switch(struct arch_space *s)
{
	struct percpu *pc = this_cpu();

	if (pc->root != s->root) {
		TRACE_A(SPACE_SWITCH, s->root);
		write_cr3(s->root);
		pc->root = s->root;
	}
}

/*
 * A CPU that idles leaves user spaces (with several CPUs): it then holds no
 * translation of them, so shootdowns need not interrupt it (tlb.h).
 */
void
mmu_idle(struct percpu *pc)
{
	if (ncpus > 1 && pc->root != kernel_pml4_pa)
		arch_tlb_leave(pc);
}

void
arch_tlb_leave(struct percpu *pc)
{
	write_cr3(kernel_pml4_pa);
	pc->root = kernel_pml4_pa;
}

/* A changed leaf may still be cached, but only where its space is loaded:
 * a CR3 write flushes every non-global entry, and user pages are never
 * global. */
void
arch_tlb_invalidate(const u64 *va, u32 n)
{
	if (n == TLB_ALL) {
		write_cr3(read_cr3());
		return;
	}
	for (u32 i = 0; i < n; i++)
		invlpg(va[i]);
}

/*
 * W^X for the kernel's own memory. The VMM maps all of it with 2 MiB pages,
 * writable and executable in the first 2 MiB (the image), no-execute past
 * them, and lays out beside its boot tables a leaf table of the first 2 MiB
 * in 4 KiB pages (EXO_BOOT_KPT_PA, <exo/bootinfo.h>): text read-only and
 * executable, rodata read-only, the rest writable and no-execute. Here,
 * once smp_patch_up has written the text, that table takes the first
 * 2 MiB's place. So no kernel mapping is writable and executable: code runs
 * from the text, and extensions from the read-only pages of the extension
 * window (extmap.c), which they are written into through this no-execute
 * direct map. Done once on the boot CPU, before other CPUs start; every
 * space shares these tables (KERNEL_PML4_SLOT).
 */
extern char kernel_text_start[], kernel_text_end[], kernel_rodata_end[];
#define MB2 (2ULL << 20)
#define PTE_G 0x100ULL
#define CR4_PGE (1ULL << 7)
#define KPT_RW (PTE_P | PTE_W | PTE_G | PTE_NX)
#define KPT_RX (PTE_P | PTE_G)
#define KPT_RO (PTE_P | PTE_G | PTE_NX)

/* The leaf of kernel-table page pa: its own frame, exactly bits. */
static bool
kpt_is(const u64 *kpt, u64 pa, u64 bits)
{
	return kpt[pa / EXO_PAGE_SIZE] == (pa | bits);
}

/*
 * The VMM's table agrees with this image at its boundaries: the pages on
 * either side of the text's and the rodata's ends. The entries between are
 * the boot protocol's word (the VMM built them from the same ELF segments),
 * and the self-check's arch_kernel_wx reads every one of them.
 */
static bool
kpt_agrees(const u64 *kpt, u64 ts, u64 te, u64 re)
{
	return kpt_is(kpt, 0, KPT_RW) && kpt_is(kpt, ts - EXO_PAGE_SIZE, KPT_RW) &&
	       kpt_is(kpt, ts, KPT_RX) && kpt_is(kpt, te - EXO_PAGE_SIZE, KPT_RX) &&
	       (te == re || (kpt_is(kpt, te, KPT_RO) &&
			     kpt_is(kpt, re - EXO_PAGE_SIZE, KPT_RO))) &&
	       (re == MB2 || kpt_is(kpt, re, KPT_RW)) &&
	       kpt_is(kpt, MB2 - EXO_PAGE_SIZE, KPT_RW);
}

/*
 * Every boot runs this: it took 13,811 of a boot's 28,574 ring-0
 * instructions when each entry was classified on its own, and 1,706 when it
 * filled the 512 entries itself (exo run --step-boot).
 */
void
mmu_protect_kernel(u64 mem_size)
{
	u64 *pdpt = table_of(table_of(kernel_pml4_pa)[KERNEL_PML4_SLOT] & PTE_ADDR);
	u64 *pd = table_of(pdpt[510] & PTE_ADDR), cr4;
	u64 ts = arch_virt_to_phys(kernel_text_start), te = arch_virt_to_phys(kernel_text_end);
	u64 re = arch_virt_to_phys(kernel_rodata_end);

	if (re > MB2)
		panic("mmu: the kernel's text and rodata end past 2 MiB");
	if (!kpt_agrees(table_of(EXO_BOOT_KPT_PA), ts, te, re) ||
	    (mem_size > MB2 && !(pd[1] & PTE_NX)))
		panic("boot page tables: the kernel image is not laid out W^X as "
		      "<exo/bootinfo.h> says (VMM and kernel from different builds?)");
	pd[0] = EXO_BOOT_KPT_PA | PTE_P | PTE_W;
	/* The old entries are global: only a CR4.PGE toggle drops them. */
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	if (cr4 & CR4_PGE)
		__asm__ volatile("mov %0, %%cr4; mov %1, %%cr4"
				 : : "r"(cr4 & ~CR4_PGE), "r"(cr4) : "memory");
	else
		write_cr3(read_cr3());
}

/* A leaf writable and executable in the PD at va (1 GiB), or 0. */
static u64
pd_wx(const u64 *pd, u64 va)
{
	for (u64 i = 0; i < PT_ENTRIES; i++, va += MB2) {
		const u64 *pt;

		if (!(pd[i] & PTE_P))
			continue;
		if (pd[i] & 0x80) {             /* PS: a 2 MiB page */
			if (pd[i] & PTE_W && !(pd[i] & PTE_NX))
				return va;
			continue;
		}
		pt = table_of(pd[i] & PTE_ADDR);
		for (u64 j = 0; j < PT_ENTRIES; j++)
			if ((pt[j] & (PTE_P | PTE_W | PTE_NX)) == (PTE_P | PTE_W))
				return va + j * EXO_PAGE_SIZE;
	}
	return 0;
}

u64
arch_kernel_wx(void)
{
	const u64 *pdpt = table_of(table_of(kernel_pml4_pa)[KERNEL_PML4_SLOT] & PTE_ADDR);
	u64 va;

	for (u64 s = 0; s < PT_ENTRIES; s++)
		if (pdpt[s] & PTE_P &&
		    (va = pd_wx(table_of(pdpt[s] & PTE_ADDR), 0xffffff8000000000ULL + (s << 30))))
			return va;
	return 0;
}

/* An application processor: the boot page tables are loaded (the VMM's). */
void
mmu_ap_init(struct percpu *pc)
{
	pc->root = read_cr3() & PTE_ADDR;
}
