/* The frame allocator of the kernel core, over the fake platform's memory. */
#include <string.h>

#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "guest/core/frame.h"

#include "fake_platform.h"

#define PAGE EXO_PAGE_SIZE

static struct exo_bootinfo bi;

/*
 * A small map: boot data, 16 usable frames, kernel, modules, a region with no
 * frames, 16 more usable frames, and the rest of memory not described.
 */
static const struct exo_mem_region map[] = {
	{ .base = 0x1000,   .len = 0xb000,  .type = EXO_MEM_BOOT },
	{ .base = 0x10000,  .len = 0x10000, .type = EXO_MEM_USABLE },
	{ .base = 0x100000, .len = 0x10000, .type = EXO_MEM_KERNEL },
	{ .base = 0x110000, .len = 0x10000, .type = EXO_MEM_MODULE },
	{ .base = 0x120000, .len = 0,       .type = EXO_MEM_USABLE },
	{ .base = 0x120000, .len = 0x10000, .type = EXO_MEM_USABLE },
};
#define NMAP (sizeof(map) / sizeof(map[0]))
#define NFRAMES 32

static void
setup(void)
{
	fake_reset();
	memset(&bi, 0, sizeof(bi));
	bi.magic = EXO_BOOTINFO_MAGIC;
	bi.version = EXO_BOOTINFO_VERSION;
	bi.mem_size = FAKE_MEM_SIZE;
	bi.nregions = NMAP;
	memcpy(bi.regions, map, sizeof(map));
}

TestSuite(frame, .init = setup);

static bool
usable(u64 pa)
{
	for (u32 i = 0; i < bi.nregions; i++)
		if (bi.regions[i].type == EXO_MEM_USABLE && pa >= bi.regions[i].base &&
		    pa + PAGE <= bi.regions[i].base + bi.regions[i].len)
			return true;
	return false;
}

static bool
in_other_region(u64 pa)
{
	for (u32 i = 0; i < bi.nregions; i++)
		if (bi.regions[i].type != EXO_MEM_USABLE &&
		    pa + PAGE > bi.regions[i].base &&
		    pa < bi.regions[i].base + bi.regions[i].len)
			return true;
	return false;
}

static bool
frame_is_zero(u64 pa)
{
	const u8 *p = fake_mem + pa;

	for (u64 i = 0; i < PAGE; i++)
		if (p[i])
			return false;
	return true;
}

static void
assert_stats(u64 total, u64 fresh, u64 nfree)
{
	struct frame_stats st;

	frame_stats(&st);
	cr_assert_eq(st.total, total, "total %lu, want %lu", st.total, total);
	cr_assert_eq(st.fresh, fresh, "fresh %lu, want %lu", st.fresh, fresh);
	cr_assert_eq(st.free, nfree, "free %lu, want %lu", st.free, nfree);
}

Test(frame, init_stats)
{
	cr_assert_eq(frame_init(&bi), 0);
	assert_stats(NFRAMES, NFRAMES, 0);
}

Test(frame, fresh_frames_in_order_from_usable_regions)
{
	u64 expect = 0x10000;

	cr_assert_eq(frame_init(&bi), 0);
	for (unsigned i = 0; i < NFRAMES; i++) {
		u64 pa = frame_alloc();

		if (i == 16)
			expect = 0x120000;
		cr_assert_eq(pa, expect, "frame %u at %#lx, want %#lx", i, pa, expect);
		cr_assert_neq(pa, 0);
		cr_assert_eq(pa % PAGE, 0);
		cr_assert(usable(pa), "frame %#lx not in a usable region", pa);
		cr_assert(!in_other_region(pa), "frame %#lx in a reserved region", pa);
		cr_assert(frame_is_zero(pa), "fresh frame %#lx not zero", pa);
		expect += PAGE;
	}
	assert_stats(NFRAMES, 0, 0);
	cr_assert_eq(fake_frame_zeroes, 0, "fresh frames zeroed needlessly");
}

Test(frame, exhaustion_returns_zero)
{
	cr_assert_eq(frame_init(&bi), 0);
	for (unsigned i = 0; i < NFRAMES; i++)
		cr_assert_neq(frame_alloc(), 0, "ran out after %u frames", i);
	cr_assert_eq(frame_alloc(), 0);
	cr_assert_eq(frame_alloc(), 0, "a second try after exhaustion found a frame");
	assert_stats(NFRAMES, 0, 0);
}

