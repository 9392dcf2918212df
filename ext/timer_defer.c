/*
 * The timer event: every other expiry of an IPC timeout in the environment
 * is deferred by one period more (a sleep of t lasts 2t). Store word 0
 * counts the raises.
 */
#include <exo/ext.h>

SEC("event/timer")
int
defer_once(struct ext_timer_ctx *ctx)
{
	u64 *raises = ext_store(0);

	if (!raises)
		return EXT_DEFAULT;
	raises[0] += 1;
	if (!(raises[0] & 1))
		return EXT_DEFAULT;
	ctx->next = ctx->now + ctx->period;
	return EXT_HANDLED;
}
