/*
 * Inside the extension code (ext.c: load, attach, remove, the system-call
 * and page-fault raises; ext_events.c: the thread, IPC and interrupt
 * raises; ext_domain.c: domains). Not for the rest of the kernel: ext.h.
 * Everything here is under the big kernel lock.
 */
#ifndef CORE_EXT_INT_H
#define CORE_EXT_INT_H

#include <exo/extcall.h>
#include <exo/types.h>

#include "../ebpf/helpers.h"
#include "space.h"

#define EXT_MAX         64      /* loaded extensions, all environments */

struct kext {
	ebpf_helper_fn *code;   /* NULL: the slot is free */
	u64 pa[EXO_EXT_CODE_PAGES];
	u64 data;               /* counters, then store slots */
	u32 npages;
	u16 env;                /* the loader's, charged for it */
	u8 event;               /* EXT_EV_*: what it was checked for */
	u8 guard;               /* checked as a guard of it, not a handler */
};

/*
 * A handler attached to an environment's event. The event is kept apart
 * from the point: a system call number the user chose must never match a
 * page-fault handler (its context is another shape).
 */
struct ext_hook {
	u32 point;              /* sysno, EXO_EXT_ALL_CALLS or EXO_EXT_AT_* */
	u8 ext;                 /* index + 1 */
	u8 guard;               /* the guard's index + 1; 0: none */
	u16 event;              /* EXT_EV_* */
};
_Static_assert(EXT_MAX < 256, "a hook names extensions in a byte");

extern struct kext exts[EXT_MAX];
/* Each environment's hooks, hooks[env][0 .. nhooks[env]): packed, in the
 * order attached (a removal closes the gap), so a raise walks only them. */
extern struct ext_hook hooks[NSPACES][EXO_EXT_HOOKS];
extern u8 nhooks[NSPACES];

/* One raise's tally, for its trace record. */
struct raise {
	bool seen;              /* some hook of the environment matched */
	u32 runs;               /* handlers run */
	u32 by;                 /* the one that answered HANDLED (index + 1) */
};

/* Run h's guard, if any, then its handler on ctx: the handler's result, or
 * EXT_DEFAULT if the guard said no. */
u64 ext_hook_run(const struct ext_hook *h, void *ctx, struct raise *rs);

/* Run env's handlers of event at point on ctx, in the order attached,
 * until one answers EXT_HANDLED; the raise's trace record (a1: what) if
 * any ran. True if one answered. */
bool ext_raise_env(u32 env, u32 event, u32 point, void *ctx, u64 what);

/* Attach bookkeeping of the events ext_events.c raises: a hook of event
 * at point was added to env (on) or is going (off). */
void ext_events_hook(u32 env, u32 event, u32 point, bool on);
/* May env attach event's handler at point (-E_PERM if not, -E_INVAL if
 * point names nothing)? For the events ext_events.c raises. */
int ext_events_authority(u32 env, u32 event, u32 point);

/* The domain a load names: 0 with its masks, or an error. */
int ext_domain_resolve(struct thread *t, u64 domain, u64 *helpers, u32 *events);

#endif
