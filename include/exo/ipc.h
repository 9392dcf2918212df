/*
 * L4-style threads and IPC as user space sees them: thread ids, the message
 * tag, message registers, flexpages, map/grant items, timeouts, the IPC error
 * word, the user thread control block (UTCB) and the kernel interface page.
 * Semantics follow L4 X.2, adapted to x86-64 and exo's system-call ABI.
 */
#ifndef EXO_IPC_H
#define EXO_IPC_H

#include <exo/types.h>

/*
 * Thread ids, unique in space and time:
 *   63               32 31                0
 *   |  thread number    |  version (!= 0)  |
 * The kernel picks the number and bumps the version whenever a number is
 * reused, so an id names one thread for ever: once that thread is deleted,
 * IPC to the id fails with EXO_IPC_NOPARTNER.
 * Numbers 1..EXO_NIRQ are the interrupt lines (version 1); a driver thread
 * receives from them (open or closed) like from any other thread.
 */
#define EXO_NILTHREAD       0ULL
#define EXO_ANYTHREAD       (~0ULL)
#define EXO_TID(no, ver)    ((u64)(no) << 32 | (u32)(ver))
#define EXO_TID_NO(t)       ((u32)((t) >> 32))
#define EXO_TID_VERSION(t)  ((u32)(t))

enum exo_irq {
	EXO_IRQ_TIMER   = 1,    /* a periodic tick, EXO_TIMER_IRQ_US apart */
	EXO_IRQ_CONSOLE = 2,    /* console input: bytes are waiting */
	EXO_NIRQ        = 2,
};
#define EXO_IRQ_TID(line)   EXO_TID(line, 1)
#define EXO_TIMER_IRQ_US    1000

/*
 * Message tag, MR0:
 *   63            16 15  14..12 11     6 5      0
 *   |    label      | E | flags |   t   |   u   |
 * u untyped words (MR1..MRu) followed by t typed words (two per map or grant
 * item). E is set by the kernel in a received tag when the IPC failed.
 */
#define EXO_TAG(label, u, t)  ((u64)(label) << 16 | (u64)(t) << 6 | (u64)(u))
#define EXO_TAG_U(tag)        ((u32)((tag) & 0x3f))
#define EXO_TAG_T(tag)        ((u32)((tag) >> 6 & 0x3f))
#define EXO_TAG_LABEL(tag)    ((tag) >> 16)
#define EXO_TAG_E             (1ULL << 15)
#define EXO_TAG_FLAGS         (0xfULL << 12)
#define EXO_NMR               64

/*
 * Registers of SYS_ipc (the system-call number in rax):
 *   in:  rdi to, rsi from-specifier, rdx timeouts, r8 MR0 (tag),
 *        r9 r10 r12 r13 r14 r15 rbx  MR1..MR7; MR8.. in the UTCB
 *   out: rax from (the sender, for a receive), rdx error word (0: success),
 *        r8 MR0 (tag, E on error), MR1..MR7 as above, the rest in the UTCB.
 *        rdi, rsi, rcx and r11 are clobbered; rbp and rsp are preserved.
 * The message registers that a message does not use keep no promise: the
 * library treats all of them as clobbered.
 */
#define EXO_REG_MRS 8

/* Derived operations (to, from): send (t, nil), receive (nil, t),
 * wait (nil, any), call (t, t), reply (t, nil), reply-and-wait (t, any),
 * sleep (nil, nil) with a relative receive timeout: it waits that long and
 * ends with EXO_IPC_TIMEOUT in the receive phase (never and zero: no
 * receive phase, nothing happens). */

/*
 * Timeouts, 32 bits each; rdx = receive << 32 | send.
 *   0            never
 *   bit 31 set   relative: low 31 bits are microseconds; 0 us is "zero"
 */
