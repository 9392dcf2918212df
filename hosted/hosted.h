/*
 * The hosted platform: exo's kernel core in the exo process, each address
 * space a Linux process of the stub (shared.h). Internal interface of the
 * files in hosted/.
 */
#ifndef HOSTED_HOSTED_H
#define HOSTED_HOSTED_H

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <exo/types.h>

#include "shared.h"

struct vmm;
struct thread;

/* One address space's process and its software translation table. */
struct hspace {
	bool used;
	pid_t pid;                  /* 0: not started yet */
	int pidfd, ackfd;
	uint64_t ctl_pa;            /* its control pages in the memfd */
	struct stub_ctl *ctl;       /* ... as exo sees them */
	uint32_t seq;
	/* The table: open addressing, va -> pa | rights (va 0: empty). */
	uint64_t *keys, *vals;
	uint32_t cap, n;
	/* Requests not yet carried out (the TLB: before any thread runs). */
	struct stub_req *q;
	uint32_t nq, capq;
	uint64_t slot_pa[STUB_SLOTS_MAX];   /* register pages: 0 none */
	uint32_t seen[STUB_SLOTS_MAX];      /* the last entry count taken */
	uint32_t tid[STUB_SLOTS_MAX];
	uint8_t tracer[STUB_SLOTS_MAX];     /* ptrace: the tracing CPU + 1, 0 none */
	/* Orders the carrying out of the queue: under the big lock, and by the
	 * targets of a shootdown while its initiator holds the lock (cpu.c). */
	pthread_mutex_t flush;
};

#define HSPACES_MAX 256

struct hosted {
	int memfd;
	uint8_t *mem;               /* the whole memfd, mapped in exo */
	uint64_t mem_size;          /* the kernel's physical memory */
	uint64_t total;             /* with exo's private pages after it */
	uint64_t priv_next, priv_free;  /* private page bump and free list */
	const char *stub_path;
	bool ptrace;                /* --platform ptrace (ptrace.c) */
	struct vmm *vm;
	jmp_buf out;                /* CPU 0's: arch_host_exit and arch_halt end here */
	volatile int ending;        /* a CPU ended the run: all leave (hosted_end) */
	uint64_t tsc_khz;
	/* How long a wait for a thread's entry, and a parked thread's wait for
	 * its release, watch the word before sleeping on it (TSC ticks); 0:
	 * they sleep at once (cores.c). */
	uint64_t spin;
	struct hspace spaces[HSPACES_MAX];
	uint64_t scratch_pa;        /* a private page for device requests */
	uint64_t stop_ns;           /* --timeout: CLOCK_MONOTONIC end, 0: none */
	volatile int signalled;     /* SIGINT, SIGTERM or SIGHUP arrived */
	/* Console input (--input): the I/O thread sets irq and sends CPU 0,
	 * which takes the console's interrupt, an IPI (cpu.c). */
	uint32_t irq;
};

extern struct hosted hosted;

/* One CPU: a thread of exo (cpu.c). */
struct hcpu {
	uint32_t ipi;               /* bumped by arch_ipi: a futex word */
	uint32_t ipi_seen;          /* the value this CPU last took */
	uint32_t *waiting;          /* without futex_waitv: the entry word waited on */
	uint64_t deadline;          /* arch_timer_arm's, TSC; 0: none */
	jmp_buf out;                /* CPU >= 1: hosted_end ends here */
	pthread_t thread;
	bool started;
};

extern struct hcpu hcpus[];
struct hcpu *hosted_cpu(void);
bool hosted_ipi_take(struct hcpu *h);
/* The waits' step: how often a wait looks at --timeout, a signal to stop
 * and a process that died (not a bound on anything). */
