/*
 * An application-specific system call, SPIN's protected in-kernel call:
 * number EXT_NR_ADD returns the sum of its first two arguments and the
 * caller's thread, without entering the kernel's own code. Every other
 * number goes on to the default.
 */
#include <exo/ext.h>

#define EXT_NR_ADD 0x4000

SEC("guard/syscall")
int
is_add(struct ext_syscall_ctx *ctx)
{
	return ctx->nr == EXT_NR_ADD;
}

SEC("event/syscall")
int
syscall_add(struct ext_syscall_ctx *ctx)
{
	if (ctx->nr != EXT_NR_ADD)
		return EXT_DEFAULT;
	ctx->ret = ctx->args[0] + ctx->args[1];
	return EXT_HANDLED;
}
