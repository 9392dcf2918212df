/*
 * ExOS, the library operating system on exo's exokernel: its virtual memory.
 *
 * Design. The environment's page table is the library's (vm_pt.h): virtual
 * page -> frame capability, the program's protection, the dirty and
 * accessed bits, copy-on-write sharing. The kernel holds only bindings,
 * and the library loads them on demand: its exception handler (the
 * environment's EXCEPTION entry for this thread) takes every page fault the
 * kernel's software TLB cannot fix, looks the page up, and binds the
 * frame with the rights the page's state allows, or hands the fault to the
 * program (a protection violation: its fault function, like a SIGSEGV
 * handler), or declines (not the library's memory: the thread exits).
 *   - Lowering protection unbinds the page (one system call); the next
 *     access faults and reloads it with what is allowed. Raising it binds
 *     the frame lazily (one call, EXO_BIND without NOW): the first touch is
 *     then a software-TLB fill in the kernel, no upcall.
 *   - Dirty tracking: a clean writable page is loaded read-only; its first
 *     write faults, the library marks it dirty and reloads it writable.
 *     exos_dirty reads the bit without entering the kernel.
 *   - Copy-on-write: exos_cow shares a frame between two pages (the second
 *     holds a derived copy of the capability), both read-only; a write to
 *     either copies the frame into a fresh one (bound at EXOS_SCRATCH_VA for
 *     the copy) while another page still shares it, or takes it over when
 *     it is the last. fork will share a parent's pages this way.
 *   - Swapping (exos_swap_init, below): frames the kernel revokes are given
 *     back by the library's choice or taken autosaved by the kernel, and
 *     read back from the backing store on their page's next fault.
 * No policy is the kernel's: which frame, which address, when to load.
 * One thread's faults are served (the thread that called exos_vm_init);
 * frames are the environment's (EXO_NCAPS capabilities in all).
 */
#ifndef EXOS_EXOS_H
#define EXOS_EXOS_H

#include "exo.h"
#include "vm_pt.h"

/* The library's page for copying frames: never one of the program's. */
#define EXOS_SCRATCH_VA  0x3f0000000000ULL

/*
 * The program's fault function: a protection violation at va (EXOS_ACCESS_R
 * or _W), with the exception frame x (for a fault outside the library's
 * memory, or an exception other than #PF, va is x->cr2 and the call is the
 * same). Return 0 to resume at x->rip (having changed the protection with
 * exos_mprotect, or x->rip to step over the access), nonzero to decline:
 * the thread exits with 128 + vector.
 */
typedef int (*exos_fault_fn)(u64 va, u8 access, struct exo_xframe *x);

/* Take this thread's exceptions (the handler runs on a stack of the
 * library's); fn (may be NULL) gets what the library does not resolve.
 * 0 or env_entry's error. */
long exos_vm_init(exos_fault_fn fn);
/* Stop: the thread's exceptions go back to the kernel's default. */
long exos_vm_fini(void);

/*
 * Memory. Every range is npages pages (1..EXOS_PT_SLOTS; a region's up
 * to 2^35) at a page-aligned va.
 *   exos_region_zero   demand-zero: each page gets a fresh frame on its
 *                      first touch (-E_INVAL overlapping a region)
 *   exos_map           map a frame capability the environment holds at va;
 *                      the library does not free it (-E_BADCAP, -E_STALE,
 *                      -E_BADTYPE: not a live FRAME capability of ours;
 *                      -E_PERM: it lacks the rights prot asks; -E_EXIST)
 *   exos_mprotect      set the program's protection (EXOS_PROT_*) of pages
 *                      the library holds (-E_NOENT if one is not, and then
 *                      nothing changed)
 *   exos_cow           share the frames of src's pages at dst, copy on write
 *                      (-E_EXIST if a dst page is the library's already;
 *                      -E_NOMEM from cap_derive midway: the capability
 *                      table is full, and the pages before stay shared)
 *   exos_unmap         drop pages: unbound, frames freed with their last
 *                      page; demand-zero regions wholly inside go too (a
 *                      page of one that stays comes back zero when touched)
 *   exos_dirty         1 if page va was written since it was cleaned, 0 if
 *                      not, -E_NOENT
 *   exos_clean         clear the dirty bit (the next write faults again)
 * Errors are -E_* (<exo/error.h>); -E_NOMEM when the page table is full.
 */
