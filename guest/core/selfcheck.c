/*
 * The kernel's self-check (selfcheck.h). Frames are checked with a bitmap,
 * one bit a frame, taken from the pool for the walk: the free list is
 * marked first, then every user translation is looked at (a frame marked by
 * now is free: a translation to it is a use after free), then every holder
 * marks its frames; a second mark is a frame held twice. What the pool
 * handed out and nobody marked is lost.
 */
#include "selfcheck.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "cap.h"
#include "env.h"
#include "ext.h"
#include "frame.h"
#include "kernel.h"
#include "mdb.h"
#include "modpage.h"
#include "percpu.h"
#include "platform.h"
#include "space.h"
#include "thread.h"

#define PAGE            EXO_PAGE_SIZE
#define BITS_PER_FRAME  (PAGE * 8)
/* Frames of bits: 64 cover 8 GiB, four times the most --mem gives. */
#define SC_BITMAPS      64

static struct {
	struct selfcheck_result *r;
	u64 bm[SC_BITMAPS];     /* the bitmap's frames */
	u64 nbm;
	u64 held;               /* frames marked by their holders */
} sc;

static void
fail(u32 kind, u64 object)
{
	if (!sc.r->violations++) {
		sc.r->kind = kind;
		sc.r->object = object;
	}
}

/* A frame of the pool, handed out, that the bitmap covers. */
static bool
covered(u64 pa)
{
	return frame_given(pa) && pa / PAGE < sc.nbm * BITS_PER_FRAME;
}

/* Set pa's bit (pa covered); was it set already? */
static bool
bit_set(u64 pa, bool set)
{
	u64 n = pa / PAGE;
	u64 *w = (u64 *)arch_phys_to_virt(sc.bm[n / BITS_PER_FRAME]) +
		 n % BITS_PER_FRAME / 64;
	u64 b = 1ULL << (n % 64);
	bool old = *w & b;

	if (set)
		*w |= b;
	return old;
}

static void
bitmap_give(void)
{
	while (sc.nbm)
		frame_free(sc.bm[--sc.nbm]);
}

static int
bitmap_take(void)
{
	u64 n = (frame_pa_end() / PAGE + BITS_PER_FRAME - 1) / BITS_PER_FRAME;

	for (sc.nbm = 0; sc.nbm < n && sc.nbm < SC_BITMAPS; sc.nbm++) {
		/* Zero-filled, as frame_alloc promises: every bit clear. */
		sc.bm[sc.nbm] = frame_alloc();
		if (!sc.bm[sc.nbm]) {
			bitmap_give();
			return -E_NOMEM;
		}
	}
	return 0;
}

static void
mark_free(u64 pa, void *ctx)
{
	(void)ctx;
	if (!covered(pa))
		fail(SC_FREE_LIST, pa);
	else if (bit_set(pa, true))
		fail(SC_FRAME_TWICE, pa);       /* on the list twice: a cycle */
}

/* ctx: NULL, or a count of the holder's frames to add one to. */
static void
mark_held(u64 pa, void *ctx)
{
	if (ctx)
		++*(u64 *)ctx;
	sc.held++;
	if (!covered(pa))
		fail(SC_FRAME_FOREIGN, pa);
	else if (bit_set(pa, true))
		fail(SC_FRAME_TWICE, pa);
}

/* The binding of one of s's FRAME capabilities at va, to pa, with rights. */
static bool
pte_is_binding(struct space *s, u64 va, u64 pa, u32 rights)
{
	const struct env *e = env_of(s);

	for (u32 i = 0; i < EXO_NCAPS && e->ncaps; i++) {
		const struct cap *k = &e->caps[i];

		if (k->type == EXO_CAP_FRAME && k->va == va && k->object == pa &&
		    !(rights & ~(u32)k->bound))
			return true;
	}
	return false;
}

/* Why may s translate va to pa with rights? False: nothing says it may. */
static bool
pte_explained(struct space *s, u64 va, u64 pa, u32 rights)
{
	struct mdb_node *n = mdb_lookup(s, va);

	if (n)
		return n->pa == pa;     /* the rights: mdb_check */
	if (va == EXO_USER_KIP)
		return pa == arch_virt_to_phys(&kip_page) && rights == EXO_SEG_R;
	if (va == EXO_USER_SYSCALL_STUB)
		return !(rights & EXO_SEG_W);   /* PVM: the kernel's own stub */
	for (u32 i = THREAD_FIRST; i < NTHREADS; i++) {
		const struct thread *t = &threads[i];

		if (t->state != TS_FREE && t->space == s && t->utcb_va == va)
			return t->utcb_pa == pa && !(rights & EXO_SEG_X);
	}
	return pte_is_binding(s, va, pa, rights);
}

