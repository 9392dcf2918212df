/*
 * ExOS's virtual memory (exos.h): the page table of vm_pt.c made real with
 * the exokernel's calls — bindings loaded from the exception handler,
 * unloaded when protection drops, frames copied on a shared page's write.
 */
#include "exos.h"

#include "libos.h"

#define PAGE EXOS_PAGE

static struct exos_pt pt;
static exos_fault_fn program_fault;
static u8 handler_stack[16384] __attribute__((aligned(16)));
volatile struct exos_vm_stats exos_vm_stats;
static u32 frame_flags;                 /* EXO_FRAME_AUTOSAVE once swapping */
static u32 hand;                        /* exos_pt_victim's clock hand */
static struct exo_repossession vec[EXO_REPOSSESS_MAX];

/*
 * The table is shared by the faulting thread's handler, the program's calls
 * and the REVOKE entry thread (swap.c): one at a time. A holder is never
 * blocked in the kernel for long, so a waiter yields until it is free.
 */
static volatile u32 pt_busy;

static void
pt_lock(void)
{
	while (__atomic_exchange_n(&pt_busy, 1, __ATOMIC_ACQUIRE))
		l4_thread_switch(EXO_NILTHREAD);
}

static void
pt_unlock(void)
{
	__atomic_store_n(&pt_busy, 0, __ATOMIC_RELEASE);
}

const struct exos_pt *
exos_vm_table(void)
{
	return &pt;
}

/* Break e's binding: gone already (the kernel took the frame) counts too. */
static void
page_unload(struct exos_pte *e)
{
	if (e->loaded)
		unbind(e->cap);
	e->loaded = 0;
}

/* Bind e's frame with rights (now: EXO_BIND_NOW, or 0 for a lazy binding). */
static long
page_bind(struct exos_pte *e, u8 rights, u32 now)
{
	long r;

	if (e->loaded == rights)
		return 0;
	page_unload(e);
	if (!rights)
		return 0;
	r = bind(e->cap, e->va, rights | now);
	if (r < 0)
		return r;
	e->loaded = rights;
	return 0;
}

/* e no longer maps its frame: a copy of the capability is dropped, the
 * frame freed with its last page if the library allocated it. */
static void
page_release(struct exos_pte *e)
{
	struct exos_frame f = pt.frames[e->frame];

	page_unload(e);
	if (e->cap != f.owner)
		cap_drop(e->cap);
	if (!exos_frame_unref(&pt, e->frame) && f.owned)
		frame_free(f.owner);
	e->cap = 0;
}

/* A fresh frame of the library's for e. -E_AGAIN: the pool is dry and the
 * kernel is taking frames back from another environment, which pays or is
 * aborted by its deadline: yield until then. */
static long
page_new_frame(struct exos_pte *e)
{
	long c;
	int i;

	while ((c = frame_alloc(frame_flags)) == -E_AGAIN)
		l4_thread_switch(EXO_NILTHREAD);
	if (c < 0)
		return c;
	i = exos_frame_ref(&pt, (exo_cap_t)c, true);
	if (i < 0) {
		frame_free((exo_cap_t)c);
		return i;
	}
	e->cap = (exo_cap_t)c;
	e->frame = (u16)i;
	return 0;
}

static u64 reap(void);

/* Load e for access; the fault's retry then succeeds. A capability the
 * kernel took (its REPOSSESS upcall not seen yet): read the vector now,
 * and the retry faults into what the table says then. */
static int
fault_load(struct exos_pte *e, u8 access)
{
	u8 rights = exos_pte_rights(e, access);
	long r;

	/* Loaded with the rights already: the kernel broke the binding. */
	if ((e->loaded & access) == access)
		page_unload(e);
	r = page_bind(e, rights, EXO_BIND_NOW);
	if (r == -E_STALE && reap())
		return 0;
	if (r == -E_STALE) {
		/* Nothing repossessed: the capability itself was revoked (a
		 * shared segment its creator took back). The program's. */
		exos_vm_stats.stale++;
		return -1;
	}
	if (r < 0)
		return 1;
	exos_pte_loaded(e, rights, access);
	exos_vm_stats.loads++;
	return 0;
}

static int
fault_zero(u64 va, u8 access)
{
	struct exos_pte *e = exos_pt_find(&pt, va);
	bool fresh = !e;

	if (fresh) {
		if (!(e = exos_pt_insert(&pt, va)))
			return 1;
		e->prot = exos_region_find(&pt, va)->prot;
	}
	if (page_new_frame(e) == 0)
		e->flags |= EXOS_PTE_ZERO;      /* until written (exos_pte_loaded) */
	if (!e->cap || fault_load(e, access)) {
		if (e->cap)
			page_release(e);
		if (fresh)
			exos_pt_remove(&pt, va);
		return 1;
	}
	exos_vm_stats.zero_fills++;
	return 0;
}

