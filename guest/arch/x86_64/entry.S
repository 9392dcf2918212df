/*
 * Kernel entry points: boot, exception and interrupt vectors, the system-call
 * entries of both platforms, the IPC fast path's entry, and the way out.
 *
 * The TSS's ring-0 stack pointer is the end of the running thread's saved
 * registers (struct trapframe, the first member of struct thread), so an
 * entry from user mode pushes its frame straight into the thread's control
 * block (no gate has an IST but #DF, NMI and #MC: a frame in user memory
 * could be rewritten by another thread before the kernel reads it); the code then moves to the kernel stack and calls trap(), which
 * returns the frame of the thread to resume. An entry from ring 0 (an
 * interrupt while idle, or a kernel fault) stays on the kernel stack.
 *
 * SMP: every path into the kernel proper takes the big kernel lock (smp.c):
 * trap() and trap_ipc_slow() in C, the fast paths here with an inline
 * `lock bts` that falls back to the general path when the lock is taken,
 * and drop it with a plain store just before their iretq. Where the entry
 * code needs its CPU and has no register to spare, `str` names it: the task
 * register indexes cpus[] (PC_BY_TR, percpu.h).
 */
#include <exo/exo.h>
#include <exo/layout.h>

#include "asm.h"
#include "trace_asm.h"

	.section .text.boot, "ax"
	.globl _start
_start:					/* rdi = struct exo_bootinfo *, esi = CPU (VMM) */
	test	%esi, %esi
	jnz	ap_start
	lea	cpu_stacks + KSTACK_SIZE(%rip), %rsp
	xor	%ebp, %ebp
	call	kmain
1:	hlt
	jmp	1b
/*
 * An application processor, started by the VMM in 64-bit mode at _start
 * (smp.c), on the stack CPU 0 gave it (cpu.c).
 */
ap_start:
	mov	%esi, %eax
	mov	cpu_stack_base(,%rax,8), %rsp	/* cpu_alloc_stacks */
	add	$KSTACK_SIZE, %rsp
	xor	%ebp, %ebp
	mov	%esi, %edi
	call	ap_main
	jmp	1b

	.text
/*
 * Exceptions an environment may handle itself (<exo/exo.h>). Their gates
 * have no IST: from ring 3 the processor pushes the frame at rsp0, the end
 * of the running thread's ctx, from ring 0 onto the kernel stack; kernel
 * memory either way, so the CS it pushed says which ring was interrupted,
 * and nothing another thread of the space writes can change it. A thread
 * that registered an exception entry (T_XFRAME: the kernel's address of its
 * UTCB's exception frame) gets the faulting state copied there and goes to
 * its entry with one iretq, on a frame built of the user selectors and the
 * entry's pc and sp (rax parks in ctx: XS_UPRAX). A frame in use (vector
 * nonzero), a page fault (the software TLB first), and everything from
 * ring 0 go the common way, the frame already in ctx.
 */
.macro VEC_UP n, err, t=
	TRACE_COPY \t
	.globl vec\n\t
vec\n\t:
	.if \err == 0
	pushq	$0
	.endif
	testb	$3, HW_CS(%rsp)		/* pushed by the CPU into kernel memory */
	.if \n == 13
	jz	kfault_gp		/* ring 0: perhaps an upcall's iretq */
	.else
	jz	1f			/* ring 0: the kernel's own fault */
	.endif
	cmpq	$0, T_XFRAME - TF_ERROR(%rsp)
	.if \n == 14
	jz	pf_entry		/* no exception entry: the pager fast path */
	/*
	 * A page not present that the software TLB holds (core/bind.c): store
	 * the translation it prepared and retry, without the kernel proper but
	 * under its lock (an unbind on another CPU must not cross the store).
	 */
	testb	$1, (%rsp)		/* present: a protection fault */
	jnz	1f
	BKL_TAKE 1f			/* taken: the general way waits for it */
	mov	%rax, XS_RAX(%rsp)
	mov	%rcx, XS_RCX(%rsp)
	mov	%rdx, XS_RDX(%rsp)
	mov	%cr2, %rax
	and	$-EXO_PAGE_SIZE, %rax
	mov	%rax, %rdx
	shr	$12, %rdx
	and	$EXO_STLB_ENTRIES - 1, %edx
	lea	(%rdx,%rdx,4), %rdx	/* 40-byte entries */
	THIS_CPU %rcx			/* this CPU: its current thread */
	mov	PCPU(PC_CURRENT, %rcx), %rcx
	mov	T_STLB(%rcx), %rcx
	lea	(%rcx,%rdx,8), %rdx
	or	$STLB_F_VALID, %rax
	cmp	%rax, STLB_TAG(%rdx)
	jne	3f
	incq	STLB_HITS(%rcx)
	mov	STLB_SLOT(%rdx), %rax
	mov	STLB_PTE(%rdx), %rcx
	mov	%rcx, (%rax)
	andq	$~STLB_F_LAZY, STLB_PA_RIGHTS(%rdx)
	TRACE_REC TRACE_K_STLB_FILL, 0, %rcx, "mov %cr2, %rax"
	BKL_DROP
	mov	XS_RAX(%rsp), %rax
	mov	XS_RCX(%rsp), %rcx
	mov	XS_RDX(%rsp), %rdx
	add	$8, %rsp
	iretq
