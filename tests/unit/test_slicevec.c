/*
 * The time-slice vectors, one per CPU (guest/core/slice.c), on the fake
 * platform with two CPUs: the SLOT capability names its CPU and a CPU that
 * does not exist is refused; each vector fills and frees on its own; a
 * vector changed from another CPU is only poked (its CPU starts the slice
 * itself, and upcalls its own SLICE entry thread, moved back there if it
 * was moved); a synchronous loan moves the preference on every CPU; a
 * dying environment's slots are freed on every CPU.
 */
#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/exo.h>

#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/exocall.h"
#include "guest/core/kernel.h"
#include "guest/core/percpu.h"
#include "guest/core/sched.h"
#include "guest/core/slice.h"
#include "guest/core/upcall.h"

#include "kernel_fixture.h"

#define ENTRY_PC 0x401000ULL
#define ENTRY_SP 0x7fff0000ULL

static struct space *a, *b;
static struct thread *ta, *tb;

static void
setup(void)
{
	fake_reset();
	fix_core_boot();
	ncpus = 2;
	cpus[0].online = true;
	cpus[1] = (struct percpu){ .id = 1, .online = true };
	cr_assert_eq(env_cpus_init(), 0, "CPU 1's table");
	cr_assert_not_null(cpus[1].env_here);
	a = fix_space(0, true);
	b = fix_space(0, true);
	ta = fix_thread(a, 100);
	tb = fix_thread(b, 100);
	fake_now = 1000000;
}

TestSuite(slicevec, .init = setup);

static u32
env1(struct space *s)
{
	return env_of(s)->index + 1;
}

static const struct cap *
slot_cap(struct space *s, i64 c)
{
	int err;
	const struct cap *k = cap_get(env_of(s), (exo_cap_t)c, EXO_CAP_SLOT, EXO_CAP_X, &err);

	cr_assert_not_null(k, "no SLOT capability %lld: %d", (long long)c, err);
	return k;
}

/* t, homed on cpu, becomes its environment's SLICE entry there and waits. */
static void
slice_entry_on(struct thread *t, u32 cpu)
{
	sched_set_cpu(t, cpu);
	cr_assert_eq(t->cpu, cpu);
	cr_assert_eq(env_entry(t, EXO_ENTRY_SLICE, ENTRY_PC, ENTRY_SP), 0);
	sched_dequeue(t);               /* it runs, and calls upcall_wait */
	cr_assert_eq(upcall_wait(t), 0);
	cr_assert_eq(t->state, TS_ENTRY_WAIT);
}

/* CPU cpu's timer comes: what its own CPU does with a poke. */
static void
timer_on(u32 cpu)
{
	u32 was = fake_this_cpu;

	fake_this_cpu = cpu;
	sched_arm();
	cr_assert_neq(cpus[cpu].sched.armed, 0, "CPU %u's timer is not armed", cpu);
	cr_assert_leq(cpus[cpu].sched.armed, fake_now, "a poke is due at once");
	kernel_timer(fake_now);
	fake_this_cpu = was;
}

Test(slicevec, slot_capability_names_its_cpu)
{
	i64 c = slice_alloc(ta, 1, 4, EXO_SLICE_CONTIGUOUS);
	const struct cap *k;

	cr_assert_geq(c, 0, "slice_alloc on CPU 1: %lld", (long long)c);
	k = slot_cap(a, c);
	cr_assert_eq(EXO_SLOT_CPU(k->object), 1);
	cr_assert_eq(EXO_SLOT_FIRST(k->object), 0);
	cr_assert_eq(EXO_SLOT_COUNT(k->object), 4);
	cr_assert_eq(cpus[1].slice.owned, 4);
	cr_assert_eq(cpus[0].slice.owned, 0, "CPU 0's vector is another");
	cr_assert_eq(slice_owned, 4);
	for (u32 s = 0; s < 4; s++)
		cr_assert_eq(cpus[1].slice.owner[s], env1(a));
	cr_assert_eq(cpus[1].slice.owner[4], 0);
}

Test(slicevec, a_cpu_that_does_not_exist_is_refused)
{
	cr_assert_eq(slice_alloc(ta, 2, 1, 0), -E_INVAL, "CPU 2 of 2");
	cr_assert_eq(slice_alloc(ta, NCPUS_MAX, 1, 0), -E_INVAL);
	cr_assert_eq(slice_alloc(ta, ~0ULL, 1, 0), -E_INVAL);
	cr_assert_eq(slice_alloc(ta, 1ULL << 32, 1, 0), -E_INVAL, "not truncated to CPU 0");
	cr_assert_eq(slice_alloc(ta, 1, 0, 0), -E_INVAL);
	cr_assert_eq(slice_alloc(ta, 1, EXO_SLICE_SLOTS + 1, 0), -E_INVAL);
	cr_assert_eq(slice_alloc(ta, 1, 1, 2), -E_INVAL);
	cr_assert_eq(slice_owned, 0, "nothing taken");
	cr_assert_eq(env_of(a)->ncaps, 0);
	ncpus = 1;
	cr_assert_eq(slice_alloc(ta, 1, 1, 0), -E_INVAL, "one CPU online");
}

