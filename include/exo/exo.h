/*
 * The exokernel interface (Aegis's mechanisms on exo's kernel): capabilities,
 * secure bindings of frames, the software TLB, exception upcalls, the
 * time-slice vector, protected control transfer, and visible revocation with
 * the abort protocol. The kernel protects; every policy (which frame, which
 * address, which page to give back) is the library OS's.
 *
 * An environment is an address space (L4's space) with the exokernel state
 * below: its capability table, its bindings, its entry points. Its threads
 * are L4 threads; IPC, map, grant and flush work on bound pages as on any.
 */
#ifndef EXO_EXO_H
#define EXO_EXO_H

#ifndef __ASSEMBLER__
#include <exo/types.h>
#endif

/*
 * Capabilities. A capability is an index into the holder's table plus the
 * generation of that slot, so a dropped or revoked one can never be used
 * again, even after its slot is reused (like a thread id):
 *   63            32 31     16 15          0
 *   |   (zero)       |  gen   |   index    |
 * An earlier generation of a slot (dropped, revoked, or the slot reused):
 * -E_STALE. An index beyond the table, a free slot, or a generation never
 * issued (a forgery): -E_BADCAP. The wrong type of object: -E_BADTYPE. Rights the
 * capability lacks: -E_PERM. A slot whose 16-bit generation is spent
 * (dropped at generation 0xffff) is retired, never reused, so no name ever
 * comes back: the environment's table keeps one slot less for good, and the
 * calls that make capabilities return -E_NOMEM once no slot is free.
 */
#ifndef __ASSEMBLER__
typedef u64 exo_cap_t;
#endif
#define EXO_CAP(index, gen)   ((u64)(gen) << 16 | (u16)(index))
#define EXO_CAP_INDEX(c)      ((u32)((c) & 0xffff))
#define EXO_CAP_GEN(c)        ((u32)((c) >> 16 & 0xffff))
#define EXO_NCAPS             512       /* slots per environment */

#ifndef __ASSEMBLER__
enum exo_cap_type {
	EXO_CAP_NONE  = 0,
	EXO_CAP_FRAME = 1,      /* one 4 KiB physical frame */
	EXO_CAP_ENV   = 2,      /* an environment: its entry points, its frames */
	EXO_CAP_SLOT  = 3,      /* slots of one CPU's time-slice vector */
	EXO_CAP_IRQ   = 4,      /* an interrupt line (enum exo_irq) */
	EXO_CAP_EXT   = 5,      /* a loaded extension (<exo/extcall.h>) */
	EXO_CAP_DOMAIN = 6,     /* a domain extensions link against (<exo/extcall.h>) */
};
#endif

/*
 * Rights. R, W, X have the values of the fpage rights (<exo/ipc.h>).
 *   FRAME: R W X bound with at most these rights.
 *   ENV:   X transfer control to its protected entry points;
 *          W ask it for frames back (revocation), give it slots.
 *   SLOT:  X run in the slots (the holder's slices).
 *   IRQ:   R receive the line.
 *   EXT:   X attach it to an event (ext_attach); R read its counters.
 *   DOMAIN: R load against it (ext_load), combine it (ext_domain).
 *   PASS   derive a copy for another environment (cap_pass).
 */
#define EXO_CAP_X      0x1u
#define EXO_CAP_W      0x2u
#define EXO_CAP_R      0x4u
#define EXO_CAP_PASS   0x8u
#define EXO_CAP_ALL    0xfu

/* What cap_info reports about a capability the caller holds. */
#ifndef __ASSEMBLER__
struct exo_capinfo {
	u32 type;               /* enum exo_cap_type */
	u32 rights;
	u64 object;             /* FRAME: the physical address; ENV: its id
				   (a thread id of its entry thread); SLOT:
				   EXO_SLOT_OBJECT(first, count, cpu);
				   IRQ: the line; DOMAIN: its helpers
				   (bit n: helper n) | its events << 32
				   (bit n: EXT_EV_n) */
	u64 va;                 /* FRAME: where it is bound, 0 if not; ENV
				   with W: the frames it owns outside its
				   reserve (what revoke_request may ask) |
				   the frames it owes now << 32 */
	u32 flags;              /* FRAME: EXO_FRAME_*; ENV with W: the frames
				   the abort protocol took from it, in all */
	u32 derived;            /* 1 if made by cap_derive or cap_pass */
};
#endif

