/*
 * The stub's assembly: its entry, the control thread's loop, the first
 * instruction of every new thread and the signal return. See stub.c.
 */
#include "../shared.h"

#define SYS_write        1
#define SYS_mmap         9
#define SYS_mprotect     10
#define SYS_munmap       11
#define SYS_rt_sigreturn 15
#define SYS_sched_yield  24
#define SYS_pause        34
#define SYS_clone        56
#define SYS_sigaltstack  131
#define SYS_gettid       186
#define SYS_futex        202
#define SYS_exit_group   231
#define MAP_SHARED_FIXED 0x11           /* MAP_SHARED | MAP_FIXED */
#define MAP_ANON_FIXED   0x32           /* MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED */
/* CLONE_VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */
#define CLONE_THREADS    0x50f00

#define CTL_SEQ  (STUB_CTL + 0)
#define CTL_N    (STUB_CTL + 4)
#define CTL_ONE  (STUB_CTL + 8)
#define CTL_TWO  (STUB_CTL + 16)
#define REQ_SIZE 32

/*
 * The ptrace platform's report (shared.h: STUB_REPORT, first in the text,
 * stub.ld): the stub's handler ends here with a fault's registers in the
 * register page. Every thread that runs the handler there is traced with
 * PTRACE_SYSEMU, so this system call is a stop that exo takes as the
 * report and never carried out; an untraced thread that came here would
 * end its process, which is what the call is.
 */
	.section .text.report, "ax"
	.globl stub_report
stub_report:
	mov	$SYS_exit_group, %eax		/* 5 bytes */
	mov	$119, %edi			/* 5 bytes */
	syscall					/* 2: STUB_REPORT_END after it */
	.globl stub_report_end
stub_report_end:
	ud2

/*
 * Where a thread waits untraced while it passes from one tracer to another
 * (shared.h: STUB_PARK; hosted/ptrace.c): pause for ever, every signal
 * blocked by exo first, touching no memory; exo attaches again and gives
 * it its registers.
 */
	.balign 16
	.globl stub_park
stub_park:
	mov	$SYS_pause, %eax
	syscall
	jmp	stub_park

	.text
	.globl _start
_start:
	mov	%rsp, %rdi			/* argc, argv: stub_main reads argv[1] */
	lea	stub_stack_top(%rip), %rsp
	call	stub_main			/* returns only to enter the loop */
	jmp	stub_ctl_loop

/*
 * The control thread. It keeps everything in registers across its wait
 * and reads each request from the read-only control pages, so nothing a
 * user thread can write decides what it maps: a user thread cannot forge
 * a request, and jumping in here gains it nothing, for its own filter
 * refuses mmap, munmap, mprotect, clone and write from any address.
 *   r13: the last seq carried out; r14: request index; r15: count;
 *   rbx: the request; rbp: 1 if one failed.
 */
	.globl stub_ctl_loop
stub_ctl_loop:
	xor	%r13d, %r13d
1:	movabs	$CTL_SEQ, %rax
	mov	(%rax), %eax
	cmp	%eax, %r13d
	jne	2f
	movabs	$CTL_SEQ, %rdi
	xor	%esi, %esi			/* FUTEX_WAIT, shared: exo wakes it */
	mov	%r13d, %edx
	xor	%r10d, %r10d
	mov	$SYS_futex, %eax
	syscall
	jmp	1b
2:	mov	%eax, %r13d
	movabs	$CTL_N, %rax
	mov	(%rax), %r15d
	xor	%ebp, %ebp
	cmp	$STUB_REQ_MAX, %r15
	jbe	3f
	mov	$1, %ebp			/* a count beyond the pages: refuse all */
	xor	%r15d, %r15d
3:	xor	%r14d, %r14d
4:	cmp	%r15, %r14
	jae	9f
	mov	%r14, %rbx
	shl	$5, %rbx
	movabs	$(STUB_CTL + STUB_REQ_OFF), %rax
	add	%rax, %rbx
	mov	8(%rbx), %rdi			/* addr */
	mov	16(%rbx), %rsi			/* len */
	mov	4(%rbx), %edx			/* prot */
	mov	(%rbx), %eax			/* op */
	cmp	$STUB_MMAP, %eax
	je	5f
	cmp	$STUB_ANON, %eax
	je	6f
	cmp	$STUB_MUNMAP, %eax
	je	7f
	cmp	$STUB_MPROTECT, %eax
	je	8f
	cmp	$STUB_CLONE, %eax
	je	10f
	mov	$1, %ebp
	jmp	11f
5:	mov	$MAP_SHARED_FIXED, %r10d
	mov	$STUB_FD_MEM, %r8d
	mov	24(%rbx), %r9
	mov	$SYS_mmap, %eax
	syscall
	jmp	12f
6:	mov	$MAP_ANON_FIXED, %r10d
	mov	$-1, %r8
	xor	%r9d, %r9d
	mov	$SYS_mmap, %eax
	syscall
	jmp	12f
7:	mov	$SYS_munmap, %eax
	syscall
	jmp	12f
8:	mov	$SYS_mprotect, %eax
	syscall
	jmp	12f
	/* A thread on slot off: its stack is the slot's (stub.c maps it). */
