/*
 * Frames by capability, secure bindings and the software TLB (bind.h).
 */
#include "bind.h"

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>

#include "cap.h"
#include "frame.h"
#include "kernel.h"
#include "mdb.h"
#include "platform.h"
#include "revoke.h"

#define PAGE EXO_PAGE_SIZE

static struct stlb_entry *
stlb_slot(struct env *e, u64 va)
{
	return &e->stlb[(va >> 12) & (EXO_STLB_ENTRIES - 1)];
}

static void
stlb_clear(struct env *e, struct stlb_entry *ent)
{
	if (ent->tag & STLB_VALID)
		e->stlb_live--;
	*ent = (struct stlb_entry){ 0 };
}

/*
 * frame_alloc(flags): a zero-filled frame from the kernel's pool; returns a
 * FRAME capability with every right.
 *   -E_INVAL   flags other than EXO_FRAME_AUTOSAVE
 *   -E_AGAIN   no free frame now: the kernel is taking some back from
 *              another environment (revoke.c); retry
 *   -E_NOMEM   no free frame and none to take back, or the capability
 *              table is full
 */
i64
frame_cap_alloc(struct space *s, u32 flags)
{
	struct env *e = env_of(s);
	exo_cap_t c;
	u64 pa;
	int r;

	if (flags & ~EXO_FRAME_AUTOSAVE)
		return -E_INVAL;
	if (e->ncaps == EXO_NCAPS)
		return -E_NOMEM;
	if (!(pa = frame_alloc()))
		return revoke_pool_dry(e) ? -E_AGAIN : -E_NOMEM;
	r = cap_new(e, EXO_CAP_FRAME, EXO_CAP_ALL, pa, 0, &c);
	kassert(r == 0);
	e->caps[EXO_CAP_INDEX(c)].flags = (u8)(flags | CAPF_OWNED);
	e->frames++;
	return (i64)c;
}

/*
 * frame_free(cap): give a frame back to the kernel; the capability, every
 * copy made from it and all their bindings die.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   cap is not a live FRAME capability
 *   -E_PERM    cap is a copy (derived or passed), not the frame's owner
 */
i64
frame_cap_free(struct space *s, exo_cap_t c)
{
	int err;
	struct cap *k = cap_get(env_of(s), c, EXO_CAP_FRAME, 0, &err);

	if (!k)
		return err;
	if (!(k->flags & CAPF_OWNED))
		return -E_PERM;
	cap_destroy(k);
	return 0;
}

static bool
user_page(u64 va)
{
	return !(va & (PAGE - 1)) && va >= EXO_USER_MIN && va < EXO_USER_END;
}

/*
 * bind(cap, va, flags): bind the frame at va in the caller's space (bind.h).
 *   -E_INVAL   flags unknown, or va not a page-aligned user address
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   cap is not a live FRAME capability
 *   -E_PERM    the rights asked exceed cap's, or GUARANTEED on a copy
 *   -E_EXIST   cap is bound already, or something is mapped or bound at va
 *   -E_NOMEM   no frame for a page table, or the reserve is full
 */
i64
bind_frame(struct space *s, exo_cap_t c, u64 va, u32 flags)
{
	struct env *e = env_of(s);
	struct stlb_entry *ent = stlb_slot(e, va), fill;
	u32 rights = (flags & EXO_RWX) | EXO_R;
	bool guaranteed = flags & EXO_BIND_GUARANTEED;
	bool lazy = !(flags & (EXO_BIND_NOW | EXO_BIND_GUARANTEED));
	struct cap *k;
	int err;

	if (flags & ~(EXO_RWX | EXO_BIND_NOW | EXO_BIND_GUARANTEED) || !user_page(va))
		return -E_INVAL;
	if (!(k = cap_get(e, c, EXO_CAP_FRAME, rights, &err)))
		return err;
	if (guaranteed && !(k->flags & CAPF_OWNED))
		return -E_PERM;
	if (k->va || (ent->tag & ~(PAGE - 1)) == va)
		return -E_EXIST;
	if (guaranteed && e->reserve >= EXO_RESERVE_FRAMES)
		return -E_NOMEM;
	fill = (struct stlb_entry){ .tag = va | STLB_VALID,
				    .pa_rights = k->object | rights, .cap = cap_ref(k) };
	/* One walk: the tables the translation needs, and what is there now. */
	err = arch_stlb_fill(&s->pt, va, k->object, rights, fill.arch);
	if (err)
		return err;
	if (arch_stlb_present(fill.arch))
		return -E_EXIST;
	/* Commit point: the tables exist, nothing below fails. */
	if (ent->tag & STLB_VALID && ent->pa_rights & (STLB_LAZY | STLB_PINNED))
		lazy = false;   /* never evict a lazy or pinned entry: install */
	if (!lazy)
		arch_stlb_install(fill.arch);
	if (!(ent->tag & STLB_VALID) || !(ent->pa_rights & (STLB_LAZY | STLB_PINNED)) ||
	    guaranteed) {
		if (ent->tag & STLB_VALID && ent->pa_rights & STLB_LAZY)
			arch_stlb_install(ent->arch);   /* a guaranteed one takes the entry */
		fill.pa_rights |= (lazy ? STLB_LAZY : 0) | (guaranteed ? STLB_PINNED : 0);
		stlb_clear(e, ent);
		*ent = fill;
		e->stlb_live++;
	}
	k->va = va;
	k->bound = (u8)rights;
	if (guaranteed) {
		k->flags |= CAPF_RESERVE;
		e->reserve++;
	}
	return 0;
}