/*
 * Frames. frame_alloc takes a zero-filled frame from the kernel's pool and
 * returns a capability with every right. Flags:
 *   EXO_FRAME_AUTOSAVE   if the kernel ever repossesses it, its contents go
 *                        to the backing store the environment named first
 *                        (env_backing); nothing is lost.
 * The environment's first EXO_RESERVE_FRAMES frames bound guaranteed are its
 * reserve: never repossessed.
 */
#define EXO_FRAME_AUTOSAVE   0x1u
#define EXO_RESERVE_FRAMES   16

/*
 * Secure bindings. bind(cap, va, flags) puts the frame at va in the caller's
 * own space with the rights in flags (a subset of the capability's); the
 * kernel checks the capability here and never again. Flags:
 *   EXO_BIND_R/W/X         the rights of the binding (R is implied by W, X)
 *   EXO_BIND_NOW           install the translation now; without it the
 *                          binding waits in the software TLB and the first
 *                          touch installs it without an upcall
 *   EXO_BIND_GUARANTEED    install now and pin in the software TLB; the frame
 *                          joins the reserve (handler code, stacks, save areas)
 * A frame capability binds at one address at a time; derive another to alias.
 */
#define EXO_BIND_X            0x1u
#define EXO_BIND_W            0x2u
#define EXO_BIND_R            0x4u
#define EXO_BIND_NOW          0x10u
#define EXO_BIND_GUARANTEED   0x20u

/*
 * bind_protect(va, npages, rights) gives every binding of the caller's in
 * the range exactly rights (EXO_R is always kept: x86 has no present page
 * that cannot be read; unbind takes a page away), within each binding's
 * capability, and passes over pages with none: Aegis's protection change
 * of a range in one call. At most EXO_PROTECT_MAX pages a call.
 */
#define EXO_PROTECT_MAX       512

/* The software TLB: entries per environment (direct mapped by page number). */
#define EXO_STLB_ENTRIES      256

/*
 * Exception upcalls. A thread that registered an exception entry
 * (env_entry(EXO_ENTRY_EXCEPTION, pc, sp)) gets its exceptions — divide
 * error, invalid opcode, general protection, page fault the software TLB
 * cannot fix, alignment check — at pc, on the stack sp, with every register
 * as it was at the fault except rsp, rip and rax, and the faulting state in
 * its UTCB's exception frame (struct exo_xframe, EXO_UTCB_XFRAME bytes into
 * the UTCB page). The handler resumes the faulting code itself, without
 * entering the kernel. While vector is nonzero the frame is in use: an
 * exception then kills the thread (a handler that faults cannot be
 * upcalled into again); the handler zeroes vector once it has read the
 * frame. entry_pc and entry_sp are what env_entry registered; the thread
 * may change them itself (they are its own), never another's; an entry_pc
 * that is not a user address kills the thread at its next exception.
 * EXO_UPCALL_VECTORS: #DE #BR #UD #GP #PF #MF #AC #XM.
 *
 * The kernel writes the frame from the state the processor saved in kernel
 * memory, and never reads the state back: another thread of the space can
 * write the UTCB at any time. cs and ss are the user selectors, written
 * when the entry is registered; error is 0 for an exception without an
 * error code; rax and cr2 are written for a page fault. At the handler,
 * rax is cr2 for a page fault and unchanged otherwise; rflags is 0x202;
 * the handler runs in ring 3 whatever the frame holds.
 */
#define EXO_UPCALL_VECTORS  (1u << 0 | 1u << 5 | 1u << 6 | 1u << 13 | 1u << 14 | \
			     1u << 16 | 1u << 17 | 1u << 19)
