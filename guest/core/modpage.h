/*
 * Boot modules' pages, paged in by the kernel. A task's segments (program,
 * stack, args page: <exo/bootinfo.h>) are not all mapped when the task
 * starts: most pages of a stack or a bss are never touched, and each page
 * mapped costs a page-table entry and a mapping-database node. The kernel
 * is the root task's pager for its own module: a page comes in, as a
 * mapping-database root, the first time the task touches it, passes it on
 * (L4 map or grant), flushes it from itself, or the kernel reads or writes
 * it for the task (space_demand, space.c). The page holding the entry
 * point and the top page of the stack come in at once: the first
 * instruction and its first push would fault on them at a higher price.
 *
 * Each module frame is handed out at most once, which a bit per frame
 * records: a page the task granted away or flushed from itself never comes
 * back. A mapping the task receives where a page of its module has not
 * come in yet takes the address; the module's page comes in there only if
 * that mapping goes and the task touches the address again (the frame was
 * never anybody else's).
 */
#ifndef CORE_MODPAGE_H
#define CORE_MODPAGE_H

#include <exo/bootinfo.h>
#include <exo/types.h>

#include "space.h"

/* Before any task starts: the bitmap of every module's frames. -E_NOMEM */
int modpage_init(const struct exo_bootinfo *bi);
/*
 * s, a fresh root space, is m's task: check m's segments (page-aligned user
 * ranges inside mem_size, with EXO_SEG_R, ascending and apart in user and
 * in physical memory, none over the first thread's UTCB), then bring in the
 * entry and stack-top pages. -E_NOEXEC: a segment is malformed; -E_NOMEM.
 */
int modpage_attach(struct space *s, const struct exo_module *m, u64 mem_size);
/* Bring in s's module page at va. 0; -E_FAULT: no module page of s there,
 * or it came in once already, or va is mapped; -E_NOMEM. */
int modpage_fault(struct space *s, u64 va);
/* Bring in every module page of s in [va, va+len) that has not come in yet
 * and whose address is free; -E_NOMEM (those before came in). */
int modpage_fault_range(struct space *s, u64 va, u64 len);
/* For the self-check: pa is a module frame the kernel has not handed out
 * (no translation may reach it). */
bool modpage_frame_unused(u64 pa);

#endif
