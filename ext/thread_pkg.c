/*
 * What a user-level thread package hears from the kernel (SPIN's Strands):
 * its kernel threads' blocking and waking, and messages arriving at them.
 * For thread number n (mod 8): store word n is 1 while it is blocked in
 * the kernel, 0 once woken (the package's view of which threads can run);
 * counters 4n + EXT_TH_BLOCK and 4n + EXT_TH_UNBLOCK count the two, and
 * 48 + n and 56 + n its checkpoints and resumes (it left a CPU, it got one
 * back). The thread's own word (ctx->user_word, kept by the kernel) counts
 * its blocks and wakes.
 * The IPC handler counts arrivals (counter 40), sums their labels (41) and
 * first words (42).
 */
#include <exo/ext.h>

SEC("event/thread")
int
on_thread(struct ext_thread_ctx *ctx)
{
	u32 n = (u32)(ctx->thread >> 32) & 7, what = ctx->what;
	u64 *view = ext_store(0);

	if (what == EXT_TH_CHECKPOINT || what == EXT_TH_RESUME) {
		ext_counter_add((what == EXT_TH_CHECKPOINT ? 48 : 56) + n, 1);
		return EXT_DEFAULT;
	}
	if (!view || (what != EXT_TH_BLOCK && what != EXT_TH_UNBLOCK))
		return EXT_DEFAULT;
	view[n] = what == EXT_TH_BLOCK;
	ext_counter_add(4 * n + what, 1);
	ctx->user_word += 1;
	return EXT_DEFAULT;
}

SEC("event/ipc")
int
on_ipc(struct ext_ipc_ctx *ctx)
{
	ext_counter_add(40, 1);
	ext_counter_add(41, ctx->label);
	ext_counter_add(42, ctx->mr[0]);
	return EXT_DEFAULT;
}
