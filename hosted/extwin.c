/* The hosted platform's extension window (platform.h arch_ext_*). */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/thread.h"
#include "../guest/core/trace.h"
#include "../vmm/machine.h"
#include "hosted.h"

/*
 * The extension window: address space reserved in exo at start, frames
 * mapped into it from the memfd, W^X kept (read+write or read+execute,
 * never both, as on the guest).
 */
#define WIN_PAGES 8192
static u8 *window;

u64
arch_ext_addr(u32 p)
{
	if (!window) {
		window = mmap(NULL, (size_t)WIN_PAGES * EXO_PAGE_SIZE, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (window == MAP_FAILED) {
			perror("exo: hosted: extension window");
			abort();
		}
	}
	return (u64)(window + (u64)p * EXO_PAGE_SIZE);
}

void *
arch_ext_map(u32 first, const u64 *pa, u32 n, u32 rights)
{
	u8 *va = (u8 *)arch_ext_addr(first);
	int prot = PROT_READ | (rights & EXO_SEG_W ? PROT_WRITE : 0) |
		   (rights & EXO_SEG_X ? PROT_EXEC : 0);

	if ((rights & EXO_SEG_W && rights & EXO_SEG_X) || first + n > WIN_PAGES)
		return NULL;
	for (u32 i = 0; i < n; i++)
		if (mmap(va + (u64)i * EXO_PAGE_SIZE, EXO_PAGE_SIZE, prot,
			 MAP_SHARED | MAP_FIXED, hosted.memfd, (off_t)pa[i]) == MAP_FAILED) {
			arch_ext_unmap(first, i);
			return NULL;
		}
	return va;
}

void
arch_ext_unmap(u32 first, u32 n)
{
	mmap((void *)arch_ext_addr(first), (size_t)n * EXO_PAGE_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

void
arch_ext_frames(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	(void)fn, (void)ctx;    /* the window's tables are Linux's */
}

u64
arch_kernel_wx(void)
{
	return 0;               /* exo maps nothing W+X (arch_ext_map refuses) */
}
