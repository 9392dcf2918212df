/*
 * The thread, IPC, timer and interrupt events (ext.h): their raises, the
 * gates that keep a raise with no handler off the paths, and who may
 * attach.
 *
 * The gate is the thread flag TF_EXT. While an environment has thread, IPC
 * or timer handlers, each of its threads carries it (and a thread created in it
 * meanwhile); while a line has interrupt handlers, its interrupt thread
 * does. The general path tests the flag of a thread it blocks, wakes,
 * gives a message to or whose timeout expires; the fast paths already
 * refused a partner whose flags are not 0 and now refuse such a caller too,
 * and the page-fault fast path stays off while ext_pf_hooks is not 0
 * (which counts the environments with such handlers besides the page-fault
 * handlers). So a raise with no handler costs a test and a branch at each
 * site of the general path, one instruction on the IPC and pager-reply
 * fast paths, nothing on the page-fault fast path and the idle line's
 * interrupt path (docs/extensions.md has the counts).
 *
 * Everything here runs under the big kernel lock: a removal (hooks_drop,
 * ext.c) clears the flags and the hook before any other CPU can raise.
 */
#include "ext.h"

#include <exo/error.h>
#include <exo/ext.h>
#include <exo/extcall.h>

#include "../../ipc/transfer.h"
#include "ext_int.h"
#include "kernel.h"
#include "percpu.h"
#include "sched.h"
#include "trace.h"

static u8 env_hooks[NSPACES];           /* thread, IPC, timer handlers, by env */
static u16 line_hooks[EXO_NIRQ + 1];    /* interrupt handlers, by line (of
					   every environment that drove it) */
static u64 line_raises[EXO_NIRQ + 1];   /* each line's raises so far */
_Static_assert(EXO_EXT_HOOKS < 256 && NSPACES * EXO_EXT_HOOKS < 65536,
	       "the counts cannot overflow");

static void
flag(struct thread *t, bool on)
{
	/* Off: no resume is owed to handlers that are gone. */
	t->flags = on ? t->flags | TF_EXT : t->flags & ~(u32)(TF_EXT | TF_CKPT);
}

/* Every user thread of environment env gets or loses TF_EXT. */
static void
flag_env(u32 env, bool on)
{
	for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
		if (threads[i].state != TS_FREE && threads[i].space->index == env)
			flag(&threads[i], on);
}

void
ext_events_hook(u32 env, u32 event, u32 point, bool on)
{
	if (event == EXT_EV_IRQ) {
		u32 line = point - EXO_EXT_AT_IRQ(0);

		line_hooks[line] += on ? 1 : (u16)-1;
		flag(&threads[line], line_hooks[line] != 0);
		return;
	}
	env_hooks[env] += on ? 1 : (u8)-1;
	if (env_hooks[env] == (on ? 1 : 0)) {   /* the first came, the last went */
		flag_env(env, on);
		ext_pf_hooks += on ? 1 : (u32)-1;
	}
}

int
ext_events_authority(u32 env, u32 event, u32 point)
{
	struct thread *driver;

	if (event != EXT_EV_IRQ)
		return 0;
	/* The line's: only the environment of its driver (irq_control). */
	driver = thread_lookup(threads[point - EXO_EXT_AT_IRQ(0)].handler);
	return driver && driver->space->index == env ? 0 : -E_PERM;
}

u32
ext_thread_flags(const struct space *s)
{
	return env_hooks[s->index] ? TF_EXT : 0;
}

struct thread *
ext_thread_raise(struct thread *t, u32 what)
{
	/* The imposed guard: t's own environment's handlers only. */
	struct ext_thread_ctx ctx = {
		.thread = t->id, .what = what, .cpu = this_cpu()->id,
		.user_word = t->ext_word,
	};

	ext_raise_env(t->space->index, EXT_EV_THREAD, EXO_EXT_AT_THREAD, &ctx,
		      (u64)what << 32 | EXO_TID_NO(t->id));
	t->ext_word = ctx.user_word;
	return t;
}

/*
 * The CPU passes from prev (the thread that entered, if it is still prev_id)
 * to t. A thread that can run again leaves a checkpoint; the one that gets
 * the CPU back after one resumes. Not a checkpoint: an entry thread going to
 * wait for its next upcall or transfer (TS_ENTRY_WAIT; the protected control
 * transfer's fast path hands the CPU between entry threads without the
 * scheduler, so the general path must not differ), or a thread that dies.
 * So each thread's raises alternate, checkpoint first.
 */
void
ext_thread_switch(struct thread *prev, u64 prev_id, struct thread *t)
{
	if (prev == t && prev_id == t->id)
		return;                 /* the same thread, in another space's tables */
	if (prev && prev->id == prev_id && prev->flags & TF_EXT &&
	    prev->state != TS_ENTRY_WAIT && prev->state != TS_FREE &&
	    !(prev->flags & TF_DOOMED)) {
		prev->flags |= TF_CKPT;
		ext_thread_raise(prev, EXT_TH_CHECKPOINT);
	}
	if (t->flags & TF_CKPT) {
		t->flags &= ~(u32)TF_CKPT;
		ext_thread_raise(t, EXT_TH_RESUME);
	}
}

u32
ext_ipc_raise(struct thread *src, struct thread *dst)
{
	u64 tag = *thread_mr(dst, 0);
	struct ext_ipc_ctx ctx = { .sender = src->id, .label = EXO_TAG_LABEL(tag) };
	u32 u = EXO_TAG_U(tag);

	/* MR1..MR4 as far as the message has words; the rest 0, not whatever
	 * the receiver's registers held. */
	for (u32 i = 0; i < 4 && i < u; i++)
		ctx.mr[i] = *thread_mr(dst, i + 1);
	ext_raise_env(dst->space->index, EXT_EV_IPC, EXO_EXT_AT_IPC, &ctx,
		      EXO_TID_NO(dst->id));
	return 0;
}

bool
ext_timer_raise(struct thread *t)
{
	u64 now = arch_now();
	u32 phase = t->state == TS_SENDING ? EXO_TIMEOUT_SND(t->timeouts) :
		    EXO_TIMEOUT_RCV(t->timeouts);
	struct ext_timer_ctx ctx = {
		.now = now, .period = sched_us_to_tsc(phase & 0x7fffffff), .next = 0,
	};

	if (t->state != TS_SENDING && t->state != TS_RECEIVING)
		return false;
	if (!ext_raise_env(t->space->index, EXT_EV_TIMER, EXO_EXT_AT_TIMER, &ctx,
			   EXO_TID_NO(t->id)))
		return false;
	/* The deadline is the handler's (the context is its to write): only
	 * one ahead and within bounds keeps t waiting. */
	if (ctx.next <= now || ctx.next - now > EXO_EXT_TIMER_MAX)
		return false;
	sched_timeout_at(t, ctx.next);
	return true;
}

bool
ext_irq_raise(struct thread *line_thread)
{
	u32 line = EXO_TID_NO(line_thread->id);
	struct thread *driver = thread_lookup(line_thread->handler);
	struct ext_irq_ctx ctx = { .line = line, .cpu = this_cpu()->id };

	/* The imposed guard: the handlers of the driver's environment. */
	if (!driver)
		return false;
	ctx.count = ++line_raises[line];
	return ext_raise_env(driver->space->index, EXT_EV_IRQ, EXO_EXT_AT_IRQ(line), &ctx,
			     line);
}
