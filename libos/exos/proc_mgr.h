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
#include "proc_table.h"

#define MGR_PAGES       96      /* frames of one process, at most */
#define MGR_PIPES       8

struct mgr_proc {
	u32 pid;                        /* 0: free */
	u64 tid;
	exo_cap_t env;                  /* ENV capability (W) for it */
	exo_cap_t caps[MGR_PAGES];      /* the frames it has: ours, owning */
	u32 ncaps;
	exo_cap_t start_cap;            /* its start page, bound here too */
	struct exos_start *start;
	int fd_pipe[EXOS_FDS];          /* pipe index, or -1 */
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
} mgr;

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

#endif