Test(slicevec, each_vector_fills_and_frees_on_its_own)
{
	i64 on1 = slice_alloc(ta, 1, EXO_SLICE_SLOTS, EXO_SLICE_CONTIGUOUS), on0;

	cr_assert_geq(on1, 0);
	cr_assert_eq(slice_alloc(tb, 1, 1, 0), -E_NOMEM, "CPU 1's is full");
	on0 = slice_alloc(tb, 0, EXO_SLICE_SLOTS, EXO_SLICE_CONTIGUOUS);
	cr_assert_geq(on0, 0, "CPU 0's is not: %lld", (long long)on0);
	cr_assert_eq(EXO_SLOT_FIRST(slot_cap(b, on0)->object), 0);
	cr_assert_eq(slice_alloc(ta, 0, 1, 0), -E_NOMEM);
	cr_assert_eq(slice_owned, 2 * EXO_SLICE_SLOTS);
	/* Revoking a's frees CPU 1's only. */
	cr_assert_eq(sys_cap_drop(ta, (u64)on1, 0, 0, 0, 0), 0);
	cr_assert_eq(cpus[1].slice.owned, 0);
	cr_assert_eq(cpus[0].slice.owned, EXO_SLICE_SLOTS);
	cr_assert_eq(slice_owned, EXO_SLICE_SLOTS);
	cr_assert_eq(slice_alloc(ta, 0, 1, 0), -E_NOMEM);
	cr_assert_geq(slice_alloc(ta, 1, EXO_SLICE_SLOTS, 0), 0);
}

/* Changed from CPU 0, CPU 1's vector is poked; CPU 1 starts the slice and
 * upcalls a's SLICE entry of CPU 1, not CPU 0's. */
Test(slicevec, another_cpus_vector_is_poked_and_starts_there)
{
	i64 c;

	slice_entry_on(ta, 1);
	cr_assert_eq(env_slot(env_of(a), env_slice_slot(1))->tid, ta->id);
	cr_assert_eq(env_of(a)->entry[EXO_ENTRY_SLICE].tid, 0, "not CPU 0's entry");
	cpus[1].req = 0;
	c = slice_alloc(tb, 0, 1, 0);   /* b's on CPU 0: starts here at once */
	cr_assert_geq(c, 0);
	cr_assert_eq(cpus[0].slice.running, env1(b));
	cr_assert_eq(cpus[0].slice.preferred, env1(b));
	c = slice_alloc(ta, 1, 2, EXO_SLICE_CONTIGUOUS);
	cr_assert_geq(c, 0);
	cr_assert_eq(cpus[1].slice.running, 0, "not started from CPU 0");
	cr_assert_eq(ta->state, TS_ENTRY_WAIT);
	cr_assert_neq(cpus[1].slice.poke, 0);
	cr_assert(cpus[1].req & SMP_REQ_RESCHED, "CPU 1 is not told");
	cr_assert_eq(fake_ipi_last, 1);
	timer_on(1);
	cr_assert_eq(cpus[1].slice.poke, 0);
	cr_assert_eq(cpus[1].slice.running, env1(a));
	cr_assert_eq(cpus[1].slice.preferred, env1(a));
	cr_assert_eq(cpus[0].slice.running, env1(b), "CPU 0's slice goes on");
	cr_assert_eq(ta->state, TS_READY);
	cr_assert_eq(ta->cpu, 1);
	cr_assert_eq(ta->ctx.rdi, EXO_UPCALL_SLICE_START);
	cr_assert_eq(ta->ctx.rsi, 0, "slot 0");
	cr_assert_eq(ta->ctx.rip, ENTRY_PC);
	cr_assert_eq(ta->ctx.rsp, ENTRY_SP);
	cr_assert_not_null(ta->rnext, "on CPU 1's ready queue");
	cr_assert_eq(cpus[1].sched.ready[ta->prio], ta);
}

/* The time a START offers is counted at the TSC rate's full precision:
 * 12 slots offer at most 12 slots' microseconds on a rate with a fraction
 * of a MHz (12,005 when the rate was rounded to ticks a microsecond). */
Test(slicevec, a_start_offers_no_more_than_its_slots)
{
	kernel_tsc_khz = 2096900;
	slice_entry_on(ta, 1);
	cr_assert_geq(slice_alloc(ta, 1, 12, EXO_SLICE_CONTIGUOUS), 0);
	timer_on(1);
	cr_assert_eq(ta->ctx.rdi, EXO_UPCALL_SLICE_START);
	cr_assert_leq(ta->ctx.rdx, 12 * EXO_SLICE_US, "offered %llu us",
		      (unsigned long long)ta->ctx.rdx);
	cr_assert_geq(ta->ctx.rdx, 12 * EXO_SLICE_US - 1, "offered %llu us",
		      (unsigned long long)ta->ctx.rdx);
}

