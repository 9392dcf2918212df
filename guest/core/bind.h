/*
 * Frames as capabilities, and secure bindings: an environment binds a frame
 * it holds a capability for at an address of its own choosing, with rights
 * no greater than the capability's. The kernel checks once, at bind time;
 * the hardware (or the software TLB, on first touch) uses the result.
 *
 * The binding (cap.va) is the truth and a translation is its cache: a bound
 * page's translation may be absent — a lazy binding not yet touched, or one
 * the environment flushed from its own tables with L4's unmap — and the
 * software TLB puts it back on the next fault without an upcall as long as
 * it still holds the entry. Lazy bindings are never evicted from the
 * software TLB (a bind that would evict one installs at once instead).
 */
#ifndef CORE_BIND_H
#define CORE_BIND_H

#include <exo/exo.h>
#include <exo/types.h>

#include "env.h"
#include "thread.h"

/* System calls (<exo/syscall.h>); their errors are documented in bind.c. */
i64 frame_cap_alloc(struct space *s, u32 flags);
i64 frame_cap_free(struct space *s, exo_cap_t c);
i64 bind_frame(struct space *s, exo_cap_t c, u64 va, u32 flags);
i64 unbind_frame(struct space *s, exo_cap_t c);
i64 bind_env(struct space *s, exo_cap_t env, exo_cap_t c, u64 va, u32 flags);
i64 bind_query(struct space *s, u64 va);

/*
 * A page fault at va with access (EXO_R/W/X) in s: if the software TLB holds
 * a binding there that allows it, install it and return true.
 */
bool stlb_fault(struct space *s, u64 va, u32 access);

/*
 * Raise the rights of s's binding at page va (page aligned) to include
 * rights (EXO_R/W/X), never beyond the capability it was bound with: the
 * binding, its software-TLB entry and its translation, if present, all get
 * the new rights (a page-fault extension's ext_page_protect; ext.c). Rights
 * only grow, so no other CPU holds a translation that says more.
 *   -E_NOENT   nothing of s's is bound at va
 *   -E_PERM    the capability does not allow rights, or what is mapped at
 *              va is not the binding's own root translation
 */
int bind_raise(struct space *s, u64 va, u32 rights);

/*
 * The binding of frame capability c dies (cap_release): its translation, its
 * software-TLB entry and everything mapped from it go.
 */
void bind_break(struct cap *c);

/*
 * Before L4 map or grant passes on a bound page of s at va: make it a
 * mapping-database root, so flush can follow what is derived from it.
 * -E_FAULT: no binding of s at va.
 */
int bind_mdb_root(struct space *s, u64 va);

/*
 * For tests (KTEST_BIND_DIGEST): a hash, below 2^63, of everything a bind
 * or unbind may change in s's environment — its capabilities, its software
 * TLB and counters, the translations at its bound and cached addresses —
 * so a fast path and the general path can be shown to leave the same
 * state. reset: zero the hit and miss counts first.
 */
u64 bind_digest(struct space *s, bool reset);

#endif
