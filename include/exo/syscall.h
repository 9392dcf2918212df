/*
 * System calls: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9,
 * result in rax (>= 0 success, < 0 a negative E_* from <exo/error.h>).
 * rcx and r11 are clobbered (the SYSCALL instruction uses them); every other
 * register is preserved.
 */
#ifndef EXO_SYSCALL_H
#define EXO_SYSCALL_H

enum exo_sysno {
	SYS_exit          = 0,  /* (status): does not return */
	SYS_console_write = 1,  /* (buf, len): bytes written */
	SYS_ktest         = 2,  /* (op, arg): kernel self-test hooks, boot option ktest */
	SYS_ipc           = 3,  /* its own register ABI: <exo/ipc.h> */
	SYS_thread_control = 4, /* (dest, space, pager, utcb, prio): privileged */
	SYS_exchange_registers = 5, /* (dest, control, sp, ip, pager) */
	SYS_thread_switch = 6,  /* (dest): yield, to dest if it is ready */
	SYS_unmap         = 7,  /* (fpage, flags): flush what was mapped from it */
	SYS_irq_control   = 8,  /* (irq tid, handler tid): associate or detach */
	SYS_bench_mark    = 9,  /* (code, rec, len): marks and results, <exo/bench.h> */
	SYS_console_read  = 10, /* (buf, len): console input bytes waiting, the
				   console line's driver only; never blocks */
	/* The exokernel, <exo/exo.h>; numbers from 16 leave room for L4's. */
	SYS_cap_info      = 16, /* (cap, struct exo_capinfo *) */
	SYS_cap_derive    = 17, /* (cap, rights): a copy with fewer rights */
	SYS_cap_pass      = 18, /* (cap, tid, rights): a copy for tid's environment */
	SYS_cap_drop      = 19, /* (cap): it and everything derived from it */
	SYS_env_cap       = 20, /* (tid, rights): an ENV capability for tid's space */
	SYS_frame_alloc   = 21, /* (flags): a FRAME capability */
	SYS_frame_free    = 22, /* (cap): give the frame back to the kernel */
	SYS_bind          = 23, /* (cap, va, flags): a secure binding */
	SYS_unbind        = 24, /* (cap) */
	SYS_bind_query    = 25, /* (va): the capability bound there */
	SYS_env_entry     = 26, /* (kind, pc, sp) */
	SYS_upcall_wait   = 27, /* (): an entry thread waits for its next upcall */
	SYS_pct           = 28, /* (env cap, flags): protected control transfer */
	SYS_slice_alloc   = 29, /* (cpu, count, flags): a SLOT capability */
	SYS_slice_yield   = 30, /* (): the rest of this CPU's slice, and its end upcall, done */
	SYS_revoke_request = 31, /* (env cap, count, deadline_us) */
	SYS_repossessed   = 32, /* (struct exo_repossession *, n) */
	SYS_env_backing   = 33, /* (store) */
	SYS_backing_read  = 34, /* (block, frame cap) */
	SYS_slice_give    = 35, /* (env cap, cpu, count): slots of quota to env */
	/* SPIN's extensions, <exo/extcall.h>. */
	SYS_ext_load      = 36, /* (insns, n, event, struct exo_ext_error *, domain cap):
				   an EXT capability */
	SYS_ext_attach    = 37, /* (ext cap, env cap, point, guard cap): a handler on
				   env's event at point */
	SYS_ext_counter   = 38, /* (ext cap, slot): a counter of the extension */
	SYS_ext_domain    = 39, /* (EXO_DOMAIN_CREATE, helpers, events) or
				   (EXO_DOMAIN_COMBINE, d1, d2): a DOMAIN capability */
	/* ExOS's processes (docs/exos.md): a creator lays out a child's memory. */
	SYS_bind_env      = 40, /* (env cap, cap in env's table, va, flags) */
	SYS_NR
};

