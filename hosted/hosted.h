/*
 * The hosted platform: exo's kernel core in the exo process, each address
 * space a Linux process of the stub (shared.h). Internal interface of the
 * files in hosted/.
 */
#ifndef HOSTED_HOSTED_H
#define HOSTED_HOSTED_H

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
};

#define HSPACES_MAX 256

struct hosted {
	int memfd;
	uint8_t *mem;               /* the whole memfd, mapped in exo */
	uint64_t mem_size;          /* the kernel's physical memory */
	uint64_t total;             /* with exo's private pages after it */
	uint64_t priv_next, priv_free;  /* private page bump and free list */
	const char *stub_path;
	struct vmm *vm;
	jmp_buf out;                /* arch_host_exit and arch_halt end here */
	uint64_t deadline;          /* arch_timer_arm's, 0: none */
	uint64_t tsc_khz;
	struct hspace spaces[HSPACES_MAX];
	uint64_t scratch_pa;        /* a private page for device requests */
	uint64_t stop_ns;           /* --timeout: CLOCK_MONOTONIC end, 0: none */
	volatile int signalled;     /* SIGINT, SIGTERM or SIGHUP arrived */
	/* Console input (--input): the I/O thread sets irq and wakes the word
	 * exo waits on (a thread's entry count, or idle). */
	uint32_t irq;
	uint32_t *volatile wait_word;
	uint32_t idle_word;
};

extern struct hosted hosted;

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
};
/* 1 at the deadline or (WAIT_IRQ) when console input is pending. */
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
/* The pages of exo holding [p, p + len) moved into the memfd (mem.c): the
 * physical address of the first. */
uint64_t hosted_static_remap(const void *p, uint64_t len);
void hosted_dev_init(void);
__attribute__((noreturn)) void hosted_loop(struct thread *t);
/* At every wait: past --timeout, or a signal to stop, ends the run here. */
void hosted_check_stop(void);

#endif
