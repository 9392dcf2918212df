#ifndef CORE_FRAME_H
#define CORE_FRAME_H

#include <exo/types.h>
#include <exo/bootinfo.h>

/*
 * Physical frames (4 KiB). Frames come first from the never-used part of the
 * EXO_MEM_USABLE regions, which the VMM guarantees are zero, so a fresh frame
 * costs no zeroing; freed frames go on a free list and are zeroed only when
 * they are handed out again.
 */
struct frame_stats {
	u64 total;       /* usable frames at boot */
	u64 fresh;       /* never handed out yet */
	u64 free;        /* on the free list */
	u64 runs;        /* handed out by frame_alloc_run, never freed */
};

/*
 * -E_INVAL if the memory map is malformed: not sorted by base, a usable region
 * unaligned, at 0, past mem_size, or overlapping any other region.
 */
int frame_init(const struct exo_bootinfo *bi);
/* A zero-filled frame's physical address, or 0 when memory is exhausted. */
u64 frame_alloc(void);
/* n physically contiguous zero-filled frames, never freed, or 0 (frame.c). */
u64 frame_alloc_run(u32 n);
void frame_free(u64 pa);
void frame_stats(struct frame_stats *st);
/*
 * For the self-check (selfcheck.c). frame_given: pa is a frame of the pool
 * that has been handed out (it is not fresh, not σ0's, not outside the
 * usable memory). frame_walk_free calls fn for the free list's frames, at
 * most limit + 1 of them, and returns how many it met (limit + 1: the list
 * is longer than it should be, or has a cycle). frame_walk_runs calls fn
 * for every frame frame_alloc_run handed out.
 */
bool frame_given(u64 pa);
/* The end of the highest usable region: every pool frame lies below. */
u64 frame_pa_end(void);
u64 frame_walk_free(void (*fn)(u64 pa, void *ctx), void *ctx, u64 limit);
void frame_walk_runs(void (*fn)(u64 pa, void *ctx), void *ctx);
/* Set aside σ0's physical memory (frame.c); [first, end), empty if none. */
void frame_split_sigma0(u64 *first, u64 *end);

#endif
