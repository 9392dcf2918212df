/*
 * The guest trace ring: what the kernel records at every crossing and how the
 * VMM finds and reads it.
 *
 * One ring per CPU (struct exo_trace_ring), in kernel memory, written only by
 * its CPU and read only by the VMM (drained by its I/O thread while the vCPU
 * runs). The producer never waits and never checks for room: it writes the
 * record at head and then advances head. When the reader falls a whole ring
 * behind, the oldest records are overwritten; the reader sees this from head
 * and counts every record it lost (the ring "drops and counts"). Checking
 * for room in the guest would cost three more emulated instructions at every
 * trace point on a PVM host; the reader's check costs the guest nothing.
 *
 * Reader's rule (host/trace_ring.c): read head (acquire), copy the records
 * in [tail, head), fence, read head again as h2. A copied record at byte
 * position p is intact only if p > h2 - size: the producer may already be
 * writing position h2, whose slot is that of h2 - size, before it publishes
 * h2 + EXO_TRACE_REC_SIZE.
 *
 * The kernel announces each ring at boot when its command line has "trace":
 * it writes the header, then rings EXO_DOORBELL_TRACE with the ring's page
 * frame number (the ring is page aligned). The vCPU that rings is the CPU
 * the ring belongs to; the header says so too.
 *
 * A record (32 bytes, little endian):
 *   0        4        8      10     12        16               24             32
 *   | tsc_lo | tsc_hi | kind | a16  |   a32   |       a0       |      a1      |
 * tsc is the TSC when the trace point ran. The kernel writes tsc_lo, and
 * zero in tsc_hi (one 8-byte store of what rdtsc left in rax); the VMM's
 * reader fills in tsc_hi as it drains (vmm/vtrace.c: the full TSC nearest
 * the drain's with those low bits), so a record delivered to a
 * vmm_trace_sink has both. A trace point writes only the
 * fields its kind uses (EXO_TRACE_KINDS): the others hold whatever an older
 * record left there, so a reader must not look at them.
 *
 * The short record. The IPC fast path, the hottest trace point, writes its
 * slot with a single 8-byte store at byte 4 instead (rdtsc, one shld, the
 * store: three memory accesses fewer than a full record, which on a PVM host
 * is ~3k cycles of a ~215k-cycle round trip):
 *   0        4        8        12
 *   | older  |   no   | tsc_lo | older ...
 * no is the receiving thread's number (EXO_TID_NO), never 0; the rest of
 * the slot is an older record's. A slot's bytes 4-7 thus tell the two
 * forms apart: 0 in a full record, the number in a short one. The reader
 * (vmm/tracering.c) delivers a short record as a full EXO_TRACE_IPC_FAST
 * whose a0 is the thread id with the version that the same ring last showed
 * for that number (in a KEXIT, IPC, THREAD_SWITCH or PCT record), 0 if none.
 */
#ifndef EXO_TRACE_H
#define EXO_TRACE_H

#include <exo/types.h>

#define EXO_TRACE_MAGIC      0x45434152u      /* "RACE" */
#define EXO_TRACE_VERSION    2                /* 2: the short record */
#define EXO_TRACE_CPUS_MAX   4                /* one ring per CPU (kernel percpu.h): 68 KiB each */
#define EXO_TRACE_REC_SIZE   32
/* 64 KiB of records: the producer finds its slot with one 16-bit load of head. */
#define EXO_TRACE_RING_BYTES 0x10000u
#define EXO_TRACE_RING_RECS  (EXO_TRACE_RING_BYTES / EXO_TRACE_REC_SIZE)
#define EXO_TRACE_HDR_SIZE   4096

struct exo_trace_rec {
	u32 tsc_lo, tsc_hi;     /* tsc_hi: the reader's (the guest's 0 or a short
				   record's thread number), see above */
	u16 kind;               /* enum exo_trace_kind */
	u16 a16;
	u32 a32;
	u64 a0, a1;
};

