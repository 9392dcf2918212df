/*
 * Appel and Li's virtual-memory primitives done in the kernel, SPIN's way
 * (the VM rows of Bershad et al.'s SOSP 1995 table): the program's
 * protection changes and its fault handling are extension code, not
 * system calls and upcalls.
 *  - vm_protect, an application-specific system call: EXT_NR_PROTECT
 *    (va, npages, prot) gives the caller's bindings in npages pages from va
 *    the rights prot (EXT_PF_READ | EXT_PF_WRITE ...) through the kernel's
 *    range interface, and returns what it returns (the bindings there, or
 *    an error: none changes unless all can);
 *  - appel1 and appel2, page-fault handlers: a write to a protected page
 *    makes it writable; appel1 also protects the page the last fault
 *    unprotected and remembers this one (store slot 0's word 0, which the
 *    program reads with ext_counter).
 * ext_page_protect acts on the caller's or faulting space alone (the guard
 * the kernel imposes); a page-fault it declines goes on to the upcall.
 */
#include <exo/ext.h>

#define EXT_NR_PROTECT 0x4100
#define PAGE_MASK      (~0xfffull)

SEC("guard/syscall")
int
is_protect(struct ext_syscall_ctx *ctx)
{
	return ctx->nr == EXT_NR_PROTECT;
}

SEC("event/syscall")
int
vm_protect(struct ext_syscall_ctx *ctx)
{
	if (ctx->nr != EXT_NR_PROTECT)
		return EXT_DEFAULT;
	ctx->ret = (u64)ext_protect_range(ctx->args[0], ctx->args[1], ctx->args[2]);
	return EXT_HANDLED;
}

/* A write to a protected page: make it writable. */
static int
unprotect(const struct ext_pagefault_ctx *ctx)
{
	if (ctx->kind != EXT_PF_PROTECTION || !(ctx->access & EXT_PF_WRITE))
		return -1;
	return ext_page_protect(ctx->addr & PAGE_MASK, EXT_PF_READ | EXT_PF_WRITE) < 0 ? -1 : 0;
}

SEC("event/pagefault")
int
appel1(struct ext_pagefault_ctx *ctx)
{
	u64 *last = ext_store(0);

	if (!last || unprotect(ctx) < 0)
		return EXT_DEFAULT;
	if (*last && ext_page_protect(*last, EXT_PF_READ) < 0)
		return EXT_DEFAULT;
	*last = ctx->addr & PAGE_MASK;
	return EXT_HANDLED;
}

SEC("event/pagefault")
int
appel2(struct ext_pagefault_ctx *ctx)
{
	return unprotect(ctx) < 0 ? EXT_DEFAULT : EXT_HANDLED;
}