#define HOSTED_POLL_NS 50000000ULL
bool hosted_cpus_possible(void);
int hosted_cpu_wait(struct hcpu *h, uint32_t *word, uint32_t val, uint64_t deadline_ns);
uint64_t hosted_mono_ns(void);
void hosted_flush_loaded(void);
__attribute__((noreturn)) void hosted_end(int why);
void hosted_cpus_join(void);

uint64_t hosted_priv_alloc(void);
/* n private pages in a row, never reused (control pages). */
uint64_t hosted_priv_run(unsigned n);
/* After a timer signal: is the thread keeping it out (evade.c)? */
struct hosted_evade {
	bool seen, asleep;
	unsigned long long cpu0;
};
bool hosted_evading(const struct hspace *s, uint32_t slot, struct hosted_evade *ev);
/* What a wait for an entry watches for besides the entry. */
enum {
	WAIT_IRQ = 1,           /* console input: return 1 */
	WAIT_SIGNALLED = 2,     /* the timer signal was sent: watch for evasion */
	WAIT_IPI = 4,           /* an IPI to this CPU: return 2 */
};
/* 1 at the deadline or (WAIT_IRQ) when console input is pending; 2
 * (WAIT_IPI) at an IPI, which it takes. */
int hosted_wait_entry(struct hspace *s, uint32_t slot, uint64_t deadline, unsigned how);
/* The console device's interrupt (vmm/conin.h), from the I/O thread. */
int hosted_console_signal(void *arg, uint32_t vector);
void hosted_priv_free(uint64_t pa);
struct hspace *hosted_space(uint64_t root);
/* Queue a request for s's process (carried out by hosted_flush). */
int hosted_queue(struct hspace *s, const struct stub_req *r);
/* Start s's process if need be and carry out its queue: 0, or -1 if the
 * process could not do it (it is gone). */
int hosted_flush(struct hspace *s);
/* Make sure thread slot of s exists and is parked. */
int hosted_thread_ready(struct hspace *s, uint32_t slot);
void hosted_space_kill(struct hspace *s);
int hosted_filters(struct stub_ctl *ctl);
uint64_t hosted_measure_tsc_khz(void);
/* One crossing's cost from its parts, TSC ticks (measure.c). */
uint64_t hosted_measure_crossing(void);
/* A futex hand-off between two processes, there and back, TSC ticks. */
uint64_t hosted_measure_handoff(void);
/* Where threads run and how long waits watch (cores.c): the plan for
 * ncpus CPUs (sets spin), the calling thread as CPU id's, a stub process. */
void hosted_cores_plan(unsigned ncpus);
void hosted_cores_cpu(unsigned id);
void hosted_cores_stub(pid_t pid);
/* The pages of exo holding [p, p + len) moved into the memfd (mem.c): the
 * physical address of the first. */
uint64_t hosted_static_remap(const void *p, uint64_t len);
void hosted_dev_init(void);
/* The ptrace platform (ptrace.c). */
int hosted_ptrace_init(void);
void hosted_ptrace_fini(void);
int hosted_ptrace_attach(struct hspace *s, uint32_t slot, pid_t tid);
int hosted_ptrace_run(struct hspace *s, uint32_t slot, struct thread *t,
		      struct stub_regs *e);
void hosted_ptrace_kick(uint32_t cpu);
void hosted_ptrace_reap(struct hspace *s);
int hosted_ptrace_wait(pid_t tid);
/* Several CPUs (ptrace_move.c): this CPU's thread becomes the tracer of
 * s's slot (0; 1: a request to this CPU came first, enter; -1: gone), and
 * gives up those other CPUs asked for. */
int hosted_ptrace_take(struct hspace *s, uint32_t slot);
void hosted_ptrace_service(void);
/* Has another CPU asked this one for a thread (a kick sent before this
 * CPU's thread ran would be lost)? */
bool hosted_ptrace_asked(void);
__attribute__((noreturn)) void hosted_loop(struct thread *t);
/* At every wait: past --timeout, or a signal to stop, ends the run here. */
void hosted_check_stop(void);

#endif