static void
check_pte(u64 va, u64 pa, u32 rights, void *ctx)
{
	if (covered(pa) && bit_set(pa, false))
		fail(SC_FRAME_TWICE, pa);       /* mapped, and on the free list */
	if (modpage_frame_unused(pa))
		fail(SC_PTE_STRAY, va);         /* a module frame not handed out yet */
	if (!pte_explained(ctx, va, pa, rights))
		fail(SC_PTE_STRAY, va);
}

/* Every holder marks its frames; counts by holder in by (KTEST_FR_*). */
static void
mark_holders(u64 by[KTEST_FR_TABLES + 1])
{
	mdb_walk_frames(mark_held, 0);
	thread_walk_save_frames(mark_held, 0);
	frame_walk_runs(mark_held, 0);
	ext_walk_frames(mark_held, 0);
	arch_ext_frames(mark_held, 0);
	for (u64 i = 0; i < sc.nbm; i++)
		mark_held(sc.bm[i], 0);
	for (u32 i = 0; i < NSPACES; i++) {
		struct space *s = space_at(i);

		if (s)
			arch_space_frames(&s->pt, mark_held, &by[KTEST_FR_TABLES]);
		for (u32 j = 0; j < EXO_NCAPS && envs[i].ncaps; j++) {
			const struct cap *k = &envs[i].caps[j];

			if (k->type == EXO_CAP_FRAME && k->flags & CAPF_OWNED)
				mark_held(k->object, &by[KTEST_FR_CAPS]);
		}
	}
	for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
		if (threads[i].state != TS_FREE)
			mark_held(threads[i].utcb_pa, &by[KTEST_FR_UTCBS]);
}

static void
check_frames(void)
{
	struct frame_stats st;
	u64 by[KTEST_FR_TABLES + 1] = { 0 }, walked;

	frame_stats(&st);
	walked = frame_walk_free(mark_free, 0, st.free);
	if (walked != st.free)
		fail(SC_FREE_LIST, walked);
	for (u32 i = 0; i < NSPACES; i++)
		if (space_at(i))
			arch_space_walk(&space_at(i)->pt, check_pte, space_at(i));
	mark_holders(by);
	/* Invariant: every frame handed out is free or held. */
	if (st.total - st.fresh != st.free + sc.held)
		fail(SC_FRAME_LEAK, st.total - st.fresh - st.free - sc.held);
}

/* An environment's counts of its slots, and its software TLB. */
static void
check_env(u32 i)
{
	const struct env *e = &envs[i];
	u32 frames = 0, reserve = 0, live = 0;

	if (!space_at(i) && (e->ncaps || e->stlb_live || e->frames))
		fail(SC_CAP, i);        /* a dead space's environment holds nothing */
	for (u32 j = 0; j < EXO_NCAPS && e->ncaps; j++) {
		const struct cap *k = &e->caps[j];

		if (k->type != EXO_CAP_FRAME)
			continue;
		frames += !!(k->flags & CAPF_OWNED);
		reserve += !!(k->flags & CAPF_RESERVE);
		if ((k->flags & CAPF_RESERVE && !k->va) ||
		    (k->va && (k->va & (PAGE - 1) || k->va < EXO_USER_MIN ||
			       k->va >= EXO_USER_END || !(k->bound & EXO_R))))
			fail(SC_CAP, i);
	}
	if (frames != e->frames || reserve != e->reserve)
		fail(SC_CAP, i);
	for (u32 j = 0; j < EXO_STLB_ENTRIES; j++) {
		const struct stlb_entry *ent = &e->stlb[j];
		u64 va = ent->tag & ~(PAGE - 1);
		const struct cap *k;

		if (!(ent->tag & STLB_VALID))
			continue;
		live++;
		k = ent->cap && ent->cap <= NSPACES * EXO_NCAPS ? cap_deref(ent->cap) : 0;
		if (!k || cap_env(k) != e || k->type != EXO_CAP_FRAME || k->va != va ||
		    ((va >> 12) & (EXO_STLB_ENTRIES - 1)) != j ||
		    (ent->pa_rights & ~(PAGE - 1)) != k->object ||
		    (ent->pa_rights & EXO_RWX) != k->bound)
			fail(SC_STLB, (u64)i << 16 | j);
	}
	if (live != e->stlb_live)
		fail(SC_STLB, (u64)i << 16 | 0xffff);
}

/* Queues, by the bit each sets in member[]. */
enum { ON_READY = 1, ON_SENDQ = 2, ON_TIMEOUTS = 4 };
static u8 member[NTHREADS];

static bool
is_thread(const struct thread *t)
{
	return t >= &threads[1] && t < &threads[NTHREADS] &&
	       ((uintptr_t)t - (uintptr_t)threads) % sizeof(*t) == 0;
}

