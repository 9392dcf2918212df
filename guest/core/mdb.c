/* The mapping database: see mdb.h for the model and its invariants. */
#include "mdb.h"
#include "mdb_fast.h"

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>

#include "frame.h"
#include "kernel.h"
#include "platform.h"

/* Node rights go to the platform as they are. */
_Static_assert(EXO_R == EXO_SEG_R && EXO_W == EXO_SEG_W && EXO_X == EXO_SEG_X,
	       "mapping rights and segment rights differ");

#define PAGE            EXO_PAGE_SIZE
#define NODES_PER_FRAME (PAGE / sizeof(struct mdb_node))
#define PTRS_PER_FRAME  MDB_PTRS_PER_FRAME
/*
 * The hash has about one bucket per usable frame (most frames are mapped
 * once or twice), at least one bucket frame and at most a full directory
 * frame of bucket frames: 2^18 buckets, 2 MiB.
 */
#define HASH_BITS_MIN   9
#define HASH_BITS_MAX   18

_Static_assert((1ULL << HASH_BITS_MIN) == PTRS_PER_FRAME, "bucket frame size");
_Static_assert((1ULL << HASH_BITS_MAX) == PTRS_PER_FRAME * PTRS_PER_FRAME,
	       "directory frame size");

struct mdb_state mdb;

/*
 * Node pool. Frames go into the pool on demand and stay there: a node does
 * not know its frame, so a frame could only be given back after counting
 * its free nodes, and the pool never holds more than the most mappings the
 * system ever had at once (88 bytes a page, 2% of what they map).
 */
_Static_assert(sizeof(struct mdb_node) == 88, "node size: update the cost above");
_Static_assert(NODES_PER_FRAME * sizeof(struct mdb_node) + sizeof(u64) <= PAGE,
	       "a pool frame has room for its link after its nodes");

static u64 *
pool_link(u64 pa)
{
	return (u64 *)((u8 *)arch_phys_to_virt(pa) + PAGE - sizeof(u64));
}

bool
mdb_pool_grow(void)
{
	u64 pa = frame_alloc();
	struct mdb_node *nodes;

	if (!pa)
		return false;
	nodes = arch_phys_to_virt(pa);
	*pool_link(pa) = mdb.pool_head;
	mdb.pool_head = pa;
	/* Chained in address order, the pool's old list after the last: the
	 * loop is one store a node (unrolled: the page-fault fast path takes a
	 * node a fault, so this loop is part of its average cost). */
	nodes[NODES_PER_FRAME - 1].next = mdb.free;
#pragma GCC unroll 8
	for (u64 i = 0; i < NODES_PER_FRAME - 1; i++)
		nodes[i].next = &nodes[i + 1];
	mdb.free = &nodes[0];
	return true;
}

/* A zeroed node, or NULL when no frame is left for the pool. */
static struct mdb_node *
node_alloc(void)
{
	struct mdb_node *n;

	if (!mdb.free && !mdb_pool_grow())
		return NULL;
	n = mdb.free;
	mdb.free = n->next;
	*n = (struct mdb_node){ 0 };
	mdb.live++;
	return n;
}

static void
node_free(struct mdb_node *n)
{
	n->space = NULL;
	n->next = mdb.free;
	mdb.free = n;
	mdb.live--;
}

u64
mdb_nodes_live(void)
{
	return mdb.live;
}

/* Give back the directory and its first n bucket frames. */
static void
hash_free(u64 n)
{
	while (n-- > 0)
		frame_free(arch_virt_to_phys(mdb.dir[n]));
	frame_free(arch_virt_to_phys(mdb.dir));
	mdb.dir = NULL;
}

/*
 * After frame_init. Sizes the hash by the frames there are and takes its
 * frames now, so that no map fails later for want of a bucket.
 * -E_NOMEM: no frames for the hash (nothing is kept then).
 */
