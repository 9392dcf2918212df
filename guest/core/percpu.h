/*
 * Per-CPU state and the big kernel lock.
 *
 * Every CPU has a struct percpu: its trace ring, the thread it runs
 * (current), the translation root it has loaded, its scheduler state, the
 * requests other CPUs leave for it, and an area the arch layer owns (its
 * TSS, its kernel stack). this_cpu() finds the caller's. On the guest the
 * CPU's task register names it: CPU i's TSS selector is
 * PERCPU_TR0 + i * PERCPU_SIZE / 8 (arch cpu.c says how its GDT holds
 * that with no memory to spare), so `str` gives a register
 * that, scaled by 8, indexes cpus[] — one instruction, needing no free
 * register, no stack and no %gs (which holds the user's UTCB pointer). So
 * `current` is two instructions, and a trace point or an entry path with
 * nothing but the register str writes reaches its CPU's ring or thread.
 * On the host it is the fake platform's.
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

#include <exo/bootinfo.h>
#include <exo/exo.h>
#include <exo/trace.h>
#include <exo/types.h>

#define NCPUS_MAX       EXO_TRACE_CPUS_MAX   /* one trace ring each */
#define PERCPU_SIZE     sizeof(struct exo_trace_ring)   /* 68 KiB */
#define PERCPU_HDR_USED 40      /* of the ring's header page, <exo/trace.h> */
#define PERCPU_TR0      0x28    /* CPU 0's TSS selector (arch asm.h SEL_TSS) */
#define PERCPU_ARCH_WORDS 24    /* the arch layer's area (TSS, GDT, stacks) */

typedef u64 cpumask_t;

/* Requests one CPU leaves for another (percpu.req), answered by smp_poll. */
enum smp_req {
	SMP_REQ_TLB = 1,        /* run the shootdown in tlb_req (tlb.c) */
	SMP_REQ_EVICT = 2,      /* leave user mode: the thread's registers are saved */
	SMP_REQ_RESCHED = 4,    /* look at the scheduler (queue, timer) */
};

struct thread;
struct env_cpu;

/* The scheduler's state on one CPU (sched.c); SCHED_NPRIO is PRIO_MAX + 1. */
#define SCHED_NPRIO 256
struct sched_cpu {
	struct thread *ready[SCHED_NPRIO];      /* circular lists, head = next */
	u64 bitmap[SCHED_NPRIO / 64];           /* non-empty priorities */
	u64 summary;                            /* bit w: bitmap[w] != 0 */
	struct thread *timeouts;                /* sorted by wakeup */
	u64 slice_end;
	u64 armed;                              /* PC_ARMED: sched_deadline */
	u32 ready_top;                          /* sched_ready_top */
	bool preempt;
	bool rearm;                             /* another CPU asks: sched_arm */
};

/*
 * The time-slice vector of one CPU (slice.c): who owns each slot, where the
 * rounds begin, and the slice running, saving or lent now. Environments are
 * named by index + 1 (0: none).
 */
struct slice_cpu {
	u8 owner[EXO_SLICE_SLOTS];      /* env index + 1, 0: free */
	u32 tag[EXO_SLICE_SLOTS];       /* capref of the root SLOT capability */
	u64 base;                       /* TSC where slot 0 began, some round */
	u64 slot;                       /* TSC ticks per slot */
	u64 run_end;                    /* when the running slice ends */
	u64 done_until;                 /* no slice starts before: the run began one */
	u64 save_deadline;
	u64 poke;                       /* another CPU changed the vector: look at
					   it then (a past TSC), 0: nothing to see */
	u32 running;                    /* in its slice */
	u32 saving;                     /* in its save window */
	u32 lent;                       /* async PCT: has the rest of this slice */
	u32 preferred;                  /* whose threads run first here now */
	u32 owned;                      /* slots owned: the timer marks the slices */
};

/*
 * A CPU's state is its trace ring: the ring's header page has 32 bytes the
 * VMM reads (<exo/trace.h>) and room for everything else a CPU keeps, so
 * four CPUs take no more memory than four rings (a 4 MiB guest boots).
 */
struct percpu {
	union {
		struct exo_trace_ring ring;     /* PC_RING = 0 (trace.h) */
		struct {
			u8 ring_hdr_[PERCPU_HDR_USED];
			struct thread *cur;     /* PC_CURRENT: running here, or NULL (idle) */
			u64 root;               /* PC_ROOT: the translation root loaded here */
			u64 arch[PERCPU_ARCH_WORDS];  /* PC_ARCH: the arch layer's (cpu.h) */
			u32 id;
			bool online;
			bool idle;              /* in arch_idle, the lock dropped */
			volatile u32 req;       /* enum smp_req bits, set by others */
			struct sched_cpu sched; /* sched.c */
			struct slice_cpu slice; /* slice.c */
			struct env_cpu *env_here;  /* CPU >= 1: env.h */
			/* Statistics. */
			u64 ipis_sent, ipis_taken, tlb_served;
			u8 hdr_end_[];
		};
	};
};