/* t joins queue kind q; false (and a violation) if the list is broken. */
static bool
join(const struct thread *t, u8 q)
{
	if (!is_thread(t)) {
		fail(SC_QUEUE, 0);
		return false;
	}
	if (member[t - threads] & q) {
		fail(SC_QUEUE, t->id);  /* twice on one kind of queue, or a cycle */
		return false;
	}
	member[t - threads] |= q;
	return true;
}

static void
check_ready(u32 c)
{
	const struct sched_cpu *q = &cpus[c].sched;

	for (u32 p = 0; p < SCHED_NPRIO; p++) {
		const struct thread *h = q->ready[p], *t = h;

		if (!h != !(q->bitmap[p / 64] >> (p % 64) & 1))
			fail(SC_QUEUE, 0);
		while (t && join(t, ON_READY)) {
			if (t->state != TS_READY || t->prio != p || CPU_OF(t) != c ||
			    t->flags & (TF_HALT | TF_DOOMED) || !is_thread(t->rnext) ||
			    t->rnext->rprev != t)
				fail(SC_QUEUE, t->id);
			t = is_thread(t->rnext) && t->rnext != h ? t->rnext : 0;
		}
	}
	if (cpus[c].cur && cpus[c].cur->rnext)
		fail(SC_QUEUE, cpus[c].cur->id);        /* running, and queued */
}

static void
check_timeouts(u32 c)
{
	const struct thread *prev = 0;

	for (const struct thread *t = cpus[c].sched.timeouts; t; prev = t, t = t->tnext) {
		if (!join(t, ON_TIMEOUTS))
			break;
		if (!t->wakeup || CPU_OF(t) != c || t->state == TS_FREE ||
		    (prev && prev->wakeup > t->wakeup))
			fail(SC_QUEUE, t->id);
	}
}

static bool
sending(u32 state)
{
	return state == TS_SENDING || state == TS_SEND_FAULT || state == TS_IRQ_PENDING;
}

static void
check_sendq(const struct thread *d)
{
	const struct thread *h = d->sendq;

	if (h && d->state == TS_FREE)
		fail(SC_QUEUE, d->id);
	for (const struct thread *t = h; t; t = t->qnext) {
		if (!join(t, ON_SENDQ))
			break;
		if (!sending(t->state) || (!t->qnext && h->qprev != t))
			fail(SC_QUEUE, t->id);
	}
}

static void
check_queues(void)
{
	for (u32 i = 0; i < NTHREADS; i++)
		member[i] = 0;
	for (u32 c = 0; c < ncpus; c++) {
		check_ready(c);
		check_timeouts(c);
	}
	for (u32 i = 1; i < NTHREADS; i++)
		check_sendq(&threads[i]);
	for (u32 i = 1; i < NTHREADS; i++) {
		const struct thread *t = &threads[i];
		u8 m = member[i];

		if ((t->state == TS_FREE && m) || !(m & ON_READY) != !t->rnext ||
		    !(m & ON_TIMEOUTS) != !t->wakeup || !(m & ON_SENDQ) != !t->qprev ||
		    (m & ON_READY && m & (ON_SENDQ | ON_TIMEOUTS)))
			fail(SC_QUEUE, t->id);
	}
}

int
selfcheck_run(struct selfcheck_result *r)
{
	*r = (struct selfcheck_result){ 0 };
	sc.r = r;
	sc.held = 0;
	if (bitmap_take() < 0)
		return -E_NOMEM;
	check_frames();
	bitmap_give();
	if (!mdb_check())
		fail(SC_MDB, 0);
	if (!cap_check())
		fail(SC_CAP, ~0ULL);
	for (u32 i = 0; i < NSPACES; i++)
		check_env(i);
	check_queues();
	if (arch_kernel_wx())
		fail(SC_WX, arch_kernel_wx());
	return 0;
}

static void
count(u64 pa, void *ctx)
{
	(void)pa;
	++*(u64 *)ctx;
}

i64
selfcheck_frames(u32 what)
{
	struct frame_stats st;
	u64 n = 0;

	frame_stats(&st);
	switch (what) {
	case KTEST_FR_AVAIL:
		return (i64)(st.fresh + st.free);
	case KTEST_FR_CAPS:
		for (u32 i = 0; i < NSPACES; i++)
			n += envs[i].frames;
		return (i64)n;
	case KTEST_FR_UTCBS:
		for (u32 i = THREAD_FIRST; i < NTHREADS; i++)
			n += threads[i].state != TS_FREE;
		return (i64)n;
	case KTEST_FR_TABLES:
		for (u32 i = 0; i < NSPACES; i++)
			if (space_at(i))
				arch_space_frames(&space_at(i)->pt, count, &n);
		return (i64)n;
	}
	return -E_INVAL;
}
