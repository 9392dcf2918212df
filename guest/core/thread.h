/*
 * Threads: the unit of execution and of IPC. A thread's id is its number (the
 * index of its control block) and a version bumped at every reuse, so an id
 * names one thread for ever (<exo/ipc.h>). Numbers 1..EXO_NIRQ are the
 * interrupt threads; they never run user code.
 *
 * The kernel keeps no stack per thread: a thread blocked in the kernel is
 * described entirely by its state and its saved user registers (ctx), and
 * whoever unblocks it writes its results there. The arch layer points the
 * CPU's ring-0 stack at the end of the running thread's ctx, so an entry from
 * user mode saves the registers straight into the control block.
 */
#ifndef CORE_THREAD_H
#define CORE_THREAD_H

#include <exo/ipc.h>
#include <exo/types.h>

#include "percpu.h"
#include "space.h"
#include "trapframe.h"

#define NTHREADS        256             /* a power of two: ids mask into the table */
#define THREAD_FIRST    (EXO_NIRQ + 1)  /* the first number for user threads */
#define PRIO_DEFAULT    100
#define PRIO_MAX        255
#define THREAD_ARCH_SAVE 512            /* the arch layer's area per thread */

enum thread_state {
	TS_FREE = 0,        /* no thread: the number is free */
	TS_HALTED,          /* created and not started, or stopped */
	TS_READY,           /* running or on the ready queue */
	TS_SENDING,         /* blocked in a send phase, on partner's send queue */
	TS_RECEIVING,       /* blocked in a receive phase, from partner (or any) */
	TS_SEND_FAULT,      /* a page-fault message waits for the pager */
	TS_RECV_FAULT,      /* waiting for the pager's reply to a page fault */
	TS_IRQ_PENDING,     /* interrupt thread: message queued at its handler */
	TS_IRQ_ACK,         /* interrupt thread: delivered, waiting for the ack */
	TS_IRQ_IDLE,        /* interrupt thread: line unmasked, nothing pending */
	TS_ENTRY_WAIT,      /* an environment's entry thread waiting for an
			       upcall or a protected control transfer (upcall.c) */
};

enum thread_flags {
	TF_HALT = 1,        /* exchange_registers halted it: never made ready */
	TF_DOOMED = 2,      /* to be killed at the end of this kernel entry */
	TF_EXT = 4,         /* its environment has thread or IPC handlers, or
			       (an interrupt thread) its line has handlers:
			       the general paths raise their events (ext.h),
			       the fast paths decline */
	TF_CKPT = 8,        /* EXT_TH_CHECKPOINT was raised when it left its
			       CPU: EXT_TH_RESUME is owed when it runs again */
};

struct thread {
	struct trapframe ctx;       /* first: see above; 16-byte aligned */
	u64 id;
	u32 state;                  /* enum thread_state */
	u32 flags;                  /* enum thread_flags */
	u64 partner;                /* SENDING: to; RECEIVING: from-spec */
	u64 wakeup;                 /* arch_now() deadline of a timed block, or 0 */
	u64 timeouts;               /* of the IPC in progress (<exo/ipc.h>) */
	u64 root;                   /* space->pt.root, for the fast path */
	struct space *space;
	struct exo_utcb *utcb;      /* kernel address of the UTCB frame */
	u64 utcb_va;                /* its user address in space */
	u64 utcb_pa;
	u64 pager;
	u64 handler;                /* interrupt thread: its driver */
	struct thread *sendq;       /* threads blocked sending to this one, FIFO */
	struct thread *qnext, *qprev;       /* in a send queue */
	struct thread *rnext, *rprev;       /* in the ready queue */
	struct thread *tnext, *tprev;       /* in the timeout list */
	u64 fault_addr, fault_ip;   /* SEND/RECV_FAULT: the message */
	u32 fault_access;           /* EXO_R/W/X */
	u32 prio;
	u32 irq_missed;             /* interrupt thread: fired while not idle */
	u32 arch_fpu_saved;         /* the arch layer's: arch_save holds its
				       user FPU/SSE state, to be loaded before
				       it runs user code again (trap.c) */
	u64 doom_vector, doom_error, doom_addr, doom_ip;  /* TF_DOOMED */
	u64 arch_xframe;            /* the arch layer's: its exception frame's kernel
				       address while it has an exception entry, else 0 */
	u64 arch_stlb;              /* and its environment's software TLB */
	u64 arch_capbase;           /* cap_ref of its environment's slot 0 */
	u64 arch_slice;             /* &slice_envs[its environment] */
	/* The home CPU: the only one t runs on (percpu.h). */
	struct percpu *home;        /* T_HOME: &cpus[cpu] */
	u64 kstack;                 /* T_KSTACK: its kernel stack's top */
	u32 cpu;
	u32 migrate;                /* cpu + 1: move there when it next stops */
	u64 ext_word;               /* its thread handlers' word (ext.h) */
	void *arch_save;            /* THREAD_ARCH_SAVE bytes for the arch layer
				       (x86-64: its user FPU/SSE state) */
} __attribute__((aligned(1024)));  /* a power of two: ids index by shift */
/*
 * The 568 bytes after the last field are a guard, not waste. An entry from
 * user mode runs its first and last instructions with rsp inside the
 * thread's ctx; an interrupt taken there pushes its frame below ctx, into
 * the tail of the thread before. The CPU never delivers one there (the
 * gates clear IF), but a host may: nested SVM under QEMU's TCG was seen
 * delivering an IPI with IF clear (at vec35's first instruction, and deep
 * enough to overwrite the previous thread's arch_save: a #GP in fpu_save).
 * A 512-byte thread had 56 spare bytes at its end; room for two frames
 * makes such a push harmless.
 */
_Static_assert(sizeof(struct thread) - __builtin_offsetof(struct thread, arch_save) - 8 >=
	       2 * sizeof(struct trapframe), "a guard below every thread's ctx");

extern struct thread threads[NTHREADS];
extern u32 threads_doomed;

/* The live thread named by id, or NULL (nil, any, stale version, free). */
static inline struct thread *
thread_lookup(u64 id)
{
	struct thread *t;

	if (EXO_TID_NO(id) >= NTHREADS || EXO_TID_NO(id) == 0)
		return 0;
	t = &threads[EXO_TID_NO(id)];
	return t->id == id && t->state != TS_FREE ? t : 0;
}
/*
 * A halted thread in space s with its UTCB at utcb_va (page aligned, user,
 * unmapped): -E_NOMEM (no number, no frame), -E_INVAL (bad utcb_va).
 */
int thread_create(struct space *s, u64 utcb_va, u64 pager, u32 prio,
		  struct thread **out);
/* Unlink t from every queue, fail its partners' IPC, free its number. */
void thread_delete(struct thread *t);
/*
 * t faulted in a way nobody resolves: it dies at the end of this kernel entry
 * (task_reap), with the fault reported. Safe to call from deep inside IPC.
 */
void thread_doom(struct thread *t, u64 vector, u64 error, u64 addr, u64 ip);
/* The frames of the threads' arch save areas, kept for ever (self-check). */
void thread_walk_save_frames(void (*fn)(u64 pa, void *ctx), void *ctx);
/* Set up the interrupt threads. */
void thread_init(void);

#endif