/* A write to a page whose frame others share: into a fresh frame of its
 * own, copied through the library's scratch page. */
static int
fault_copy(struct exos_pte *e)
{
	struct exos_pte fresh = { .va = EXOS_SCRATCH_VA };

	if (page_new_frame(&fresh) < 0)
		return 1;
	if (page_bind(&fresh, EXOS_PROT_RW, EXO_BIND_NOW) < 0 ||
	    (!e->loaded && page_bind(e, EXOS_PROT_R, EXO_BIND_NOW) < 0)) {
		page_release(&fresh);
		return 1;
	}
	memcpy((void *)EXOS_SCRATCH_VA, (const void *)e->va, PAGE);
	page_unload(&fresh);
	page_release(e);
	e->cap = fresh.cap;
	e->frame = fresh.frame;
	e->flags &= (u8)~EXOS_PTE_COW;
	exos_vm_stats.copies++;
	return fault_load(e, EXOS_ACCESS_W);
}

/* A page the kernel took, saved: a fresh frame, the block read back. */
static int
fault_swapin(struct exos_pte *e, u8 access)
{
	if (page_new_frame(e) < 0)
		return 1;
	if (backing_read(e->block - 1, e->cap) < 0) {
		page_release(e);
		return 1;
	}
	e->block = 0;
	exos_vm_stats.swapins++;
	return fault_load(e, access);
}

/* What the library does with a page fault: 0 resumed, 1 declined, -1
 * the program's to judge. */
static int
vm_page_fault(struct exo_xframe *x, u8 access)
{
	struct exos_pte *e = exos_pt_find(&pt, x->cr2);

	switch (exos_pt_plan(&pt, x->cr2, access)) {
	case EXOS_PLAN_LOAD:
		return fault_load(e, access);
	case EXOS_PLAN_ZERO:
		return fault_zero(x->cr2, access);
	case EXOS_PLAN_SWAPIN:
		return fault_swapin(e, access);
	case EXOS_PLAN_COPY:
		return fault_copy(e);
	case EXOS_PLAN_UNSHARE:
		e->flags &= (u8)~EXOS_PTE_COW;
		exos_vm_stats.unshares++;
		return fault_load(e, access);
	case EXOS_PLAN_VIOLATION:
		exos_vm_stats.violations++;
		return -1;
	case EXOS_PLAN_FOREIGN:
		break;
	}
	exos_vm_stats.foreign++;
	return -1;
}

/* Every exception of the thread: the library's page faults first; the
 * program's function runs without the table's lock (it may call us). */
static int
vm_fault(struct exo_xframe *x)
{
	u8 access = x->error & 2 ? EXOS_ACCESS_W : EXOS_ACCESS_R;
	int r = -1;

	if (x->vector == 14) {
		pt_lock();
		r = vm_page_fault(x, access);
		pt_unlock();
	}
	if (r >= 0)
		return r;
	if (x->vector != 14)
		access = 0;
	return program_fault ? program_fault(x->cr2, access, x) : 1;
}

/* Write every page of [p, p + n) to itself: present and writable. */
static void
touch_pages(volatile u8 *p, u64 n)
{
	for (u64 i = 0; i < n; i += PAGE)
		p[i] = p[i];
	if (n)
		p[n - 1] = p[n - 1];
}

/*
 * Once the handler is ours, a fault in it cannot be served: so what it
 * touches, the library's own state, is made present first (an untouched
 * page of it faulted in pt_lock, inside the handler, and ended the task).
 */
long
exos_vm_init(exos_fault_fn fn)
{
	touch_pages((volatile u8 *)&pt_busy, sizeof(pt_busy));
	touch_pages((volatile u8 *)&pt, sizeof(pt));
	touch_pages((volatile u8 *)vec, sizeof(vec));
	touch_pages((volatile u8 *)&exos_vm_stats, sizeof(exos_vm_stats));
	touch_pages(handler_stack, sizeof(handler_stack));
	program_fault = fn;
	return exo_handler_set(vm_fault, handler_stack + sizeof(handler_stack));
}

long
exos_vm_fini(void)
{
	program_fault = 0;
	return exo_handler_set(0, 0);
}

static long
vm_region_zero(u64 va, u64 npages, u8 prot)
{
	return exos_region_add(&pt, va, npages, prot);
}

