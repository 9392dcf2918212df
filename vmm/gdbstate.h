/* What gdbstub.c (the protocol) and gdbstop.c (stopping, resuming and
 * breakpoints) share. Fields marked "lock" are under vm->lock. */
#ifndef VMM_GDBSTATE_H
#define VMM_GDBSTATE_H

#include <pthread.h>
#include <stdint.h>

#include <exo/bootinfo.h>

#include "gdbmem.h"
#include "gdbproto.h"
#include "gdbregs.h"
#include "gdbstub.h"

#define GDB_MAX_SWBP 64
#define GDB_MAX_HWBP 4          /* DR0-DR3 */

#define GDB_NO_PA (~0ULL)

enum gdb_action { GDB_CONTINUE, GDB_STEP };

struct gdb_swbp {
	uint64_t va, pa;        /* pa GDB_NO_PA: no int3 written (bp_by_step) */
	uint8_t saved;          /* the byte the int3 replaced */
};

struct gdb_stub {
	struct vmm *vm;
	int listen_fd, fd;      /* fd: the debugger's connection, or -1 */
	int wake_rd, wake_wr;   /* a pipe: gdbstub_wake */
	pthread_t thread;
	bool started;
	unsigned port;
	char where[80];         /* "127.0.0.1:1234", for messages */
	bool no_ack;            /* QStartNoAckMode */
	struct gdb_rx rx;
	struct gdb_tx tx;

	/* lock: the all-stop state. */
	pthread_cond_t resume;
	bool stopping;          /* every vCPU is to park */
	unsigned gen;           /* bumped at each resume */
	unsigned parked;
	bool reply_due;         /* gdb waits for a stop reply */
	int stop_sig;           /* the reply's signal */
	int stop_cpu;           /* the vCPU that stopped, -1: none in particular */
	const char *stop_kind;  /* "swbreak", "hwbreak" or NULL */
	bool attached;          /* a debugger is connected */
	enum gdb_action action[EXO_MAX_CPUS];

	/* Only the server's thread (all vCPUs parked when it changes them). */
	struct gdb_swbp sw[GDB_MAX_SWBP];
	unsigned nsw;
	uint64_t hw[GDB_MAX_HWBP];
	bool hw_used[GDB_MAX_HWBP];
	int gcpu;               /* Hg: registers and memory of this vCPU */
	uint32_t dbg_flags;     /* KVM_CAP_SET_GUEST_DEBUG2: the flags KVM takes */
	bool bp_by_step;        /* breakpoints by single steps (gdbstop_tcg_host) */

	/* Time stopped, for --timeout (atomics: read by a signal handler). */
	int64_t paused_ns, stopped_at_ns;
};

int64_t gdb_now_ns(void);

/* gdbcmd.c */
void gdb_send(struct gdb_stub *g, const char *p, size_t n);
void gdb_reply(struct gdb_stub *g, const char *s);
/* Send the stop reply gdb waits for if every vCPU is parked now. */
void gdb_stop_reply_if_due(struct gdb_stub *g);
/* gdbstub.c: stop the machine if it runs, remove every breakpoint, and
 * let the guest run on without the debugger (detach, or gdb went away). */
void gdb_leave(struct gdb_stub *g);
/* One packet (NUL-terminated in g->rx.buf): 1 if the session is over. */
int gdb_command(struct gdb_stub *g, const char *p);

/* gdbstop.c */
/* Ask every vCPU to park (sig: the stop reply's), and kick them. */
void gdbstop_request(struct gdb_stub *g, int sig);
/* Every started vCPU is parked (lock). */
bool gdbstop_all_parked(struct gdb_stub *g);
/* Resume every vCPU with its action[] (lock): 0, or -errno if KVM took no
 * single step (nothing resumed then). */
int gdbstop_resume(struct gdb_stub *g);
/* The guest-debug settings of every vCPU, for the current breakpoints:
 * 0 or -errno (KVM_SET_GUEST_DEBUG's). */
int gdbstop_apply(struct gdb_stub *g);
int gdbstop_swbp_insert(struct gdb_stub *g, uint64_t va);
int gdbstop_swbp_remove(struct gdb_stub *g, uint64_t va);
int gdbstop_hwbp_insert(struct gdb_stub *g, uint64_t va);
int gdbstop_hwbp_remove(struct gdb_stub *g, uint64_t va);
/* Is this host's CPU QEMU's TCG (CPUID hypervisor leaf "TCGTCGTCGTCG")?
 * There neither int3 nor the debug registers of a nested guest reach KVM,
 * and breakpoints are found by single-stepping every vCPU. */
bool gdbstop_tcg_host(void);
/* Remove every breakpoint and stop debugging the guest (detach). */
void gdbstop_clear(struct gdb_stub *g);
/* Guest memory through vCPU cpu's page tables, breakpoints hidden. */
size_t gdbstop_mem(struct gdb_stub *g, int cpu, uint64_t va, void *buf,
		   size_t len, bool write);
/* A vCPU's registers: 0 or -errno. */
int gdbstop_regs_get(struct gdb_stub *g, int cpu, struct gdb_cpu *c);
int gdbstop_regs_set(struct gdb_stub *g, int cpu, const struct gdb_cpu *c);

#endif
