/*
 * Loading and attaching extensions (SPIN's handlers, checked eBPF; the
 * program format and contexts are <exo/ext.h>).
 *
 * ext_load(insns, n, event, err): the kernel copies n instructions from user
 * memory at insns, checks them as a handler of event (EXT_EV_*; only
 * EXT_EV_SYSCALL has a dispatcher yet), compiles them to x86-64 in frames
 * it maps read-only and executable (never writable and executable at once)
 * and returns an EXT capability (rights EXO_CAP_ALL) in the caller's table.
 * The extension is charged to the caller's environment: at most
 * EXO_EXT_PER_ENV loaded at once, EXO_EXT_CODE_PAGES pages of code each.
 * err (0: none) receives, on -E_REJECTED, where and why the checker refused.
 *   -E_INVAL    n is 0 or above EXO_EXT_MAX_INSNS, event has no dispatcher
 *   -E_FAULT    insns or err (when given) is not mapped as it must be
 *   -E_REJECTED the checker refused the program (err says where and why)
 *   -E_NOMEM    the environment's quota, the kernel's table, the code size
 *               limit or the frames for checking and code are exhausted
 *
 * ext_attach(ext, env, sysno): run the extension when a thread of env's
 * environment makes system call sysno (EXO_EXT_ALL_CALLS: every call),
 * before the kernel's own code; its EXT_HANDLED ends the call with ctx->ret
 * as the result. Needs ext with EXO_CAP_X and env (an ENV capability) with
 * EXO_CAP_W: the handler sees only that environment's calls (the guard the
 * kernel imposes). At most EXO_EXT_HOOKS handlers per environment, tried in
 * the order attached. Dropping ext (or every capability it was copied
 * from) removes the extension from everywhere at once.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE, -E_PERM  ext or env as cap_get says
 *   -E_INVAL    sysno is neither below EXO_EXT_SYSNO_END nor EXO_EXT_ALL_CALLS
 *   -E_EXIST    ext is attached to sysno of env already
 *   -E_NOMEM    env has EXO_EXT_HOOKS handlers already
 *
 * ext_counter(ext, slot): the extension's counter slot (ext_counter_add),
 * with EXO_CAP_R. -E_INVAL: slot >= EXT_COUNTER_SLOTS; cap errors as above.
 *
 * System calls SYS_EXT_FIRST .. SYS_EXT_LAST have no built-in handler: they
 * are for extensions to implement (SPIN's application-specific calls);
 * unanswered, they return -E_NOSYS.
 */
#ifndef EXO_EXTCALL_H
#define EXO_EXTCALL_H

#include <exo/types.h>

#define EXO_EXT_MAX_INSNS    4096
#define EXO_EXT_PER_ENV      4
#define EXO_EXT_CODE_PAGES   4
#define EXO_EXT_HOOKS        4
#define EXO_EXT_ALL_CALLS    0xffffffffu
#define EXO_EXT_SYSNO_END    0x8000u
#define SYS_EXT_FIRST        0x4000
#define SYS_EXT_LAST         0x7fff

/* What ext_load writes to err on -E_REJECTED. */
struct exo_ext_error {
	u32 insn;               /* the rejected instruction's index */
	u32 rule;               /* the checker's rule number */
	char rule_name[24];     /* its name ("ctx_bounds"), NUL-terminated */
};

#endif