int
mdb_init(void)
{
	struct frame_stats st;
	u32 bits = HASH_BITS_MIN;
	u64 pa, nframes;

	frame_stats(&st);
	while (bits < HASH_BITS_MAX && (1ULL << bits) < st.total)
		bits++;
	mdb = (struct mdb_state){ .hash_bits = bits, .hash_mask = (1ULL << bits) - 1 };
	pa = frame_alloc();
	if (!pa)
		return -E_NOMEM;
	mdb.dir = arch_phys_to_virt(pa);
	nframes = (1ULL << bits) / PTRS_PER_FRAME;
	for (u64 i = 0; i < nframes; i++) {
		pa = frame_alloc();
		if (!pa) {
			hash_free(i);
			return -E_NOMEM;
		}
		/* Fresh frames are zero: every bucket starts empty. */
		mdb.dir[i] = arch_phys_to_virt(pa);
	}
	return 0;
}

/* The node mapping the page holding va in s, or NULL. */
struct mdb_node *
mdb_lookup(struct space *s, u64 va)
{
	struct mdb_node *n;

	va = EXO_PAGE_DOWN(va);
	for (n = *mdb_bucket_at(mdb_hash_index(s, va)); n; n = n->hnext)
		if (n->space == s && n->va == va)
			return n;
	return NULL;
}

/* Put n on s's list after prev, or first if prev is NULL. */
static void
list_insert(struct space *s, struct mdb_node *prev, struct mdb_node *n)
{
	n->sprev = prev;
	n->snext = prev ? prev->snext : s->maps;
	if (n->snext)
		n->snext->sprev = n;
	if (prev)
		prev->snext = n;
	else
		s->maps = n;
}

static void
list_remove(struct mdb_node *n)
{
	if (n->sprev)
		n->sprev->snext = n->snext;
	else
		n->space->maps = n->snext;
	if (n->snext)
		n->snext->sprev = n->sprev;
	n->snext = n->sprev = NULL;
}

/* Give n its place (s, va): into the hash and onto s's list. */
static void
node_enter(struct mdb_node *n, struct space *s, u64 va)
{
	struct mdb_node **b = mdb_bucket_at(mdb_hash_index(s, va));

	n->space = s;
	n->va = va;
	n->hnext = *b;
	*b = n;
	list_insert(s, NULL, n);
}

/* Take n out of the hash and its space's list (the tree is the caller's). */
static void
node_leave(struct mdb_node *n)
{
	struct mdb_node **pp = mdb_bucket_at(mdb_hash_index(n->space, n->va));

	while (*pp != n) {
		kassert(*pp);
		pp = &(*pp)->hnext;
	}
	*pp = n->hnext;
	n->hnext = NULL;
	list_remove(n);
}

/* Make n the first child of parent. */
static void
child_link(struct mdb_node *parent, struct mdb_node *n)
{
	n->parent = parent;
	n->prev = NULL;
	n->next = parent->child;
	if (parent->child)
		parent->child->prev = n;
	parent->child = n;
}

/* Take n out of its parent's children; its own children stay with it. */
static void
child_unlink(struct mdb_node *n)
{
	if (n->prev)
		n->prev->next = n->next;
	else if (n->parent)
		n->parent->child = n->next;
	if (n->next)
		n->next->prev = n->prev;
	n->parent = n->next = n->prev = NULL;
}

/* True if a is n or one of n's ancestors. */
static bool
node_is_ancestor(const struct mdb_node *a, const struct mdb_node *n)
{
	for (; n; n = n->parent)
		if (n == a)
			return true;
	return false;
}

static void
node_protect(struct mdb_node *n, u32 rights)
{
	int r = arch_space_protect(&n->space->pt, n->va, rights);

	/* Invariant: a node's page is mapped. */
	kassert(r == 0);
	n->rights = rights;
}

static void
node_unmap(struct mdb_node *n)
{
	u64 pa = 0;
	int r = arch_space_unmap(&n->space->pt, n->va, &pa);

	/* Invariant: a node's page is mapped, to its frame. */
	kassert(r == 0 && pa == n->pa);
}