static long
vm_map(u64 va, exo_cap_t frame, u8 prot)
{
	struct exo_capinfo info;
	struct exos_pte *e;
	long r = cap_info(frame, &info);
	int i;

	if (r < 0)
		return r;
	if (info.type != EXO_CAP_FRAME)
		return -E_BADTYPE;
	if (prot & ~EXOS_PROT_RW || va & (PAGE - 1) || !va)
		return -E_INVAL;
	if (prot & ~info.rights & EXOS_PROT_RW || !(info.rights & EXO_CAP_R))
		return -E_PERM;
	if (info.va || exos_pt_find(&pt, va) || pt.frames[EXO_CAP_INDEX(frame)].owner)
		return -E_EXIST;
	if (pt.used >= EXOS_PT_MAX || (i = exos_frame_ref(&pt, frame, false)) < 0)
		return -E_NOMEM;
	e = exos_pt_insert(&pt, va);
	e->cap = frame;
	e->frame = (u16)i;
	e->prot = prot;
	return 0;
}

/* Pages of [va, va + n pages) the library holds; -E_NOENT at the first it
 * does not, and how many entries making them all explicit would take. */
static long
range_check(u64 va, u64 npages, u64 *missing)
{
	*missing = 0;
	if (va & (PAGE - 1) || !npages || npages > EXOS_PT_SLOTS)
		return -E_INVAL;
	for (u64 i = 0; i < npages; i++) {
		u64 p = va + i * PAGE;

		if (exos_pt_find(&pt, p))
			continue;
		if (!exos_region_find(&pt, p))
			return -E_NOENT;
		(*missing)++;
	}
	return pt.used + *missing > EXOS_PT_MAX ? -E_NOMEM : 0;
}

/*
 * One page's new protection in the table. A binding it no longer allows at
 * all goes; a loaded one whose rights change is left to the caller, which
 * changes a run of them in one bind_protect (*set: the rights, else 0); a
 * page newly allowed is bound lazily, so the next touch is a software-TLB
 * fill, not an upcall.
 */
static long
page_protect(u64 va, u8 prot, u8 *set)
{
	struct exos_pte *e = exos_pt_find(&pt, va);
	u8 was, want;

	*set = 0;
	if (!e) {
		const struct exos_region *r = exos_region_find(&pt, va);

		if (r->prot == prot)
			return 0;
		e = exos_pt_insert(&pt, va);    /* range_check counted it */
		e->prot = r->prot;
	}
	was = e->prot;
	e->prot = prot;
	want = exos_pte_rights(e, 0);
	if (!want)
		page_unload(e);
	else if (e->loaded && e->loaded != want)
		*set = want;
	else if (!e->loaded && prot & ~was && e->cap)
		return page_bind(e, want, 0);
	return 0;
}

/* The loaded pages of [va, va + n pages) take rights: one system call for
 * the run (the kernel passes over pages with no binding), page by page if
 * the kernel refuses it. */
static long
protect_run(u64 va, u64 n, u8 rights)
{
	long r = bind_protect(va, n, rights);

	for (u64 i = 0; i < n; i++) {
		struct exos_pte *e = exos_pt_find(&pt, va + i * PAGE);

		if (!e || !e->loaded || e->loaded == rights)
			continue;
		if (r >= 0)
			e->loaded = rights;
		else if (page_bind(e, rights, 0) < 0)
			return r;
	}
	return 0;
}

static long
vm_mprotect(u64 va, u64 npages, u8 prot)
{
	u64 missing, from = 0, run = 0;
	long r = prot & ~EXOS_PROT_RW ? -E_INVAL : range_check(va, npages, &missing);
	u8 want = 0, set;

	for (u64 i = 0; r == 0 && i < npages; i++) {
		u64 p = va + i * PAGE;
		const struct exos_pte *e;

		r = page_protect(p, prot, &set);
		e = exos_pt_find(&pt, p);
		/* A run holds pages that take want, and pages it leaves as they
		 * are: not loaded, or loaded with want. */
		if (r == 0 && run && (set ? set != want : e && e->loaded && e->loaded != want)) {
			r = protect_run(from, run, want);
			run = 0;
		}
		if (r == 0 && set && !run) {
			from = p;
			want = set;
		}
		if (set)
			run = (p - from) / PAGE + 1;
	}
	if (r == 0 && run)
		r = protect_run(from, run, want);
	return r;
}

/* Share src's frame at dst (a new entry), both copy on write. */
static long
page_share(struct exos_pte *d, struct exos_pte *s)
{
	exo_cap_t owner = pt.frames[s->frame].owner;
	long c = cap_derive(owner, EXO_CAP_R | EXO_CAP_W);

	if (c == -E_PERM)
		c = cap_derive(owner, EXO_CAP_R);
	if (c < 0)
		return c;
	s->flags |= EXOS_PTE_COW;
	if (s->loaded & EXO_BIND_W)
		page_unload(s);
	d->cap = (exo_cap_t)c;
	d->frame = s->frame;
	d->flags = EXOS_PTE_COW;
	pt.frames[s->frame].refs++;
	return 0;
}

