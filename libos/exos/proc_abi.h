/*
 * What ExOS's session manager (proc_mgr.c, in exsh) and its processes
 * (proc_child.c) agree on: where a process finds its start page, the
 * process table and its pipes, and the messages it sends the manager.
 *
 * A process is an environment the manager made (only the task's root
 * environment may create environments: thread_control is privileged).
 * Every page of it is a frame the manager allocated and bound there with
 * bind_env: the program image's segments, its stack, the start page, the
 * process table (read-only) and its pipes' rings. The manager keeps the
 * owning capabilities, so nothing of a process outlives it: when it ends,
 * the manager frees them (its copies die with them).
 */
#ifndef EXOS_PROC_ABI_H
#define EXOS_PROC_ABI_H

#include <exo/types.h>

#define EXOS_STACK_TOP      0x00007fffffe00000ULL
#define EXOS_STACK_PAGES    8
#define EXOS_START_VA       0x00007fffffe00000ULL   /* struct exos_start */
#define EXOS_PTAB_VA        0x00007fffff000000ULL   /* struct exos_ptab, R */
#define EXOS_RING_VA(fd)    (0x00007ffffe000000ULL + (u64)(fd) * 0x1000)
#define EXOS_CHILD_UTCB     0x00007fff90000000ULL

#define EXOS_FDS            2       /* 0: input, 1: output */
#define EXOS_FD_CONSOLE     0       /* the console (output only) */
#define EXOS_FD_PIPE        1       /* a ring at EXOS_RING_VA(fd) */
#define EXOS_FD_NONE        2       /* input: end of file at once */

#define EXOS_ARGS           8
#define EXOS_ARGBUF         512
#define EXOS_START_MAGIC    0x45584f5350524f43ULL   /* "EXOSPROC" */

struct exos_start {
	u64 magic;
	/* exos_fork's saved registers (rbx rbp r12-r15 rsp rip): the child's
	 * copy of this page resumes it (fork_child.c; the offset is fixed). */
	u64 fork_regs[8];
	u32 pid;
	u32 argc;
	u64 manager;            /* the manager's thread: exit, exec go there */
	u8 fd_kind[EXOS_FDS];
	u32 argv_off[EXOS_ARGS];        /* into args */
	char args[EXOS_ARGBUF];         /* NUL-terminated strings */
	/* exec's request: the program and its words, as args above. */
	u32 req_argc;
	u32 req_off[EXOS_ARGS];
	char req[EXOS_ARGBUF];
};

/*
 * Frames a process may own of its own (frame_alloc) beyond what the
 * manager gave it: the manager asks for the rest back by visible
 * revocation, and ends a process the kernel's abort protocol had to take
 * frames from (proc_wait.c).
 */
#define EXOS_OWN_FRAMES     8

/* Messages to the manager (labels; exit and a successful exec get no reply). */
#define EXOS_MSG_EXIT       0x4578      /* mr1: the status */
#define EXOS_MSG_EXEC       0x4579      /* the request is in the start page */
#define EXOS_MSG_FORK       0x457a      /* mr1 the child's ip, mr2 its sp;
					 * reply mr1: its pid or -E_* */
#define EXOS_MSG_WAIT       0x457b      /* mr1 a child's pid, 0 any; reply
					 * mr1: its pid or -E_*, mr2 status */

#endif
