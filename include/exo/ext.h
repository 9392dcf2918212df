/*
 * The extension ABI: what an extension (restricted C compiled with
 * `clang -target bpf -O2 -c`) may see and call, and what the checker
 * (guest/ebpf/) enforces. One header for both sides: the extension includes
 * it to get the context structs, the helpers and SEC(); the kernel and the
 * host tools include it for the same numbers.
 *
 * An entry point is a function in its own ELF section named after its event:
 *   SEC("event/pagefault") int on_fault(struct ext_pagefault_ctx *ctx) {...}
 * "event/E" is a handler of event E; "guard/E" is a guard of it: the same
 * context, read only, a result of 0 or 1, and only helpers without effects.
 *
 * Run-time semantics the checker relies on and the compiler must give
 * (RFC 9669): a division by a register holding 0 yields 0, a modulo by 0
 * leaves the dividend; signed LLONG_MIN / -1 yields LLONG_MIN and its modulo
 * 0; a shift by a register uses its low 6 bits (low 5 for 32-bit ALU). The
 * checker rejects a division or modulo by the constant 0 and a shift by a
 * constant out of range, which are always mistakes.
 */
#ifndef EXO_EXT_H
#define EXO_EXT_H

/*
 * How much checking a program may ask for. The checker walks every path of
 * the program (a loop turn by turn) before it runs; each instruction it walks
 * costs it about 330 x86 instructions (measured on the host build,
 * tests/unit/test_verify_budget.c), and where the kernel's ring 0 is emulated
 * (PVM, ~1 us an instruction) that is ~0.3 ms a walked instruction. So the
 * kernel walks at most EXT_STEPS_PER_INSN instructions per instruction of the
 * program, and never more than EXT_KERNEL_STEPS (~2.7 M ring-0 instructions,
 * ~3 s on PVM: a program of the largest size may be walked twice over);
 * beyond, the checker refuses the program (rule `complexity`). `exo ext
 * verify` judges as the kernel does and says how many instructions it walked.
 * To stay within: fewer paths (branches whose sides rejoin with equal
 * states), loops with few turns.
 */
#define EXT_STEPS_PER_INSN   64
#define EXT_KERNEL_STEPS     (1u << 13)

#ifdef __bpf__
/* clang -target bpf without -ffreestanding would pull glibc's 32-bit stdint. */
typedef __UINT8_TYPE__  u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT32_TYPE__  i32;
typedef __INT64_TYPE__  i64;
#define SEC(name) __attribute__((section(name), used))
#else
#include <exo/types.h>
#endif

/* Events: one program type each (guards share their event's context). */
enum ext_event {
	EXT_EV_SYSCALL = 1,     /* a system call, before the kernel's own code */
	EXT_EV_PAGEFAULT,       /* page not present, bad address, protection */
	EXT_EV_THREAD,          /* block, unblock, checkpoint, resume */
	EXT_EV_IPC,             /* a message arrived at a thread */
	EXT_EV_IRQ,             /* an interrupt line fired */
	EXT_EV_TIMER,           /* a timer (an IPC timeout) expired */
	EXT_EV_PACKET,          /* a packet arrived: filters and ASHs */
	EXT_EV_COUNT
};

/* A handler's result: 0 lets the next handler (then the default) run;
 * 1 says the event is handled and ends the raise. A packet filter's result
 * is 0 (not mine) or the number of bytes to deliver. */
#define EXT_DEFAULT  0
#define EXT_HANDLED  1

/*
 * Contexts. A field's comment gives its access: R readable, W writable,
 * U user-visible (user code reads it back, so no kernel pointer may be
 * stored there; the checker refuses every pointer store outside the stack
 * anyway). Every field is naturally aligned; narrower aligned reads of a
 * number are allowed, pointers (data, data_end) are read whole.
 */
struct ext_syscall_ctx {
	u64 nr;                 /* R   system call number */
	u64 args[6];            /* RWU arguments; a handler may rewrite them */
	u64 ret;                /* WU  the result when the handler returns HANDLED */
	u64 space;              /* R   the caller's address space */
	u64 thread;             /* R   the calling thread */
};

#define EXT_PF_NOT_PRESENT   1
#define EXT_PF_BAD_ADDRESS   2
#define EXT_PF_PROTECTION    3
#define EXT_PF_READ          1
#define EXT_PF_WRITE         2
#define EXT_PF_EXEC          4