/*
 * bind_env(env, cap, va, flags): bind in another environment. env is an ENV
 * capability of the caller's with W; cap names a frame in env's own table
 * (the caller put it there with cap_pass). The binding is env's, as if env
 * had called bind(cap, va, flags): the creator of an environment lays out
 * its memory (a loader, fork) without running code in it.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   env is not a live ENV capability of
 *              the caller's, or cap not a live FRAME capability of env's
 *   -E_PERM    env lacks EXO_CAP_W; the rights asked exceed cap's
 *   -E_INVAL   flags unknown (GUARANTEED is refused: the reserve is the
 *              environment's own to choose), va not a user page
 *   -E_EXIST, -E_NOMEM   as bind, in env
 */
i64
bind_env(struct space *s, exo_cap_t env, exo_cap_t c, u64 va, u32 flags)
{
	int err;
	struct cap *k = cap_get(env_of(s), env, EXO_CAP_ENV, EXO_CAP_W, &err);

	if (!k)
		return err;
	/* Invariant: ENV capabilities die with their space (env_destroy). */
	kassert(k->object < NSPACES && space_at((u32)k->object));
	if (flags & EXO_BIND_GUARANTEED)
		return -E_INVAL;
	return bind_frame(space_at((u32)k->object), c, va, flags);
}

/*
 * unbind(cap): break cap's binding, and whatever was mapped from it.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE   cap is not a live FRAME capability
 *   -E_NOENT   cap is not bound
 */
i64
unbind_frame(struct space *s, exo_cap_t c)
{
	int err;
	struct cap *k = cap_get(env_of(s), c, EXO_CAP_FRAME, 0, &err);

	if (!k)
		return err;
	if (!k->va)
		return -E_NOENT;
	bind_break(k);
	return 0;
}

/* The capability bound at page va in e, or NULL. Bindings are rare to query. */
static struct cap *
bind_find(struct env *e, u64 va)
{
	for (u32 i = 0; i < EXO_NCAPS; i++)
		if (e->caps[i].type == EXO_CAP_FRAME && e->caps[i].va == va)
			return &e->caps[i];
	return 0;
}

/*
 * bind_query(va): the capability bound at the page holding va.
 *   -E_NOENT   nothing is bound there
 */
i64
bind_query(struct space *s, u64 va)
{
	struct cap *k = va < EXO_USER_END ? bind_find(env_of(s), EXO_PAGE_DOWN(va)) : 0;

	return k ? (i64)cap_name(k) : -E_NOENT;
}

void
bind_break(struct cap *k)
{
	struct env *e = cap_env(k);
	struct space *s = env_space(e);
	struct stlb_entry *ent = stlb_slot(e, k->va);
	struct mdb_node *n;
	u64 pa;

	if (ent->tag & STLB_VALID && ent->cap == cap_ref(k))
		stlb_clear(e, ent);
	/* The translation may be gone (flushed by its owner) or another's. */
	n = mdb_lookup(s, k->va);
	if (n && n->pa == k->object)
		mdb_flush(s, k->va, PAGE, EXO_RWX, true);
	else if (!n && arch_space_lookup(&s->pt, k->va, 0, &pa) == 0 && pa == k->object)
		arch_space_unmap(&s->pt, k->va, &pa);
	if (k->flags & CAPF_RESERVE) {
		k->flags &= (u8)~CAPF_RESERVE;
		e->reserve--;
	}
	k->va = 0;
	k->bound = 0;
}

/* The binding the software TLB names at va, or NULL (then: look further). */
static struct cap *
stlb_binding(struct env *e, u64 va)
{
	struct stlb_entry *ent = stlb_slot(e, va);
	struct cap *k = ent->tag == (va | STLB_VALID) ? cap_deref(ent->cap) : 0;

	return k && k->type == EXO_CAP_FRAME && k->va == va ? k : 0;
}