long exos_region_zero(u64 va, u64 npages, u8 prot);
long exos_map(u64 va, exo_cap_t frame, u8 prot);
long exos_mprotect(u64 va, u64 npages, u8 prot);
long exos_cow(u64 dst, u64 src, u64 npages);
long exos_unmap(u64 va, u64 npages);
long exos_dirty(u64 va);
long exos_clean(u64 va);

/*
 * Swapping (swap.c): frames the kernel takes back stay the program's.
 * exos_swap_init(store) designates the VMM's backing store (1..
 * EXO_BACKING_STORES, env_backing) and starts the library's REVOKE entry
 * thread; frames the library allocates from then on are EXO_FRAME_AUTOSAVE.
 * Its policy on a revocation request: give back first the frames it can
 * remake without the store (pages still zero since their fill: a fill
 * remakes them), oldest slot first by a clock hand; the rest it leaves to
 * the kernel's abort protocol, which saves autosave frames before taking
 * them (the library has no call that writes the store itself). On the
 * REPOSSESS upcall it records each taken frame's block in its pages; their
 * next fault reads the block back into a fresh frame (backing_read).
 * 0 (also again with the same store), -E_EXIST (another store already),
 * env_backing's error, or -E_NOMEM (no thread).
 */
long exos_swap_init(u32 store);

/* The library's own, for swap.c: read the repossession vector into the
 * table (entries read); give back up to n frames a fill remakes (given);
 * allocate frames with EXO_FRAME_AUTOSAVE or not. */
u64 exos_vm_reap(void);
u64 exos_vm_give_back(u64 n);
void exos_vm_autosave(bool on);

/* What the handler did, for tests and the benchmark. Volatile: a fault
 * updates it between two statements of the program. */
struct exos_vm_stats {
	u64 loads, zero_fills, copies, unshares, violations, foreign;
	u64 swapins, repossessed, given_back;   /* swapping */
	u64 revoke_upcalls, repossess_upcalls;  /* swap.c's entry */
	u64 stale;      /* a page whose capability was revoked: the program's */
};
extern volatile struct exos_vm_stats exos_vm_stats;

/* The page table itself (read only, for tests: frames, sharing). */
const struct exos_pt *exos_vm_table(void);

/* ---- Processes and pipes (proc_mgr.c, proc_child.c; docs/exos.md) ---- */

/* A program image the session can exec: an ELF file embedded in exsh. */
struct exos_image {
	const char *name;
	const u8 *elf;
	u64 len;
};

/* How a process ended, as exos_wait reports it (proc_table.h's status). */
struct exos_wait {
	u32 pid;
	u32 status;             /* exit code, or EXOS_KILLED | vector */
	u64 fault_addr, fault_rip;
	char name[16];
};

/*
 * The session manager: only the task's root environment (exsh) runs it.
 *   exos_mgr_init   the process table and the images exec may load
 *   exos_pipe       a pipe: its index (-E_NOMEM: none left)
 *   exos_spawn      a process running image name with argv, input from
 *                   pipe in (-1: none, end of file), output to pipe out
 *                   (-1: the console); its pid. -E_NOENT: no such image;
 *                   -E_NOEXEC: not an image exos can load; -E_NOMEM: no
 *                   process slot, frame or capability left
 *   exos_wait       wait for a child (pid 0: any) to end, serving the
 *                   processes' requests meanwhile: its pid, *w filled;
 *                   -E_NOENT: no such child
 */
long exos_mgr_init(const struct exos_image *images, u32 n);
long exos_pipe(void);
long exos_spawn(const char *name, u32 argc, char *const argv[], int in, int out);
long exos_wait(u32 pid, struct exos_wait *w);
/*
 * The manager's own end of a pipe (spawn the process at the other end
 * first): exos_mgr_put writes all n bytes to pipe p, exos_mgr_get reads up
 * to n (0 at end of file), each blocking as a process would while serving
 * the processes' requests; exos_mgr_close closes the manager's end (w:
 * the writing one). -E_INVAL: no such pipe; -E_PERM: put with no reader.
 */
long exos_mgr_put(int p, const void *buf, u64 n);
long exos_mgr_get(int p, void *buf, u64 n);
void exos_mgr_close(int p, bool w);
/* "exit 3", "killed by fault 14 at 0x... (rip 0x...)" into buf. */
void exos_status_str(const struct exos_wait *w, char *buf, u64 len);

