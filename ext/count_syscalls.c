/*
 * Count system calls by number: one counter per number below
 * EXT_COUNTER_SLOTS, the last slot for all others. `exo stat` shows the
 * counters. It never handles a call: the default (and any other handler) runs.
 */
#include <exo/ext.h>

SEC("event/syscall")
int
count_syscalls(struct ext_syscall_ctx *ctx)
{
	u64 nr = ctx->nr;

	ext_counter_add(nr < EXT_COUNTER_SLOTS ? nr : EXT_COUNTER_SLOTS - 1, 1);
	return EXT_DEFAULT;
}
