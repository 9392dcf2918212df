/*
 * The mapping database's state, its hash, and mdb_map_fast: what the
 * page-fault fast path (ipc/fastpath.c) runs inline, without a call, when a
 * pager's reply maps one page. mdb.c owns all of it; only it and the fast
 * path include this file.
 */
#ifndef CORE_MDB_FAST_H
#define CORE_MDB_FAST_H

#include <exo/ipc.h>
#include <exo/layout.h>
#include <exo/types.h>

#include "mdb.h"
#include "platform.h"

#define MDB_PTRS_PER_FRAME (EXO_PAGE_SIZE / sizeof(void *))

struct mdb_state {
	/* Bucket i is dir[i / MDB_PTRS_PER_FRAME][i % MDB_PTRS_PER_FRAME]:
	 * frames need not be contiguous, so the buckets sit in frames a
	 * directory names. */
	struct mdb_node ***dir;
	u32 hash_bits;
	u64 hash_mask;              /* (1 << hash_bits) - 1 */
	struct mdb_node *free;      /* free nodes, linked through next */
	u64 live;
	/* The pool's frames, each naming the one before in its last word
	 * (past its nodes), for the self-check; 0 ends the chain. */
	u64 pool_head;
};

extern struct mdb_state mdb;

/* Another frame of nodes for the pool; false if no frame is left. */
bool mdb_pool_grow(void);

/*
 * The bucket of (s, va): the page number plus the space's salt. A space's
 * consecutive pages take consecutive buckets, and spaces start at
 * different places (the salt: mdb_salt_of), so the common layouts, where
 * every space has pages at the same addresses, do not pile up. An add and
 * a mask: the fast path hashes twice.
 */
static inline u64
mdb_hash_index(const struct space *s, u64 va)
{
	return ((va / EXO_PAGE_SIZE) + s->mdb_salt) & mdb.hash_mask;
}

static inline struct mdb_node **
mdb_bucket_at(u64 i)
{
	return &mdb.dir[i / MDB_PTRS_PER_FRAME][i % MDB_PTRS_PER_FRAME];
}

/*
 * mdb_map's commonest case, for the page-fault fast path: from's page at fva
 * becomes a fresh child at tva of to, where nothing is mapped yet and the
 * page tables exist. It does what mdb_map does in that case, in the same
 * order (first in the hash chain, on to's list and among the parent's
 * children), with one lookup and one table walk: it does not look (to, tva)
 * up, since an empty slot holds no node (a node's page is always mapped)
 * and no kernel page. When the case is another (no node at fva, rights
 * without EXO_R, the slot mapped, a table missing, the node pool empty)
 * it returns false and nothing has changed; the caller goes the general
 * way. The caller checked that tva is a page-aligned
 * address in EXO_USER_MIN .. EXO_USER_END and fva a page-aligned one.
 */
static inline bool
mdb_map_fast(struct space *from, u64 fva, struct space *to, u64 tva, u32 rights)
{
	struct mdb_node *src, *n, **b;

	for (src = *mdb_bucket_at(mdb_hash_index(from, fva)); src; src = src->hnext)
		if (src->space == from && src->va == fva)
			break;
	if (!src || !(rights & src->rights & EXO_R))
		return false;
	rights &= src->rights;
	if (!mdb.free || !arch_space_map_page(&to->pt, tva, src->pa, rights))
		return false;
	/* Commit point: the page is mapped; what follows is bookkeeping. */
	n = mdb.free;
	mdb.free = n->next;
	mdb.live++;
	n->space = to;
	n->va = tva;
	n->pa = src->pa;
	n->rights = rights;
	b = mdb_bucket_at(mdb_hash_index(to, tva));
	n->hnext = *b;
	*b = n;
	n->sprev = NULL;
	n->snext = to->maps;
	if (to->maps)
		to->maps->sprev = n;
	to->maps = n;
	n->parent = src;
	n->child = NULL;
	n->prev = NULL;
	n->next = src->child;
	if (src->child)
		src->child->prev = n;
	src->child = n;
	return true;
}

/*
 * Keep a node ready for the next mdb_map_fast, which takes none from the
 * frame allocator itself (a call there would cost the fast path registers):
 * the fast path calls this after its commit point. Out of frames, the pool
 * stays empty and the next fault goes the general way.
 */
static inline void
mdb_pool_refill(void)
{
	if (!mdb.free)
		mdb_pool_grow();
}

#endif