/*
 * In a process (link with -e exos_proc_entry; main(argc, argv) as usual):
 *   exos_read       from fd 0: bytes, 0 at end of file
 *   exos_write      to fd 1: bytes (all of them), -E_PERM if nobody reads
 *   exos_exit       end with status; the parent's wait sees it
 *   exos_exec       become image name with argv (the pid, the pipes and
 *                   the parent stay): returns only on an error
 */
long exos_read(int fd, void *buf, u64 n);
long exos_write(int fd, const void *buf, u64 n);
__attribute__((noreturn)) void exos_exit(int status);
long exos_exec(const char *name, u32 argc, char *const argv[]);
u32 exos_getpid(void);
/*
 *   exos_fork       a child environment with a copy-on-write copy of this
 *                   one's memory, resumed here: its pid in the parent, 0 in
 *                   the child, -E_NOMEM (no slot, frame or capability). The
 *                   child has no pipe ends: it reads end of file and writes
 *                   to the console (a ring has one writer)
 *   exos_waitpid    wait for a child of this process (pid 0: any) to end:
 *                   its pid, *status (exos_wait's) set; -E_NOENT: none
 */
long exos_fork(void);
long exos_waitpid(u32 pid, u32 *status);
/* ---- end of processes and pipes ---- */

/* ---- Threads, LRPC, shared-memory segments (thread.c, lrpc.c, shm.c) ---- */
#include "lrpc_astack.h"
#include "thr_sched.h"

/*
 * Threads (thread.c): user-level threads on one kernel thread (the
 * carrier: the caller of exos_thr_init), scheduled round robin by the
 * library and preempted at the end of each of the environment's time
 * slices (the SLICE upcall of a second kernel thread, the entry thread).
 * Mutexes are handed to the first waiter; condition variables take the
 * mutex back before the woken thread runs. Blocking (a mutex, a
 * condition, a join, exos_thr_sleep) lets the others run. A blocking
 * system call of the thread's own (an IPC) stops them all: the library's
 * kernel wait is exos_thr_sleep. Up to THR_MAX threads, thread 0 the
 * caller of exos_thr_init; a thread's number is free again once joined.
 */
#define EXOS_THR_DEADLOCK  124          /* the exit status: nobody can run */

struct exos_mutex { struct thr_mutex m; };
struct exos_cond { struct thr_cond c; };

long exos_thr_init(u32 slices);
/* Give the slices back (no more preemption; the threads go on cooperatively):
 * a program done with its threads is no longer held to the save windows. */
void exos_thr_fini(void);
long exos_thr_create(void (*fn)(u64), u64 arg);        /* its number, -E_NOMEM */
void exos_thr_yield(void);
__attribute__((noreturn)) void exos_thr_exit(void);    /* thread 0: exit(0) */
long exos_thr_join(long t);                            /* 0, -E_INVAL */
long exos_thr_self(void);
void exos_thr_sleep(u32 us);
void exos_mutex_init(struct exos_mutex *m);
long exos_mutex_lock(struct exos_mutex *m);            /* 0, -E_INVAL: held */
long exos_mutex_unlock(struct exos_mutex *m);          /* 0, -E_PERM: not held */
void exos_cond_init(struct exos_cond *c);
long exos_cond_wait(struct exos_cond *c, struct exos_mutex *m);
void exos_cond_signal(struct exos_cond *c);
void exos_cond_broadcast(struct exos_cond *c);

/* What the scheduler did (volatile: the entry thread writes some). */
struct exos_thr_stats {
	u64 slice_ends;         /* END upcalls seen */
	u64 preemptions;        /* threads switched away at a slice end */
	u64 deferred;           /* ends that found the carrier in the library
				   or off its stack: preempted on leaving it */
	u64 deferred_taken;
	u64 in_kernel;          /* ends that found it blocked in the kernel */
	u64 switches, idles;
	u64 entry_failed;
	u64 late;               /* END upcalls answered past their deadline */
	u64 max_answer_tsc;     /* the longest from END upcall to slice_yield */
	u64 max_spare_tsc;      /* the most time left at an upcall's start */
	u64 min_spare_tsc;      /* the least */
	u64 owed_at_start;      /* ENDs too near their deadline for the switch:
				   it came at the next START */
	u64 late_arrivals;      /* END upcalls that began past their deadline */
	u64 max_arrival_late_tsc;
};
extern volatile struct exos_thr_stats exos_thr_stats;

