/*
 * State in a global variable: clang emits an LD_IMM64 with a relocation
 * against .bss, which exo does not support (state lives in ext_store()).
 * `exo ext verify` must refuse it by naming the relocation.
 */
#include <exo/ext.h>

static u64 calls;

SEC("event/syscall")
int
count(struct ext_syscall_ctx *ctx)
{
	(void)ctx;
	calls++;
	return EXT_DEFAULT;
}