/* Unmap and free n, a node with no children that is out of the tree. */
static void
node_destroy(struct mdb_node *n)
{
	node_unmap(n);
	node_leave(n);
	node_free(n);
}

/*
 * Unmap and free top and everything derived from it, leaves first: go down
 * first children to a leaf, free it, climb to its parent, repeat. Every step
 * goes down an edge or frees a node, so the walk takes two steps a node, and
 * no stack grows with the depth.
 * Returns the number of nodes freed.
 */
static u64
subtree_delete(struct mdb_node *top)
{
	struct mdb_node *n = top, *up;
	u64 work = 0;

	child_unlink(top);          /* top->parent is NULL from here on */
	while (n) {
		if (n->child) {
			n = n->child;
			continue;
		}
		up = n->parent;
		child_unlink(n);
		node_destroy(n);
		work++;
		n = up;
	}
	return work;
}

/* The node after n's subtree in a preorder walk of top's subtree, or NULL. */
static struct mdb_node *
walk_skip(struct mdb_node *n, const struct mdb_node *top)
{
	for (; n != top; n = n->parent)
		if (n->next)
			return n->next;
	return NULL;
}

/*
 * Take the rights in take from everything derived from top (not from top).
 * A node left without EXO_R goes with its whole subtree; a node that had
 * none of take is skipped with its subtree, since a child holds no right
 * its parent lacks. Returns the number of nodes freed or changed.
 */
static u64
descendants_reduce(struct mdb_node *top, u32 take)
{
	struct mdb_node *n = top->child, *after;
	u64 work = 0;

	while (n) {
		u32 left = n->rights & ~take;

		if (left == n->rights) {
			n = walk_skip(n, top);
		} else if (!(left & EXO_R)) {
			after = walk_skip(n, top);
			work += subtree_delete(n);
			n = after;
		} else {
			node_protect(n, left);
			work++;
			n = n->child ? n->child : walk_skip(n, top);
		}
	}
	return work;
}

/* One page's flush: descendants always, n itself with own. */
static u64
node_flush(struct mdb_node *n, u32 take, bool own)
{
	u32 left = n->rights & ~take;
	u64 work = 0;

	if (own && !(left & EXO_R))
		return subtree_delete(n);
	if (own && left != n->rights) {
		node_protect(n, left);
		work++;
	}
	return work + descendants_reduce(n, take);
}

/* True if s has at least k nodes; costs min(k, nodes of s) steps. */
static bool
space_has_nodes(const struct space *s, u64 k)
{
	const struct mdb_node *n = s->maps;

	for (; k && n; k--)
		n = n->snext;
	return k == 0;
}

/* Flush the range [va, end) of s by looking every page up. */
static u64
flush_probe(struct space *s, u64 va, u64 end, u32 take, bool own)
{
	struct mdb_node *n;
	u64 work = 0;

	for (; va < end; va += PAGE)
		if ((n = mdb_lookup(s, va)))
			work += node_flush(n, take, own);
	return work;
}

/*
 * Flush the range [va, end) of s by walking its list. A flush may free any
 * node of s (a descendant can live in s too), so the walk keeps its place
 * with a marker on the list: freeing a node relinks its neighbours, the
 * marker included, and nothing ever frees the marker, which is in no tree
 * and not in the hash.
 */
static u64
flush_list(struct space *s, u64 va, u64 end, u32 take, bool own)
{
	struct mdb_node mark = { .space = s };
	struct mdb_node *n;
	u64 work = 0;

	list_insert(s, NULL, &mark);
	while ((n = mark.snext)) {
		list_remove(&mark);
		list_insert(s, n, &mark);
		if (n->va >= va && n->va < end)
			work += node_flush(n, take, own);
	}
	list_remove(&mark);
	return work;
}

