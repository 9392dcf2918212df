/* Thread control blocks: numbers, versions, creation and deletion. */
#include "thread.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "../../ipc/ipc.h"
#include "ext.h"
#include "frame.h"
#include "kernel.h"
#include "platform.h"
#include "sched.h"

struct thread threads[NTHREADS];
u32 threads_doomed;             /* how many carry TF_DOOMED: reaping is O(1) when none */

_Static_assert((NTHREADS & (NTHREADS - 1)) == 0, "ids mask into the table");
_Static_assert(sizeof(struct exo_utcb) <= EXO_PAGE_SIZE, "a UTCB is one page");

void
thread_init(void)
{
	for (u32 line = 1; line <= EXO_NIRQ; line++) {
		threads[line].id = EXO_IRQ_TID(line);
		threads[line].state = TS_IRQ_IDLE;
	}
}

/*
 * The arch layer's area of each thread number (THREAD_ARCH_SAVE bytes,
 * 16-aligned), eight to a frame. A frame is taken the first time one of its
 * numbers is used and kept for every later thread with those numbers (at
 * most NTHREADS / 8 frames): the areas take memory as threads are made,
 * not in the kernel image. NULL if the pool is empty.
 */
static u64 save_frames[NTHREADS / (EXO_PAGE_SIZE / THREAD_ARCH_SAVE)];

static void *
thread_save_area(u32 n)
{
	u32 per = EXO_PAGE_SIZE / THREAD_ARCH_SAVE;
	u64 *f = &save_frames[n / per];

	if (!*f)
		*f = frame_alloc();
	return *f ? (u8 *)arch_phys_to_virt(*f) + n % per * THREAD_ARCH_SAVE : 0;
}

void
thread_walk_save_frames(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	for (u32 i = 0; i < sizeof(save_frames) / sizeof(save_frames[0]); i++)
		if (save_frames[i])
			fn(save_frames[i], ctx);
}

static struct thread *
thread_slot(void)
{
	for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
		if (threads[i].state == TS_FREE)
			return &threads[i];
	return 0;
}

int
thread_create(struct space *s, u64 utcb_va, u64 pager, u32 prio,
	      struct thread **out)
{
	struct thread *t = thread_slot();
	u32 version;
	u64 pa;
	void *save;

	if (utcb_va & (EXO_PAGE_SIZE - 1) || utcb_va < EXO_USER_MIN ||
	    utcb_va >= EXO_USER_END || prio > PRIO_MAX)
		return -E_INVAL;
	if (!t || !(save = thread_save_area((u32)(t - threads))))
		return -E_NOMEM;
	pa = frame_alloc();
	if (!pa)
		return -E_NOMEM;
	if (arch_space_map(&s->pt, utcb_va, pa, EXO_PAGE_SIZE, EXO_SEG_R | EXO_SEG_W) < 0) {
		frame_free(pa);
		return -E_INVAL;        /* something is mapped there already */
	}
	/* Commit point. A new version for the number: old ids stay dead. */
	version = EXO_TID_VERSION(t->id) + 1;
	if (version == 0)
		version = 1;
	*t = (struct thread){
		.id = EXO_TID(t - threads, version),
		.state = TS_HALTED,
		.root = s->pt.root,
		.space = s,
		.utcb = arch_phys_to_virt(pa),
		.utcb_va = utcb_va,
		.utcb_pa = pa,
		.pager = pager,
		.prio = prio,
		.flags = ext_thread_flags(s),   /* TF_EXT: its events are raised */
		/* Home: the creator's CPU (sched_set_cpu moves it). */
		.cpu = this_cpu()->id,
		.home = this_cpu(),
		.kstack = arch_cpu_kstack(this_cpu()->id),
		.arch_save = save,
	};
	arch_thread_init(t);
	t->utcb->my_tid = t->id;
	t->utcb->pager = pager;
	s->nthreads++;
	*out = t;
	return 0;
}

void
thread_delete(struct thread *t)
{
	struct space *s = t->space;
	struct percpu *pc = &cpus[t->cpu];
	u64 pa;

	/* Running on another CPU: have it leave t first (its registers saved). */
	smp_evict(t);
	ipc_detach(t);
	sched_dequeue(t);
	sched_timeout_cancel(t);
	if (arch_space_unmap(&s->pt, t->utcb_va, &pa) == 0)
		kassert(pa == t->utcb_pa);
	frame_free(t->utcb_pa);
	if (t->flags & TF_DOOMED)
		threads_doomed--;
	t->state = TS_FREE;
	t->flags = 0;
	t->utcb = 0;
	if (pc->cur == t)
		pc->cur = 0;
	if (--s->nthreads == 0)
		space_destroy(s);
}

void
thread_doom(struct thread *t, u64 vector, u64 error, u64 addr, u64 ip)
{
	if (t->flags & TF_DOOMED)
		return;
	t->flags |= TF_DOOMED;
	threads_doomed++;
	t->doom_vector = vector;
	t->doom_error = error;
	t->doom_addr = addr;
	t->doom_ip = ip;
	sched_dequeue(t);
	t->state = TS_HALTED;
}