3:	BKL_DROP
	mov	XS_RAX(%rsp), %rax
	mov	XS_RCX(%rsp), %rcx
	mov	XS_RDX(%rsp), %rdx
	.else
	jz	1f			/* no exception entry */
	mov	%rax, XS_UPRAX(%rsp)
	mov	T_XFRAME - TF_ERROR(%rsp), %rax
	cmpq	$0, XF_VECTOR(%rax)
	jne	2f			/* a fault in the handler: the kernel decides */
	.if trace_copy == TRACE_TRACED	/* the record needs three registers */
	mov	%rcx, XS_RCX(%rsp)
	TRACE_REC TRACE_K_EXC_UPCALL, \n, %rcx, save=XS_RDX(%rsp)
	mov	XS_RCX(%rsp), %rcx
	mov	T_XFRAME - TF_ERROR(%rsp), %rax
	.endif
	/* The faulting state into the UTCB: memory to memory, no register. */
	pushq	HW_RIP(%rsp)
	popq	XF_RIP(%rax)
	pushq	HW_RFLAGS(%rsp)
	popq	XF_RFLAGS(%rax)
	pushq	HW_RSP(%rsp)
	popq	XF_RSP(%rax)
	.if \err
	pushq	(%rsp)
	popq	XF_ERROR(%rax)
	.else
	movq	$0, XF_ERROR(%rax)
	.endif
	movq	$\n, XF_VECTOR(%rax)
	/* Into the handler, in ring 3 whatever the UTCB says (a new frame below). */
	pushq	$SEL_UDATA
	pushq	XF_ENTRY_SP(%rax)
	pushq	$0x202
	pushq	$SEL_UCODE
	pushq	XF_ENTRY_PC(%rax)	/* not a user address: #GP here, kfault_gp */
	mov	XS_UPRAX + 40(%rsp), %rax
	iretq
2:	mov	XS_UPRAX(%rsp), %rax
	.endif
1:	pushq	$\n
	jmp	trap_common
.endm

/* Vectors without a CPU error code push a zero so every frame has one. */
.macro VEC_NOERR n
	.globl vec\n
vec\n:	pushq	$0
	pushq	$\n
	jmp	trap_common
.endm
.macro VEC_ERR n
	.globl vec\n
vec\n:	pushq	$\n
	jmp	trap_common
.endm

	.globl upcall_text_start
upcall_text_start:
VEC_UP    0, 0
VEC_NOERR 1
VEC_NOERR 2
/*
 * #BP: on PVM hosts also the system call (see syscall_stub_pvm), and the
 * way into the IPC and PCT fast paths. Two copies: vec3_traced (below)
 * enters IPC at ipc_entry_traced, whose pager-reply path writes a record.
 */
.macro VEC3 t=
	.globl vec3\t
vec3\t:	cmpq	$EXO_USER_SYSCALL_STUB + 1, (%rsp)
	jne	vec3_common
	cmp	$SYSNO_IPC, %rax
	je	ipc_entry\t
	cmp	$SYSNO_FAST_END, %rax	/* other calls with a fast entry: the table */
	jae	vec3_common
	jmp	*vec3_fast(,%rax,8)
.endm
	VEC3
VEC_NOERR 4
VEC_UP    5, 0
VEC_UP    6, 0
VEC_NOERR 7
VEC_ERR   8
VEC_NOERR 9
VEC_ERR   10
VEC_ERR   11
VEC_ERR   12
VEC_UP    13, 1
VEC_UP    14, 1
VEC_NOERR 15
VEC_UP    16, 0
VEC_UP    17, 1
VEC_NOERR 18
VEC_UP    19, 0
/*
 * Their traced copies (trace_asm.h), which the IDT's gates point at while
 * tracing is on (cpu.c): the others have no trace point.
 */
	.irp n, 0, 5, 6, 16, 19
	VEC_UP	\n, 0, _traced
	.endr
	.irp n, 13, 14, 17
	VEC_UP	\n, 1, _traced
	.endr
	.globl upcall_text_end