/*
 * Take rights (EXO_R|W|X) away from every mapping derived from the pages of
 * s overlapping [va, va+len) that have a node; with own, from those pages
 * too. A mapping left without EXO_R is unmapped with everything derived
 * from it. Pages without a node (the kernel's) are left alone. The whole
 * address space is va = 0, len = 1 << 47. Never fails.
 * Returns the number of nodes unmapped or changed.
 */
u64
mdb_flush(struct space *s, u64 va, u64 len, u32 rights, bool own)
{
	u64 end;

	rights &= EXO_RWX;
	if (!rights || !len || va >= EXO_USER_END)
		return 0;
	end = len > EXO_USER_END - va ? EXO_USER_END : EXO_PAGE_UP(va + len);
	va = EXO_PAGE_DOWN(va);
	/* Probing costs a step a page, the list a step a node: take the less. */
	if (space_has_nodes(s, (end - va) / PAGE))
		return flush_probe(s, va, end, rights, own);
	return flush_list(s, va, end, rights, own);
}

/*
 * Unmap and free every node of s and everything derived from them, in every
 * space (the space is dying). A node of s that was mapped to s from another
 * space leaves its parent's children.
 */
void
mdb_space_clear(struct space *s)
{
	while (s->maps)
		subtree_delete(s->maps);
}

/* True if [va, va+len) is made of user pages a task may have mapped. */
static bool
user_range(u64 va, u64 len)
{
	return va >= EXO_USER_MIN && va < EXO_USER_END && len <= EXO_USER_END - va;
}

/* Take n nodes onto *chain (linked through next); all or none. */
static bool
nodes_take(u64 n, struct mdb_node **chain)
{
	struct mdb_node *node;

	*chain = NULL;
	for (; n; n--) {
		if (!(node = node_alloc())) {
			while ((node = *chain)) {
				*chain = node->next;
				node_free(node);
			}
			return false;
		}
		node->next = *chain;
		*chain = node;
	}
	return true;
}

/*
 * Map len bytes of the physically contiguous frames at pa at user va of s
 * with rights, as root mappings: derived from nobody (boot modules, σ0's
 * frames). One table walk for the whole range, then a node per page.
 * -E_INVAL: va, pa or len not page aligned, len 0, the range not between
 *   EXO_USER_MIN and EXO_USER_END, rights without EXO_R or beyond EXO_RWX,
 *   or a page of the range already mapped (with a node or not).
 * -E_NOMEM: no frame for the nodes or for a page table.
 * On error nothing is mapped or recorded.
 */
/* One page: arch_space_map maps it or nothing (platform.h), so it is the
 * check that va is free, at one table walk (σ0's window pages and module
 * pages come in one at a time: every boot and every first touch). */
static int
map_root_page(struct space *s, u64 va, u64 pa, u32 rights)
{
	struct mdb_node *n;
	int r;

	if (!nodes_take(1, &n))
		return -E_NOMEM;
	r = arch_space_map(&s->pt, va, pa, PAGE, rights);
	if (r) {
		node_free(n);
		return r;
	}
	n->next = NULL;
	n->pa = pa;
	n->rights = rights;
	node_enter(n, s, va);
	return 0;
}

int
mdb_map_root(struct space *s, u64 va, u64 pa, u64 len, u32 rights)
{
	struct mdb_node *chain, *n;
	u64 got;
	int r;

	if ((va | pa | len) & (PAGE - 1) || !len || !user_range(va, len) ||
	    !(rights & EXO_R) || rights & ~EXO_RWX)
		return -E_INVAL;
	if (len == PAGE)
		return map_root_page(s, va, pa, rights);
	if (!arch_space_range_free(&s->pt, va, len))
		return -E_INVAL;
	if (!nodes_take(len / PAGE, &chain))
		return -E_NOMEM;
	r = arch_space_map(&s->pt, va, pa, len, rights);
	if (r) {
		/* Pages before the failing one may be mapped; all were free. */
		for (u64 off = 0; off < len; off += PAGE)
			arch_space_unmap(&s->pt, va + off, &got);
		while ((n = chain)) {
			chain = n->next;
			node_free(n);
		}
		return r;
	}
	/* Commit point: nothing below fails. */
	for (u64 off = 0; off < len; off += PAGE) {
		n = chain;
		chain = n->next;
		n->next = NULL;
		n->pa = pa + off;
		n->rights = rights;
		node_enter(n, s, va + off);
	}
	return 0;
}

