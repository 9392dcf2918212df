/*
 * Count interrupts per line in the extension's store (8 lines of 8 bytes),
 * atomically, since lines arrive on every CPU; and tell a user-level thread
 * package of its threads' kernel blocking through the thread event's word.
 */
#include <exo/ext.h>

SEC("event/irq")
int
irq_count(struct ext_irq_ctx *ctx)
{
	u64 *c = ext_store(1);

	if (!c)
		return EXT_DEFAULT;
	__sync_fetch_and_add(&c[ctx->line & 7], 1);
	return EXT_DEFAULT;
}

SEC("event/thread")
int
thread_notify(struct ext_thread_ctx *ctx)
{
	if (ctx->what != EXT_TH_BLOCK && ctx->what != EXT_TH_UNBLOCK)
		return EXT_DEFAULT;
	ctx->user_word = ctx->thread << 8 | ctx->what;
	return EXT_HANDLED;
}