/* On PVM the zeroing is what costs (ring 0 emulated): fresh frames first. */
Test(frame, freed_frames_not_reused_while_fresh_remain_on_pvm)
{
	u64 a, b;

	bi.platform = EXO_PLATFORM_KVM_PVM;
	cr_assert_eq(frame_init(&bi), 0);
	a = frame_alloc();
	memset(fake_mem + a, 0xcc, PAGE);
	frame_free(a);
	assert_stats(NFRAMES, NFRAMES - 1, 1);
	b = frame_alloc();
	cr_assert_neq(b, a, "freed frame reused while fresh frames remain");
	cr_assert_eq(b, a + PAGE);
	assert_stats(NFRAMES, NFRAMES - 2, 1);
}

/* Elsewhere a fresh frame's first touch is a VM exit: a freed one goes first, zeroed. */
Test(frame, freed_frame_reused_first_and_zeroed_on_hardware_kvm)
{
	u64 a, b;

	bi.platform = EXO_PLATFORM_KVM_HW;
	cr_assert_eq(frame_init(&bi), 0);
	a = frame_alloc();
	memset(fake_mem + a, 0xcc, PAGE);
	frame_free(a);
	b = frame_alloc();
	cr_assert_eq(b, a, "fresh frame %#lx taken while %#lx was free", b, a);
	cr_assert(frame_is_zero(b), "reused frame %#lx not zeroed", b);
	cr_assert_eq(fake_frame_zeroes, 1);
	assert_stats(NFRAMES, NFRAMES - 1, 0);
	cr_assert_eq(frame_alloc(), a + PAGE, "then fresh frames, in order");
}

Test(frame, freed_frames_reused_zeroed)
{
	u64 frames[NFRAMES], x, y;

	cr_assert_eq(frame_init(&bi), 0);
	for (unsigned i = 0; i < NFRAMES; i++)
		frames[i] = frame_alloc();
	/* Dirty two frames, the last word too, and free them. */
	memset(fake_mem + frames[3], 0xa5, PAGE);
	memset(fake_mem + frames[20], 0x5a, PAGE);
	frame_free(frames[3]);
	frame_free(frames[20]);
	assert_stats(NFRAMES, 0, 2);

	x = frame_alloc();
	y = frame_alloc();
	cr_assert(x != 0 && y != 0, "freed frames not handed out again");
	cr_assert(x != y, "the same frame twice");
	cr_assert((x == frames[3] && y == frames[20]) ||
		  (x == frames[20] && y == frames[3]),
		  "got %#lx and %#lx, want the freed frames", x, y);
	cr_assert(frame_is_zero(x), "reused frame %#lx not zeroed", x);
	cr_assert(frame_is_zero(y), "reused frame %#lx not zeroed", y);
	cr_assert_eq(fake_frame_zeroes, 2);
	assert_stats(NFRAMES, 0, 0);
	cr_assert_eq(frame_alloc(), 0, "free list not empty after reuse");
}

Test(frame, free_then_alloc_many_times)
{
	u64 pa;

	cr_assert_eq(frame_init(&bi), 0);
	for (unsigned i = 0; i < NFRAMES; i++)
		frame_alloc();
	pa = 0x10000 + 5 * PAGE;
	for (unsigned i = 0; i < 100; i++) {
		memset(fake_mem + pa, (int)i + 1, PAGE);
		frame_free(pa);
		cr_assert_eq(frame_alloc(), pa);
		cr_assert(frame_is_zero(pa));
	}
	assert_stats(NFRAMES, 0, 0);
}

Test(frame, usable_region_ending_at_mem_size)
{
	bi.mem_size = 0x140000;
	bi.regions[bi.nregions++] = (struct exo_mem_region){
		.base = 0x130000, .len = 0x10000, .type = EXO_MEM_USABLE };
	cr_assert_eq(frame_init(&bi), 0);
	assert_stats(NFRAMES + 16, NFRAMES + 16, 0);
	for (unsigned i = 0; i < NFRAMES + 16; i++) {
		u64 pa = frame_alloc();

		cr_assert_neq(pa, 0);
		cr_assert_lt(pa, bi.mem_size);
	}
	cr_assert_eq(frame_alloc(), 0);
}

