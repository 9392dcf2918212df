/*
 * The manager's bookkeeping of a process's pages, portable (no system
 * call: the unit tests run it on the host, tests/unit/test_exos_fork.c):
 * the counted frame pool fork shares, which pages become copy-on-write at
 * a fork, what a write fault on one calls for, and the rights a page's
 * link carries. proc_mem.c and proc_fork.c carry the decisions out with
 * cap_derive, cap_pass, bind_env, frame_alloc and frame_free.
 */
#ifndef EXOS_PROC_PAGES_H
#define EXOS_PROC_PAGES_H

#include <exo/exo.h>
#include <exo/types.h>

/*
 * One page of a process. The frame is the manager's (an index into the
 * pool, counted: fork shares it); link is a capability the manager
 * derived from it, and the process holds a copy of link, bound at va:
 * dropping link takes the page away from the process (its copy and
 * binding die with it) and leaves the frame. A copy-on-write page (cow)
 * is bound without W while its rights have it; its first write faults to
 * the manager (the pager).
 */
struct mgr_page {
	u64 va;
	u32 frame;                      /* index into the pool */
	exo_cap_t link;
	u8 rights;                      /* EXO_BIND_W, _X: the program's */
	u8 cow;
};

struct mgr_frame {
	exo_cap_t cap;                  /* 0: free */
	u32 refs;                       /* pages that hold it */
};

/* What a write fault on a process's page calls for. */
enum mgr_cow_plan {
	MGR_COW_NONE,   /* no page there, or not copy-on-write: not fork's */
	MGR_COW_COPY,   /* another page holds the frame: a copy of its own */
	MGR_COW_TAKE,   /* the frame's last holder: it takes it, writable */
};

/* A free slot of the pool (n slots): its index, or -E_NOMEM. */
long mgr_pool_slot(const struct mgr_frame *pool, u32 n);
/* One page fewer holds frame f: true if it was the last (the caller frees
 * the frame and clears the slot). */
bool mgr_pool_unref(struct mgr_frame *pool, u32 f);
/* The page of pages[0..n) at va (any address in it), or NULL. */
struct mgr_page *mgr_page_find(struct mgr_page *pages, u32 n, u64 va);
/* The rights of pg's link and binding: the program's, without W while
 * copy-on-write, with R always. */
u32 mgr_page_rights(const struct mgr_page *pg);
/*
 * fork of parent page pg into the child's page c: a page the parent may
 * write becomes copy-on-write in both; the child's page shares the frame
 * (one more reference) and has no link yet. True if pg was writable until
 * now: its link must be dropped and made again, without W.
 */
bool mgr_page_fork(struct mgr_frame *pool, struct mgr_page *pg, struct mgr_page *c);
/* A write fault at va on pages[0..n): what it calls for (*pg: the page). */
enum mgr_cow_plan mgr_cow_plan(const struct mgr_frame *pool, struct mgr_page *pages,
			       u32 n, u64 va, struct mgr_page **pg);

#endif
