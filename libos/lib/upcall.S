/*
 * The exception entry (<exo/exo.h>): the kernel starts us here on the
 * handler stack with every register as it was at the fault, except rax for
 * a page fault (cr2; the old one is in the frame), rsp, rip and rflags.
 * We save them, let exo_upcall_dispatch (exo.c) run the handler, and resume
 * the faulting code in user mode: dispatch leaves rax, rflags and rip just
 * below the faulting stack's red zone and returns that address.
 */
#include <exo/exo.h>
#include <exo/layout.h>

	.text
	.globl exo_upcall_entry
exo_upcall_entry:
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
	cld
	mov	%rsp, %rsi			/* struct exo_gprs * */
	rdgsbase %rdi				/* our UTCB (<exo/ipc.h>: the GS base) */
	add	$EXO_UTCB_XFRAME, %rdi
	sub	$8, %rsp			/* 15 pushes: align for the call */
	call	exo_upcall_dispatch
	add	$8, %rsp
	mov	%rax, 14 * 8(%rsp)		/* the saved rax slot: the way back */
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
	mov	(%rsp), %rsp			/* the faulting stack, less 152 */
	pop	%rax
	popfq
	ret	$128				/* to rip; rsp as it was at the fault */
	.section .note.GNU-stack, "", @progbits
