/*
 * Address spaces as the kernel core sees them: the translation tables (arch),
 * the mappings recorded in the mapping database, and the task they belong to.
 * A space lives while it has threads; the last thread's deletion flushes every
 * mapping in it (and, through the mapping database, everything derived from
 * them) and frees its tables.
 */
#ifndef CORE_SPACE_H
#define CORE_SPACE_H

#include <exo/types.h>

#include <exo/bootinfo.h>
#include <exo/ipc.h>

#include "platform.h"

struct mdb_node;

struct env;

struct space {
	struct arch_space pt;       /* translation tables (platform.h) */
	struct mdb_node *maps;      /* every mapping node in this space (mdb.c) */
	u64 mdb_salt;               /* spreads its pages over the mdb hash */
	struct space *parent;       /* the space whose thread created it */
	u32 nthreads;
	u32 index;                  /* in the space table; its environment (env.h) */
	u32 module;                 /* the boot module whose task this is */
	bool live;
	bool privileged;            /* may call thread_control, irq_control */
	bool sigma0;                /* owns the σ0 window */
	bool kpaged;                /* the kernel pages some of it in (space_demand) */
	const struct exo_module *mod; /* a task's root: its module's pages (modpage.h) */
	struct env *env;            /* = env_of(this): one load, for the #PF fast path */
};

#define NSPACES 64

/*
 * A new, empty space (the KIP and, on PVM, the system-call stub mapped).
 * -E_NOMEM: no space slot or no frame for its tables.
 */
int space_create(struct space *parent, struct space **out);
/* Flush every mapping in s, free its tables and its slot. */
void space_destroy(struct space *s);
/* The space at slot i, for iteration (NULL if free). */
struct space *space_at(u32 i);
union kip_page {
	struct exo_kip kip;
	u8 bytes[4096];
};
extern union kip_page kip_page;

/* The kernel interface page (mapped read-only in every space). -E_NOMEM */
int space_init(const struct exo_bootinfo *bi, u64 sigma0_first, u64 sigma0_end);
static inline struct exo_kip *
kernel_kip(void)
{
	return &kip_page.kip;
}
/* Make σ0's window page at va a mapping-database root (space.c). -E_FAULT */
int sigma0_root(struct space *s, u64 va);
/*
 * The page at va of s comes into being if the kernel pages it in: σ0's
 * window, a task's module pages (modpage.h). 0: it is there now; -E_FAULT:
 * nothing to bring in; -E_NOMEM.
 */
int space_demand(struct space *s, u64 va);
/* arch_space_lookup, after space_demand if va is not mapped: how the kernel
 * reaches user memory for a thread, as its touch would. */
int space_lookup(struct space *s, u64 va, u32 need, u64 *pa);

#endif
