/*
 * Threads and tasks for programs, built on the L4 calls: memory from σ0,
 * threads in this space, and tasks — threads in new address spaces that run
 * this program's own code, served by a pager thread of this space: text and
 * read-only data are mapped (shared, read/execute), data is copied on first
 * touch, stacks are fresh zero pages from σ0. Needs a privileged (root) task.
 */
#ifndef LIBOS_TASK_H
#define LIBOS_TASK_H

#include <exo/types.h>

#include "l4.h"

/* 2^s bytes (12 <= s <= 22) of fresh memory from σ0, mapped here; 0 if none. */
void *mem_alloc(u32 s);
/* Physical frames at pa (σ0 refuses frames it gave already); 0 if refused. */
void *mem_alloc_at(u64 pa, u32 s);

/* Share a fresh page of ours with thread tid's space: mapped there at va,
 * read-write, by an L4 map its receiver accepts (mem_accept); the page
 * here, or 0 (no memory, or the send failed). */
void *mem_share(u64 tid, u64 va);
/* The receiving side: accept one page at va from thread from; 0 or the
 * receive's error. */
u64 mem_accept(u64 from, u64 va);

/* A thread here running fn(arg); its id, or 0. */
u64 thread_spawn(void (*fn)(u64), u64 arg);
/* The same on CPU cpu (< l4_kip()->ncpus; < 0: the caller's). */
u64 thread_spawn_on(int cpu, void (*fn)(u64), u64 arg);
/* A thread in a new address space running fn(arg) on this program's image;
 * its id, or 0. The space's pager is this task's pager thread. */
u64 task_spawn(void (*fn)(u64), u64 arg);
/* The pager thread serving spawned tasks (started by the first task_spawn). */
u64 task_pager(void);
/* Page faults the pager served, by kind. */
struct pager_stats {
	u64 text, data, stack, refused;
};
extern volatile struct pager_stats pager_stats;

/* Where spawned tasks' stacks live, EXO_USER_STACK_SIZE below the top. */
#define TASK_STACK_TOP   0x00007fff80000000ULL
#define TASK_UTCB        (TASK_STACK_TOP + 0x10000000ULL)

#endif
