/* Address spaces: a fixed table of them, and the kernel interface page. */
#include "space.h"

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>

#include "frame.h"
#include "kernel.h"
#include "env.h"
#include "mdb.h"
#include "modpage.h"
#include "thread.h"
#include "tlb.h"

static struct space spaces[NSPACES];

/* A whole page of its own: every space maps it, so nothing else may share it.
 * The IPC fast path stores cur_utcb into it by name. */
union kip_page kip_page __attribute__((aligned(4096)));
static u64 kip_pa;

int
space_init(const struct exo_bootinfo *bi, u64 sigma0_first, u64 sigma0_end)
{
	struct exo_kip *kip = kernel_kip();

	kip_pa = arch_virt_to_phys(&kip_page);
	kip->magic = EXO_KIP_MAGIC;
	kip->tsc_khz = bi->tsc_khz;
	kip->sigma0_base = EXO_USER_SIGMA0_BASE;
	kip->sigma0_first = sigma0_first;
	kip->sigma0_end = sigma0_end;
	kip->nthreads = NTHREADS;
	kip->platform = bi->platform;
	kip->ncpus = bi->ncpus ? bi->ncpus : 1;
	tlb_full_pages = bi->platform == EXO_PLATFORM_KVM_PVM ? TLB_FULL_PAGES_PVM :
			 TLB_FULL_PAGES_HW;
	kip->tlb_full_pages = tlb_full_pages;
	return 0;
}

struct space *
space_at(u32 i)
{
	return i < NSPACES && spaces[i].live ? &spaces[i] : 0;
}

int
space_create(struct space *parent, struct space **out)
{
	struct space *s = 0;
	int r;

	for (u32 i = 0; i < NSPACES && !s; i++)
		if (!spaces[i].live)
			s = &spaces[i];
	if (!s)
		return -E_NOMEM;
	*s = (struct space){ .parent = parent, .index = (u32)(s - spaces),
			     .module = parent ? parent->module : 0,
			     .mdb_salt = mdb_salt_of(s), .env = &envs[s - spaces] };
	s->env->index = s->index;      /* trace records name it without a division */
	r = arch_space_create(&s->pt);
	if (r == 0)
		r = arch_space_map(&s->pt, EXO_USER_KIP, kip_pa, EXO_PAGE_SIZE, EXO_SEG_R);
	if (r < 0) {
		arch_space_destroy(&s->pt);
		return r;
	}
	s->live = true;
	*out = s;
	return 0;
}

void
space_destroy(struct space *s)
{
	env_destroy(s);
	mdb_space_clear(s);
	arch_space_destroy(&s->pt);
	for (u32 i = 0; i < NSPACES; i++)
		if (spaces[i].live && spaces[i].parent == s)
			spaces[i].parent = s->parent;
	s->live = false;
}

/*
 * σ0's window: frame pa appears at EXO_USER_SIGMA0_BASE + pa. A window page
 * becomes a mapping-database root the first time σ0 passes it on (or
 * touches it), so boot costs nothing per frame.
 *   -E_FAULT  va is not the window page of a frame σ0 owns
 */
int
sigma0_root(struct space *s, u64 va)
{
	u64 pa = va - EXO_USER_SIGMA0_BASE;
	const struct exo_kip *kip = kernel_kip();

	if (!s->sigma0 || va < EXO_USER_SIGMA0_BASE || va & (EXO_PAGE_SIZE - 1) ||
	    pa < kip->sigma0_first || pa >= kip->sigma0_end)
		return -E_FAULT;
	if (mdb_lookup(s, va))
		return 0;
	return mdb_map_root(s, va, pa, EXO_PAGE_SIZE, EXO_SEG_R | EXO_SEG_W | EXO_SEG_X);
}

int
space_demand(struct space *s, u64 va)
{
	va = EXO_PAGE_DOWN(va);
	if (!s->kpaged)
		return -E_FAULT;
	if (s->sigma0 && sigma0_root(s, va) == 0)
		return 0;
	return modpage_fault(s, va);
}

int
space_lookup(struct space *s, u64 va, u32 need, u64 *pa)
{
	int r = arch_space_lookup(&s->pt, va, need, pa);

	if (r < 0 && s->kpaged && space_demand(s, va) == 0)
		r = arch_space_lookup(&s->pt, va, need, pa);
	return r;
}