upcall_text_end:
VEC_NOERR 20
VEC_ERR   21
/* Interrupts (asm.h): the CPU pushes no error code. */
VEC_NOERR 32
VEC_NOERR 33
VEC_NOERR 34
/* VEC_IPI: its own way in (trap_ipi), so trap() need not test for it. */
	.globl vec35
vec35:	pushq	$0
	pushq	$VEC_IPI
	jmp	ipi_common

.macro PUSH_GPRS
	push	%rax
	push	%rbx
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%rbp
	push	%r8
	push	%r9
	push	%r10
	push	%r11
	push	%r12
	push	%r13
	push	%r14
	push	%r15
.endm
.macro POP_GPRS
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rbp
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rbx
	pop	%rax
.endm

/*
 * Run the thread in rax next on this CPU, its home: its tables, its frame as
 * the ring-0 stack (exceptions too: no IST, VEC_UP), its UTCB in the GS base (what sched_switch and
 * arch_thread_switch do). Clobbers rdx and rsi.
 */
#ifdef EXO_UP
#define SW_PC(off)	cpus + (off)(%rip)	/* the one CPU's, at a fixed address */
#else
#define SW_PC(off)	(off)(%rsi)
#endif
.macro SWITCH_TO_RAX
#ifndef EXO_UP
	mov	T_HOME(%rax), %rsi	/* this CPU's struct percpu */
#endif
	mov	T_ROOT(%rax), %rdx
	cmp	%rdx, SW_PC(PC_ROOT)
	je	.Lsame_root\@
	mov	%rdx, %cr3
	mov	%rdx, SW_PC(PC_ROOT)
.Lsame_root\@:
	lea	TF_SIZE(%rax), %rdx
	mov	%rdx, SW_PC(PC_ARCH + CPU_TSS + TSS_RSP0)
	mov	T_UTCB_VA(%rax), %rdx
	wrgsbase %rdx			/* the thread's UTCB (<exo/ipc.h>) */
.endm

/* Leave for user mode as the thread in rax, all its registers from its frame
 * (trap_return, without the jump). */
.macro RESUME_RAX
	mov	%rax, %rsp
	POP_GPRS
	add	$16, %rsp		/* vector, error */
	iretq
.endm

/*
 * #BP that takes no fast entry (vec3, its table, and the fast paths that
 * decline): the frame every vector has, then straight on, no jump.
 */
	.globl vec3_common
vec3_common:
	pushq	$0
	pushq	$3
trap_common:
	PUSH_GPRS
	cld				/* gates keep the user's DF; C needs DF=0 */
	testb	$3, TF_CS(%rsp)
	jz	1f
	mov	%rsp, %rdi		/* the running thread's saved registers */
	mov	T_KSTACK(%rdi), %rsp	/* its home CPU's, which is this one */
	call	trap
	mov	%rax, %rsp		/* the thread to resume */
	.globl trap_return
trap_return:				/* rsp = struct trapframe * */
	POP_GPRS
	add	$16, %rsp		/* vector, error */
	iretq
1:	mov	%rsp, %rdi		/* from ring 0: returns, or panics */
	call	trap_kernel_entry
	jmp	trap_return

/*
 * Wait for an interrupt with interrupts on, and return with them off: the
 * wait of arch_idle and arch_wait_interrupt. STI's one-instruction shadow
 * should let no interrupt in before the HLT, but a host may deliver one
 * there: nested SVM under QEMU's TCG does, and the CPU then halted for ever
 * after the timer interrupt that was to wake it (the kernel's own log saw
 * the interrupt return to the HLT). So the ring-0 interrupt entry returns
 * past the HLT when it interrupted it (trap_kernel_entry): no wake-up is
 * lost, whether the host honours the shadow or not.
 */
	.globl sti_hlt
sti_hlt:
	sti
	.globl sti_hlt_halt
sti_hlt_halt:
	hlt
	cli
	ret

ipi_common:
	PUSH_GPRS
	cld
	testb	$3, TF_CS(%rsp)
	jz	1b			/* idle: trap_kernel_entry */
	mov	%rsp, %rdi
	mov	T_KSTACK(%rdi), %rsp
	call	trap_ipi
	mov	%rax, %rsp
	jmp	trap_return

