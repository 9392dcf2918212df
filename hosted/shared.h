/*
 * What exo's hosted platform (hosted/) and its stub (hosted/stub/) share:
 * where the stub lives in every address-space process, and the layout of
 * the two kinds of page both map from the physical-memory memfd.
 *
 * An address space is a Linux process started from the stub. Its user
 * range is exo's (<exo/layout.h>); the stub sits above EXO_USER_MAX and
 * below the initial user stack, above what libos lays out there for the
 * tasks it spawns (libos/lib/task.h: TASK_STACK_TOP, TASK_UTCB), and
 * arch_space_map refuses every mapping of its range on this platform
 * (hosted/space.c), so a program can neither map over the stub nor be
 * mapped over by it.
 *
 *   STUB_BASE    the stub image: text, data, the control thread's stack
 *   STUB_CTL     the control pages: mapped READ-ONLY in the stub, written
 *                only by exo through its own mapping of the memfd
 *   STUB_SLOTS   one slot per thread: its register page (shared, RW) and
 *                the stack its signal handler runs on (sigaltstack)
 */
#ifndef HOSTED_SHARED_H
#define HOSTED_SHARED_H

#ifndef __ASSEMBLER__
#include <stdint.h>
#endif

#define STUB_BASE        0x7fffc0000000ULL
#define STUB_TEXT_MAX    0x100000ULL            /* the stub's code: below here */
#define STUB_CTL         0x7fffd0000000ULL
#define STUB_CTL_PAGES   8
#define STUB_SLOTS       0x7fffe0000000ULL
#define STUB_SLOT_SIZE   0x10000ULL             /* register page, guard, stack */
#define STUB_SLOT_STACK  0x8000ULL              /* the handler's stack: its size */
#define STUB_SLOTS_MAX   256                    /* NTHREADS: a slot per thread */
/* The range arch_space_map refuses on this platform: the stub's. */
#define STUB_LO          STUB_BASE
#define STUB_HI          (STUB_SLOTS + STUB_SLOTS_MAX * STUB_SLOT_SIZE)
/* The descriptors the stub finds at start. */
#define STUB_FD_MEM      3                      /* the physical-memory memfd */
#define STUB_FD_ACK      4                      /* an eventfd: the control thread's acks */
#define STUB_SIG_PREEMPT 12                     /* SIGUSR2: the kernel's timer */

/* Requests to the control thread (struct stub_req op). */
#define STUB_MMAP     1         /* addr, len, prot: the memfd at off, shared, fixed */
#define STUB_ANON     2         /* addr, len: private anonymous read/write, fixed */
#define STUB_MUNMAP   3         /* addr, len */
#define STUB_MPROTECT 4         /* addr, len, prot */
#define STUB_CLONE    5         /* off: a slot; a thread starts there */

#define STUB_FILTER_MAX  256    /* BPF instructions of one filter */
#define STUB_RESUME_OFF (64 + 2 * (8 + 8 * STUB_FILTER_MAX))
#define STUB_ALTSTACK_OFF (STUB_RESUME_OFF + 4 * STUB_SLOTS_MAX)
#define STUB_REQ_OFF (STUB_ALTSTACK_OFF + 24 * STUB_SLOTS_MAX)
#define STUB_REQ_MAX ((STUB_CTL_PAGES * 4096 - STUB_REQ_OFF) / 32)
#define STUB_CTL_PTRACE_OFF 24  /* struct stub_ctl ptrace */
#define STUB_CTL_SPIN_OFF 32    /* struct stub_ctl spin */

/*
 * The ptrace platform (hosted/ptrace.c) reports a fault through the stub's
 * handler, which ends in the system call at STUB_REPORT (stub.S, first in
 * the stub's text): under PTRACE_SYSEMU a stop, never carried out; exo
 * knows it by the instruction pointer after it, STUB_REPORT_END.
 */
#define STUB_REPORT      STUB_BASE
#define STUB_REPORT_END  (STUB_BASE + 12)
/* ptrace, several CPUs: a thread between two tracers waits here. */
#define STUB_PARK        (STUB_BASE + 16)

