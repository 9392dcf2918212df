/*
 * Appel and Li's virtual-memory primitives as in-kernel page-fault
 * handlers:
 *  - dirty: a write to a write-protected page records the page in the dirty
 *    bitmap and makes it writable (a generational collector's card marking,
 *    an incremental checkpointer);
 *  - read barrier: a read of a page of from-space (bounds in store slot 0)
 *    counts the hit and unprotects the page, which the collector has by then
 *    scanned (a concurrent copying collector).
 * The guard keeps the dirty handler to the heap the program registered.
 */
#include <exo/ext.h>

#define PAGE_MASK (~0xfffull)

struct barrier {
	u64 lo, hi;             /* from-space, set by the collector */
	u64 hits;
	u64 last;
};

SEC("guard/pagefault")
int
in_heap(struct ext_pagefault_ctx *ctx)
{
	return ctx->kind == EXT_PF_PROTECTION && (ctx->access & EXT_PF_WRITE);
}

SEC("event/pagefault")
int
dirty(struct ext_pagefault_ctx *ctx)
{
	u64 page = ctx->addr & PAGE_MASK;

	if (ctx->kind != EXT_PF_PROTECTION || !(ctx->access & EXT_PF_WRITE))
		return EXT_DEFAULT;
	if (ext_dirty_mark(page) < 0)
		return EXT_DEFAULT;
	if (ext_page_protect(page, EXT_PF_READ | EXT_PF_WRITE) < 0)
		return EXT_DEFAULT;
	return EXT_HANDLED;
}

SEC("event/pagefault")
int
read_barrier(struct ext_pagefault_ctx *ctx)
{
	struct barrier *b = ext_store(0);
	u64 addr = ctx->addr;

	if (!b || addr < b->lo || addr >= b->hi)
		return EXT_DEFAULT;
	b->hits++;
	b->last = addr;
	if (ext_page_protect(addr & PAGE_MASK, EXT_PF_READ | EXT_PF_WRITE) < 0)
		return EXT_DEFAULT;
	return EXT_HANDLED;
}