/* s's binding at va: the software TLB names it, or a search of the table. */
static struct cap *
bind_at(struct env *e, u64 va)
{
	struct cap *k = stlb_binding(e, va);

	return k ? k : e->ncaps ? bind_find(e, va) : 0;
}

/* Can binding k of s (at k->va) take rights want (with EXO_R)? 0 or why
 * not; *np gets its mapping-database node (NULL: none, or nothing to do). */
static int
protect_check(struct space *s, const struct cap *k, u32 want, struct mdb_node **np)
{
	struct mdb_node *n;

	*np = 0;
	if (want & ~(u32)k->rights)
		return -E_PERM;
	if (want == k->bound)
		return 0;
	/* Passed on by L4 map, the binding is its mapping-database root; a
	 * page mapped over it from elsewhere is not the binding's to change. */
	n = mdb_lookup(s, k->va);
	if (n && (n->pa != k->object || n->parent))
		return -E_PERM;
	*np = n;
	return 0;
}

/* Commit: binding k of s, checked (n: its node), gets exactly rights want. */
static void
protect_commit(struct env *e, struct space *s, struct cap *k, u32 want, struct mdb_node *n)
{
	u64 va = k->va, pa;
	struct stlb_entry *ent = stlb_slot(e, va);
	u32 lower = k->bound & ~want;
	int r;

	k->bound = (u8)want;
	if (ent->tag == (va | STLB_VALID) && ent->cap == cap_ref(k)) {
		ent->pa_rights = (ent->pa_rights & ~(u64)EXO_RWX) | want;
		r = arch_stlb_fill(&s->pt, va, k->object, want, ent->arch);
		kassert(r == 0);        /* the bind made the tables */
	}
	if (n) {
		/* What was mapped on from it loses what it loses (never R). */
		if (lower)
			mdb_flush(s, va, PAGE, lower, true);
		n->rights = want;
	}
	/* The translation, if there: a lowering reaches every CPU's TLB
	 * before the kernel returns to user mode (tlb_batch_add). */
	if (n || (arch_space_lookup(&s->pt, va, 0, &pa) == 0 && pa == k->object))
		arch_space_protect(&s->pt, va, want);
}

int
bind_protect(struct space *s, u64 va, u32 rights)
{
	struct env *e = env_of(s);
	u32 want = (rights & EXO_RWX) | EXO_R;
	struct cap *k = user_page(va) ? bind_at(e, va) : 0;
	struct mdb_node *n;
	int r = k ? protect_check(s, k, want, &n) : -E_NOENT;

	if (r == 0 && want != k->bound)
		protect_commit(e, s, k, want, n);
	return r;
}

/* The range's pages one by one, each binding named by the software TLB:
 * 0 (and *found, the pages) if it names them all; -E_NOENT at the first
 * it does not name; -E_PERM at the first binding that cannot take want. */
static int
protect_pass(struct env *e, struct space *s, u64 va, u64 end, u32 want, bool commit,
	     i64 *found)
{
	struct mdb_node *n;
	struct cap *k;
	int r;

	for (*found = 0; va < end; va += PAGE, ++*found) {
		if (!(k = stlb_binding(e, va)))
			return -E_NOENT;
		if ((r = protect_check(s, k, want, &n)))
			return r;       /* never on the commit pass: checked */
		if (commit && want != k->bound)
			protect_commit(e, s, k, want, n);
	}
	return 0;
}

/* The range's bindings by one walk of the capability table (the table is
 * EXO_NCAPS long, a page's lookup by the table as long). */
static i64
protect_scan(struct env *e, struct space *s, u64 va, u64 end, u32 want, bool commit)
{
	struct mdb_node *n;
	i64 found = 0;
	int r;

	for (u32 i = 0; i < EXO_NCAPS; i++) {
		struct cap *k = &e->caps[i];

		if (k->type != EXO_CAP_FRAME || k->va < va || k->va >= end)
			continue;
		found++;
		if ((r = protect_check(s, k, want, &n)))
			return r;       /* never on the commit pass: checked */
		if (commit && want != k->bound)
			protect_commit(e, s, k, want, n);
	}
	return found;
}

/*
 * bind_protect(va, npages, rights): every binding of the caller's in
 * [va, va + npages pages) gets exactly rights (EXO_R always), within its
 * capability; pages with no binding are passed over. All or nothing:
 * nothing changes unless every binding can take the rights. Returns the
 * number of bindings in the range.
 *   -E_INVAL   rights other than EXO_RWX, va not a page-aligned user
 *              address, npages 0 or above EXO_PROTECT_MAX, or the range
 *              leaves user space
 *   -E_PERM    a binding's capability does not allow rights, or what is
 *              mapped at one of its pages is not the binding's own
 */