#ifndef __ASSEMBLER__
struct exo_xframe {
	u64 vector;             /* nonzero: busy; the exception's vector */
	u64 rax;                /* rax at the fault */
	u64 cr2;                /* page fault: the address */
	u64 error;              /* the exception's error code (0 if none) */
	u64 rip, cs, rflags, rsp, ss;   /* at the fault */
	u64 entry_pc, entry_sp; /* the handler; entry_pc 0: no upcalls */
};
#endif
#define EXO_UTCB_XFRAME       0xeb8     /* byte offset in the UTCB page: */
#define EXO_UTCB_XTOP         0xf00     /* entry_pc, 16-byte aligned */

/*
 * Entry points, env_entry(kind, pc, sp): the processor environment. sp is
 * the entry's save area, its stack; EXCEPTION's is the thread's, with the
 * faulting state in the UTCB's exception frame (above). EXCEPTION is the
 * calling thread's. The others are the environment's: the calling thread
 * becomes the one that runs them (its entry thread; one thread may run
 * several), started at pc on stack sp with
 *   rdi  the upcall (enum exo_upcall), rsi and rdx its arguments (below),
 * except for PCT, which passes the caller's registers through untouched.
 * An entry thread that finished an upcall waits for the next one with
 * upcall_wait(); until it does, further upcalls to it are held back.
 */
#ifndef __ASSEMBLER__
enum exo_entry {
	EXO_ENTRY_EXCEPTION = 1,
	EXO_ENTRY_SLICE     = 2,        /* slice start and end: one per CPU,
					   the caller's (below) */
	EXO_ENTRY_PCT       = 3,        /* protected control transfers in */
	EXO_ENTRY_REVOKE    = 4,        /* revocation and repossession */
	EXO_ENTRY_PCT_ASYNC = 5,        /* asynchronous transfers in, if
					   registered (else they go to PCT) */
	EXO_ENTRY_LAST      = EXO_ENTRY_PCT_ASYNC,
};
#endif

#ifndef __ASSEMBLER__
enum exo_upcall {
	EXO_UPCALL_SLICE_START = 1,     /* rsi slot, rdx microseconds of it left */
	EXO_UPCALL_SLICE_END   = 2,     /* rsi slot, rdx the save deadline (TSC):
					   call slice_yield() before it */
	EXO_UPCALL_REVOKE      = 3,     /* rsi frames to give back (frame_free),
					   rdx the deadline (TSC) */
	EXO_UPCALL_REPOSSESS   = 4,     /* rsi frames the kernel took (read
					   them with repossessed()) */
};
#endif

/*
 * Protected control transfer, pct(env cap with X, flags): the processor goes
 * to the target's PCT entry thread at its entry point; every general
 * register but rax, rcx, r11, rsp and rip arrives as the caller left it, and
 * rax holds the caller's environment id (a thread id of its PCT entry
 * thread); the FPU/SSE state arrives reset (<exo/syscall.h>).
 *   EXO_PCT_SYNC    donate this slice and its future instances: the caller
 *                   waits, as its environment's entry thread, for a transfer
 *                   back; the target runs in the caller's slots meanwhile
 *   EXO_PCT_ASYNC   donate the rest of this slice: the caller stays ready and
 *                   returns from pct (rax 0) when it next runs
 */
#define EXO_PCT_SYNC    0x0u
#define EXO_PCT_ASYNC   0x1u

