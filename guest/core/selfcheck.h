/*
 * The kernel's self-check (KTEST_SELFCHECK, for the test suite and the
 * system-call fuzzer): it walks the kernel's structures and checks what no
 * system call, however hostile its arguments, may break:
 *  - every frame the pool handed out is free or held exactly once (by the
 *    mapping database, a space's tables, a UTCB, a FRAME capability, an
 *    arch save area, a boot-time run), and none is lost;
 *  - the mapping database matches the page tables both ways: every node is
 *    mapped as it says (mdb_check), and every user translation is a node, a
 *    binding, a UTCB or a kernel page, never a frame on the free list nor
 *    a module frame the kernel has not paged in yet (modpage.h);
 *  - the capability tables hold (cap_check), with the counts an environment
 *    keeps of them, and every software-TLB entry is a binding of its own;
 *  - no thread is on two queues, or on a queue its state does not allow.
 * It reads everything and changes nothing but a bitmap of frames it takes
 * from the pool and gives back. Runs under the big kernel lock.
 */
#ifndef CORE_SELFCHECK_H
#define CORE_SELFCHECK_H

#include <exo/syscall.h>
#include <exo/types.h>

struct selfcheck_result {
	u64 violations;
	u32 kind;           /* the first one's: enum exo_selfcheck */
	u64 object;         /* and what it names (see enum exo_selfcheck) */
};

/* 0, or -E_NOMEM: no frame free for the bitmap (nothing was checked). */
int selfcheck_run(struct selfcheck_result *r);
/* Frames by holder: enum exo_ktest_fr; -E_INVAL for another what. */
i64 selfcheck_frames(u32 what);

#endif
