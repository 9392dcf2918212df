/*
 * ExOS's session manager, the library part of the task's root environment
 * (exsh): it makes processes (environments), loads program images into
 * them, keeps the process table and the pipes, and learns how each process
 * ended. Internal to the library: programs use exos.h.
 */
#ifndef EXOS_PROC_MGR_H
#define EXOS_PROC_MGR_H

#include "exos.h"
#include "pipe_ring.h"
#include "proc_abi.h"
#include "proc_pages.h"
#include "proc_table.h"

#include <exo/ipc.h>

/* A pipe end the manager itself holds (exos_mgr_pipe_*). */
#define MGR_END  0xffffffffu

#define MGR_PAGES       96      /* pages of one process, at most */
#define MGR_PIPES       8
#define MGR_FRAMES      256     /* frames of all processes (fork shares them) */

struct mgr_proc {
	u32 pid;                        /* 0: free */
	u64 tid;
	exo_cap_t env;                  /* ENV capability (W) for it */
	struct mgr_page pages[MGR_PAGES];
	u32 npages;
	exo_cap_t start_cap;            /* its start page, bound here too */
	struct exos_start *start;
	int fd_pipe[EXOS_FDS];          /* pipe index, or -1 */
	u32 waits_for;                  /* its own exos_waitpid: pid, or ~0 any */
	bool waiting;
};

struct mgr_pipe {
	exo_cap_t cap;                  /* 0: free */
	struct exos_ring *ring;
	u32 reader, writer;             /* pids, 0: none (yet, or any more) */
};

extern struct mgr_state {
	const struct exos_image *images;
	u32 nimages;
	exo_cap_t ptab_cap;
	struct exos_ptab *ptab;
	struct mgr_proc procs[EXOS_NPROC];
	struct mgr_pipe pipes[MGR_PIPES];
	struct mgr_frame frames[MGR_FRAMES];
} mgr;

/* proc_mem.c: p's pages. A fresh frame bound at va (mgr_page, above); a
 * page's link made and bound in p (without W while cow); every page of p
 * dropped, frames freed with their last page; a write fault at va resolved
 * (1: it was a copy-on-write page, now p's own and writable; 0: not one). */
long mgr_page_link(struct mgr_proc *p, struct mgr_page *pg);
void mgr_pages_release(struct mgr_proc *p);
int mgr_cow_fault(struct mgr_proc *p, u64 va);

/* proc_wait.c: a process's message (or page fault) served. */
void mgr_serve(u64 from, struct l4_msg *m);

/* proc_fork.c: fork of p (its request in its start page): the child's pid
 * or -E_*; a process's wait served, now or when a child of it ends. */
long mgr_fork(struct mgr_proc *p, u64 ip, u64 sp);
void mgr_proc_wait(struct mgr_proc *p, u32 pid);
void mgr_child_ended(u32 ppid);

/* Load img into p's fresh environment (elf_load.c): its entry, or -E_*. */
long mgr_load(struct mgr_proc *p, const struct exos_image *img);
/* A fresh frame of p's bound in p at va with rights (EXO_BIND_*), its
 * contents copied from src (n bytes at offset off of the page; src 0:
 * zero): the child's name for it, or -E_*. */
long mgr_page(struct mgr_proc *p, u64 va, u32 rights, const void *src, u32 off, u32 n);

/* proc_mgr.c: the image called name, or NULL; a fresh environment for p
 * (its pid and pipes set) running img; the environment's end (its thread,
 * frames and capability; the slot stays); its pipe ends closed, the other
 * ends woken. */
const struct exos_image *mgr_image(const char *name);
long mgr_env_start(struct mgr_proc *p, const struct exos_image *img, u32 argc,
		   char *const argv[]);
void mgr_env_release(struct mgr_proc *p);
void mgr_pipes_close(struct mgr_proc *p);
/* The pieces of a start: p's thread and ENV capability; its start page
 * (a copy of *from, or zero; pid and manager set) and the process table,
 * shared; a process that never ran dropped (its slot freed, as if it had
 * ended and ppid had waited for it). */
long mgr_env_new(struct mgr_proc *p);
long mgr_start_new(struct mgr_proc *p, const struct exos_start *from);
void mgr_abandon(struct mgr_proc *p, u32 ppid);

#endif