/*
 * Shared-memory segments (shm.c): frames passed by capability. The
 * creator holds the frames (their owner capabilities); exos_shm_pass
 * copies them to thread tid's environment with rights (EXO_CAP_R: a
 * read-only segment there, which it cannot map writable or pass on with
 * more); the receiver maps the copies it was told of with exos_map
 * (exos_shm_map). exos_shm_revoke drops the frames: every copy dies with
 * its bindings, and the receiver's next touch faults (its library finds
 * the capability stale and hands the fault to the program's fault
 * function, exos_vm_stats.stale).
 */
#define EXOS_SHM_PAGES 16
struct exos_shm {
	u32 npages;
	exo_cap_t frame[EXOS_SHM_PAGES];
};
long exos_shm_create(struct exos_shm *s, u32 npages);   /* -E_INVAL, frame_alloc's */
long exos_shm_bind(const struct exos_shm *s, u64 va);    /* the creator's own view */
long exos_shm_pass(const struct exos_shm *s, u64 tid, u32 rights, struct exos_shm *out);
long exos_shm_map(const struct exos_shm *s, u64 va, u8 prot);
long exos_shm_revoke(struct exos_shm *s);

/*
 * LRPC (lrpc.c; Bershad et al. 1990) on synchronous protected control
 * transfer. The server registers its PCT entry (lrpc_serve) with a table
 * of procedures. A client binds (lrpc_bind): it gives the server its
 * environment capability (the way back) and an argument stack (a frame,
 * bound in both), and gets a binding. A call (lrpc_call) puts the
 * procedure number and four arguments in registers and any bytes on the
 * A-stack, and transfers to the server's entry; the procedure runs there,
 * on the client's slices (a synchronous transfer lends them), and the
 * server transfers back with the result in registers and bytes on the
 * A-stack. The calling thread must be its environment's PCT entry thread
 * (lrpc_client_init registers it): the kernel starts it there on the way
 * back, and the stub returns to the call.
 */
struct lrpc_args {
	u64 a[4];
	u8 *astack_data;        /* the A-stack's bytes, server's view */
	u32 in_len;             /* bytes the client put there */
	u32 out_len;            /* bytes the procedure leaves (<= LRPC_ASTACK_DATA) */
	u64 client;             /* the caller's environment id */
};
typedef long (*lrpc_proc_t)(struct lrpc_args *a);

/* Server: procs[0..n) at the PCT entry; never returns on success
 * (upcall_wait), else env_entry's error. */
long lrpc_serve(const lrpc_proc_t *procs, u32 n);
struct lrpc_server_stats {
	u64 calls, binds, refused_unbound, refused_proc, refused_astack, refused_forged;
};
extern volatile struct lrpc_server_stats lrpc_server_stats;

/* Client: register this thread as the PCT entry (the way back). */
long lrpc_client_init(void);
struct lrpc_binding {
	exo_cap_t server;       /* ENV capability of the server (X) */
	u64 server_id;          /* its PCT entry thread (the kernel's rax back) */
	u64 handle;             /* the binding's name at the server */
	exo_cap_t astack;       /* the A-stack frame (ours) */
	struct lrpc_astack *as; /* where we bound it */
};
/* Bind to the server (its env cap with X, its PCT thread id) with a fresh
 * A-stack at va. 0 or -E_*: the server's refusal or a system call's. */
long lrpc_bind(struct lrpc_binding *b, exo_cap_t server, u64 server_tid, u64 va);
/* Call proc with a[4] and in_len bytes already on b->as; *result gets the
 * procedure's return value. 0, the kernel's refusal of the transfer
 * (-E_BADCAP, -E_STALE, -E_PERM, -E_AGAIN, ...) or the server's
 * (-E_PERM: no binding; -E_INVAL: no such procedure or bad lengths). */
long lrpc_call(const struct lrpc_binding *b, u64 proc, const u64 a[4], u32 in_len,
	       long *result);
/* The transfer itself, with registers as given (tests of refusals). */
long lrpc_call_raw(exo_cap_t server, u64 server_id, u64 handle, u64 proc, const u64 a[4],
		   u32 in_len, long *result);
/* ---- end of threads, LRPC, shared memory ---- */

#endif
