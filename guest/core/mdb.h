/*
 * The mapping database: which space holds which frame, and from whom it got
 * it (L4's map, grant and flush).
 *
 * Every user mapping of a 4 KiB page is a node. mdb_map_root makes nodes with
 * no parent (boot modules, σ0's frames); mdb_map makes a node a child of the
 * mapping it was derived from. Flushing a page takes rights away from every
 * mapping derived from it, in every space, so whoever passed memory on can
 * always take it back. Pages the kernel maps itself (KIP, UTCB, system-call
 * stub) have no node: nobody can pass them on or flush them.
 *
 * Invariants (mdb_check tests all of them):
 *  - a node's page is mapped in its space's tables, to its frame, with exactly
 *    its rights;
 *  - every node holds EXO_R: x86 has no present page that cannot be read, so
 *    taking R away unmaps;
 *  - a child maps its parent's frame with a subset of its parent's rights;
 *  - a node is in the lookup hash under (space, va) and on space->maps, once.
 *
 * Trees can be deep (a chain of maps through many spaces) and kernel stacks
 * are 16 KiB, so every walk is iterative, climbing back through parent links.
 */
#ifndef CORE_MDB_H
#define CORE_MDB_H

#include <exo/types.h>

#include "space.h"

struct mdb_node {
	struct space *space;
	u64 va;                     /* page aligned */
	u64 pa;                     /* the frame */
	u32 rights;                 /* EXO_R|EXO_W|EXO_X, always with EXO_R */
	/* Derivation tree: parent, first child, siblings (doubly linked). */
	struct mdb_node *parent, *child, *next, *prev;
	/* space->maps, doubly linked so any node leaves in O(1). */
	struct mdb_node *snext, *sprev;
	/* The lookup hash chain of (space, va). */
	struct mdb_node *hnext;
};

int mdb_init(void);
/* A new space's mdb_salt (space.h): a Fibonacci hash of its address. */
static inline u64
mdb_salt_of(const struct space *s)
{
	return ((u64)(uintptr_t)s * 0x9e3779b97f4a7c15ULL) >> 32;
}
struct mdb_node *mdb_lookup(struct space *s, u64 va);
int mdb_map_root(struct space *s, u64 va, u64 pa, u64 len, u32 rights);
int mdb_map(struct space *from, u64 fva, struct space *to, u64 tva, u32 rights,
	    bool grant);
/* The page-fault fast path's mdb_map of one page: mdb_fast.h. */
u64 mdb_flush(struct space *s, u64 va, u64 len, u32 rights, bool own);
void mdb_space_clear(struct space *s);

/* For tests and boot self-checks. */
u64 mdb_nodes_live(void);
bool mdb_check(void);
/* Every frame the database holds (directory, buckets, node pool), for the
 * kernel's self-check. */
void mdb_walk_frames(void (*fn)(u64 pa, void *ctx), void *ctx);

#endif
