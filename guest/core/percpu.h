/*
 * Per-CPU state and the big kernel lock.
 *
 * Every CPU has a struct percpu: the thread it runs (current), the
 * translation root it has loaded, its scheduler state, the requests other
 * CPUs leave for it, and an area the arch layer owns (its TSS, its kernel
 * stack). this_cpu() finds the caller's; on the guest it is two loads from
 * the kernel stack (each CPU's stack is KSTACK_SIZE-aligned with a pointer
 * to its struct percpu at the bottom), on the host the fake platform's.
 *
 * Locking: one big kernel lock (bkl), taken on every kernel entry from user
 * mode and dropped on the way back, and dropped while a CPU idles. Lock
 * order: bkl is the only lock; nothing else is ever held with it or waited
 * for without it, except the acknowledgements of cross-CPU requests
 * (smp_request), which the target gives without the lock: from its IPI
 * handler or from the loop in which it spins for the lock (smp_poll). So a
 * CPU spinning for the lock with interrupts off never blocks a CPU that holds
 * it and waits for an acknowledgement.
 *
 * A thread runs only on its home CPU (t->cpu): "is t running?" is
 * cpus[t->cpu].current == t, and moving a thread is changing its home while
 * it does not run (sched_set_cpu).
 */
#ifndef CORE_PERCPU_H
#define CORE_PERCPU_H

#include <exo/types.h>


#define NCPUS_MAX       8
#define PERCPU_ARCH_WORDS 24    /* the arch layer's area (TSS, stacks) */

typedef u64 cpumask_t;

/* Requests one CPU leaves for another (percpu.req), answered by smp_poll. */
enum smp_req {
	SMP_REQ_TLB = 1,        /* run the shootdown in tlb_req (tlb.c) */
	SMP_REQ_EVICT = 2,      /* leave user mode: the thread's registers are saved */
	SMP_REQ_RESCHED = 4,    /* look at the scheduler (queue, timer) */
};

struct thread;

/* The scheduler's state on one CPU (sched.c); SCHED_NPRIO is PRIO_MAX + 1. */
#define SCHED_NPRIO 256
struct sched_cpu {
	struct thread *ready[SCHED_NPRIO];      /* circular lists, head = next */
	u64 bitmap[SCHED_NPRIO / 64];           /* non-empty priorities */
	struct thread *timeouts;                /* sorted by wakeup */
	u64 slice_end;
	u64 armed;
	bool preempt;
};

struct percpu {
	struct thread *cur;         /* PC_CURRENT: running here, or NULL (idle) */
	u64 root;                   /* PC_ROOT: the translation root loaded here */
	u64 arch[PERCPU_ARCH_WORDS];  /* PC_ARCH: the arch layer's (cpu.h) */
	u32 id;
	bool online;
	bool idle;                  /* in arch_idle, the lock dropped */
	volatile u32 req;           /* enum smp_req bits, set by others */
	struct sched_cpu sched;     /* sched.c */
	/* Statistics. */
	u64 ipis_sent, ipis_taken, tlb_served;
};

extern struct percpu cpus[NCPUS_MAX];
extern u32 ncpus;               /* CPUs online; boot CPU is 0 */

#ifdef EXO_KERNEL
#define KSTACK_SIZE_CORE 16384
static inline struct percpu *
this_cpu(void)
{
	u64 sp;

	__asm__("mov %%rsp, %0" : "=r"(sp));
	return *(struct percpu **)(sp & ~(u64)(KSTACK_SIZE_CORE - 1));
}
#else
struct percpu *this_cpu(void);  /* the fake platform's */
#endif

#define current (this_cpu()->cur)

/* Bit operations on CPU masks (portable, unit-tested). */
static inline cpumask_t cpumask_of(u32 cpu) { return 1ULL << cpu; }
static inline bool cpumask_has(cpumask_t m, u32 cpu) { return m >> cpu & 1; }
static inline u32 cpumask_count(cpumask_t m)
{
	u32 n = 0;

	for (; m; m &= m - 1)
		n++;
	return n;
}
/* The lowest CPU in m; m must not be empty. */
static inline u32 cpumask_first(cpumask_t m) { return (u32)__builtin_ctzll(m); }

/* The big kernel lock. smp_lock spins, answering requests while it does. */
void smp_lock(void);
void smp_unlock(void);
/* Answer the requests other CPUs left here. Returns the bits it found. */
u32 smp_poll(struct percpu *pc);
/*
 * Leave request bits on every CPU in targets and interrupt them; with wait,
 * spin (holding the lock) until each has answered (smp_poll cleared them).
 * Returns the TSC ticks the answers took (0 without wait or targets).
 */
u64 smp_request(cpumask_t targets, u32 bits, bool wait);
/* t runs on another CPU: make it enter the kernel, registers saved, and
 * wait until it has. Then its CPU waits for the lock like any other. */
void smp_evict(struct thread *t);
/* The CPUs online but this one. */
cpumask_t smp_others(void);

#endif
