/*
 * A process's pages, as the manager keeps them (proc_mgr.h): frames in a
 * counted pool (fork shares them), each page's link capability the
 * process's copy descends from, and copy-on-write resolved when a write
 * faults to the manager, the process's pager. The manager copies through
 * two scratch bindings of its own.
 */
#include "proc_mgr.h"

#include <exo/error.h>

#include "libos.h"

#define SCRATCH     (EXOS_SCRATCH_VA + 0x10000)     /* beside vm.c's */
#define SCRATCH_SRC (SCRATCH + EXO_PAGE_SIZE)

static long
frame_new(void)
{
	long i = mgr_pool_slot(mgr.frames, MGR_FRAMES), c;

	if (i < 0)
		return i;
	if ((c = frame_alloc(0)) < 0)
		return c;
	mgr.frames[i] = (struct mgr_frame){ (exo_cap_t)c, 1 };
	return i;
}

static void
frame_unref(u32 f)
{
	if (!mgr_pool_unref(mgr.frames, f))
		return;
	frame_free(mgr.frames[f].cap);  /* every copy and binding goes with it */
	mgr.frames[f] = (struct mgr_frame){ 0 };
}

long
mgr_page_link(struct mgr_proc *p, struct mgr_page *pg)
{
	u32 rights = mgr_page_rights(pg);
	long link, name;

	link = cap_derive(mgr.frames[pg->frame].cap, rights | EXO_CAP_PASS);
	if (link < 0)
		return link;
	pg->link = (exo_cap_t)link;
	name = cap_pass(pg->link, p->tid, rights);
	if (name < 0)
		return name;
	return bind_env(p->env, (exo_cap_t)name, pg->va, rights | EXO_BIND_R);
}

long
mgr_page(struct mgr_proc *p, u64 va, u32 rights, const void *src, u32 off, u32 n)
{
	struct mgr_page *pg;
	long f;

	if (p->npages == MGR_PAGES)
		return -E_NOMEM;
	if ((f = frame_new()) < 0)
		return f;
	pg = &p->pages[p->npages++];
	*pg = (struct mgr_page){ .va = va, .frame = (u32)f, .rights = (u8)rights };
	if (src) {
		exo_cap_t c = mgr.frames[f].cap;
		long r = bind(c, SCRATCH, EXO_BIND_W | EXO_BIND_NOW);

		if (r < 0)
			return r;
		memcpy((u8 *)SCRATCH + off, src, n);
		unbind(c);
	}
	return mgr_page_link(p, pg);
}

void
mgr_pages_release(struct mgr_proc *p)
{
	for (u32 i = 0; i < p->npages; i++) {
		if (p->pages[i].link)
			cap_drop(p->pages[i].link);
		frame_unref(p->pages[i].frame);
	}
	p->npages = 0;
}

/* A fresh frame holding a copy of frame f's page: its index, or -E_*. */
static long
frame_copy(u32 f)
{
	long n = frame_new(), r;
	exo_cap_t src = mgr.frames[f].cap;

	if (n < 0)
		return n;
	r = bind(mgr.frames[n].cap, SCRATCH, EXO_BIND_W | EXO_BIND_NOW);
	if (r >= 0 && (r = bind(src, SCRATCH_SRC, EXO_BIND_R | EXO_BIND_NOW)) >= 0) {
		memcpy((void *)SCRATCH, (const void *)SCRATCH_SRC, EXO_PAGE_SIZE);
		unbind(src);
	}
	unbind(mgr.frames[n].cap);
	if (r < 0) {
		frame_unref((u32)n);
		return r;
	}
	return n;
}

int
mgr_cow_fault(struct mgr_proc *p, u64 va)
{
	struct mgr_page *pg;
	enum mgr_cow_plan plan = mgr_cow_plan(mgr.frames, p->pages, p->npages, va, &pg);

	if (plan == MGR_COW_NONE)
		return 0;
	/* Shared still: a copy of its own; the last holder takes the frame. */
	if (plan == MGR_COW_COPY) {
		long n = frame_copy(pg->frame);

		if (n < 0)
			return 0;
		frame_unref(pg->frame);
		pg->frame = (u32)n;
	}
	cap_drop(pg->link);     /* its read-only binding goes */
	pg->link = 0;
	pg->cow = 0;
	return mgr_page_link(p, pg) >= 0;
}
