/*
 * The portable parts of SMP: CPU masks, which CPUs a shootdown interrupts,
 * when it flushes the whole space, and how the batch gathers pages.
 */
#include <criterion/criterion.h>

#include "fake_platform.h"
#include "guest/core/percpu.h"
#include "guest/core/sched.h"
#include "guest/core/tlb.h"
#include "guest/core/trace.h"

Test(smp, cpumask_bits)
{
	cpumask_t m = cpumask_of(0) | cpumask_of(3) | cpumask_of(63);

	cr_assert(cpumask_has(m, 3));
	cr_assert_not(cpumask_has(m, 2));
	cr_assert_eq(cpumask_count(m), 3);
	cr_assert_eq(cpumask_first(m), 0);
	cr_assert_eq(cpumask_first(m & ~cpumask_of(0)), 3);
	cr_assert_eq(cpumask_count(0), 0);
}

/* Targets: online CPUs, not the initiator, with the space's root loaded. */
Test(smp, targets_are_cpus_with_the_root_loaded)
{
	struct percpu c[4] = { 0 };

	for (u32 i = 0; i < 4; i++)
		c[i] = (struct percpu){ .id = i, .online = true, .root = 0x1000 };
	c[2].root = 0x2000;             /* runs another space */
	c[3].online = false;            /* not up yet */
	cr_assert_eq(tlb_targets(c, 4, 0, 0x1000), cpumask_of(1));
	cr_assert_eq(tlb_targets(c, 4, 1, 0x1000), cpumask_of(0));
	cr_assert_eq(tlb_targets(c, 4, 0, 0x2000), cpumask_of(2));
	cr_assert_eq(tlb_targets(c, 4, 2, 0x2000), 0, "the initiator is never a target");
	cr_assert_eq(tlb_targets(c, 4, 0, 0x3000), 0);
}

/* Kernel translations (root 0: the extension window): every online CPU. */
Test(smp, kernel_shootdown_targets_every_online_cpu)
{
	struct percpu c[4] = { 0 };

	for (u32 i = 0; i < 4; i++)
		c[i] = (struct percpu){ .id = i, .online = true, .root = 0x1000 + i * 0x1000 };
	c[3].online = false;
	cr_assert_eq(tlb_targets(c, 4, 0, 0), cpumask_of(1) | cpumask_of(2));
	cr_assert_eq(tlb_targets(c, 4, 2, 0), cpumask_of(0) | cpumask_of(1));
}

Test(smp, full_flush_above_threshold)
{
	cr_assert_not(tlb_use_full(1));
	cr_assert_not(tlb_use_full(tlb_full_pages));
	cr_assert(tlb_use_full(tlb_full_pages + 1));
	cr_assert(tlb_use_full(TLB_BATCH_MAX + 1));
}

/* One CPU: a page is invalidated at once, and only if its space is loaded. */
Test(smp, one_cpu_invalidates_at_once)
{
	struct arch_space a = { .root = 0x1000 }, b = { .root = 0x2000 };

	fake_reset();
	cpus[0].online = true;
	cpus[0].root = 0x1000;
	fake_tlb_invalidations = 0;
	tlb_batch_add(&a, 0x10000);
	cr_assert_eq(fake_tlb_invalidations, 1);
	cr_assert_eq(fake_tlb_last_n, 1);
	tlb_batch_add(&b, 0x10000);
	cr_assert_eq(fake_tlb_invalidations, 1, "b is not loaded here");
	cr_assert_null(tlb_batch_space, "nothing batched");
	cr_assert_eq(fake_ipis, 0);
}

/* Two CPUs, the other running another space: a batch of pages of the
 * loaded space is invalidated here, once, with no IPI. */
