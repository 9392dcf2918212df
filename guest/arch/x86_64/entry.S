/*
 * Kernel entry points: boot, exception vectors, the system-call entries of both
 * platforms, and the way out to user mode. Every path into the kernel builds
 * one struct trapframe (see trap.h; its order is struct exo_regs) and calls
 * trap(); every path out pops it and leaves with iretq (or sysretq).
 */
#include "asm.h"

	.section .text.boot, "ax"
	.globl _start
_start:					/* rdi = struct exo_bootinfo * (VMM) */
	lea	boot_stack_top(%rip), %rsp
	xor	%ebp, %ebp
	call	kmain
1:	hlt
	jmp	1b

	.text
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

VEC_NOERR 0
VEC_NOERR 1
VEC_NOERR 2
VEC_NOERR 3
VEC_NOERR 4
VEC_NOERR 5
VEC_NOERR 6
VEC_NOERR 7
VEC_ERR   8
VEC_NOERR 9
VEC_ERR   10
VEC_ERR   11
VEC_ERR   12
VEC_ERR   13
VEC_ERR   14
VEC_NOERR 15
VEC_NOERR 16
VEC_ERR   17
VEC_NOERR 18
VEC_NOERR 19
VEC_NOERR 20
VEC_ERR   21
/* Interrupts (asm.h): the CPU pushes no error code. */
VEC_NOERR 32
VEC_NOERR 33
VEC_NOERR 34

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

trap_common:
	PUSH_GPRS
	cld				/* gates keep the user's DF; C needs DF=0 */
	mov	%rsp, %rdi
	call	trap
	/* fall through */
	.globl trap_return
trap_return:				/* rsp = struct trapframe * */
	POP_GPRS
	add	$16, %rsp		/* vector, error */
	iretq

/*
 * arch_enter_user(struct trapframe *tf): leave for user mode with the state in
 * tf, which need not be on this stack. Used to start a program.
 */
	.globl arch_trap_resume
arch_trap_resume:
	mov	%rdi, %rsp
	jmp	trap_return

/*
 * Hardware KVM (VMX/SVM): SYSCALL lands here in ring 0 with rcx = user rip,
 * r11 = user rflags, rsp still the user's, interrupts masked by FMASK.
 * One CPU for now: the user rsp is parked in cpu0 (per-CPU GS comes with SMP).
 * The frame is the same as an exception's, so trap() sees no difference.
 */
	.globl syscall_entry_hw
syscall_entry_hw:
	mov	%rsp, cpu0 + CPU_SCRATCH(%rip)
	mov	cpu0 + CPU_KSTACK_TOP(%rip), %rsp
	pushq	$SEL_UDATA
	pushq	cpu0 + CPU_SCRATCH(%rip)
	push	%r11
	pushq	$SEL_UCODE
	push	%rcx
	pushq	$0
	pushq	$VEC_SYSCALL
	PUSH_GPRS
	mov	%rsp, %rdi
	call	trap
	POP_GPRS
	add	$16, %rsp
	/*
	 * sysretq loads rip from rcx in ring 0 before it drops to ring 3: a
	 * non-canonical rip would #GP in ring 0 on Intel with the user's rsp.
	 * trap() guarantees a user rip below EXO_USER_END on this path, but a
	 * frame that is not a plain system-call return goes out by iretq.
	 */
	cmpq	$SEL_UCODE, 8(%rsp)
	jne	1f
	mov	(%rsp), %rcx
	mov	16(%rsp), %r11
	mov	24(%rsp), %rsp
	sysretq
1:	iretq

/*
 * PVM hosts: SYSCALL from user mode jumps to LSTAR but stays in ring 3, so
 * LSTAR points at this page, mapped user read/execute at
 * EXO_USER_SYSCALL_STUB in every space. Its int3 enters the kernel through the
 * DPL3 #BP gate; trap() recognises the address and treats it as the call.
 */
	.section .user_stub, "ax"
	.balign 4096
	.globl syscall_stub_pvm
syscall_stub_pvm:
	int3
	ud2
	.balign 4096

	.section .bss
	.balign 4096
	.globl boot_stack_top
boot_stack:
	.skip	KSTACK_SIZE
boot_stack_top:
	.globl df_stack_top, nmi_stack_top
	.skip	4096
df_stack_top:
	.skip	4096
nmi_stack_top:

/* Entry addresses for the IDT, one per vector, 0 where there is no gate (cpu.c). */
	.section .rodata
	.balign 8
	.globl trap_vectors
trap_vectors:
	.irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21
	.quad	vec\n
	.endr
	.fill	VEC_IRQ_FIRST - 22, 8, 0	/* reserved exceptions: no gate */
	.quad	vec32, vec33, vec34	/* VEC_TIMER, VEC_CONSOLE, VEC_SPURIOUS */
	.if	. - trap_vectors != IDT_NVEC * 8
	.error	"trap_vectors must have IDT_NVEC entries"
	.endif

	.section .note.GNU-stack, "", @progbits
