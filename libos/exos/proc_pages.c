/*
 * The manager's page and frame bookkeeping (proc_pages.h): decisions only,
 * no system call.
 */
#include "proc_pages.h"

#include <exo/error.h>
#include <exo/layout.h>

long
mgr_pool_slot(const struct mgr_frame *pool, u32 n)
{
	for (u32 i = 0; i < n; i++)
		if (!pool[i].cap)
			return i;
	return -E_NOMEM;
}

bool
mgr_pool_unref(struct mgr_frame *pool, u32 f)
{
	/* Invariant: a page that holds a frame counts in its refs. */
	return --pool[f].refs == 0;
}

struct mgr_page *
mgr_page_find(struct mgr_page *pages, u32 n, u64 va)
{
	va &= ~(u64)(EXO_PAGE_SIZE - 1);
	for (u32 i = 0; i < n; i++)
		if (pages[i].va == va)
			return &pages[i];
	return 0;
}

u32
mgr_page_rights(const struct mgr_page *pg)
{
	return (pg->cow ? pg->rights & ~EXO_BIND_W : pg->rights) | EXO_CAP_R;
}

bool
mgr_page_fork(struct mgr_frame *pool, struct mgr_page *pg, struct mgr_page *c)
{
	bool relink = (pg->rights & EXO_BIND_W) && !pg->cow;

	if (relink)
		pg->cow = 1;
	*c = *pg;
	c->link = 0;
	pool[pg->frame].refs++;
	return relink;
}

enum mgr_cow_plan
mgr_cow_plan(const struct mgr_frame *pool, struct mgr_page *pages, u32 n, u64 va,
	     struct mgr_page **pg)
{
	*pg = mgr_page_find(pages, n, va);
	if (!*pg || !(*pg)->cow)
		return MGR_COW_NONE;
	return pool[(*pg)->frame].refs > 1 ? MGR_COW_COPY : MGR_COW_TAKE;
}
