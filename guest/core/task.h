/*
 * Tasks: each boot module runs as a task — a privileged root address space
 * with one first thread, plus every space and thread it creates. Modules run
 * one after another (the VM's exit status is the last one's); σ0, when the
 * boot info names it, runs beside them all and owns the free memory.
 */
#ifndef CORE_TASK_H
#define CORE_TASK_H

#include <exo/types.h>
#include <exo/bootinfo.h>

#include "space.h"
#include "thread.h"

/* Status a killed program is reported with: 128 + vector, like a shell. */
#define PROGRAM_KILLED_STATUS(vector) (128 + (vector))
/* Status of a task that can never run again (every thread blocked for ever). */
#define PROGRAM_DEADLOCK_STATUS 124
/*
 * Status of a task the exokernel aborted (an environment of it overran its
 * slice EXO_SLICE_STRIKES times in a row), reported as EXO_EV_PROGRAM_ABORT.
 * The slice vector dooms a thread of the task's root space with the pseudo
 * vector TASK_ABORT_VECTOR to get there (task_reap).
 */
#define PROGRAM_ABORT_STATUS 125
#define TASK_ABORT_VECTOR 256
/* Where the kernel puts a module's first UTCB: below its stack, a guard between. */
#define TASK_UTCB_VA (EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE - 2 * EXO_PAGE_SIZE)

/* Start σ0 and the first module; returns the thread to run first. */
struct thread *task_boot(const struct exo_bootinfo *bi);
/* SYS_exit: t's whole task ends with status. */
void task_exit(struct thread *t, i64 status);
/* Kill the threads doomed during this kernel entry (thread_doom). */
void task_reap(void);
/* Nothing can ever run again: end the running module's task. */
void task_stuck(void);
/* Check a module's segments and make s its task's root space, whose pages
 * the kernel brings in (modpage.h). -E_NOEXEC, -E_NOMEM */
int task_map_module(struct space *s, const struct exo_module *m, u64 mem_size);
/* The root space of the task s belongs to. */
struct space *task_root(struct space *s);

#endif
