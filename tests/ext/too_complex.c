/*
 * A loop the checker walks turn by turn (its counter is known each turn):
 * safe, and accepted within the host's step budget, but it walks more
 * instructions than the kernel gives a program of its size
 * (verify_kernel_budget): `exo ext verify` must refuse it for complexity and
 * say how many it walked.
 */
#include <exo/ext.h>

SEC("event/syscall")
int
busy(struct ext_syscall_ctx *ctx)
{
	u64 x = ctx->args[0];

#pragma nounroll
	for (u32 i = 0; i < 300; i++)
		x = x * 3 + i;
	ctx->ret = x;
	return EXT_HANDLED;
}
