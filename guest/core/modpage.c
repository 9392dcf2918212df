/* Boot modules' pages, paged in by the kernel: see modpage.h. */
#include "modpage.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "frame.h"
#include "kernel.h"
#include "mdb.h"
#include "platform.h"
#include "task.h"

#define PAGE EXO_PAGE_SIZE

/* Every module's frames lie in [base, base + npages pages); a set bit is a
 * frame handed out (a mapping-database root made of it once). */
static struct {
	u64 base, npages;
	u64 *bits;
} mp;

/* The page-aligned physical range of a segment inside memory, or false. */
static bool
segment_placed(const struct exo_segment *g, u64 mem_size)
{
	return !((g->paddr | g->len) & (PAGE - 1)) && g->len &&
	       g->paddr + g->len <= mem_size && g->paddr + g->len > g->paddr;
}

int
modpage_init(const struct exo_bootinfo *bi)
{
	u64 lo = ~0ULL, hi = 0, pa;

	/* A module's segments ascend in physical memory, or modpage_attach
	 * refuses it: its first and last segments bound its frames. */
	for (u32 i = 0; i < bi->nmodules && i < EXO_MAX_MODULES; i++) {
		const struct exo_module *m = &bi->modules[i];
		const struct exo_segment *first = &m->segs[0], *last;

		if (m->nsegs == 0 || m->nsegs > EXO_MAX_SEGMENTS)
			continue;       /* no frames, or modpage_attach refuses it */
		last = &m->segs[m->nsegs - 1];
		if (!segment_placed(first, bi->mem_size) || !segment_placed(last, bi->mem_size))
			continue;
		if (first->paddr < lo)
			lo = first->paddr;
		if (last->paddr + last->len > hi)
			hi = last->paddr + last->len;
	}
	mp = (typeof(mp)){ 0 };
	if (hi <= lo)
		return 0;
	/* Never freed: the frames of a module never go back to the pool. */
	pa = frame_alloc_run((u32)(((hi - lo) / PAGE + PAGE * 8 - 1) / (PAGE * 8)));
	if (!pa)
		return -E_NOMEM;
	mp.base = lo;
	mp.npages = (hi - lo) / PAGE;
	mp.bits = arch_phys_to_virt(pa);        /* zero-filled: nothing handed out */
	return 0;
}

/* A segment the task may have: placed, a user range, readable (x86 maps no
 * page that cannot be read), not over the first thread's UTCB. */
static bool
segment_ok(const struct exo_segment *g, u64 mem_size)
{
	if (!segment_placed(g, mem_size) || g->vaddr & (PAGE - 1) ||
	    !(g->flags & EXO_SEG_R) || g->flags & ~(EXO_SEG_R | EXO_SEG_W | EXO_SEG_X))
		return false;
	if (g->vaddr < EXO_USER_MIN || g->vaddr + g->len > EXO_USER_END ||
	    g->vaddr + g->len < g->vaddr)
		return false;
	return TASK_UTCB_VA - g->vaddr >= g->len;
}

int
modpage_attach(struct space *s, const struct exo_module *m, u64 mem_size)
{
	int r;

	if (m->nsegs > EXO_MAX_SEGMENTS)
		return -E_NOEXEC;
	/* Ascending in user and in physical memory (<exo/bootinfo.h>), each
	 * past the one before: so none overlaps another, at one comparison
	 * of neighbours instead of every pair. */
	for (u32 i = 0; i < m->nsegs; i++) {
		const struct exo_segment *g = &m->segs[i];

		if (!segment_ok(g, mem_size))
			return -E_NOEXEC;
		if (i && (g->vaddr < g[-1].vaddr + g[-1].len ||
			  g->paddr < g[-1].paddr + g[-1].len))
			return -E_NOEXEC;
	}
	s->mod = m;
	s->kpaged = true;
	/* Not module pages (a bad entry point): the task faults there, as
	 * it would have. */
	r = modpage_fault(s, m->entry);
	if (r != -E_NOMEM)
		r = modpage_fault(s, m->stack_top - 1);
	return r == -E_NOMEM ? r : 0;
}

/* Page i of the module frames: handed out already? */
static bool
handed(u64 i)
{
	return mp.bits[i / 64] >> (i % 64) & 1;
}

/* Make the frame pa of a segment with flags s's root mapping at va. */
static int
page_in(struct space *s, u64 va, u64 pa, u32 flags)
{
	u64 i = (pa - mp.base) / PAGE;
	int r;

	if (pa < mp.base || i >= mp.npages || handed(i))
		return -E_FAULT;
	r = mdb_map_root(s, va, pa, PAGE, flags);
	if (r < 0)
		return r == -E_NOMEM ? r : -E_FAULT;    /* -E_INVAL: va is taken */
	mp.bits[i / 64] |= 1ULL << (i % 64);
	return 0;
}

int
modpage_fault(struct space *s, u64 va)
{
	const struct exo_module *m = s->mod;

	va = EXO_PAGE_DOWN(va);
	for (u32 i = 0; m && i < m->nsegs; i++) {
		const struct exo_segment *g = &m->segs[i];

		if (va - g->vaddr < g->len)
			return page_in(s, va, g->paddr + (va - g->vaddr), g->flags);
	}
	return -E_FAULT;
}

int
modpage_fault_range(struct space *s, u64 va, u64 len)
{
	const struct exo_module *m = s->mod;
	u64 end = va + len < va ? ~0ULL : va + len;

	for (u32 i = 0; m && i < m->nsegs; i++) {
		const struct exo_segment *g = &m->segs[i];
		u64 from = g->vaddr > va ? g->vaddr : EXO_PAGE_DOWN(va);
		u64 to = g->vaddr + g->len < end ? g->vaddr + g->len : end;

		for (; from < to; from += PAGE)
			if (page_in(s, from, g->paddr + (from - g->vaddr), g->flags) ==
			    -E_NOMEM)
				return -E_NOMEM;
	}
	return 0;
}

bool
modpage_frame_unused(u64 pa)
{
	u64 i = (pa - mp.base) / PAGE;

	return pa >= mp.base && i < mp.npages && !handed(i);
}
