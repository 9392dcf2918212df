/*
 * The big kernel lock and requests between CPUs (percpu.h).
 *
 * A request is a bit in the target's percpu.req and an IPI. The target
 * answers from its IPI handler or, if it has interrupts off in the kernel,
 * from the loop in which it spins for the lock; answering clears the bit,
 * which is the acknowledgement. Only the lock holder makes requests that it
 * waits for, so two CPUs never wait for each other.
 */
#include "percpu.h"

#include "kernel.h"
#include "platform.h"
#include "thread.h"
#include "tlb.h"

struct percpu cpus[NCPUS_MAX];
u32 ncpus = 1;
/* The big kernel lock; entry.S takes it too. In .data: in .bss it sat
 * before cpus[] and cost a page of alignment. */
volatile u32 bkl __attribute__((section(".data")));
/* CPU + 1 of the lock holder while it halts waiting for answers, or 0: the
 * CPU that answers last wakes it with an IPI. */
static volatile u32 smp_waiter;
/*
 * How long a CPU spins for answers before it halts: a spin is ~6 emulated
 * instructions on PVM (~10k cycles), an IPI ~45-90k cycles. Spinning longer
 * would take a host core from the very CPUs it waits for when vCPUs
 * outnumber cores, and count every spin as kernel work.
 */
#define SMP_SPINS 16

void
smp_lock_wait(void)
{
	struct percpu *pc = this_cpu();

	do {
		while (bkl) {
			smp_poll(pc);
			arch_relax();
		}
	} while (__atomic_exchange_n(&bkl, 1, __ATOMIC_ACQUIRE));
}

u32
smp_poll(struct percpu *pc)
{
	u32 req = __atomic_load_n(&pc->req, __ATOMIC_ACQUIRE);

	if (!req)
		return 0;
	if (req & SMP_REQ_TLB)
		tlb_serve(pc);
	/* The bits answered: a TLB request is done, an evicted CPU is in the
	 * kernel, a reschedule is noted (the caller acts on the return). The
	 * RMW orders the clear before the read of smp_waiter (smp_request). */
	__atomic_fetch_and(&pc->req, ~req, __ATOMIC_SEQ_CST);
	if (req & (SMP_REQ_TLB | SMP_REQ_EVICT)) {
		u32 w = __atomic_load_n(&smp_waiter, __ATOMIC_SEQ_CST);

		if (w)
			arch_ipi(w - 1);
	}
	return req;
}

cpumask_t
smp_others(void)
{
	return ((ncpus < 64 ? 1ULL << ncpus : 0) - 1) & ~cpumask_of(this_cpu()->id);
}

u64
smp_request(cpumask_t targets, u32 bits, bool wait)
{
	u64 t0;
	cpumask_t m;

	targets &= smp_others();
	if (!targets)
		return 0;
	for (m = targets; m; m &= m - 1) {
		struct percpu *pc = &cpus[cpumask_first(m)];

		__atomic_fetch_or(&pc->req, bits, __ATOMIC_RELEASE);
		arch_ipi(pc->id);
		this_cpu()->ipis_sent++;
	}
	if (!wait)
		return 0;
	t0 = arch_now();
	for (m = targets; m; m &= m - 1) {
		struct percpu *pc = &cpus[cpumask_first(m)];

		u32 spins = 0;

		while (__atomic_load_n(&pc->req, __ATOMIC_ACQUIRE) & bits) {
			if (++spins < SMP_SPINS) {
				arch_relax();
				continue;
			}
			/* Halt until an answer's IPI (or any interrupt): the
			 * store-then-load on each side means either we see the
			 * answer here or the answering CPU sees us waiting. */
			__atomic_store_n(&smp_waiter, this_cpu()->id + 1, __ATOMIC_SEQ_CST);
			if (__atomic_load_n(&pc->req, __ATOMIC_SEQ_CST) & bits)
				arch_wait_interrupt();
			__atomic_store_n(&smp_waiter, 0, __ATOMIC_RELAXED);
		}
	}
	return arch_now() - t0;
}

void
smp_evict(struct thread *t)
{
	struct percpu *pc = &cpus[t->cpu];

	if (pc->cur == t && pc != this_cpu())
		smp_request(cpumask_of(pc->id), SMP_REQ_EVICT, true);
}