/* Move src to (to, tva), where its page is mapped already with give. */
static void
node_grant(struct mdb_node *src, struct space *to, u64 tva, u32 give)
{
	u32 take = src->rights & ~give;

	node_unmap(src);
	node_leave(src);
	node_enter(src, to, tva);
	src->rights = give;
	if (take)
		descendants_reduce(src, take);
}

/* Make n, fresh, a child of src at (to, tva), mapped there already. */
static void
node_child(struct mdb_node *src, struct mdb_node *n, struct space *to, u64 tva,
	   u32 give)
{
	n->pa = src->pa;
	n->rights = give;
	node_enter(n, to, tva);
	child_link(src, n);
}

/*
 * Flush dst, with everything derived from it, and map pa at its place. The
 * map cannot fail: dst's page was mapped, so the tables for it exist, and
 * unmapping leaves them.
 */
static void
node_replace(struct mdb_node *dst, u64 pa, u32 give)
{
	struct space *s = dst->space;
	u64 va = dst->va;
	int r;

	subtree_delete(dst);
	r = arch_space_map(&s->pt, va, pa, PAGE, give);
	kassert(r == 0);
}

/*
 * Pass the page at fva of from on to tva of to, with the rights of rights
 * that from holds there. map: the new mapping is a child of from's. grant:
 * from's mapping itself moves to (to, tva), keeping its parent and its
 * children, and the page leaves from.
 * Nothing happens (0) when the rights passed on lack EXO_R (x86 has no
 * present page that cannot be read), or when from == to and fva == tva.
 * If tva holds a mapping: a child of from's (map only) just gains the rights
 * passed on; any other is flushed, with all derived from it, and replaced.
 * -E_INVAL: fva or tva not page aligned, or tva outside EXO_USER_MIN ..
 *   EXO_USER_END; tva holds a kernel page (mapped, with no node); tva holds
 *   from's mapping or one it derives from (replacing that would flush the
 *   source itself).
 * -E_FAULT: from has no node at fva: it cannot pass on memory it does not
 *   have, and the kernel's own pages count as not had.
 * -E_NOMEM: no frame for a node or for a page table of to.
 * On error nothing changes.
 */
int
mdb_map(struct space *from, u64 fva, struct space *to, u64 tva, u32 rights,
	bool grant)
{
	struct mdb_node *src, *dst, *n = NULL;
	u64 pa;
	u32 give;
	int r;

	if ((fva | tva) & (PAGE - 1) || !user_range(tva, PAGE))
		return -E_INVAL;
	if (!(src = mdb_lookup(from, fva)))
		return -E_FAULT;
	give = rights & src->rights;
	if (!(give & EXO_R) || (from == to && fva == tva))
		return 0;
	dst = mdb_lookup(to, tva);
	if (!dst && arch_space_lookup(&to->pt, tva, 0, &pa) == 0)
		return -E_INVAL;
	if (dst && node_is_ancestor(dst, src))
		return -E_INVAL;
	if (dst && !grant && dst->parent == src) {
		if ((dst->rights | give) != dst->rights)
			node_protect(dst, dst->rights | give);
		return 0;
	}
	if (!grant && !(n = node_alloc()))
		return -E_NOMEM;
	if (!dst && (r = arch_space_map(&to->pt, tva, src->pa, PAGE, give))) {
		if (n)
			node_free(n);
		return r;
	}
	/* Commit point: nothing below fails. */
	if (dst)
		node_replace(dst, src->pa, give);
	if (grant)
		node_grant(src, to, tva, give);
	else
		node_child(src, n, to, tva, give);
	return 0;
}