Test(frame, no_usable_memory)
{
	bi.nregions = 1;
	cr_assert_eq(frame_init(&bi), 0);
	assert_stats(0, 0, 0);
	cr_assert_eq(frame_alloc(), 0);
}

Test(frame, no_regions)
{
	bi.nregions = 0;
	cr_assert_eq(frame_init(&bi), 0);
	cr_assert_eq(frame_alloc(), 0);
}

Test(frame, reinit_starts_over)
{
	cr_assert_eq(frame_init(&bi), 0);
	frame_alloc();
	frame_free(frame_alloc());
	cr_assert_eq(frame_init(&bi), 0);
	assert_stats(NFRAMES, NFRAMES, 0);
	cr_assert_eq(frame_alloc(), 0x10000);
}

static void
assert_malformed(void)
{
	cr_assert_eq(frame_init(&bi), -E_INVAL);
}

Test(frame, unaligned_base)
{
	bi.regions[1].base = 0x10800;
	assert_malformed();
}

Test(frame, unaligned_len)
{
	bi.regions[1].len = 0x10010;
	assert_malformed();
}

Test(frame, region_past_mem_size)
{
	bi.mem_size = 0x12f000;
	assert_malformed();
}

Test(frame, region_at_base_zero)
{
	bi.regions[1].base = 0;
	assert_malformed();
}

Test(frame, region_wraps)
{
	bi.regions[1].base = 0xfffffffffffff000ULL;
	bi.regions[1].len = 0x2000;
	bi.mem_size = UINT64_MAX;
	assert_malformed();
}

Test(frame, too_many_regions)
{
	bi.nregions = EXO_MAX_REGIONS + 1;
	assert_malformed();
}

Test(frame, unusable_regions_not_checked_for_frames)
{
	/* A reserved region is never handed out, so it need not be aligned. */
	bi.regions[2].len = 0x10010;
	cr_assert_eq(frame_init(&bi), 0);
	assert_stats(NFRAMES, NFRAMES, 0);
}

/*
 * frame.h: "-E_INVAL if the memory map is malformed (unaligned, overlapping
 * the kernel)". A usable region over the kernel image would hand the kernel's
 * own pages out as free frames.
 */
Test(frame, usable_region_overlapping_kernel)
{
	bi.regions[5].base = 0x10c000;   /* over the kernel's last 4 pages */
	bi.regions[5].len = 0x8000;
	assert_malformed();
}

/* Sorted maps whose overlaps the one-pass check must still see. */
Test(frame, sorted_usable_region_starting_inside_kernel)
{
	bi.regions[3] = (struct exo_mem_region){
		.base = 0x10c000, .len = 0x4000, .type = EXO_MEM_USABLE };
	assert_malformed();
}

Test(frame, sorted_reserved_region_starting_inside_usable)
{
	bi.regions[2].base = 0x1f000;   /* kernel over the last usable frame */
	bi.regions[2].len = 0xf1000;
	assert_malformed();
}

Test(frame, unsorted_map)
{
	struct exo_mem_region t = bi.regions[1];

	bi.regions[1] = bi.regions[2];
	bi.regions[2] = t;
	assert_malformed();
}

/* Runs of contiguous fresh frames (a CPU's stacks): from the current fresh
 * region only, never across a gap, 0 when it has too few left. */
Test(frame, runs_are_contiguous_and_stay_in_one_region)
{
	u64 a, b;

	cr_assert_eq(frame_init(&bi), 0);
	cr_assert_eq(frame_alloc_run(0), 0, "an empty run");
	a = frame_alloc_run(6);
	cr_assert_eq(a, 0x10000);
	b = frame_alloc_run(6);
	cr_assert_eq(b, a + 6 * PAGE, "the next run follows");
	cr_assert_eq(frame_alloc_run(6), 0, "4 frames left in the region, 6 asked");
	cr_assert_eq(frame_alloc(), 0x1c000, "single frames go on where runs stopped");
	assert_stats(NFRAMES, NFRAMES - 13, 0);
	for (u64 pa = a; pa < b + 6 * PAGE; pa += PAGE)
		cr_assert(usable(pa) && frame_is_zero(pa), "frame %#lx", pa);
}