/* A SLICE entry moved to another CPU is moved back for its CPU's upcall. */
Test(slicevec, an_entry_moved_away_is_moved_back)
{
	slice_entry_on(ta, 1);
	sched_set_cpu(ta, 0);
	cr_assert_eq(ta->cpu, 0);
	cr_assert_geq(slice_alloc(ta, 1, 1, 0), 0);
	timer_on(1);
	cr_assert_eq(ta->state, TS_READY);
	cr_assert_eq(ta->cpu, 1, "CPU 1's upcall runs on CPU 1");
	cr_assert_eq(ta->ctx.rdi, EXO_UPCALL_SLICE_START);
	cr_assert_eq(cpus[1].sched.ready[ta->prio], ta);
	cr_assert_eq(ta->rnext, ta, "alone on CPU 1's queue, on no other");
}

/* No SLICE entry on CPU 1 (only on CPU 0): the slice there runs unannounced. */
Test(slicevec, no_entry_on_that_cpu_no_upcall)
{
	slice_entry_on(ta, 0);
	cr_assert_geq(slice_alloc(ta, 1, 1, 0), 0);
	timer_on(1);
	cr_assert_eq(cpus[1].slice.running, env1(a));
	cr_assert_eq(ta->state, TS_ENTRY_WAIT, "CPU 0's entry is not CPU 1's");
}

/* a runs its slice on CPU 1; a synchronous PCT from a to b on CPU 0 makes b
 * preferred there, and control coming back makes a preferred again. */
Test(slicevec, sync_loan_moves_the_preference_on_every_cpu)
{
	cr_assert_geq(slice_alloc(ta, 1, 4, EXO_SLICE_CONTIGUOUS), 0);
	timer_on(1);
	cr_assert_eq(cpus[1].slice.preferred, env1(a));
	cpus[1].req = 0;
	cpus[1].sched.preempt = false;
	slice_lend(env_of(a), env_of(b), true);
	cr_assert_eq(cpus[1].slice.preferred, env1(b));
	cr_assert(cpus[1].sched.preempt, "CPU 1 must pick again");
	cr_assert(cpus[1].req & SMP_REQ_RESCHED);
	cr_assert_eq(cpus[0].slice.preferred, 0, "nothing owned on CPU 0");
	slice_lend(env_of(b), env_of(a), true);
	cr_assert_eq(cpus[1].slice.preferred, env1(a));
}

/* An asynchronous loan lends the rest of the slice on the caller's CPU. */
Test(slicevec, async_loan_is_the_callers_cpus_slice)
{
	cr_assert_geq(slice_alloc(ta, 1, 4, EXO_SLICE_CONTIGUOUS), 0);
	timer_on(1);
	slice_lend(env_of(a), env_of(b), false);        /* from CPU 0 */
	cr_assert_eq(cpus[1].slice.lent, 0, "not CPU 1's slice");
	cr_assert_eq(cpus[1].slice.preferred, env1(a));
	fake_this_cpu = 1;
	slice_lend(env_of(a), env_of(b), false);
	cr_assert_eq(cpus[1].slice.lent, env1(b));
	cr_assert_eq(cpus[1].slice.preferred, env1(b));
}

/* Revoked from CPU 0 while it runs on CPU 1: CPU 1's slice ends at once. */
Test(slicevec, revoked_from_another_cpu_while_running)
{
	i64 c = slice_alloc(ta, 1, 4, EXO_SLICE_CONTIGUOUS);

	timer_on(1);
	cr_assert_eq(cpus[1].slice.running, env1(a));
	cpus[1].req = 0;
	cr_assert_eq(sys_cap_drop(ta, (u64)c, 0, 0, 0, 0), 0);
	cr_assert_eq(cpus[1].slice.owned, 0);
	cr_assert_eq(cpus[1].slice.running, 0);
	cr_assert_eq(cpus[1].slice.preferred, 0);
	cr_assert(cpus[1].req & SMP_REQ_RESCHED, "CPU 1 must disarm and pick again");
	cr_assert_eq(slice_owned, 0);
}

Test(slicevec, a_dying_environment_frees_its_slots_on_every_cpu)
{
	cr_assert_geq(slice_alloc(ta, 0, 3, 0), 0);
	cr_assert_geq(slice_alloc(ta, 1, 5, 0), 0);
	cr_assert_eq(slice_owned, 8);
	env_destroy(a);
	cr_assert_eq(cpus[0].slice.owned, 0);
	cr_assert_eq(cpus[1].slice.owned, 0);
	cr_assert_eq(slice_owned, 0);
	for (u32 s = 0; s < EXO_SLICE_SLOTS; s++)
		cr_assert(!cpus[0].slice.owner[s] && !cpus[1].slice.owner[s]);
	cr_assert_geq(slice_alloc(tb, 0, EXO_SLICE_SLOTS, 0), 0);
	cr_assert_geq(slice_alloc(tb, 1, EXO_SLICE_SLOTS, 0), 0);
}
