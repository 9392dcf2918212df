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
volatile u32 bkl;               /* the big kernel lock; entry.S takes it too */

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
	 * kernel, a reschedule is noted (the caller acts on the return). */
	__atomic_fetch_and(&pc->req, ~req, __ATOMIC_RELEASE);
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

		u64 spins = 0;

		while (__atomic_load_n(&pc->req, __ATOMIC_ACQUIRE) & bits)
			if (++spins == 200000)
				kprintf("smp: CPU %u waits for CPU %u (req %u idle %d cur %p root %lx)\n",
					this_cpu()->id, pc->id, pc->req, pc->idle, (void *)pc->cur, pc->root);
			else
				arch_relax();
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