#define EXO_TIMEOUT_NEVER       0u
#define EXO_TIMEOUT_US(us)      (0x80000000u | (u32)(us))
#define EXO_TIMEOUT_ZERO        EXO_TIMEOUT_US(0)
#define EXO_TIMEOUTS(snd, rcv)  ((u64)(rcv) << 32 | (u32)(snd))
#define EXO_TIMEOUT_SND(t)      ((u32)(t))
#define EXO_TIMEOUT_RCV(t)      ((u32)((t) >> 32))

/*
 * Error word (rdx and UTCB.error): code << 1 | phase, phase 0 send, 1 receive.
 * The codes are L4 X.2's.
 */
enum exo_ipc_error {
	EXO_IPC_OK        = 0,
	EXO_IPC_TIMEOUT   = 1,  /* the timeout expired before a partner came */
	EXO_IPC_NOPARTNER = 2,  /* no such thread, or it died while we waited */
	EXO_IPC_CANCELED  = 3,  /* exchange_registers aborted the operation */
	EXO_IPC_OVERFLOW  = 4,  /* message too long, or a map item not accepted */
	EXO_IPC_NOTMINE   = 5,  /* exo: a map or grant item names memory the
				   sender does not have (below) */
	EXO_IPC_ABORTED   = 7,  /* partner aborted mid-transfer */
};
#define EXO_IPC_ERR(code, rcv)  ((u64)(code) << 1 | (rcv))
#define EXO_IPC_ERR_CODE(e)     ((u32)((e) >> 1) & 7)
#define EXO_IPC_ERR_RECV(e)     ((u32)(e) & 1)
/*
 * Failed items. X.2 has no error for a map or grant item the sender cannot
 * pass on; exo reports it. An item of which the sender has not a single
 * page (no mapping in its space: memory nobody gave it, the KIP, a UTCB,
 * σ0's window outside σ0) fails the IPC for both sides with
 * EXO_IPC_NOTMINE (X.2's code 5, a string-transfer timeout, cannot occur:
 * exo has no string items), and the error word names the item: its index
 * among the message's typed items (0 for the first) in bits 4..8. The
 * untyped words and the items before it were transferred; those after it
 * were not. An item only partly had maps the pages that are the sender's.
 * A malformed item (a bad fpage or type) fails with EXO_IPC_OVERFLOW, as
 * does a nil receive window. A page fault's reply that fails with
 * EXO_IPC_NOTMINE lets the faulting thread retry (it faults again).
 */
#define EXO_IPC_ERR_ITEM(e)     ((u32)((e) >> 4) & 0x1f)
#define EXO_IPC_ERR_AT(code, item, rcv) (EXO_IPC_ERR(code, rcv) | (u64)(item) << 4)

/*
 * Flexpage: a naturally aligned region of 2^s bytes, s >= 12.
 *   63          12 11 10    4 3  2  1  0
 *   |    base     | 0 |  s   | 0 | r  w  x |
 * s = 0 is the nil fpage; EXO_FPAGE_COMPLETE (s = 1) is the whole address space.
 * In unmap (SYS_unmap) the rights are the ones to take away.
 */
#define EXO_FPAGE(base, s, rights) \
	(((u64)(base) & ~0xfffULL) | (u64)(s) << 4 | ((rights) & 7))
#define EXO_FPAGE_BASE(f)       ((f) & ~0xfffULL)
#define EXO_FPAGE_SIZE_LOG2(f)  ((u32)((f) >> 4) & 0x7f)
#define EXO_FPAGE_RIGHTS(f)     ((u32)(f) & 7)
#define EXO_FPAGE_NIL           0ULL
#define EXO_FPAGE_COMPLETE      EXO_FPAGE(0, 1, 7)
#define EXO_R                   4
#define EXO_W                   2
#define EXO_X                   1
#define EXO_RW                  6
#define EXO_RWX                 7

/*
 * Typed items, two words each, after the untyped words:
 *   word 0: send base (selects where in a larger or smaller window the
 *           mapping lands), low bits: item type (EXO_ITEM_MAP, EXO_ITEM_GRANT)
 *   word 1: the sender's fpage (base, size, rights to pass on)
 * The receiver accepts mappings only inside its acceptor window (UTCB.acceptor);
 * a nil window accepts none (the IPC fails with EXO_IPC_OVERFLOW).
 */