Test(smp, batch_flushes_once_per_space)
{
	struct arch_space a = { .root = 0x1000 }, b = { .root = 0x2000 };

	fake_reset();
	cpus[0].online = true;
	cpus[0].root = 0x1000;
	cpus[1] = (struct percpu){ .id = 1, .online = true, .root = 0x3000 };
	ncpus = 2;
	fake_tlb_invalidations = 0;
	tlb_batch_add(&a, 0x10000);
	tlb_batch_add(&a, 0x11000);
	cr_assert_eq(fake_tlb_invalidations, 0, "nothing before the batch goes out");
	tlb_batch_add(&b, 0x10000);     /* another space: a's batch goes first */
	cr_assert_eq(fake_tlb_invalidations, 1);
	cr_assert_eq(fake_tlb_last_n, 2);
	tlb_batch_flush();              /* b is not loaded here: nothing to do */
	cr_assert_eq(fake_tlb_invalidations, 1);
	for (u64 i = 0; i < tlb_full_pages + 1; i++)
		tlb_batch_add(&a, 0x10000 + i * 0x1000);
	tlb_batch_flush();
	cr_assert_eq(fake_tlb_invalidations, 2);
	cr_assert_eq(fake_tlb_last_n, TLB_ALL, "many pages: the whole space");
	cr_assert_eq(fake_ipis, 0, "the other CPU runs another space: no IPI");
	cr_assert_eq(tlb_last()->seq, 0, "no shootdown had a target");
	ncpus = 1;
}

/*
 * Two CPUs with the space loaded: the shootdown interrupts the other one,
 * which invalidates and answers; the initiator's ring gets the record.
 */
Test(smp, a_shootdown_to_another_cpu_is_answered_and_traced)
{
	struct arch_space a = { .root = 0x1000 };
	struct exo_trace_rec *r;
	u64 va[2] = { 0x10000, 0x11000 }, head;

	fake_reset();
	cpus[0] = (struct percpu){ .id = 0, .online = true, .root = 0x1000 };
	cpus[1] = (struct percpu){ .id = 1, .online = true, .root = 0x1000 };
	cpus[2] = (struct percpu){ .id = 2, .online = true, .root = 0x2000 };
	ncpus = 3;
	fake_ipi_answers = true;
	trace_set(true);
	head = cpus[0].ring.head;
	tlb_shootdown(&a, va, 2);
	trace_set(false);
	cr_assert_eq(fake_ipis, 1, "one IPI: CPU 2 runs another space");
	cr_assert_eq(fake_ipi_last, 1);
	cr_assert_eq(cpus[1].req, 0, "answered");
	cr_assert_eq(cpus[1].tlb_served, 1);
	cr_assert_eq(cpus[2].tlb_served, 0);
	cr_assert_eq(tlb_last()->seq, 1);
	cr_assert_eq(tlb_last()->targets, cpumask_of(1));
	cr_assert_eq(tlb_last()->npages, 2);
	cr_assert_eq(cpus[0].ring.head, head + EXO_TRACE_REC_SIZE, "one record");
	r = &cpus[0].ring.recs[(head % EXO_TRACE_RING_BYTES) / EXO_TRACE_REC_SIZE];
	cr_assert_eq(r->kind, EXO_TRACE_SHOOTDOWN);
	cr_assert_eq(r->a16, 2);
	cr_assert_eq(r->a32, cpumask_of(1));
	cr_assert_eq(r->a0, 0x1000);
	cr_assert_eq(r->a1, tlb_last()->ack_tsc);
	cr_assert_eq(tlb_stats()->shootdowns, 1);
	ncpus = 1;
	fake_ipi_answers = false;
}

/*
 * An asynchronous PCT's target runs on the caller's slice: one that ran out
 * while nobody else was ready is renewed (else the readied caller's round
 * robin would preempt the target at once); one still running is kept.
 */
Test(smp, spent_slice_renewed_live_one_kept)
{
	struct sched_cpu *sc = &cpus[0].sched;

	fake_reset();
	fake_now = 1000000;
	sc->slice_end = 500000;                 /* ran out long ago */
	sched_slice_renew();
	cr_assert_eq(sc->slice_end, fake_now + sched_us_to_tsc(SCHED_SLICE_US));
	sc->slice_end = fake_now + 10;          /* nearly over, but not yet */
	sched_slice_renew();
	cr_assert_eq(sc->slice_end, fake_now + 10, "a live slice is the target's to finish");
}
