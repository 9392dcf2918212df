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

/* s's binding at va: the software TLB names it, or a search of the table. */
static struct cap *
bind_at(struct env *e, u64 va)
{
	struct stlb_entry *ent = stlb_slot(e, va);
	struct cap *k = 0;

	if (ent->tag == (va | STLB_VALID))
		k = cap_deref(ent->cap);
	if (k && k->type == EXO_CAP_FRAME && k->va == va)
		return k;
	return e->ncaps ? bind_find(e, va) : 0;
}

int
bind_raise(struct space *s, u64 va, u32 rights)
{
	struct env *e = env_of(s);
	struct stlb_entry *ent = stlb_slot(e, va);
	struct cap *k = user_page(va) ? bind_at(e, va) : 0;
	struct mdb_node *n;
	u32 want;
	u64 pa;
	int r;

	if (!k)
		return -E_NOENT;
	want = k->bound | (rights & EXO_RWX) | EXO_R;
	if (want & ~(u32)k->rights)
		return -E_PERM;
	if (want == k->bound)
		return 0;
	/* Passed on by L4 map, the binding is its mapping-database root. */
	n = mdb_lookup(s, va);
	if (n && (n->pa != k->object || n->parent))
		return -E_PERM;
	/* Commit point: nothing below fails. */
	k->bound = (u8)want;
	if (ent->tag == (va | STLB_VALID) && ent->cap == cap_ref(k)) {
		ent->pa_rights = (ent->pa_rights & ~(u64)EXO_RWX) | want;
		r = arch_stlb_fill(&s->pt, va, k->object, want, ent->arch);
		kassert(r == 0);        /* the bind made the tables */
	}
	if (n)
		n->rights = want;       /* a root: its children keep a subset */
	if (n || (arch_space_lookup(&s->pt, va, 0, &pa) == 0 && pa == k->object))
		arch_space_protect(&s->pt, va, want);
	return 0;
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