_Static_assert(__builtin_offsetof(struct exo_trace_ring, _pad) == PERCPU_HDR_USED &&
	       __builtin_offsetof(struct percpu, hdr_end_) <= EXO_TRACE_HDR_SIZE,
	       "a CPU's state fits in its ring's header page, past what the VMM reads");
_Static_assert(sizeof(struct percpu) == PERCPU_SIZE, "the TR selectors' stride");
_Static_assert(NCPUS_MAX == EXO_MAX_CPUS, "as many CPUs as the VMM may start");
_Static_assert(PERCPU_TR0 + (NCPUS_MAX - 1) * (PERCPU_SIZE / 8) + 16 <= 0x10000 &&
	       PERCPU_SIZE % 64 == 0, "every CPU's TSS selector fits in 16 bits");

extern struct percpu cpus[NCPUS_MAX];
extern u32 ncpus;               /* CPUs online; boot CPU is 0 */

#if defined(EXO_KERNEL) && defined(EXO_UP)
/*
 * The uniprocessor kernel (exo-kernel; exo-kernel-smp is the other): one
 * CPU, known at compile time, so its state is at fixed addresses and the
 * paths pay nothing for SMP.
 */
static inline struct percpu *
this_cpu(void)
{
	return &cpus[0];
}
#elif defined(EXO_KERNEL)
/*
 * cpus - PERCPU_TR0 * 8, a symbol of its own (entry.S): the compiler takes
 * a symbol plus a positive offset as a 32-bit displacement, never a
 * negative one, so `current` is str and one load.
 */
extern char percpu_by_tr[];

/* Valid once the CPU has loaded its task register (arch cpu_init). */
static inline struct percpu *
this_cpu(void)
{
	u64 tr;

	__asm__("str %0" : "=r"(tr));
	return (struct percpu *)(percpu_by_tr + tr * 8);
}
#else
struct percpu *this_cpu(void);  /* the fake platform's */
#endif

#define current (this_cpu()->cur)

/*
 * A thread's CPU (t->cpu) and its struct percpu (t->home), and this CPU's
 * number: constants in the uniprocessor kernel, so the hot paths' "same
 * CPU?" tests fold away there.
 */
#if defined(EXO_KERNEL) && defined(EXO_UP)
#define UP_KERNEL       1
#define CPU_OF(t)       ((void)(t), 0u)
#define HOME_OF(t)      ((void)(t), &cpus[0])
#define THIS_CPU_ID()   0u
#else
#define UP_KERNEL       0
#define CPU_OF(t)       ((t)->cpu)
#define HOME_OF(t)      ((t)->home)
#define THIS_CPU_ID()   (this_cpu()->id)
#endif
/* CPUs this build can have: per-CPU tables beside struct percpu size by it. */
#define NCPUS_BUILT     (UP_KERNEL ? 1 : NCPUS_MAX)

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

/*
 * The big kernel lock. Taking it free is one exchange, inline; smp_lock_wait
 * spins, answering requests while it does. In the kernel the exchange is a
 * site smp_patch_up (arch) turns into one jump over it when the boot has a
 * single CPU, as it does the entry code's (asm.h BKL_TAKE).
 */
extern volatile u32 bkl;
void smp_lock_wait(void);

static inline void
smp_lock(void)
{
#if defined(EXO_KERNEL) && defined(EXO_UP)
	/* One CPU: nobody else could hold it. */
#elif defined(EXO_KERNEL)
	__asm__ goto("1:\tmovl $1, %%eax\n\t"
		     "xchgl %%eax, bkl(%%rip)\n\t"
		     "testl %%eax, %%eax\n\t"
		     "jnz %l[busy]\n"
		     "2:\n\t"
		     ".pushsection .smp_up_patch, \"a\"\n\t"
		     ".quad 1b, 2b\n\t"
		     ".popsection"
		     : : : "eax", "cc", "memory" : busy);
	return;
busy:
	smp_lock_wait();
#else
	if (__atomic_exchange_n(&bkl, 1, __ATOMIC_ACQUIRE))
		smp_lock_wait();
#endif
}

static inline void
smp_unlock(void)
{
#if !(defined(EXO_KERNEL) && defined(EXO_UP))
	__atomic_store_n(&bkl, 0, __ATOMIC_RELEASE);
#endif
}
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
