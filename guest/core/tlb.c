/* TLB shootdowns and their batching (tlb.h). */
#include "tlb.h"

#include "kernel.h"
#include "trace.h"

static struct tlb_request req;          /* what the targets read */
static struct tlb_shootdown_rec last;
static struct tlb_stats stats;
struct arch_space *tlb_batch_space;
static struct {
	u32 n;                              /* > TLB_BATCH_MAX: all of s */
	u64 va[TLB_BATCH_MAX];
} batch;

cpumask_t
tlb_targets(const struct percpu *c, u32 n, u32 self, u64 root)
{
	cpumask_t m = 0;

	for (u32 i = 0; i < n; i++)
		if (i != self && c[i].online && (!root || c[i].root == root))
			m |= cpumask_of(i);
	return m;
}

u32 tlb_full_pages = TLB_FULL_PAGES_HW;

bool
tlb_use_full(u32 npages)
{
	return npages > tlb_full_pages;
}

/* Invalidate here what r names, if this CPU has r->root loaded. */
static void
tlb_local(struct percpu *pc, const struct tlb_request *r)
{
	if (r->root && pc->root != r->root)
		return;
	if (r->teardown)
		arch_tlb_leave(pc);
	else
		arch_tlb_invalidate(r->npages == TLB_ALL ? 0 : r->va,
				    r->npages == TLB_ALL ? TLB_ALL : r->npages);
}

void
tlb_serve(struct percpu *pc)
{
	tlb_local(pc, &req);
	pc->tlb_served++;
}

static void
tlb_run(u64 root, const u64 *pages, u32 n, bool teardown)
{
	struct percpu *pc = this_cpu();
	cpumask_t targets = tlb_targets(cpus, ncpus, pc->id, root);
	u64 t0 = arch_now(), ack;

	req.root = root;
	req.teardown = teardown;
	req.npages = teardown || n == TLB_ALL || tlb_use_full(n) ? TLB_ALL : n;
	for (u32 i = 0; req.npages != TLB_ALL && i < n; i++)
		req.va[i] = pages[i];
	stats.full += req.npages == TLB_ALL;
	stats.pages += req.npages == TLB_ALL ? 0 : n;
	tlb_local(pc, &req);
	if (!targets) {
		stats.local_only++;
		return;
	}
	ack = smp_request(targets, SMP_REQ_TLB, true);
	stats.shootdowns++;
	stats.ack_tsc_total += ack;
	if (ack > stats.ack_tsc_max)
		stats.ack_tsc_max = ack;
	last = (struct tlb_shootdown_rec){
		.seq = stats.shootdowns, .root = root, .targets = targets,
		.initiator = pc->id, .npages = req.npages, .ack_tsc = ack, .tsc = t0,
	};
	TRACE_SWAB(SHOOTDOWN, req.npages == TLB_ALL ? 0 : req.npages, targets,
		   root, ack);
}

void
tlb_shootdown(struct arch_space *s, const u64 *pages, u32 n)
{
	if (n == 0)
		return;
	if (n != TLB_ALL && !tlb_use_full(n) && n > TLB_BATCH_MAX)
		n = TLB_ALL;
	tlb_run(s->root, pages, n, false);
}

void
tlb_kernel_shootdown(const u64 *pages, u32 n)
{
	if (n == 0)
		return;
	if (n != TLB_ALL && n > TLB_BATCH_MAX)
		n = TLB_ALL;
	tlb_run(0, pages, n, false);
}

void
tlb_teardown(struct arch_space *s)
{
	if (tlb_batch_space == s)
		tlb_batch_space = 0, batch.n = 0;       /* covered by what follows */
	tlb_run(s->root, 0, TLB_ALL, true);
}

void
tlb_batch_send(void)
{
	struct arch_space *s = tlb_batch_space;
	u32 n = batch.n;

	if (!s)
		return;
	tlb_batch_space = 0;
	batch.n = 0;
	tlb_shootdown(s, batch.va, n > TLB_BATCH_MAX ? TLB_ALL : n);
}

void
tlb_batch_add(struct arch_space *s, u64 va)
{
	if (UP_KERNEL || ncpus == 1) {  /* nobody else can hold it: now, if loaded here */
		if (this_cpu()->root == s->root)
			arch_tlb_invalidate(&va, 1);
		return;
	}
	if (tlb_batch_space != s) {
		tlb_batch_flush();
		tlb_batch_space = s;
	}
	if (batch.n < TLB_BATCH_MAX)
		batch.va[batch.n] = va;
	if (batch.n <= TLB_BATCH_MAX)
		batch.n++;
}

const struct tlb_shootdown_rec *
tlb_last(void)
{
	return &last;
}

const struct tlb_stats *
tlb_stats(void)
{
	return &stats;
}