static long
vm_cow(u64 dst, u64 src, u64 npages)
{
	u64 missing;
	long r = range_check(src, npages, &missing);

	if (r == 0 && (dst & (PAGE - 1) || !dst))
		r = -E_INVAL;
	for (u64 i = 0; r == 0 && i < npages; i++)
		if (exos_pt_find(&pt, dst + i * PAGE))
			r = -E_EXIST;
	if (r == 0 && pt.used + npages > EXOS_PT_MAX)
		r = -E_NOMEM;
	for (u64 i = 0; r == 0 && i < npages; i++) {
		struct exos_pte *s = exos_pt_find(&pt, src + i * PAGE);
		struct exos_pte *d = exos_pt_insert(&pt, dst + i * PAGE);

		if (!s) {                       /* untouched demand zero: both fresh */
			d->prot = exos_region_find(&pt, src + i * PAGE)->prot;
			continue;
		}
		d->prot = s->prot;
		if (s->cap && (r = page_share(d, s)) < 0)
			exos_pt_remove(&pt, dst + i * PAGE);
	}
	return r;
}

static long
vm_unmap(u64 va, u64 npages)
{
	if (va & (PAGE - 1) || !npages || npages > EXOS_PT_SLOTS)
		return -E_INVAL;
	for (u64 i = 0; i < npages; i++) {
		struct exos_pte *e = exos_pt_find(&pt, va + i * PAGE);

		if (!e)
			continue;
		if (e->cap)
			page_release(e);
		exos_pt_remove(&pt, va + i * PAGE);
	}
	exos_region_remove(&pt, va, va + npages * PAGE);
	return 0;
}

static long
vm_dirty(u64 va)
{
	const struct exos_pte *e = exos_pt_find(&pt, va);

	if (e)
		return e->flags & EXOS_PTE_DIRTY ? 1 : 0;
	return exos_region_find(&pt, va) ? 0 : -E_NOENT;
}

static long
vm_clean(u64 va)
{
	struct exos_pte *e = exos_pt_find(&pt, va);

	if (!e)
		return exos_region_find(&pt, va) ? 0 : -E_NOENT;
	e->flags &= (u8)~EXOS_PTE_DIRTY;
	if (e->loaded & EXO_BIND_W)
		page_unload(e);
	return 0;
}

/* The calls (exos.h), each with the table to itself. */

long
exos_region_zero(u64 va, u64 npages, u8 prot)
{
	long r;

	pt_lock();
	r = vm_region_zero(va, npages, prot);
	pt_unlock();
	return r;
}

long
exos_map(u64 va, exo_cap_t frame, u8 prot)
{
	long r;

	pt_lock();
	r = vm_map(va, frame, prot);
	pt_unlock();
	return r;
}

long
exos_mprotect(u64 va, u64 npages, u8 prot)
{
	long r;

	pt_lock();
	r = vm_mprotect(va, npages, prot);
	pt_unlock();
	return r;
}

long
exos_cow(u64 dst, u64 src, u64 npages)
{
	long r;

	pt_lock();
	r = vm_cow(dst, src, npages);
	pt_unlock();
	return r;
}

long
exos_unmap(u64 va, u64 npages)
{
	long r;

	pt_lock();
	r = vm_unmap(va, npages);
	pt_unlock();
	return r;
}

long
exos_dirty(u64 va)
{
	long r;

	pt_lock();
	r = vm_dirty(va);
	pt_unlock();
	return r;
}

long
exos_clean(u64 va)
{
	long r;

	pt_lock();
	r = vm_clean(va);
	pt_unlock();
	return r;
}

/* The repossession vector into the table: pages of a frame the kernel took
 * keep its block, to be read back on their next fault. Entries lost to the
 * vector's overflow are not known: their pages fail to load (declined). */
static u64
reap(void)
{
	long r = repossessed(vec, EXO_REPOSSESS_MAX);
	u64 n = r > 0 ? (u32)r : 0;

	for (u64 i = 0; i < n; i++) {
		u32 f = EXO_CAP_INDEX(vec[i].cap);

		if (f < EXO_NCAPS && pt.frames[f].owner == vec[i].cap) {
			exos_pt_frame_taken(&pt, (u16)f, vec[i].block);
			exos_vm_stats.repossessed++;
		}
	}
	return n;
}

u64
exos_vm_reap(void)
{
	u64 n;

	pt_lock();
	n = reap();
	pt_unlock();
	return n;
}

u64
exos_vm_give_back(u64 want)
{
	struct exos_pte *e;
	u64 given = 0;

	pt_lock();
	while (given < want && (e = exos_pt_victim(&pt, &hand))) {
		page_release(e);        /* the frame goes; a fill remakes it */
		e->flags &= (u8)~(EXOS_PTE_ZERO | EXOS_PTE_ACCESSED);
		exos_vm_stats.given_back++;
		given++;
	}
	pt_unlock();
	return given;
}

void
exos_vm_autosave(bool on)
{
	frame_flags = on ? EXO_FRAME_AUTOSAVE : 0;
}