void
mdb_walk_frames(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	if (!mdb.dir)
		return;
	fn(arch_virt_to_phys(mdb.dir), ctx);
	for (u64 i = 0; i < (1ULL << mdb.hash_bits) / PTRS_PER_FRAME; i++)
		fn(arch_virt_to_phys(mdb.dir[i]), ctx);
	for (u64 pa = mdb.pool_head; pa; pa = *pool_link(pa))
		fn(pa, ctx);
}

/*
 * The self-check: every invariant of mdb.h, node by node through the hash.
 * A failure names the condition on the console and returns false.
 */
#define CHECK(c)							\
	do {								\
		if (!(c)) {						\
			kprintf("mdb_check: node %p va 0x%lx: %s\n",	\
				(void *)n, (unsigned long)n->va, #c);	\
			return false;					\
		}							\
	} while (0)

/* True if n is NULL or a node the hash holds. */
static bool
hashed_or_null(const struct mdb_node *n)
{
	return !n || (n->space && mdb_lookup(n->space, n->va) == n);
}

/* The node's page in the tables: its frame, exactly its rights. */
static bool
check_pte(const struct mdb_node *n)
{
	u64 pa = 0;

	CHECK(arch_space_lookup(&n->space->pt, n->va, n->rights, &pa) == 0);
	CHECK(pa == n->pa);
	CHECK(n->rights & EXO_W ||
	      arch_space_lookup(&n->space->pt, n->va, EXO_W, &pa) != 0);
	CHECK(n->rights & EXO_X ||
	      arch_space_lookup(&n->space->pt, n->va, EXO_X, &pa) != 0);
	return true;
}

/* Links to nodes the hash holds, each pointing back. */
static bool
check_links(const struct mdb_node *n)
{
	u64 depth = 0;

	CHECK(hashed_or_null(n->snext) && hashed_or_null(n->sprev));
	CHECK(n->sprev ? n->sprev->snext == n : n->space->maps == n);
	CHECK(!n->snext || (n->snext->sprev == n && n->snext->space == n->space));
	CHECK(hashed_or_null(n->parent) && hashed_or_null(n->child));
	CHECK(hashed_or_null(n->next) && hashed_or_null(n->prev));
	CHECK(n->prev ? n->prev->next == n : !n->parent || n->parent->child == n);
	CHECK(!n->next || (n->next->prev == n && n->next->parent == n->parent));
	CHECK(!n->child || (n->child->parent == n && !n->child->prev));
	CHECK(!n->parent || n->parent->pa == n->pa);
	CHECK(!n->parent || !(n->rights & ~n->parent->rights));
	for (const struct mdb_node *a = n->parent; a; a = a->parent)
		CHECK(++depth <= mdb.live);     /* no cycle */
	return true;
}

bool
mdb_check(void)
{
	u64 seen = 0, nbuckets = 1ULL << mdb.hash_bits;

	for (u64 i = 0; i < nbuckets; i++) {
		for (struct mdb_node *n = *mdb_bucket_at(i); n; n = n->hnext) {
			CHECK(n->space && !(n->va & (PAGE - 1)));
			CHECK(user_range(n->va, PAGE));
			CHECK(mdb_hash_index(n->space, n->va) == i);
			CHECK(mdb_lookup(n->space, n->va) == n);
			CHECK(n->rights & EXO_R && !(n->rights & ~EXO_RWX));
			if (!check_pte(n) || !check_links(n))
				return false;
			seen++;
		}
	}
	if (seen != mdb.live) {
		kprintf("mdb_check: %lu nodes in the hash, %lu live\n",
			(unsigned long)seen, (unsigned long)mdb.live);
		return false;
	}
	return true;
}