/*
 * The time-slice vectors: every CPU has one, of EXO_SLICE_SLOTS slots of
 * EXO_SLICE_US each, run round robin. slice_alloc(cpu, count, flags) gives
 * a SLOT capability for count free slots of CPU cpu's vector
 * (EXO_SLICE_CONTIGUOUS: adjacent ones); a cpu that does not exist (>=
 * kip.ncpus) is -E_INVAL. The capability names its CPU: cap_info's object
 * is EXO_SLOT_OBJECT(first, count, cpu). In its slots on a CPU an
 * environment's threads homed there run first; in free slots everyone by
 * priority.
 *
 * Slots need authority: an environment holds at most its quota of each
 * CPU's slots, or slice_alloc is -E_PERM. A task's root space (the program
 * the kernel started) has every CPU's whole vector; any other environment
 * has none until a holder of an ENV capability for it with W gives it some
 * of its own with slice_give(env, cpu, count) (-E_NOMEM if the giver's
 * quota there, less the slots it holds, is below count). Quota moves, it
 * is never made; it goes back to the task's root space when the
 * environment dies.
 *
 * Each CPU's slices are told to the environment's SLICE entry thread for
 * that CPU: env_entry(EXO_ENTRY_SLICE, pc, sp) registers the calling thread
 * for the CPU it is homed on now, so a library OS that holds slots on
 * several CPUs runs one SLICE entry thread on each (each with its own sp).
 * CPU c's upcalls start its entry thread on c: one that was moved since is
 * moved back there first. Without a SLICE entry for a CPU an environment's
 * slices there still run, unannounced (no save window), but nothing could
 * then bound it: unless it is its task's root space, after
 * EXO_SLICE_STRIKES of them end in a row the kernel takes its slots there
 * back (its SLOT capabilities die, with every copy) and its quota there
 * (to its task's root space). At the end of a
 * slice the entry thread gets EXO_UPCALL_SLICE_END and has
 * EXO_SLICE_SAVE_US (plus the kernel's own way there and back: the KIP's
 * slice_grace_us, derived from this host's measured costs) to call
 * slice_yield(), which acts on the vector of the caller's CPU; what it
 * takes beyond is taken from its next slice on that
 * CPU, and after EXO_SLICE_STRIKES overruns in a row on one CPU the
 * environment is aborted (its task ends, reported).
 */
#define EXO_SLICE_SLOTS       16
#define EXO_SLICE_US          1000
#define EXO_SLICE_SAVE_US     100
#define EXO_SLICE_STRIKES     3
#define EXO_SLICE_CONTIGUOUS  0x1u
/* A SLOT capability's object: its first slot, its CPU, how many slots. */
#define EXO_SLOT_OBJECT(first, count, cpu) \
	((u64)(first) | (u64)(cpu) << 16 | (u64)(count) << 32)
#define EXO_SLOT_FIRST(o)     ((u32)((o) & 0xffff))
#define EXO_SLOT_CPU(o)       ((u32)((o) >> 16 & 0xffff))
#define EXO_SLOT_COUNT(o)     ((u32)((o) >> 32))

/*
 * Revocation. A holder of an ENV capability with W (the environment's
 * creator) asks for frames with revoke_request(env, count, deadline_us); the
 * kernel does the same when its pool runs dry. The environment gets
 * EXO_UPCALL_REVOKE and gives back frames of its choice with frame_free. If
 * it has not given back count by the deadline, the kernel takes the rest
 * itself (the abort protocol): it picks frames outside the reserve, saves
 * the contents of autosave frames to the backing store, breaks their
 * bindings (and everything mapped from them), records each in the
 * repossession vector and raises EXO_UPCALL_REPOSSESS. repossessed(buf, n)
 * copies out and clears up to n entries, oldest first, and returns how many
 * | the entries lost to overflow since the last call << 32 (n 0: counts
 * only). revoke_request hands the CPU to the REVOKE entry thread; the
 * policies the kernel must choose (which frames the abort protocol takes,
 * the victim when the pool runs dry, frame_alloc's -E_AGAIN) are in
 * guest/core/revoke.c.
 *
 * The backing store is served by the VMM: env_backing(store) designates one
 * (1..EXO_BACKING_STORES), once; a store serves one environment and is
 * dropped when it dies. An autosave frame that cannot be saved (no store,
 * store full) is not taken. backing_read(block, frame cap) copies a saved
 * block (the entry's block - 1) back into a frame the caller holds with W.
 */
#ifndef __ASSEMBLER__
struct exo_repossession {
	exo_cap_t cap;          /* the capability that died */
	u64 va;                 /* where the frame was bound, 0 if not */
	u64 block;              /* autosave: the backing-store block + 1, else 0 */
};
#endif
#define EXO_REPOSSESS_MAX     64        /* entries kept; older ones are counted */
#define EXO_BACKING_STORES    4

#endif