struct exo_trace_ring {
	u64 head;               /* bytes ever written, a multiple of REC_SIZE */
	u32 magic;              /* EXO_TRACE_MAGIC once announced */
	u16 version;
	u16 cpu;
	u32 rec_size;           /* EXO_TRACE_REC_SIZE */
	u32 size;               /* EXO_TRACE_RING_BYTES */
	u64 tsc_khz;            /* the TSC rate the kernel was told, 0 if unknown */
	u64 vaddr;              /* the ring's kernel virtual address (of head) */
	u8 _pad[EXO_TRACE_HDR_SIZE - 40];
	struct exo_trace_rec recs[EXO_TRACE_RING_RECS];
} __attribute__((aligned(4096)));

_Static_assert(sizeof(struct exo_trace_rec) == EXO_TRACE_REC_SIZE, "trace record");
_Static_assert(__builtin_offsetof(struct exo_trace_ring, recs) == EXO_TRACE_HDR_SIZE,
	       "trace ring header");
_Static_assert((EXO_TRACE_RING_BYTES & (EXO_TRACE_RING_BYTES - 1)) == 0 &&
	       EXO_TRACE_RING_BYTES == 0x10000, "the producer masks head by a 16-bit load");

/* Page-fault resolutions (EXO_TRACE_PAGEFAULT's a16). */
enum exo_trace_pf {
	EXO_TRACE_PF_SIGMA0 = 1,    /* σ0 touched its own window: mapped by the kernel */
	EXO_TRACE_PF_PAGER  = 2,    /* became a fault IPC to the thread's pager */
	EXO_TRACE_PF_UPCALL = 3,    /* delivered to the space's own handler */
	EXO_TRACE_PF_KILL   = 4,    /* nobody resolves it: the thread dies */
	EXO_TRACE_PF_STLB   = 5,    /* refilled from the software TLB's bindings */
	EXO_TRACE_PF_EXT    = 6,    /* resolved by an in-kernel extension (SPIN) */
	EXO_TRACE_PF_MODULE = 7,    /* a task touched its module's page: paged in */
	EXO_TRACE_PF_N
};

/* Revocation steps (EXO_TRACE_REVOKE's a16; a0 the environment, a1 below). */
enum exo_trace_revoke {
	EXO_TRACE_RV_REQUEST  = 1,  /* revoke_request: a1 frames it owes now */
	EXO_TRACE_RV_RETURNED = 2,  /* an owed frame came back (frame_free, or taken
	                               by the abort): a1 frames still owed */
	EXO_TRACE_RV_ABORT    = 3,  /* the deadline passed: a1 frames the kernel took */
	EXO_TRACE_RV_N
};

/* EXO_TRACE_IPC_FAST's a16 in a full record: a pager's reply that maps one
 * page, by its fast path (entry.S, ipc_map); a short record is 0. */
#define EXO_TRACE_IPC_FAST_MAP 1u

/* EXO_TRACE_PCT's a16: the call's flags (EXO_PCT_ASYNC). */
#define EXO_TRACE_PCT_ASYNC 1u

/*
 * EXO_TRACE_SHOOTDOWN (#6), written by the
 * initiating CPU (so in its ring) once every target has acknowledged: a16
 * the pages invalidated one by one (0: the whole space), a32 the mask of
 * target CPUs (bit n = CPU n), a0 the space's translation root, a1 the TSC
 * ticks from the first request to the last acknowledgement (the shootdown
 * began at tsc - a1). Shootdowns that interrupt no other CPU are not
 * recorded.
 */