#define EXO_ITEM_MAP            0x8ULL
#define EXO_ITEM_GRANT          0xaULL
#define EXO_ITEM_TYPE(w0)       ((w0) & 0xe)
#define EXO_MAPITEM(sndbase, fp)   (((u64)(sndbase) & ~0x3ffULL) | EXO_ITEM_MAP), (fp)
#define EXO_GRANTITEM(sndbase, fp) (((u64)(sndbase) & ~0x3ffULL) | EXO_ITEM_GRANT), (fp)

/*
 * Protocol labels the kernel speaks (negative, as in L4):
 * page fault: a call from the faulting thread to its pager with
 *   tag (EXO_LABEL_PF(access rwx), u 2), MR1 address, MR2 ip;
 *   the pager's reply (a map or grant item, or nothing) resumes the thread.
 * interrupt: an empty message from the interrupt thread; the driver's reply
 *   (to the interrupt thread) acknowledges and unmasks the line.
 * sigma0: request MR1 = fpage wanted (base ignored when MR2 = EXO_SIGMA0_ANY),
 *   reply: one grant item of that fpage, or an empty message if none.
 */
#define EXO_LABEL_PF(access)    (0xffffffffffe0ULL | ((access) & 7))  /* -2 << 4 */
#define EXO_LABEL_IS_PF(l)      (((l) & ~7ULL) == 0xffffffffffe0ULL)
#define EXO_LABEL_INTERRUPT     0xfffffffffff0ULL                      /* -1 << 4 */
#define EXO_LABEL_SIGMA0        0xffffffffffa0ULL                      /* -6 << 4 */
#define EXO_SIGMA0_ANY          1

/*
 * The user thread control block: one page per thread, placed by its creator
 * in the thread's own space. The kernel writes my_tid and error; the thread
 * writes MR8.. and the acceptor before an IPC.
 */
struct exo_utcb {
	u64 mr[EXO_NMR];            /* MR0..MR7 travel in registers, not here */
	u64 acceptor;               /* receive window: an fpage, nil = none */
	u64 my_tid;
	u64 pager;
	u64 error;                  /* error word of the last IPC */
	u64 user;                   /* free for the library OS */
};

/*
 * The kernel interface page, read-only at EXO_USER_KIP in every space.
 * A thread finds its own UTCB in the GS base, which the kernel sets to the
 * UTCB's user address whenever it switches to the thread (rdgsbase: the
 * kernel enables FSGSBASE). One page shared by every CPU could not say
 * which thread runs "now", so cur_utcb is no longer written (0).
 */
#define EXO_KIP_MAGIC 0x50494b4f5845ULL   /* "EXOKIP" */
struct exo_kip {
	u64 magic;
	u64 sigma0;                 /* σ0's thread id */
	u64 tsc_khz;
	u64 sigma0_base;            /* σ0's window: frame pa at sigma0_base + pa */
	u64 sigma0_first, sigma0_end;  /* physical range σ0 owns */
	u32 nthreads;               /* thread numbers are below this */
	u32 platform;
	u64 cur_utcb;               /* 0: see above */
	u32 ncpus;                  /* CPUs; thread homes are 0..ncpus-1 */
	u32 tlb_full_pages;         /* a flush of more pages takes the whole space */
	/* Measured at boot: what one ring-0 instruction costs here, in
	 * thousandths of a TSC tick (below 1000 with hardware virtualization,
	 * ~10^6 on a PVM host, where each is emulated), and the grace the
	 * time-slice vectors give the kernel's way to an END upcall and back
	 * on top of EXO_SLICE_SAVE_US (derived from it, for all CPUs). Time
	 * bounds of programs and tests come from these, not from constants. */
	u64 ring0_insn_mcycles;
	u64 slice_grace_us;
};

#endif
