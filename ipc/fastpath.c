/*
 * The IPC fast path, after L3/L4 and seL4's fastpath.c: a short call or
 * reply-and-wait whose partner already waits. The message stays in the CPU
 * registers (the entry code does not even save it), so the whole operation is
 * a few checks and a switch. Every case it does not handle returns NULL
 * before anything is changed, and the caller takes the general path
 * (ipc_syscall), which gives the same result; tests/unit/test_ipc.c runs both
 * on the same cases and compares.
 *
 * Conditions: receive timeout never (the caller will block), a tag with at
 * most EXO_REG_MRS - 1 untyped words, no typed items, no flags; the partner is
 * a user thread blocked in an untimed receive that accepts us, and not halted
 * (exchange_registers: it gets the message but must not run); the caller's
 * receive is closed on that partner (call), or open with nobody queued to
 * send to it (reply-and-wait); no ready thread has a higher priority than
 * the partner (the direct switch respects priorities, sched_direct_ok).
 * Both threads are homed on this CPU: a partner on another CPU is woken
 * there by the general path (sched_ready). The caller holds the big kernel
 * lock (entry.S).
 */
#include "ipc.h"
#include "fastpath.h"

#include <exo/layout.h>

#include "transfer.h"

#include "../guest/core/sched.h"
#include "../guest/core/trace.h"

/* u > 7, any typed word, any flag or error bit. */
#define FAST_TAG_MASK 0xfff8ULL
_Static_assert(EXO_REG_MRS == 8, "FAST_TAG_MASK assumes MR1..MR7 in registers");

static inline __attribute__((always_inline)) struct thread *
fastpath_call(u64 to, u64 from, u64 timeouts, struct thread *cur, u64 tag)
{
	struct thread *dst = &threads[EXO_TID_NO(to) & (NTHREADS - 1)];

	if (EXO_TIMEOUT_RCV(timeouts) != EXO_TIMEOUT_NEVER || tag & FAST_TAG_MASK)
		return 0;
	/* The direct switch respects priorities (sched_direct_ok: cur blocks). */
	/* Flags of either (TF_EXT: events to raise) send it the general way. */
	if (dst->id != to || dst->state != TS_RECEIVING || dst->wakeup ||
	    (dst->flags | cur->flags) ||
	    HOME_OF(dst) != HOME_OF(cur) || dst->prio < sched_ready_top)
		return 0;
	if (dst->partner != cur->id && dst->partner != EXO_ANYTHREAD)
		return 0;
	if (from != to && (from != EXO_ANYTHREAD || cur->sendq))
		return 0;
	/* Point of no return: cur blocks receiving, dst runs with the message. */
	TRACE_IPC_FAST(to);
	cur->timeouts = cur->ctx.rdx;  /* = timeouts (the entry saved it): one register fewer */
	cur->ctx.rdx = 0;       /* its error word, until the receive ends otherwise */
	cur->state = TS_RECEIVING;
	cur->partner = from;
	dst->state = TS_READY;
	dst->ctx.rax = cur->id;
	HOME_OF(cur)->cur = dst;
	return dst;
}

/* The fault half of the page-fault fast path is inline: fastpath.h. */
/* The reply half, ipc_fastpath_map, is inline too (fastpath.h): the arch
 * layer compiles it into its own entry (guest/arch/x86_64/pfmap.c). */

/*
 * While the scheduler's timer is armed, the fast path first looks at the
 * clock and declines once the deadline has passed, so that the general path
 * (leave, sched_poll) does the timer's work: on a PVM host two threads that
 * call and reply in a tight loop would otherwise keep the timer's interrupt
 * out for good, and with it every timeout and the end of their slice. The
 * clock is read out of line and reached by a tail call, so the path with
 * nothing armed pays one compare and a not-taken branch, and no registers.
 * (The page-fault fast path looks in pagefault_fast; the pager's
 * reply needs no look of its own: it ends a fault that looked.)
 */
static __attribute__((noinline)) struct thread *
fastpath_call_armed(u64 to, u64 from, u64 timeouts, struct thread *cur, u64 tag)
{
	if (sched_overdue())
		return 0;
	return fastpath_call(to, from, timeouts, cur, tag);
}

struct thread *
ipc_fastpath(u64 to, u64 from, u64 timeouts, struct thread *cur, u64 tag)
{
	if (__builtin_expect(sched_deadline != 0, 0))
		return fastpath_call_armed(to, from, timeouts, cur, tag);
	return fastpath_call(to, from, timeouts, cur, tag);
}
