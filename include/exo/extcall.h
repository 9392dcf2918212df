/*
 * Loading and attaching extensions (SPIN's handlers, checked eBPF; the
 * program format and contexts are <exo/ext.h>).
 *
 * ext_load(insns, n, event, err): the kernel copies n instructions from user
 * memory at insns, checks them as a handler of event (EXT_EV_SYSCALL or
 * EXT_EV_PAGEFAULT, the events with a dispatcher), or with
 * event | EXO_EXT_GUARD as a guard of it (the context read only, a result
 * of 0 or 1, no helper with an effect), compiles them to x86-64 in frames
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
 * ext_attach(ext, env, point, guard): attach the extension to an event of
 * env's environment, named by point, behind guard (0: none):
 *  - a system call number below EXO_EXT_SYSNO_END, or EXO_EXT_ALL_CALLS:
 *    it runs when a thread of the environment makes that call, before the
 *    kernel's own code; its EXT_HANDLED ends the call with ctx->ret as the
 *    result;
 *  - EXO_EXT_AT_PAGEFAULT: it runs on every page fault of the environment's
 *    threads in user mode that is more than a refill of one of its own
 *    bindings (the software TLB's, bind.h: a cache of what it bound),
 *    before the kernel tells the environment (exception upcall) or its
 *    pager; its EXT_HANDLED resumes the thread at the faulting instruction. Its ext_page_protect raises the rights of the
 *    environment's own bindings only, never beyond the capability each was
 *    bound with (bind.h); ext_dirty_mark sets bit (addr >> 12) % 4096 of the
 *    extension's store (a dirty bitmap: 4096 pages, aliasing modulo 16 MiB).
 * ext must have been loaded as a handler of the point's event, guard (an EXT
 * capability with EXO_CAP_X) as a guard of the same event: at each raise
 * the guard runs first, and the handler only if it returned 1. Dropping
 * the guard detaches every handler it guarded. Needs ext with EXO_CAP_X
 * and env (an ENV capability) with EXO_CAP_W: the handler sees only that
 * environment's events (the guard the kernel imposes). At most
 * EXO_EXT_HOOKS handlers per environment, tried in the order attached; the
 * first EXT_HANDLED ends the raise. Dropping ext (or every capability it
 * was copied from) or the environment's death removes the extension from
 * everywhere at once.
 *   -E_BADCAP, -E_STALE, -E_BADTYPE, -E_PERM  ext or env as cap_get says
 *   -E_INVAL    point names no event, or not the event ext was loaded for,
 *               or ext is a guard, or guard is not a guard of that event
 *   -E_EXIST    ext is attached to point of env already
 *   -E_NOMEM    env has EXO_EXT_HOOKS handlers already
 *
 * ext_counter(ext, word): with EXO_CAP_R, word k of the extension's data:
 * k < EXT_COUNTER_SLOTS is counter k (ext_counter_add), then
 * EXO_EXT_STORE_WORD(i) is the i-th 64-bit word of its store (ext_store's
 * slots, in order; a page-fault handler's dirty bitmap).
 * -E_INVAL: word >= EXO_EXT_DATA_WORDS; cap errors as above.
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
#define EXO_EXT_AT_PAGEFAULT 0xfffffffeu    /* ext_attach's point: page faults */
#define EXO_EXT_GUARD        0x100u         /* ext_load: event | this, a guard */
#define EXO_EXT_SYSNO_END    0x8000u
#define SYS_EXT_FIRST        0x4000
#define SYS_EXT_LAST         0x7fff

/* ext_counter's words: the counters, then the store (<exo/ext.h>). */
#define EXO_EXT_STORE_WORD(i) (64 + (i))
#define EXO_EXT_DATA_WORDS   (64 + 8 * 64 / 8)

/* What ext_load writes to err on -E_REJECTED. */
struct exo_ext_error {
	u32 insn;               /* the rejected instruction's index */
	u32 rule;               /* the checker's rule number */
	char rule_name[24];     /* its name ("ctx_bounds"), NUL-terminated */
};

#endif