i64
bind_protect_range(struct space *s, u64 va, u64 npages, u64 rights)
{
	struct env *e = env_of(s);
	u32 want = ((u32)rights & EXO_RWX) | EXO_R;
	u64 end = va + npages * PAGE;
	i64 found;
	int r;

	if (rights & ~(u64)EXO_RWX || !user_page(va) || !npages ||
	    npages > EXO_PROTECT_MAX || npages > (EXO_USER_END - va) / PAGE)
		return -E_INVAL;
	/* Every page in the software TLB (a range the program works on): a
	 * lookup each. Otherwise one walk of the table. */
	r = protect_pass(e, s, va, end, want, false, &found);
	if (r == 0) {
		protect_pass(e, s, va, end, want, true, &found);
		return found;
	}
	if (r == -E_PERM)
		return r;
	found = protect_scan(e, s, va, end, want, false);
	if (found > 0)
		protect_scan(e, s, va, end, want, true);
	return found;
}

bool
stlb_fault(struct space *s, u64 va, u32 access)
{
	struct env *e = env_of(s);
	struct stlb_entry *ent;

	if (!e->stlb_live)
		return false;
	ent = stlb_slot(e, va);
	if (ent->tag != (va | STLB_VALID) || access & ~ent->pa_rights ||
	    arch_stlb_present(ent->arch)) {
		e->stlb_misses++;
		return false;
	}
	arch_stlb_install(ent->arch);
	ent->pa_rights &= ~STLB_LAZY;
	e->stlb_hits++;
	return true;
}

int
bind_mdb_root(struct space *s, u64 va)
{
	struct env *e = env_of(s);
	struct cap *k = e->ncaps ? bind_find(e, va) : 0;
	struct stlb_entry *ent = stlb_slot(e, va);
	u64 pa;

	if (!k)
		return -E_FAULT;
	if (arch_space_lookup(&s->pt, va, 0, &pa) == 0) {
		if (pa != k->object)
			return -E_FAULT;
		arch_space_unmap(&s->pt, va, &pa);
	}
	if (ent->tag == (va | STLB_VALID))
		ent->pa_rights &= ~STLB_LAZY;
	return mdb_map_root(s, va, k->object, PAGE, k->bound);
}

/* FNV-1a over 64-bit words. */
static u64
digest_add(u64 h, u64 v)
{
	for (int i = 0; i < 8; i++, v >>= 8)
		h = (h ^ (v & 0xff)) * 0x100000001b3ull;
	return h;
}

/* What the tables say at va: the frame and which of W and X they allow. */
static u64
digest_translation(u64 h, struct space *s, u64 va)
{
	u64 pa = 0;

	h = digest_add(h, va);
	h = digest_add(h, arch_space_lookup(&s->pt, va, 0, &pa) == 0 ? pa : 1);
	h = digest_add(h, arch_space_lookup(&s->pt, va, EXO_SEG_W, &pa) == 0);
	h = digest_add(h, arch_space_lookup(&s->pt, va, EXO_SEG_X, &pa) == 0);
	return h;
}

u64
bind_digest(struct space *s, bool reset)
{
	struct env *e = env_of(s);
	u64 h = 0xcbf29ce484222325ull;

	if (reset)
		e->stlb_hits = e->stlb_misses = 0;
	for (u32 i = 0; i < EXO_NCAPS; i++) {
		const struct cap *k = &e->caps[i];

		h = digest_add(h, k->object);
		h = digest_add(h, k->va);
		h = digest_add(h, (u64)k->gen | (u64)k->type << 16 | (u64)k->rights << 24 |
				  (u64)k->flags << 32 | (u64)k->bound << 40);
		h = digest_add(h, (u64)k->parent << 32 | k->child);
		if (k->type == EXO_CAP_FRAME && k->va)
			h = digest_translation(h, s, k->va);
	}
	for (u32 i = 0; i < EXO_STLB_ENTRIES; i++) {
		const struct stlb_entry *ent = &e->stlb[i];

		h = digest_add(h, ent->tag);
		h = digest_add(h, ent->pa_rights);
		h = digest_add(h, ent->arch[0]);
		h = digest_add(h, ent->arch[1]);
		h = digest_add(h, (u64)ent->cap << 32 | ent->pad);
		if (ent->tag & STLB_VALID)
			h = digest_translation(h, s, ent->tag & ~(PAGE - 1));
	}
	h = digest_add(h, (u64)e->ncaps << 32 | e->frames);
	h = digest_add(h, (u64)e->reserve << 32 | e->stlb_live);
	h = digest_add(h, e->stlb_hits);
	h = digest_add(h, e->stlb_misses);
	return h >> 1;
}