10:	mov	24(%rbx), %rsi
	cmp	$STUB_SLOTS_MAX, %rsi
	jae	13f
	mov	%rsi, %r12			/* the child keeps it */
	shl	$16, %rsi			/* STUB_SLOT_SIZE */
	movabs	$(STUB_SLOTS + STUB_SLOT_SIZE), %rax
	add	%rax, %rsi			/* the slot's end: its stack's top */
	mov	$CLONE_THREADS, %edi
	xor	%edx, %edx
	xor	%r10d, %r10d
	xor	%r8d, %r8d
	mov	$SYS_clone, %eax
	syscall
	test	%rax, %rax
	jnz	12f
	mov	%r12, %rdi			/* the new thread: slot in rdi */
	movabs	$(STUB_CTL + STUB_CTL_PTRACE_OFF), %rax
	cmpl	$0, (%rax)
	jne	stub_traced_start		/* never returns */
	call	stub_thread_start		/* never returns */
	ud2
13:	mov	$1, %ebp
	jmp	11f
12:	cmp	$-4095, %rax
	jb	11f
	mov	$1, %ebp
11:	inc	%r14
	jmp	4b
9:	mov	$STUB_FD_ACK, %edi
	movabs	$CTL_ONE, %rsi
	movabs	$CTL_TWO, %rax
	test	%ebp, %ebp
	cmovnz	%rax, %rsi
	mov	$8, %edx
	mov	$SYS_write, %eax
	syscall
	jmp	1b

/*
 * A new thread on the ptrace platform (rdi: its slot): until exo attaches
 * it is not traced and has no filter, so it touches no memory a user
 * thread can write but its register page (the tid, the entry), keeps its
 * state in registers, uses no stack, and reads its signal stack's stack_t
 * from the read-only control pages. It parks on its resume word, which
 * exo never bumps there: exo attaches to it (PTRACE_SEIZE, then
 * PTRACE_INTERRUPT) and gives it its registers (hosted/ptrace.c).
 *   r12: slot; rbx: register page; r13: resume word; r14d: its value.
 */
stub_traced_start:
	mov	%rdi, %r12
	mov	%rdi, %rbx
	shl	$16, %rbx			/* STUB_SLOT_SIZE */
	movabs	$STUB_SLOTS, %rax
	add	%rax, %rbx
	mov	$SYS_gettid, %eax
	syscall
	mov	%eax, 12(%rbx)			/* struct stub_regs tid */
	lea	(%r12,%r12,2), %rdi
	shl	$3, %rdi			/* 24 bytes a stack_t */
	movabs	$(STUB_CTL + STUB_ALTSTACK_OFF), %rax
	add	%rax, %rdi
	xor	%esi, %esi
	mov	$SYS_sigaltstack, %eax
	syscall
	test	%rax, %rax
	jnz	3f
	lea	(,%r12,4), %r13
	movabs	$(STUB_CTL + STUB_RESUME_OFF), %rax
	add	%rax, %r13
	mov	(%r13), %r14d
	movl	$1, 8(%rbx)			/* kind: STUB_START */
	lock incl (%rbx)			/* entry */
	mov	%rbx, %rdi
	mov	$1, %esi			/* FUTEX_WAKE, shared */
	mov	$1, %edx
	mov	$SYS_futex, %eax
	syscall
1:	mov	(%r13), %eax
	cmp	%eax, %r14d
	jne	3f				/* released untraced: exo never does */
	mov	%r13, %rdi
	xor	%esi, %esi			/* FUTEX_WAIT, shared */
	mov	%r14d, %edx
	xor	%r10d, %r10d
	mov	$SYS_futex, %eax
	syscall
	jmp	1b
3:	mov	$118, %edi
	mov	$SYS_exit_group, %eax
	syscall
	ud2

/* A new thread's first user-visible act: a #UD that the handler takes as
 * "parked, ready": it waits for its first registers there (stub.c). */
	.globl stub_first
stub_first:
	ud2

/*
 * stub_wait(word, r): until the read-only word (this slot's resume in the
 * control pages) differs from r. r stays in a register across the wait:
 * another thread of the process cannot change it, so only exo releases a
 * parked thread. The thread watches the word for the control pages' spin
 * TSC ticks, yielding the host core at every look, then sleeps on it
 * (hosted/cores.c says why).
 */
	.globl stub_wait
stub_wait:
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	mov	%rdi, %r12
	mov	%esi, %ebx
	movabs	$(STUB_CTL + STUB_CTL_SPIN_OFF), %rax
	mov	(%rax), %r14			/* how long to watch */
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	mov	%rax, %r13			/* since when */
1:	mov	(%r12), %ecx
	cmp	%ecx, %ebx
	jne	3f				/* released */
	rdtsc
	shl	$32, %rdx
	or	%rdx, %rax
	sub	%r13, %rax
	cmp	%r14, %rax
	jae	2f
	mov	%r14, %rcx
	shr	$3, %rcx
	cmp	%rcx, %rax
	jae	4f
	pause					/* the first eighth: only watch */
	jmp	1b
4:	mov	$SYS_sched_yield, %eax
	syscall
	jmp	1b
2:	mov	%r12, %rdi
	xor	%esi, %esi			/* FUTEX_WAIT, shared */
	mov	%ebx, %edx
	xor	%r10d, %r10d
	mov	$SYS_futex, %eax
	syscall
	jmp	1b
3:	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	ret

	.globl stub_restorer
stub_restorer:
	mov	$SYS_rt_sigreturn, %eax
	syscall
	ud2

	.bss
	.balign 16
	.space	16384
stub_stack_top:

	.section .note.GNU-stack, "", @progbits