struct ext_pagefault_ctx {
	u64 addr;               /* R   faulting address */
	u64 ip;                 /* R   instruction pointer */
	u32 kind;               /* R   EXT_PF_NOT_PRESENT ... */
	u32 access;             /* R   EXT_PF_READ | WRITE | EXEC */
	u64 space;              /* R   the faulting address space */
};

#define EXT_TH_BLOCK         1
#define EXT_TH_UNBLOCK       2
#define EXT_TH_CHECKPOINT    3
#define EXT_TH_RESUME        4

struct ext_thread_ctx {
	u64 thread;             /* R   the thread */
	u32 what;               /* R   EXT_TH_BLOCK ... */
	u32 cpu;                /* R   */
	u64 user_word;          /* RWU the thread's own word: the kernel keeps
				   what its handlers leave here between raises */
};

struct ext_ipc_ctx {
	u64 sender;             /* R   */
	u64 label;              /* R   */
	u64 mr[4];              /* R   the first message registers */
};

struct ext_irq_ctx {
	u32 line;               /* R   */
	u32 cpu;                /* R   */
	u64 count;              /* R   arrivals on this line so far */
};

struct ext_timer_ctx {
	u64 now;                /* R   cycles (TSC) */
	u64 period;             /* R   the expired timeout, in TSC ticks */
	u64 next;               /* RW  next deadline (0); the kernel reads it */
};

/*
 * A packet: data and data_end bound the bytes. A filter reads them only
 * after proving the range, the way XDP programs do:
 *   u8 *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
 *   if (p + 14 > end) return 0;      (now p[0..13] are readable)
 */
struct ext_packet_ctx {
	u64 data;               /* R   first byte (a packet pointer) */
	u64 data_end;           /* R   one past the last byte */
	u32 len;                /* R   */
	u32 ifindex;            /* R   */
	u32 mark;               /* RWU a tag delivered with the packet */
	u32 pad;
};

/* A packet is at most this long: bounds on variable packet offsets. */
#define EXT_PACKET_MAX       65535u

/* Helpers, called by number (the domain resolves the number). */
enum ext_helper {
	EXT_HELPER_KTIME = 1,   /* u64 ()                         any */
	EXT_HELPER_TRACE,       /* long (const void *buf, u32 n)  n 1..64, handlers */
	EXT_HELPER_COUNTER_ADD, /* long (u32 slot, u64 delta)     handlers */
	EXT_HELPER_STORE,       /* void *(u32 slot): 64 bytes or NULL, handlers */
	EXT_HELPER_PKT_LOAD,    /* long (ctx, u32 off, void *to, u32 n) n 1..256, packet */
	EXT_HELPER_PAGE_PROTECT,/* long (u64 addr, u64 prot)      pagefault, syscall handlers */
	EXT_HELPER_DIRTY_MARK,  /* long (u64 addr)                pagefault handlers */
	EXT_HELPER_SELF,        /* u64 (): the current thread     any */
	EXT_HELPER_PROTECT_RANGE,/* long (u64 addr, u64 n, u64 prot) pagefault, syscall handlers */
	EXT_HELPER_COUNT
};

#define EXT_STORE_SIZE       64      /* bytes of one store slot */
#define EXT_STORE_SLOTS      8
#define EXT_COUNTER_SLOTS    64
#define EXT_TRACE_MAX        64
#define EXT_PKT_LOAD_MAX     256

#ifdef __bpf__
/* The classic declaration: a call through a constant becomes `call N`. */
static u64  (*ext_ktime)(void) = (void *)EXT_HELPER_KTIME;
static long (*ext_trace)(const void *buf, u32 n) = (void *)EXT_HELPER_TRACE;
static long (*ext_counter_add)(u32 slot, u64 delta) = (void *)EXT_HELPER_COUNTER_ADD;
static void *(*ext_store)(u32 slot) = (void *)EXT_HELPER_STORE;
static long (*ext_pkt_load)(const struct ext_packet_ctx *ctx, u32 off, void *to,
			    u32 n) = (void *)EXT_HELPER_PKT_LOAD;
static long (*ext_page_protect)(u64 addr, u64 prot) = (void *)EXT_HELPER_PAGE_PROTECT;
static long (*ext_protect_range)(u64 addr, u64 npages, u64 prot) =
	(void *)EXT_HELPER_PROTECT_RANGE;
static long (*ext_dirty_mark)(u64 addr) = (void *)EXT_HELPER_DIRTY_MARK;
static u64  (*ext_self)(void) = (void *)EXT_HELPER_SELF;
#endif

#endif /* EXO_EXT_H */
