#include "frame.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "kernel.h"
#include "platform.h"
#include "tlb.h"

#define FRAME_RUNS_KEPT 32

static struct {
	const struct exo_bootinfo *bi;
	u32 region;          /* current usable region */
	u64 next, end;       /* its never-used part */
	u64 free_head;       /* free list, linked through each frame's first word */
	u64 kbase, kend;     /* the kernel image, incl. bss: never a frame */
	u64 cap;             /* frames at or above belong to σ0 (0: none do) */
	bool warm_first;     /* a freed frame before a fresh one (frame_init) */
	struct frame_stats st;
	/* The runs frame_alloc_run handed out, for the self-check: one per CPU
	 * stack and per table of env_cpus_init; more are counted, not kept. */
	struct { u64 pa; u32 n; } run[FRAME_RUNS_KEPT];
	u32 nruns;
} fp;

/*
 * A frame being freed, or the free-list link read back from a free frame,
 * must be a page outside the kernel image. A frame freed while a CPU could
 * still write it through a stale translation would have its link rewritten;
 * the kernel would then hand out its own memory. Three compares, then a
 * panic that names the caller rather than a corruption found later.
 */
static void
frame_check(u64 pa, const char *what, void *caller)
{
	if (!(pa & (EXO_PAGE_SIZE - 1)) && pa < fp.bi->mem_size &&
	    (pa < fp.kbase || pa >= fp.kend))
		return;
	panic("frame_%s: %#lx is no frame (kernel image %#lx-%#lx), from %p",
	      what, pa, fp.kbase, fp.kend, caller);
}

/* Move the bump pointer to the next usable region at or after index i. */
static void
frame_region_advance(u32 i)
{
	const struct exo_bootinfo *bi = fp.bi;

	for (; i < bi->nregions; i++) {
		u64 base = bi->regions[i].base, end = base + bi->regions[i].len;

		if (fp.cap && end > fp.cap)
			end = fp.cap;
		if (bi->regions[i].type == EXO_MEM_USABLE && base < end) {
			fp.region = i;
			fp.next = base;
			fp.end = end;
			return;
		}
	}
	fp.region = bi->nregions;
	fp.next = fp.end = 0;
}

/*
 * The map must be sorted by base, and a usable region may overlap no other
 * region (reserved regions may overlap each other: that loses no frame).
 * Checked in one pass, since every instruction at boot counts.
 */
int
frame_init(const struct exo_bootinfo *bi)
{
	u64 total = 0, prev_base = 0, any_end = 0, usable_end = 0;

	if (bi->nregions > EXO_MAX_REGIONS)
		return -E_INVAL;
	for (u32 i = 0; i < bi->nregions; i++) {
		const struct exo_mem_region *r = &bi->regions[i];
		u64 end = r->base + r->len;

		if (r->base < prev_base || end < r->base)
			return -E_INVAL;
		prev_base = r->base;
		if (r->type != EXO_MEM_USABLE) {
			if (r->base < usable_end)
				return -E_INVAL;
			if (r->type == EXO_MEM_KERNEL)
				fp.kbase = r->base, fp.kend = end;
			any_end = end > any_end ? end : any_end;
			continue;
		}
		/* Frame 0 is never handed out: 0 means "no frame". */
		if ((r->base | r->len) & (EXO_PAGE_SIZE - 1) || r->base == 0 ||
		    end > bi->mem_size || r->base < any_end)
			return -E_INVAL;
		any_end = usable_end = end;
		total += r->len / EXO_PAGE_SIZE;
	}
	fp.bi = bi;
	/*
	 * A fresh frame needs no zeroing (usable memory starts zero-filled),
	 * but where the host backs guest memory lazily its first touch is a
	 * VM exit (a nested page fault on hardware KVM: ~1 us on a CPU, far
	 * more nested). There a freed frame, zeroed with one rep stosq and
	 * likely in the cache, goes first. On PVM ring 0 is emulated and the
	 * zeroing is what costs, so fresh frames go first.
	 */
	fp.warm_first = bi->platform != EXO_PLATFORM_KVM_PVM;
	fp.free_head = 0;
	fp.nruns = 0;
	fp.st = (struct frame_stats){ .total = total, .fresh = total };
	frame_region_advance(0);
	return 0;
}