/*
 * Trace event kinds: one table. X(NAME, name, a16, a32, a0, a1) names each
 * field the kind uses ("" = not written). Kinds come in order; a new kind
 * goes at the end (the numbers are ABI).
 *   UPCALL      an entry upcall (<exo/exo.h> EXO_UPCALL_*) to environment a0
 *               with the first argument (rsi) in a1; queued or started
 *   EXC_UPCALL  an exception delivered straight to the thread's own handler
 *               by the entry code (asm), the kernel proper never runs
 *   STLB_FILL   a page fault the entry code (asm) refilled from the software
 *               TLB, the kernel proper never runs
 *   SLICE_START/_END  a slice of environment a0 in slot a16 starts (a1: its
 *               microseconds) or ends
 *   PCT         a protected control transfer by the general path to
 *               environment a0's entry thread (a16: EXO_TRACE_PCT_*); the
 *               crossing's KEXIT names the thread
 *   PAGEFAULT   how a page fault was resolved (a16); a0 and a1, its address
 *               and ip, only when no EXCEPTION record opened its crossing
 *               (the pager fast path): in an exception's crossing they are
 *               that record's
 *   IPC_ERROR   an IPC of thread a0 ends in an error: a16 is the low half
 *               of its error word (<exo/ipc.h>: EXO_IPC_ERR_CODE, _RECV,
 *               _ITEM); an IPC without such a record succeeded
 *   EXT_RAISE   an event (a16: EXT_EV_*, <exo/ext.h>) raised to an
 *               environment's extensions (guest/core/ext.c): a32 handlers run
 *               (their guards said yes), a0 the extension that answered
 *               HANDLED (its kernel slot + 1; 0: the kernel's default ran),
 *               a1 the point (system call number, faulting address; thread
 *               event: EXT_TH_* << 32 | the thread's number; IPC: the
 *               receiver's number; interrupt: the line); a raise that found
 *               no handler of the environment is not recorded
 *   EXT_LOAD    an extension loaded (guest/core/ext.c): a16 its kernel slot
 *               + 1 (EXT_RAISE's handled_by), a32 its event | 0x100 for a
 *               guard, a0 and a1 the first 16 bytes of its section's name
 *               ("event/syscall"), NUL-padded, in memory order
 *   EXT_ATTACH  a handler attached (ext_attach): a16 the extension's slot
 *               + 1, a32 its guard's (0: none), a0 the environment, a1 the
 *               point
 *   EXT_DETACH  a handler detached (its extension or guard dropped, its
 *               environment dead): the same fields
 *   SYSCALL_FAST  a system call (a16) that a fast entry in the entry code
 *               completed by itself (bind, unbind, synchronous PCT): one
 *               record, no KEXIT; after a PCT the target's entry thread runs
 */
#define EXO_TRACE_KINDS(X) \
	X(NONE,          "none",          "",           "", "",        "") \
	X(SYSCALL,       "syscall",       "nr",         "", "thread",  "") \
	X(EXCEPTION,     "exception",     "vector",     "", "addr",    "ip") \
	X(IRQ,           "irq",           "vector",     "", "",        "") \
	X(KEXIT,         "kernel_exit",   "",           "", "thread",  "") \
	X(IPC_FAST,      "ipc_fast",      "map",        "", "to",      "") \
	X(IPC,           "ipc",           "",           "", "to",      "from") \
	X(PAGEFAULT,     "page_fault",    "resolution", "", "addr",    "ip") \
	X(SPACE_SWITCH,  "space_switch",  "",           "", "root",    "") \
	X(THREAD_SWITCH, "thread_switch", "",           "", "thread",  "") \
	X(IDLE,          "idle",          "",           "", "",        "") \
	X(UPCALL,        "upcall",        "upcall",     "", "env",     "arg") \
	X(REVOKE,        "revoke",        "step",       "", "env",     "frames") \
	X(SLICE_END,     "slice_end",     "slot",       "", "env",     "") \
	X(SHOOTDOWN,     "shootdown",     "pages",  "targets", "root",   "ack_cycles") \
	X(MARK,          "mark",          "",     "code",   "",        "") \
	X(SLICE_START,   "slice_start",   "slot",       "", "env",     "us") \
	X(PCT,           "pct",           "flags",      "", "env",     "") \
	X(EXC_UPCALL,    "exception_upcall", "vector",  "", "",        "") \
	X(STLB_FILL,     "stlb_fill",     "",           "", "addr",    "") \
	X(SYSCALL_FAST,  "syscall_fast",  "nr",         "", "",        "") \
	X(IPC_ERROR,     "ipc_error",     "error",      "", "thread",  "") \
	X(EXT_RAISE,     "ext_raise",     "event", "handlers", "handled_by", "point") \
	X(EXT_LOAD,      "ext_load",      "ext",   "event",    "name",       "name_end") \
	X(EXT_ATTACH,    "ext_attach",    "ext",   "guard",    "env",        "point") \
	X(EXT_DETACH,    "ext_detach",    "ext",   "guard",    "env",        "point")

#define EXO_TRACE_ENUM_(N, n, b, c, d, e) EXO_TRACE_##N,
enum exo_trace_kind { EXO_TRACE_KINDS(EXO_TRACE_ENUM_) EXO_TRACE_NKINDS };
#undef EXO_TRACE_ENUM_

#endif
