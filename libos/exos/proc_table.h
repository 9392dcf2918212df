/*
 * ExOS's process table: the session's processes, kept by the library in
 * one page the session's manager (exsh, the root environment, the only one
 * that may create environments) writes and every process reads (shared by
 * capability, read-only to them). A process is an environment; its slot
 * outlives the environment through exec (a fresh environment takes the
 * slot over) and after exit, until its parent waits for it. Portable: no
 * system call here, so the unit tests run it on the host.
 */
#ifndef EXOS_PROC_TABLE_H
#define EXOS_PROC_TABLE_H

#include <exo/types.h>

#define EXOS_NPROC       16
#define EXOS_PROC_NAME   16

enum exos_proc_state {
	EXOS_PROC_FREE = 0,
	EXOS_PROC_RUN,          /* its environment lives */
	EXOS_PROC_ZOMBIE,       /* ended; the status waits for the parent */
};

/*
 * A status as wait reports it: an exit's code (0..255), or a kill by an
 * exception (EXOS_KILLED | vector); the address and instruction of a
 * killing fault are in the slot.
 */
#define EXOS_KILLED          0x100
#define EXOS_STATUS_KILLED(s)  ((s) & EXOS_KILLED)
#define EXOS_STATUS_CODE(s)    ((s) & 0xff)
/* A kill whose cause nobody saw (the environment vanished): vector 255. */
#define EXOS_VECTOR_UNKNOWN  255
/* Not an exception: the kernel's abort protocol took frames the process
 * did not give back when revocation asked (the slot's fault_addr: how
 * many); the manager ended it. exsh exits 125 for it, as exo run does for
 * an environment the kernel aborts. */
#define EXOS_VECTOR_ABORT    254

struct exos_proc {
	u32 pid;                /* 1.. ; never reused in a session */
	u32 ppid;               /* 0: the manager's own child */
	u8 state;               /* enum exos_proc_state */
	u32 status;             /* ZOMBIE: as above */
	u64 tid;                /* RUN: the environment's thread */
	u64 fault_addr, fault_rip;      /* a kill by a fault */
	char name[EXOS_PROC_NAME];      /* the program it runs */
};

struct exos_ptab {
	u32 next_pid;
	struct exos_proc procs[EXOS_NPROC];
};

void exos_ptab_init(struct exos_ptab *t);
/* A new slot running name (cut to fit) for parent ppid: its pid; -E_NOMEM
 * when every slot is taken. */
long exos_ptab_alloc(struct exos_ptab *t, u32 ppid, const char *name);
struct exos_proc *exos_ptab_get(struct exos_ptab *t, u32 pid);
struct exos_proc *exos_ptab_by_tid(struct exos_ptab *t, u64 tid);
/* The slot's environment is now tid, running name (exec keeps the pid). */
int exos_ptab_run(struct exos_ptab *t, u32 pid, u64 tid, const char *name);
/* Ended: exited with code, or killed by vector at addr (rip). A second end
 * of the same slot is refused (-E_INVAL): the first cause stands. */
int exos_ptab_exited(struct exos_ptab *t, u32 pid, u32 code);
int exos_ptab_killed(struct exos_ptab *t, u32 pid, u32 vector, u64 addr, u64 rip);
/*
 * wait: the status of a zombie child of ppid (*pid 0: any), freeing its
 * slot; *pid gets whose, *out (unless NULL) the slot as it was. -E_AGAIN:
 * children run, none ended yet; -E_NOENT: no such child.
 */
long exos_ptab_reap(struct exos_ptab *t, u32 ppid, u32 *pid, struct exos_proc *out);

#endif
