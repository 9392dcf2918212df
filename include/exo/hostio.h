/*
 * The devices the VMM offers the kernel. All are I/O ports accessed with a
 * 32-bit OUT (and, for console input, IN); requests that carry data pass the
 * guest-physical address of a request structure (below 4 GiB, naturally
 * aligned), so one exit moves a whole request. The VMM checks every address
 * and length against guest memory: a bad request is reported and stops the
 * guest, never the host tool.
 */
#ifndef EXO_HOSTIO_H
#define EXO_HOSTIO_H

#include <exo/bench.h>
#include <exo/types.h>

#define EXO_PORT_CONSOLE   0x0510   /* value: GPA of struct exo_console_req */
#define EXO_PORT_EXIT      0x0511   /* value: VM exit status (0..255) */
#define EXO_PORT_EVENT     0x0512   /* value: GPA of struct exo_event */
#define EXO_PORT_DOORBELL  0x0513   /* value: EXO_DOORBELL(kind, arg) */
#define EXO_PORT_BENCH     0x0514   /* value: GPA of struct exo_bench_req (<exo/bench.h>) */
#define EXO_PORT_CONSOLE_IN 0x0515  /* IN: next input byte; OUT: vector */
#define EXO_PORT_BACKING   0x0516   /* value: GPA of struct exo_backing_req */

/*
 * Console input: the bytes of `exo run --input FILE`, one per 32-bit IN.
 *   IN   0..255                 the next byte
 *        EXO_CONSOLE_IN_EMPTY   no byte is waiting now; more may come
 *        EXO_CONSOLE_IN_EOF     the input has ended and every byte has been
 *                               read (at once when there is no --input)
 *   OUT  a vector, 32..255: interrupt with it from now on; 0: never.
 *        Any other value is a bad request (the VMM stops the guest).
 * Interrupt: an MSI to APIC 0, fixed delivery, edge-triggered, with the
 * vector. The VMM sends one when the next IN would no longer answer EMPTY (a
 * byte arrived, or the input ended), and then none until the guest has read
 * EMPTY, or written the vector, again. A guest that reads until EMPTY or EOF
 * after each interrupt therefore misses nothing; one that stops earlier gets
 * no further interrupt. Writing the vector when something is waiting
 * interrupts at once; a run without --input never interrupts.
 */
#define EXO_CONSOLE_IN_EMPTY 0x100u
#define EXO_CONSOLE_IN_EOF   0x101u

struct exo_console_req {
	u64 gpa;                    /* guest physical address of the bytes */
	u64 len;
};

/*
 * The backing store of revocation's autosave (<exo/exo.h>): per store
 * (1..EXO_BACKING_STORES) up to EXO_BACKING_BLOCKS blocks of one 4 KiB
 * frame, kept by the VMM. The kernel writes op, store, block and gpa; the
 * VMM answers in status (and block, for SAVE) before the OUT returns.
 *   SAVE  copy the frame at gpa into a new block of store; block: its number
 *   READ  copy block of store into the frame at gpa
 *   DROP  forget every block of store (its environment is gone)
 * A request the VMM cannot serve gets a status, never stops the guest: an
 * unknown op or store, a gpa not a page-aligned frame of guest memory
 * (EXO_BACKING_EINVAL), a block never saved (EXO_BACKING_ENOENT), a full
 * store or a host out of memory (EXO_BACKING_EFULL). Only a request
 * structure outside guest memory stops the guest, as for every device.
 */
enum exo_backing_op {
	EXO_BACKING_SAVE = 1,
	EXO_BACKING_READ = 2,
	EXO_BACKING_DROP = 3,
};
enum exo_backing_status {
	EXO_BACKING_OK     = 0,
	EXO_BACKING_EINVAL = 1,
	EXO_BACKING_ENOENT = 2,
	EXO_BACKING_EFULL  = 3,
};
#define EXO_BACKING_BLOCKS 4096         /* per store: 16 MiB */

struct exo_backing_req {
	u32 op;                     /* enum exo_backing_op */
	u32 store;
	u64 block;
	u64 gpa;                    /* the frame, 4 KiB aligned */
	u32 status;                 /* enum exo_backing_status, from the VMM */
	u32 pad;
};
_Static_assert(sizeof(struct exo_backing_req) == 32, "exo_backing_req layout");

/*
 * Doorbells: points in the guest's life at which the host samples statistics.
 * The value written is
 *   31            8 7      0
 *   |     arg      |  kind  |
 * so a mark carries its code in the same single OUT.
 */
enum exo_doorbell {
	EXO_DOORBELL_FIRST_USER = 1, /* about to run the first user instruction */
	EXO_DOORBELL_MARK       = 2, /* SYS_bench_mark: arg is the mark code */
	EXO_DOORBELL_TRACE      = 3, /* this CPU's trace ring: arg is its page
					frame number (<exo/trace.h>) */
	EXO_DOORBELL_START_CPUS = 4, /* start the other vCPUs (kernel smp.c) */
	EXO_DOORBELL_COUNT
};
#define EXO_DOORBELL(kind, arg)  ((u32)(arg) << 8 | (u32)(kind))
#define EXO_DOORBELL_KIND(v)     ((u32)(v) & 0xff)
#define EXO_DOORBELL_ARG(v)      ((u32)(v) >> 8)

enum exo_event_kind {
	EXO_EV_PROGRAM_EXIT  = 1,   /* module, status */
	EXO_EV_PROGRAM_FAULT = 2,   /* module, vector, error, addr, rip */
	EXO_EV_PROGRAM_ERROR = 3,   /* module could not start: status = -E_* */
	EXO_EV_PANIC         = 4,   /* msg, regs */
	EXO_EV_PROGRAM_DEADLOCK = 5, /* module: every thread blocked for ever */
	EXO_EV_PROGRAM_ABORT = 6,   /* module: the exokernel aborted one of its
				       environments (slice overruns, <exo/exo.h>) */
};

/* Register file as the kernel saw it; the order is the kernel's trap frame. */
struct exo_regs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8;
	u64 rbp, rdi, rsi, rdx, rcx, rbx, rax;
	u64 vector, error;
	u64 rip, cs, rflags, rsp, ss;
	u64 cr2, cr3;
};

#define EXO_EVENT_MSG_MAX 120

struct exo_event {
	u32 kind;                   /* enum exo_event_kind */
	u32 module;                 /* index into exo_bootinfo.modules */
	i64 status;
	u64 vector, error, addr, rip;
	struct exo_regs regs;       /* EXO_EV_PANIC only */
	char msg[EXO_EVENT_MSG_MAX];/* EXO_EV_PANIC only, NUL terminated */
};

_Static_assert(sizeof(struct exo_regs) == 24 * 8, "exo_regs layout");
_Static_assert(sizeof(struct exo_event) == 48 + 24 * 8 + EXO_EVENT_MSG_MAX,
	       "exo_event layout");

#endif
