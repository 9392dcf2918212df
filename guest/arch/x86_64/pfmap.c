/*
 * The page-fault fast path's two halves as the kernel's entries call them:
 * pf_fast from pf_entry (the fault: pagefault_fast, core/pagefault_fast.h)
 * and ipc_map_fast from ipc_map (the pager's reply: ipc_fastpath_map,
 * ipc/fastpath.h, with the page-table map inline, pte.h). This file is
 * compiled with rbx and r12-r15 as scratch registers (guest/CMakeLists.txt:
 * -fcall-used-*; GCC keeps rbp callee-saved).
 *
 * Why: the reply path keeps a dozen values live, so with the normal
 * convention the compiler saves and restores six registers, 14 ring-0
 * instructions of a ~300-instruction fault. Here nobody needs them. At the
 * fault, pf_entry has saved every register of the thread in its control
 * block. At the reply, success resumes the faulting thread with all its
 * registers from its block, and a decline completes the pager's frame
 * without them (ipc_map_declined): they are the pager's MR3..MR7, no part
 * of a reply of one map item, and rbp was saved before the call.
 *
 * Only entry.S may call these two. They may call any normal function: the
 * compiler treats those registers as clobbered across calls, which is
 * merely conservative.
 */
#include "pte.h"

/* The fast path's map of one page is this inline one (one register
 * convention in this file: no call to mmu.c). Before any header that
 * includes core/mdb_fast.h. */
#define arch_space_map_page pte_map_page
#include "../../../ipc/fastpath.h"
#include "../../core/pagefault_fast.h"

struct thread *pf_fast(struct thread *t, u64 addr, u64 error);
struct thread *ipc_map_fast(u64 to, u64 from, u64 timeouts, struct thread *cur,
			    u64 w0, u64 fp);

struct thread *
pf_fast(struct thread *t, u64 addr, u64 error)
{
	return pagefault_fast_entry(t, addr, error);
}

struct thread *
ipc_map_fast(u64 to, u64 from, u64 timeouts, struct thread *cur, u64 w0, u64 fp)
{
	return ipc_fastpath_map(to, from, timeouts, cur, w0, fp);
}