/* SYS_ktest operations: for the test suite, refused unless booted with ktest. */
enum exo_ktest {
	KTEST_PANIC       = 1,  /* kernel panics: the host must report it */
	KTEST_TRIPLEFAULT = 2,  /* kernel loses its IDT and faults: triple fault */
	KTEST_TIMER       = 3,  /* (us): arm the timer us ahead, idle until it
				   fires; returns the microseconds from arming
				   to the interrupt */
	KTEST_GETC        = 4,  /* (): the next console-input byte (0..255),
				   idling for the input interrupt while none is
				   waiting (for ever once the input has ended) */
	KTEST_TRACE       = 5,  /* (on): trace points on (1) or off (0);
				   returns the previous setting */
	KTEST_FASTPATH    = 6,  /* (sysno | KTEST_FAST_ON if on): the fast
				   entry of a system call (SYS_bind,
				   SYS_unbind, SYS_pct)
				   on or off; returns the previous setting,
				   -E_INVAL if the platform has none for it */
	KTEST_BIND_DIGEST = 7,  /* (reset): a hash of the caller's bindings,
				   capabilities and software TLB; reset: zero
				   its hit and miss counts first */
	KTEST_SHOOTDOWN   = 8,  /* (what): of the TLB shootdowns that
				   interrupted another CPU, KTEST_SD_* */
	KTEST_SELFCHECK   = 9,  /* (): walk the kernel's structures and check
				   their invariants (guest/core/selfcheck.c);
				   returns the violations found, with the
				   first one's kind (enum exo_selfcheck) in
				   rdi and its object in rsi; -E_NOMEM if no
				   frame was free for the walk's bitmap */
	KTEST_FRAMES      = 10, /* (what): frames by holder, KTEST_FR_* */
};
/* KTEST_SELFCHECK: what the first violation broke; its object in rsi. */
enum exo_selfcheck {
	SC_NONE           = 0,
	SC_FREE_LIST      = 1,  /* the free list: a cycle, a frame outside the
				   pool, or a length other than its count (pa) */
	SC_FRAME_TWICE    = 2,  /* a frame held twice, or held and free (pa) */
	SC_FRAME_FOREIGN  = 3,  /* a frame held that the pool never gave (pa) */
	SC_FRAME_LEAK     = 4,  /* frames given out that nobody holds (how many) */
	SC_MDB            = 5,  /* mdb_check failed (its message names the node) */
	SC_PTE_STRAY      = 6,  /* a user translation no node, binding, UTCB or
				   kernel page explains (va) */
	SC_CAP            = 7,  /* cap_check failed, or an environment's counts
				   of frames, reserve or slots are wrong (index) */
	SC_STLB           = 8,  /* a software-TLB entry no binding explains, or
				   a wrong live count (env index << 16 | entry) */
	SC_QUEUE          = 9,  /* a thread on two queues, on a queue its state
				   does not allow, or a broken list (thread id) */
	SC_WX             = 10, /* a kernel page writable and executable (va) */
};
/* KTEST_FRAMES's what: frames counted by who holds them. */
enum exo_ktest_fr {
	KTEST_FR_AVAIL    = 0,  /* free: never used, or on the free list */
	KTEST_FR_CAPS     = 1,  /* owned by FRAME capabilities (frame_alloc) */
	KTEST_FR_UTCBS    = 2,  /* UTCBs of live threads */
	KTEST_FR_TABLES   = 3,  /* translation tables of live spaces */
};
/* KTEST_SHOOTDOWN's what: the count so far, or a field of the last one. */
enum exo_ktest_sd {
	KTEST_SD_COUNT    = 0,
	KTEST_SD_ACK      = 1,  /* TSC ticks from the first request to the last ack */
	KTEST_SD_TARGETS  = 2,  /* mask of the CPUs it interrupted */
	KTEST_SD_PAGES    = 3,  /* pages invalidated one by one; 0: the whole space */
};
#define KTEST_FAST_ON      0x10000
#define KTEST_TIMER_MAX_US 10000000   /* 10 s */

/*
 * SYS_thread_control(dest, space, pager, utcb, prio), privileged:
 *   dest nil:             create a thread; space nil: in a new address space
 *                         (a child of the caller's), else in space's space.
 *                         It starts halted; returns the new thread id.
 *   dest, space nil:      delete dest.
 *   dest, space = dest:   modify: set pager (unless nil) and prio (unless < 0).
 * utcb: page-aligned user address in the new thread's space for its UTCB.
 */

/* SYS_exchange_registers control bits; returns the old state (below). */
#define EXR_HALT        0x01    /* stop the thread */
#define EXR_RESUME      0x02    /* let it run */
#define EXR_SET_SP      0x04
#define EXR_SET_IP      0x08
#define EXR_SET_PAGER   0x10
#define EXR_ABORT_SEND  0x20    /* abort a send phase: EXO_IPC_CANCELED */
#define EXR_ABORT_RECV  0x40    /* abort a receive phase: EXO_IPC_CANCELED */
#define EXR_SET_CPU     0x80    /* home CPU: EXR_CPU(n), n < kip.ncpus */
#define EXR_CPU(n)      (EXR_SET_CPU | (u64)(n) << 32)
#define EXR_CPU_OF(c)   ((u32)((c) >> 32) & 0xff)
/*
 * A thread in a page fault's IPC is sending (the message waits for its
 * pager) or receiving (it waits for the reply); aborting that phase ends
 * the fault's IPC with no error written, and the thread retries the
 * faulting instruction. The pager's later reply fails as any send to a
 * thread not receiving (a deleted thread: EXO_IPC_NOPARTNER).
 */
/* Returned in rax (or -E_*): old state bits; rdi old sp, rsi old ip. */
#define EXR_WAS_HALTED  0x01
#define EXR_WAS_SENDING 0x02
#define EXR_WAS_RECEIVING 0x04

/* SYS_unmap flags: also the caller's own mapping (L4 "flush"). */
#define UNMAP_OWN       0x1

/* SYS_bench_mark: <exo/bench.h> (codes, the result record, the null call). */

/*
 * A system call keeps the general registers as each call documents, but not
 * the FPU/SSE state (x87, MMX, XMM, MXCSR): another thread's user code may
 * run before the call returns. Keeping it across every call would cost each
 * fast path (IPC, PCT, bind) an fxsave64 and an fxrstor64 per switch, two
 * emulated ring-0 instructions on a PVM host. A thread that resumes after
 * another thread ran finds either its own state or that of a reset FPU
 * (FCW 0x37f, MXCSR 0x1f80, all registers zero), never the other's: PCT
 * passes the general registers, not these. Interrupts and exceptions do
 * keep it: the interrupted thread cannot know they happened. A system-call
 * stub names the XMM registers as clobbered, so the compiler keeps nothing
 * there across it; code that sets MXCSR or the x87 control word sets them
 * again after a call.
 */
#define EXO_SYSCALL_FPU_CLOBBERS                                        \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",     \
	"xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

#define EXO_CONSOLE_WRITE_MAX 4096  /* longest single console write */
#define EXO_CONSOLE_READ_MAX  4096  /* longest single console read */

#endif