u64
frame_alloc(void)
{
	u64 pa;

	if (fp.next < fp.end && !(fp.warm_first && fp.free_head)) {
		pa = fp.next;
		fp.next += EXO_PAGE_SIZE;
		if (fp.next == fp.end)
			frame_region_advance(fp.region + 1);
		fp.st.fresh--;
		return pa;
	}
	pa = fp.free_head;
	if (!pa)
		return 0;
	fp.free_head = *(u64 *)arch_phys_to_virt(pa);
	if (fp.free_head)
		frame_check(fp.free_head, "alloc", __builtin_return_address(0));
	fp.st.free--;
	arch_frame_zero(pa);
	return pa;
}

/*
 * n physically contiguous fresh frames (a kernel stack for a CPU started at
 * boot); 0 if the current fresh region has not that many left. They are
 * never freed.
 */
u64
frame_alloc_run(u32 n)
{
	u64 pa = fp.next;

	if (!n || fp.next + (u64)n * EXO_PAGE_SIZE > fp.end)
		return 0;
	fp.next += (u64)n * EXO_PAGE_SIZE;
	if (fp.next == fp.end)
		frame_region_advance(fp.region + 1);
	fp.st.fresh -= n;
	fp.st.runs += n;
	if (fp.nruns < FRAME_RUNS_KEPT)
		fp.run[fp.nruns++] = (typeof(fp.run[0])){ pa, n };
	return pa;
}

/* No CPU may still reach a freed frame through a stale translation. */
void
frame_free(u64 pa)
{
	frame_check(pa, "free", __builtin_return_address(0));
	tlb_batch_flush();
	*(u64 *)arch_phys_to_virt(pa) = fp.free_head;
	fp.free_head = pa;
	fp.st.free++;
}

void
frame_stats(struct frame_stats *st)
{
	*st = fp.st;
}

bool
frame_given(u64 pa)
{
	const struct exo_bootinfo *bi = fp.bi;

	if (pa & (EXO_PAGE_SIZE - 1) || (fp.cap && pa >= fp.cap))
		return false;
	for (u32 i = 0; i < bi->nregions; i++) {
		const struct exo_mem_region *r = &bi->regions[i];

		if (r->type != EXO_MEM_USABLE || pa < r->base || pa - r->base >= r->len)
			continue;
		/* Regions are used in order, each from its base up to fp.next. */
		return i < fp.region || (i == fp.region && pa < fp.next);
	}
	return false;
}

u64
frame_pa_end(void)
{
	u64 end = 0;

	for (u32 i = 0; i < fp.bi->nregions; i++)
		if (fp.bi->regions[i].type == EXO_MEM_USABLE)
			end = fp.bi->regions[i].base + fp.bi->regions[i].len;
	return end;
}

u64
frame_walk_free(void (*fn)(u64 pa, void *ctx), void *ctx, u64 limit)
{
	u64 n = 0;

	for (u64 pa = fp.free_head; pa && n <= limit; n++) {
		fn(pa, ctx);
		if (!frame_given(pa))
			break;  /* its first word is not ours to follow */
		pa = *(u64 *)arch_phys_to_virt(pa);
	}
	return n;
}

void
frame_walk_runs(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	for (u32 i = 0; i < fp.nruns; i++)
		for (u32 j = 0; j < fp.run[i].n; j++)
			fn(fp.run[i].pa + (u64)j * EXO_PAGE_SIZE, ctx);
}

/*
 * Give σ0 the upper three quarters of the last usable region, which the
 * kernel then never hands out: [*first, *end). The kernel keeps the rest for
 * its own objects (page tables, UTCBs, mapping nodes). Call right after
 * frame_init.
 */
void
frame_split_sigma0(u64 *first, u64 *end)
{
	const struct exo_bootinfo *bi = fp.bi;

	*first = *end = 0;
	for (u32 i = bi->nregions; i-- > 0;) {
		const struct exo_mem_region *r = &bi->regions[i];

		if (r->type != EXO_MEM_USABLE || r->len < 4 * EXO_PAGE_SIZE)
			continue;
		*end = r->base + r->len;
		*first = r->base + EXO_PAGE_DOWN(r->len / 4);
		break;
	}
	if (!*first)
		return;
	fp.cap = *first;
	fp.st.total -= (*end - *first) / EXO_PAGE_SIZE;
	fp.st.fresh -= (*end - *first) / EXO_PAGE_SIZE;
	frame_region_advance(fp.region);
}