#ifndef __ASSEMBLER__
struct stub_req {
	uint32_t op, prot;
	uint64_t addr, len, off;
};

/*
 * The control pages. seq changes when exo has written a new batch of n
 * requests; the control thread carries them out and writes one[0] (all
 * done) or two[0] (one failed) to STUB_FD_ACK: values in this read-only
 * page, so nothing it passes to a system call is in user-writable memory.
 * The filters are those of the control thread (ctl) and of user threads
 * (user), each BPF code for seccomp(2), built by exo with libseccomp.
 */
struct stub_filter {
	uint64_t len;
	uint64_t code[STUB_FILTER_MAX];         /* struct sock_filter each */
};

struct stub_ctl {
	uint32_t seq, n;
	uint64_t one, two;
	uint32_t ptrace, pad0;  /* 1: the ptrace platform (no filters, stub.c) */
	/* How long a parked thread watches its resume word before it sleeps
	 * on it (stub_wait), TSC ticks; 0: it sleeps at once. */
	uint64_t spin;
	uint64_t pad[3];
	struct stub_filter ctl, user;
	/* Per slot: bumped by exo when that thread may run (stub_wait). Here,
	 * not in the register page, so that no thread of the process can
	 * release a parked thread: only the one exo resumes runs. */
	uint32_t resume[STUB_SLOTS_MAX];
	/* Per slot: its signal stack, a stack_t for sigaltstack(2), which a
	 * new thread reads from here on the ptrace platform (stub.S). */
	struct stub_stack {
		uint64_t sp;
		uint32_t flags, pad;
		uint64_t size;
	} altstack[STUB_SLOTS_MAX];
	struct stub_req req[STUB_REQ_MAX];
};

_Static_assert(sizeof(struct stub_ctl) <= STUB_CTL_PAGES * 4096 &&
	       __builtin_offsetof(struct stub_ctl, req) == STUB_REQ_OFF &&
	       __builtin_offsetof(struct stub_ctl, resume) == STUB_RESUME_OFF &&
	       __builtin_offsetof(struct stub_ctl, altstack) == STUB_ALTSTACK_OFF &&
	       __builtin_offsetof(struct stub_ctl, ptrace) == STUB_CTL_PTRACE_OFF &&
	       __builtin_offsetof(struct stub_ctl, spin) == STUB_CTL_SPIN_OFF &&
	       sizeof(struct stub_req) == 32, "control pages: stub.S's offsets");


/* Why a thread entered (struct stub_regs kind). */
enum stub_kind {
	STUB_START = 1,         /* a new thread is parked, ready for its first run */
	STUB_SYSCALL = 2,       /* the system call in the registers */
	STUB_FAULT = 3,         /* vector, error, addr */
	STUB_PREEMPT = 4,       /* the kernel's timer signal */
	STUB_RESUME = 5,        /* ptrace: the stub emulated an instruction; go on */
};

/*
 * A thread's register page. The stub thread writes the registers at an
 * entry, then bumps entry, and wakes exo if exo's asleep word says it
 * sleeps on it (else exo is watching the word); exo writes the registers
 * to resume with, then releases the slot's resume word in the control
 * pages. All of it is writable by the user program (it is in its
 * process): exo reads the page once per entry into its own memory and
 * takes nothing from it but the user registers and the reason, which the
 * program controls anyway. A program that clears asleep delays the
 * notice of its own entry by a wait's step (HOSTED_POLL_NS) or to its
 * slice's end, as if it had computed that long.
 */
struct stub_regs {
	uint32_t entry, asleep;
	uint32_t kind, tid;
	uint64_t vector, error, addr;
	uint64_t gs;                    /* the GS base exo gives (the UTCB) */
	uint64_t gs_set;                /* the stub's: the base it last loaded */
	/* struct trapframe's order (guest/core/trapframe.h). */
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t rip, rflags, rsp;
};
#endif

#endif