/*
 * #GP from ring 0 (VEC_UP 13). At an upcall's iretq it means the thread's
 * entry_pc is not a user address (it may write its UTCB as it likes): the
 * processor pushed this frame below the iretq's, inside the thread's ctx,
 * and PUSH_GPRS would run past the thread's start, so the thread dies here,
 * and the kernel goes on with whoever is next, on this CPU's kernel stack.
 * Any other #GP in ring 0 is the kernel's own (trap_kernel: panic).
 */
kfault_gp:
	cmpq	$upcall_text_start, HW_RIP(%rsp)
	jb	1f
	cmpq	$upcall_text_end, HW_RIP(%rsp)
	jae	1f
	cld				/* the gate kept the user's DF; C needs DF=0 */
	THIS_CPU %rax
	mov	PCPU(PC_ARCH + CPU_KSTACK_TOP, %rax), %rsp
	call	trap_upcall_bad
	mov	%rax, %rsp
	jmp	trap_return
1:	pushq	$13
	jmp	trap_common

/*
 * #PF from user mode: the whole frame goes into the thread's control block
 * as for any exception, then the fast path (pf_fast: kernel_pagefault_fast) may hand
 * the fault to a waiting pager; the pager resumes from its saved registers,
 * where the message is. Otherwise trap() does what it always does. The
 * fast path runs under the big lock, taken inline; when it is taken
 * already, trap() waits for it.
 */
pf_entry:
	pushq	$14
	PUSH_GPRS
	cld
	mov	%rsp, %rdi		/* the faulting thread */
	mov	T_KSTACK(%rdi), %rsp
	BKL_TAKE 2f
	/* An involuntary entry: keep its FPU/SSE state (trap.c fpu_save). */
	mov	T_SAVE(%rdi), %rsi
	fxsave64 (%rsi)
	movl	$1, T_FPU_SAVED(%rdi)
	mov	%cr2, %rsi
	mov	TF_ERROR(%rdi), %rdx
	call	pf_fast			/* kernel_pagefault_fast; rbx, r12-r15 scratch (pfmap.c) */
	test	%rax, %rax
	jz	1f
	SWITCH_TO_RAX
	fxrstor64 fpu_clean(%rip)	/* the pager: not the faulting thread's state */
	BKL_DROP		/* release: the stores above come first */
	RESUME_RAX
1:	BKL_DROP
	THIS_CPU %rdi			/* declined: nothing changed */
	mov	PCPU(PC_CURRENT, %rdi), %rdi
2:	call	trap
	mov	%rax, %rsp
	jmp	trap_return

/*
 * arch_trap_resume(struct trapframe *tf): leave for user mode with the state
 * in tf. Used once, to start the first thread.
 */
	.globl arch_trap_resume
arch_trap_resume:
	mov	%rdi, %rsp
	jmp	trap_return

/*
 * SYS_ipc on a PVM host, from vec3: rsp = &current->ctx.rip. The registers
 * the C fast path may clobber go to the caller's control block first, and
 * rbp, which IPC preserves; the message registers rbx, r12-r15 are
 * callee-saved in C and never leave the CPU: the receiver finds them there.
 * See ipc/fastpath.c for what the fast path accepts. While tracing is on,
 * vec3_traced enters at ipc_entry_traced instead (below, with ipc_map).
 */
ipc_entry:
	cld				/* the user may enter with DF=1 (int3 at the stub); C needs DF=0 */
	cmpw	$TAG_MAP_ITEM, %r8w	/* one map item: a pager's reply (ipc_map) */
	je	ipc_map
