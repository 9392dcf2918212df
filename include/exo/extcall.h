/*
 * Loading and attaching extensions (SPIN's handlers, checked eBPF; the
 * program format and contexts are <exo/ext.h>).
 *
 * ext_load(insns, n, event, err, domain): the kernel copies n instructions
 * from user memory at insns, checks them as a handler of event (one of the
 * events with a dispatcher: EXT_EV_SYSCALL, _PAGEFAULT, _THREAD, _IPC,
 * _IRQ, _TIMER), or with event | EXO_EXT_GUARD as a guard of it (the context read
 * only, a result of 0 or 1, no helper with an effect), resolving its helper
 * calls against domain (SPIN's Resolve, below), compiles them to x86-64 in
 * frames it maps read-only and executable (never writable and executable
 * at once) and returns an EXT capability (rights EXO_CAP_ALL) in the
 * caller's table.
 * The extension is charged to the caller's environment: at most
 * EXO_EXT_PER_ENV loaded at once, EXO_EXT_CODE_PAGES pages of code each.
 * err (0: none) receives, on -E_REJECTED, where and why the checker refused
 * (a call of a helper the domain lacks: rule helper_domain at that call).
 *   -E_INVAL    n is 0 or above EXO_EXT_MAX_INSNS, event has no dispatcher
 *   -E_FAULT    insns or err (when given) is not mapped as it must be
 *   -E_PERM     domain 0 (the base) from an unprivileged space, or the
 *               domain does not export event
 *   -E_BADCAP, -E_STALE, -E_BADTYPE  domain as cap_get says (needs R)
 *   -E_REJECTED the checker refused the program (err says where and why)
 *   -E_NOMEM    the environment's quota, the kernel's table, the code size
 *               limit or the frames for checking and code are exhausted
 * Each load is a trace record (EXO_TRACE_EXT_LOAD) naming the extension's
 * section ("event/syscall", "guard/pagefault": <exo/ext.h>'s SEC names).
 *
 * Domains (SPIN's Create, Resolve, Combine). A domain is the set of helpers
 * (bit n: EXT_HELPER n) and events (bit n: EXT_EV n) an extension linked
 * against it may use. The kernel exports the base domain, EXO_EXT_BASE_HELPERS
 * and EXO_EXT_BASE_EVENTS, which a privileged space names by 0; every other
 * load names a DOMAIN capability (EXO_CAP_DOMAIN, its object the two masks).
 * ext_domain(EXO_DOMAIN_CREATE, helpers, events): a privileged space makes a
 * domain, a subset of the base (-E_PERM unprivileged, -E_INVAL beyond the
 * base); ext_domain(EXO_DOMAIN_COMBINE, d1, d2): the union of two domains
 * the caller holds with R, a new capability. Domains pass between
 * environments as any capability does (cap_pass); a capability slot each
 * (-E_NOMEM when the table is full).
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
 *    pager; its EXT_HANDLED resumes the thread at the faulting instruction. Its ext_page_protect sets the rights of the
 *    environment's own bindings only, never beyond the capability each was
 *    bound with (bind.h); ext_dirty_mark sets bit (addr >> 12) % 4096 of the
 *    extension's store (a dirty bitmap: 4096 pages, aliasing modulo 16 MiB);
 *  - EXO_EXT_AT_THREAD: it runs when a thread of the environment blocks in
 *    IPC (a send or receive phase that must wait, a page fault sent to its
 *    pager: EXT_TH_BLOCK) and when such a block ends (a message, an error,
 *    a timeout: EXT_TH_UNBLOCK), on the CPU that blocks or wakes it;
 *    ctx->user_word is the thread's own word, kept by the kernel between
 *    raises (0 at its creation) for its handlers; there is no default,
 *    EXT_HANDLED only ends the raise;
 *  - EXO_EXT_AT_IPC: it runs when a message (a send, a reply, a fault
 *    message, an interrupt) arrives at a thread of the environment, after
 *    the transfer, with the sender, the label and MR1..MR4; the message is
 *    delivered whatever it returns (EXT_HANDLED ends the raise);
 *  - EXO_EXT_AT_IRQ(line): it runs each time interrupt line fires (also
 *    while it is masked), before the kernel's delivery to the driver; env
 *    must be the environment of the line's driver (irq_control), else
 *    -E_PERM; its EXT_HANDLED consumes the interrupt (no message, the line
 *    stays unmasked). A handler of a driver that lets the line go stays
 *    attached but no longer runs.
 *  - EXO_EXT_AT_TIMER: it runs when the timeout of a thread of the
 *    environment expires (a sleep, a timed send or receive phase), before
 *    the kernel ends the IPC with EXO_IPC_TIMEOUT, with now (TSC), the
 *    phase's timeout in TSC ticks (period) and next = 0; EXT_HANDLED with
 *    next in (now, now + EXO_EXT_TIMER_MAX] keeps the thread waiting until
 *    next, when the event is raised again (an in-kernel periodic timer
 *    anchored on a blocked thread); else the timeout ends the IPC.
 * Thread, IPC and timer events are raised by the kernel's general path:
 * while an environment has such handlers its threads (TF_EXT) take no IPC
 * or page-fault fast path.
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

#include <exo/ext.h>
#include <exo/types.h>

#define EXO_EXT_MAX_INSNS    4096
#define EXO_EXT_PER_ENV      16
#define EXO_EXT_CODE_PAGES   4
#define EXO_EXT_HOOKS        16
#define EXO_EXT_ALL_CALLS    0xffffffffu
#define EXO_EXT_AT_PAGEFAULT 0xfffffffeu    /* ext_attach's points: page faults, */
#define EXO_EXT_AT_THREAD    0xfffffffdu    /* thread block and unblock, */
#define EXO_EXT_AT_IPC       0xfffffffcu    /* a message's arrival, */
#define EXO_EXT_AT_TIMER     0xfffffffbu    /* an IPC timeout's expiry, */
#define EXO_EXT_AT_IRQ(line) (0xffff0000u + (line))     /* an interrupt line */
#define EXO_EXT_GUARD        0x100u         /* ext_load: event | this, a guard */
#define EXO_EXT_SYSNO_END    0x8000u
#define SYS_EXT_FIRST        0x4000
#define SYS_EXT_LAST         0x7fff

/* The base domain: helpers and events the kernel has (domain 0). */
#define EXO_EXT_BASE_HELPERS (1u << EXT_HELPER_KTIME | 1u << EXT_HELPER_COUNTER_ADD | \
			      1u << EXT_HELPER_STORE | 1u << EXT_HELPER_SELF | \
			      1u << EXT_HELPER_PAGE_PROTECT | 1u << EXT_HELPER_DIRTY_MARK | \
			      1u << EXT_HELPER_PROTECT_RANGE)
#define EXO_EXT_BASE_EVENTS  (1u << EXT_EV_SYSCALL | 1u << EXT_EV_PAGEFAULT | \
			      1u << EXT_EV_THREAD | 1u << EXT_EV_IPC | 1u << EXT_EV_IRQ | \
			      1u << EXT_EV_TIMER)
#define EXO_EXT_TIMER_MAX    (1ull << 40)   /* TSC ticks a timer handler may defer */
#define EXO_DOMAIN_CREATE    1
#define EXO_DOMAIN_COMBINE   2
#define EXO_DOMAIN_OBJECT(helpers, events) ((u64)(u32)(helpers) | (u64)(u32)(events) << 32)

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
