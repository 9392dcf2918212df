/*
 * docs/tutorial/extension.md, "Write an extension": a ticket dispenser as a
 * system call of its own. Call 0x4001 (a number the kernel leaves to
 * extensions) with n returns the first of n consecutive tickets (n = 0: the
 * next one, without taking it); the extension keeps the next ticket in its
 * store and counts the calls it answered in counter 0, which user space
 * reads. Every other call goes on to the kernel.
 */
#include <exo/ext.h>

#define NR_TICKET 0x4001

SEC("event/syscall")
int
ticket(struct ext_syscall_ctx *ctx)
{
	u64 *next;

	if (ctx->nr != NR_TICKET)
		return EXT_DEFAULT;
	next = ext_store(0);            /* 64 bytes that live as long as we do */
	if (!next)                      /* the checker insists: it may be NULL */
		return EXT_DEFAULT;
	ctx->ret = *next;
	*next += ctx->args[0];
	ext_counter_add(0, 1);
	return EXT_HANDLED;
}