ipc_entry_nomap:
	mov	%rcx, TF_RCX - TF_RIP(%rsp)
	mov	%rdx, TF_RDX - TF_RIP(%rsp)
	mov	%rsi, TF_RSI - TF_RIP(%rsp)
	mov	%rdi, TF_RDI - TF_RIP(%rsp)
	mov	%r8, TF_R8 - TF_RIP(%rsp)
	mov	%r9, TF_R9 - TF_RIP(%rsp)
	mov	%r10, TF_R10 - TF_RIP(%rsp)
	mov	%r11, TF_R11 - TF_RIP(%rsp)
	mov	%rbp, TF_RBP - TF_RIP(%rsp)	/* preserved across IPC, not a message register */
	lea	-TF_RIP(%rsp), %rcx	/* current; args: to, from, timeouts, cur, tag */
	mov	T_KSTACK(%rcx), %rsp
	BKL_TAKE ipc_slow	/* the big kernel lock (smp.c) */
	push	%rcx
	call	ipc_fastpath
	pop	%rcx
	test	%rax, %rax
	jz	ipc_declined
	/* rax = the receiver, now current: MR0-MR2 back, then switch to it. */
	mov	TF_R8(%rcx), %r8
	mov	TF_R9(%rcx), %r9
	mov	TF_R10(%rcx), %r10
	SWITCH_TO_RAX
	fxrstor64 fpu_clean(%rip)	/* not the sender's FPU/SSE state (trap.c) */
	lea	TF_RIP(%rax), %rsp
	mov	TF_RCX(%rax), %rcx
	mov	TF_RBP(%rax), %rbp
	xor	%edx, %edx		/* no error; and leave no kernel values */
	xor	%esi, %esi
	xor	%edi, %edi
	xor	%r11d, %r11d
	mov	TF_RAX(%rax), %rax	/* the sender's id */
	BKL_DROP		/* release: the stores above are ordered before */
	iretq
ipc_declined:
	BKL_DROP		/* the general path takes it again */
ipc_slow:				/* rcx = current: complete its frame */
	mov	%rbx, TF_RBX(%rcx)
	mov	%r12, 24(%rcx)
	mov	%r13, 16(%rcx)
	mov	%r14, 8(%rcx)
	mov	%r15, 0(%rcx)
	mov	%rcx, %rdi
ipc_slow_call:				/* rdi = current, its frame complete */
	call	trap_ipc_slow
	mov	%rax, %rsp
	jmp	trap_return
/*
 * A reply of one map item, a pager's answer to a fault, from ipc_entry:
 * rsp = &current->ctx.rip. The pager's frame gets what the general path
 * reads if ipc_map_fast(to, from, timeouts, current, MR1, MR2) declines;
 * r11 is not saved (SYSCALL clobbered it). Success maps one page and hands
 * back the faulting thread, which resumes with all its registers from its
 * control block. ipc_map_fast uses rbx, r12-r15 as scratch
 * (arch/x86_64/pfmap.c): they are the pager's MR3..MR7, no part of this
 * message, so a decline does not store them (the frame keeps older values
 * of the pager's own, nothing of the kernel's); rbp is saved here.
 * Two copies (trace_asm.h): the traced one writes an IPC_FAST record
 * marked EXO_TRACE_IPC_FAST_MAP for the reply, naming the thread it
 * resumes.
 */
.macro IPC_MAP t=
	TRACE_COPY \t
ipc_map\t:
	mov	%rcx, TF_RCX - TF_RIP(%rsp)
	mov	%rdx, TF_RDX - TF_RIP(%rsp)
	mov	%rsi, TF_RSI - TF_RIP(%rsp)
	mov	%rdi, TF_RDI - TF_RIP(%rsp)
	mov	%r8, TF_R8 - TF_RIP(%rsp)
	mov	%r9, TF_R9 - TF_RIP(%rsp)
	mov	%r10, TF_R10 - TF_RIP(%rsp)
	mov	%rbp, TF_RBP - TF_RIP(%rsp)
	lea	-TF_RIP(%rsp), %rcx	/* current */
	mov	T_KSTACK(%rcx), %rsp
	BKL_TAKE ipc_map_contended
	mov	%r9, %r8		/* MR1, MR2: the map item */
	mov	%r10, %r9
	call	ipc_map_fast
	test	%rax, %rax
	jz	ipc_map_declined
	/*
	 * Invariant: the thread resumed waited in TS_RECV_FAULT, where only a
	 * page fault puts it, and both ways in (pf_entry, trap) saved its
	 * FPU/SSE state: load it (trap.c fpu_save). arch_fpu_saved stays set,
	 * one store less on this path: at worst the next switch to the thread
	 * from the general path loads this state again, after a system call,
	 * which may leave the state changed (<exo/syscall.h>).
	 */
	mov	T_SAVE(%rax), %rdx
	fxrstor64 (%rdx)
	.if trace_copy == TRACE_TRACED
	mov	%rax, %rsi		/* the faulting thread, resumed */
	mov	T_ID(%rax), %rdi
	TRACE_REC TRACE_K_IPC_FAST, TRACE_IPC_FAST_MAP, %rcx, "mov %rdi, %rax"
	mov	%rsi, %rax
	.endif
	SWITCH_TO_RAX
	BKL_DROP
	RESUME_RAX
