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
/* Set aside σ0's physical memory (frame.c); [first, end), empty if none. */
void frame_split_sigma0(u64 *first, u64 *end);

#endif
