/*
 * TLB shootdowns: when a mapping goes or loses rights, no CPU may use the
 * old translation once the operation that changed it returns.
 *
 * Which CPUs may hold a space's translations: only those that have its root
 * loaded now (percpu.root). Without PCID (not available on the PVM hosts
 * here, and not used on hardware either yet) every CR3 write flushes all
 * non-global entries, and user pages are never global, so a CPU that
 * switched away from a space holds nothing of it. That gives, at no cost on
 * the switch path, the per-space CPU mask a PCID kernel would have to keep
 * and clear by hand: the mask of a space is computed when a shootdown needs
 * it (tlb_targets), from what each CPU has loaded; a CPU that idles loads the
 * kernel's root, so idle CPUs are never interrupted. Reading the loaded roots
 * is safe because a CPU changes its root only with the big kernel lock,
 * which the initiator holds.
 *
 * Batching: arch_space_unmap and arch_space_protect add each changed page to
 * one pending batch (tlb_batch_add; with one CPU it is invalidated at once,
 * if its space is loaded: nothing to batch a shootdown for); the batch goes out as one shootdown when
 * a page of another space is added, before a frame is freed, and at the end
 * of every kernel entry (tlb_batch_flush). A batch of more than
 * tlb_full_pages pages flushes the whole space instead of page by page
 * (kip->tlb_full_pages says how many). Natively invlpg is cheap and a
 * whole flush costs the refills of every page in use: 16. On PVM an invlpg
 * costs a target ~8k cycles and a whole flush about one page's (exo bench
 * tlb, one target: 1 page 92.9k cycles to acknowledgement, 4 pages 122-300k
 * page by page against 99-103k whole, 16 pages 228-230k against 103-112k),
 * and the unmapping CPU's own next iterations, refills included, cost no
 * more with whole flushes (unmap_16p_0cpu 3.82M against 3.98M): 2.
 */
#ifndef CORE_TLB_H
#define CORE_TLB_H

#include <exo/types.h>

#include "percpu.h"
#include "platform.h"

#define TLB_BATCH_MAX   32      /* pages one request names */
#define TLB_FULL_PAGES_HW  16  /* more than this: flush the whole space */
#define TLB_FULL_PAGES_PVM 2
extern u32 tlb_full_pages;      /* this platform's (space_init) */
#define TLB_ALL         (~0u)   /* npages of a whole-space flush */

/* What the initiator asks of each target (one at a time: under the lock). */
struct tlb_request {
	u64 root;                   /* the space's translation root; 0: any
				       (kernel translations) */
	u32 npages;                 /* TLB_ALL: the whole space */
	bool teardown;              /* the space dies: load the kernel's root */
	u64 va[TLB_BATCH_MAX];
};

/*
 * One shootdown: who, whom, how many pages, and the TSC ticks from the
 * first IPI to the last acknowledgement. Each is also a trace record
 * (EXO_TRACE_SHOOTDOWN, <exo/trace.h>) in the initiator's ring.
 */
struct tlb_shootdown_rec {
	u64 seq;                    /* 1, 2, ... in this boot */
	u64 root;
	cpumask_t targets;          /* the CPUs interrupted */
	u32 initiator;              /* CPU */
	u32 npages;                 /* TLB_ALL: whole space */
	u64 ack_tsc;                /* first IPI to last acknowledgement */
	u64 tsc;                    /* when it started */
};

struct tlb_stats {
	u64 shootdowns;             /* with at least one target */
	u64 local_only;             /* no other CPU had the space loaded */
	u64 pages, full;            /* pages named; whole-space flushes */
	u64 ack_tsc_total, ack_tsc_max;
};

/* The CPUs but self whose loaded root is root, 0: any (portable: unit-tested). */
cpumask_t tlb_targets(const struct percpu *cpus, u32 n, u32 self, u64 root);
/* Flush the whole space rather than npages pages one by one? */
bool tlb_use_full(u32 npages);

/*
 * The one call for "these translations of s changed": invalidate pages[0..n)
 * (n > tlb_full_pages or TLB_ALL: all of s) here and on every CPU that has s
 * loaded, and return when all have. The page-table entries must be changed
 * already. Needs the big kernel lock.
 */
void tlb_shootdown(struct arch_space *s, const u64 *pages, u32 n);
/*
 * Kernel translations (the extension window, shared by every space)
 * changed: invalidate pages[0..n) on every CPU, whatever it has loaded.
 */
void tlb_kernel_shootdown(const u64 *pages, u32 n);
/* s is about to be freed: every CPU that has it loaded loads the kernel's. */
void tlb_teardown(struct arch_space *s);

/* The batch: the arch layer adds each page it unmaps or protects. */
void tlb_batch_add(struct arch_space *s, u64 va);
extern struct arch_space *tlb_batch_space;   /* NULL: the batch is empty */
void tlb_batch_send(void);

static inline void
tlb_batch_flush(void)
{
	if (!UP_KERNEL && tlb_batch_space)   /* one CPU: never a batch */
		tlb_batch_send();
}

/* A target's side: do what tlb_req asks (smp_poll calls it). */
void tlb_serve(struct percpu *pc);

/* The last shootdown with targets (seq 0: none yet), and the totals. */
const struct tlb_shootdown_rec *tlb_last(void);
const struct tlb_stats *tlb_stats(void);

#endif