.endm

/*
 * vec3's traced copy: the same dispatch, except that a pager's map reply
 * falls into the traced copy of ipc_map. The other IPC takes the branch
 * into ipc_entry that the plain copy falls through to: both pay the same.
 */
	VEC3 _traced
ipc_entry_traced:
	cld
	cmpw	$TAG_MAP_ITEM, %r8w
	jne	ipc_entry_nomap
	IPC_MAP _traced			/* falls in here */

	IPC_MAP				/* the plain copy */
ipc_map_declined:
	BKL_DROP
	THIS_CPU %rdi			/* still the caller */
	mov	PCPU(PC_CURRENT, %rdi), %rdi
	jmp	ipc_slow_call
ipc_map_contended:			/* the general path waits for the lock */
	mov	%rcx, %rdi
	jmp	ipc_slow_call

/*
 * Hardware KVM (VMX/SVM): SYSCALL lands here in ring 0 with rcx = user rip,
 * r11 = user rflags, rsp still the user's, interrupts masked by FMASK.
 * The user rsp is parked in this CPU's struct cpu, found through
 * KERNEL_GS_BASE (swapgs: GS itself is the user's UTCB pointer).
 * The frame is the same as an exception's, built in the thread's control
 * block, so trap() sees no difference; the way out is the common iretq.
 */
	.globl syscall_entry_hw
syscall_entry_hw:
	swapgs
	mov	%rsp, %gs:CPU_SCRATCH
	mov	%gs:CPU_TSS + TSS_RSP0, %rsp	/* every switch sets it, fast paths too */
	pushq	$SEL_UDATA
	pushq	%gs:CPU_SCRATCH
	swapgs
	push	%r11
	pushq	$SEL_UCODE
	push	%rcx
	pushq	$0
	pushq	$VEC_SYSCALL
	PUSH_GPRS
	cld
	mov	%rsp, %rdi
	mov	T_KSTACK(%rdi), %rsp
	call	trap
	mov	%rax, %rsp
	jmp	trap_return

/*
 * PVM hosts: SYSCALL from user mode jumps to LSTAR but stays in ring 3, so
 * LSTAR points at this page, mapped user read/execute at
 * EXO_USER_SYSCALL_STUB in every space. Its int3 enters the kernel through the
 * DPL3 #BP gate (vec3 recognises the address); the kernel returns past the
 * int3, and the jump back to where SYSCALL left rcx happens in user mode, so
 * no kernel instruction is spent on it and a bad rcx faults in ring 3.
 */
	.section .user_stub, "ax"
	.balign 4096
	.globl syscall_stub_pvm
syscall_stub_pvm:
	int3
	jmp	*%rcx
	.balign 4096

/* CPU 0's stacks: the kernel's, then one for #DF, NMI and #MC (cpu.c: the
 * others'). Not page aligned: a page of padding would cost a 4 MiB guest. */
	.section .bss
	.balign 64
	.globl cpu_stacks
cpu_stacks:
	.skip	KSTACK_SIZE + 4096

/* Entry addresses for the IDT, one per vector, 0 where there is no gate (cpu.c). */
	.section .rodata
	.balign 8
	.globl trap_vectors
trap_vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21
	.quad	vec\n
	.endr
	.fill	VEC_IRQ_FIRST - 22, 8, 0	/* reserved exceptions: no gate */
	.quad	vec32, vec33, vec34, vec35	/* VEC_TIMER, _CONSOLE, _SPURIOUS, _IPI */
	.if	. - trap_vectors != IDT_NVEC * 8
	.error	"trap_vectors must have IDT_NVEC entries"
	.endif

/*
 * vec3's fast entries by system call number (below SYSNO_FAST_END; IPC is
 * tested first): PCT (pct_fast.S), bind and unbind (bind_fast.S); vec3_common for
 * the others. Writable: KTEST_FASTPATH turns an entry off, arch_trace_set
 * switches the fast ones to their traced copies and back (trap.c).
 */
	.data
	.balign 8
	.globl vec3_fast
vec3_fast:
	.set	sysno, 0
	.rept	SYSNO_FAST_END
	.if	sysno == SYSNO_PCT
	.quad	pct_entry
	.elseif	sysno == SYSNO_BIND
	.quad	bind_entry
	.elseif	sysno == SYSNO_UNBIND
	.quad	unbind_entry
	.else
	.quad	vec3_common
	.endif
	.set	sysno, sysno + 1
	.endr

	.section .note.GNU-stack, "", @progbits
