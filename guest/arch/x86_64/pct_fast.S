/*
 * The synchronous protected control transfer's fast path (SYS_pct on a PVM
 * host, from vec3's table), all in assembly: the checks and the state change
 * of pct_syscall (core/pct.c) for the common case, then the switch to the
 * target's entry thread and iretq, with the caller's registers still in the
 * CPU for the target.
 *
 * It takes: flags SYNC (0); a live ENV capability with X in the caller's
 * table; a caller that is its environment's PCT entry thread; a target
 * whose PCT entry thread waits (TS_ENTRY_WAIT, no flags); the scheduler's
 * timer disarmed (so no slot of the slice vector is owned, the loan is just
 * the donee links, and no deadline is missed). Anything else
 * goes to vec3_common with every register as it came.
 *
 * SMP: under the big lock, taken inline (taken: the general path waits for
 * it); no slot owned in any CPU's vector (slice_owned counts them all: a
 * loan here changes who runs first wherever the caller's slices run, which
 * slice_lend recomputes) and this CPU's timer disarmed; the target's entry thread homed on this CPU (one elsewhere is
 * started there by the general path). rsp, free once the caller's frame has
 * been read, holds this CPU's struct percpu for the switch.
 *
 * Entry: rsp = &current->ctx.rip, rdi = cap, rsi = flags, rax the call
 * number. rax, rcx and r11 are scratch (the target gets rax = the caller's
 * id, rcx = r11 = 0, as from the general path), and so is rsi once it is
 * known to be 0. rcx is not touched before the point of no return (the
 * stub returns through it on the general path). The caller's frame is its own: it waits
 * (TS_ENTRY_WAIT) until a transfer or an upcall restarts it at its entry,
 * which sets every register, as in the general path.
 */
#include <exo/exo.h>
#include <exo/layout.h>

#include "asm.h"
#include "trace_asm.h"

/* A cap the fast path takes: gen in bits 16-31, index below EXO_NCAPS. */
#define CAP_BAD_BITS	0xffffffff0000fe00
#define TE(off)		envs + ENV_PCT + (off)	/* with rsi = to * ENV_SIZE */
#define CALLER_RDX	(-48)	/* TF_RDX - TF_RIP: from rsp at the caller's rip (checked below) */
.if CALLER_RDX != TF_RDX - TF_RIP
.error "CALLER_RDX"
.endif

/* Two copies (trace_asm.h): pct_entry, and pct_entry_traced with its record. */
.macro PCT_ENTRY t=
	TRACE_COPY \t
	.text
	.globl pct_entry\t
pct_entry\t:
	movabs	$CAP_BAD_BITS, %rax
	and	%rdi, %rax
	or	%rsi, %rax			/* and flags other than SYNC: rsi = 0 from here */
	jnz	pct_slow\t
	BKL_TAKE pct_slow\t
	/*
	 * Nothing armed (sched.h): no slot is owned (slice_lend has only the
	 * donee links to set), and no deadline can pass unseen. Two entry
	 * threads could transfer to each other for ever, and on PVM a tight
	 * loop of kernel entries keeps the timer's interrupt out; while it is
	 * armed the general path (leave, sched_poll) does the transfers.
	 */
#ifndef EXO_UP	/* one CPU: an owned slot of its vector keeps its timer armed (sched_arm) */
	cmpl	$0, slice_owned(%rip)
	jne	pct_slow_unlock\t
#endif
	THIS_CPU %rax
	cmpq	$0, PCPU(PC_ARMED, %rax)	/* sched_deadline, this CPU's */
	jne	pct_slow_unlock\t
	/* k = &env->caps[index]: gen, type ENV and right X in one compare (bind_fast.S). */
	mov	T_STLB - TF_RIP(%rsp), %rsi	/* env->stlb; env->caps is before it */
	movzwl	%di, %eax
	lea	(%rax,%rax,4), %rax
	lea	-ENV_STLB(%rsi,%rax,8), %rax
	mov	%edi, %r11d
	shr	$16, %r11d
	or	$CAP_TYPE_ENV << 16 | EXO_CAP_X << 24, %r11d
	xor	CAP_GEN(%rax), %r11d
	test	$0xffffff | EXO_CAP_X << 24, %r11d
	jnz	pct_slow_rsi\t
	mov	T_ID - TF_RIP(%rsp), %r11
	cmp	%r11, ENV_PCT + ENT_TID - ENV_STLB(%rsi)
	jne	pct_slow_rsi\t			/* not the caller env's PCT entry thread */
	imul	$ENV_SIZE, CAP_OBJECT(%rax), %rsi	/* rsi = to * ENV_SIZE */
	/* The target's entry thread, rax = its offset in threads[]: waiting, alive. */
	mov	TE(ENT_TOFF)(%rsi), %eax
	cmpq	$TS_ENTRY_WAIT_, threads + T_STATE(%rax)	/* state, and flags 0 */
	jne	pct_slow_rsi\t
	mov	threads + T_ID(%rax), %r11
	cmp	TE(ENT_TID)(%rsi), %r11
	jne	pct_slow_rsi\t		/* none registered, or it died */
#ifndef EXO_UP
	mov	T_HOME - TF_RIP(%rsp), %r11
	cmp	threads + T_HOME(%rax), %r11
	jne	pct_slow_rsi\t		/* homed on another CPU */
#endif
	/*
	 * Point of no return: the caller waits, the target runs in its
	 * slices (slice_lend with no slot owned: the donee links).
	 */
	movl	$TS_ENTRY_WAIT_, T_STATE - TF_RIP(%rsp)
	mov	T_SLICE - TF_RIP(%rsp), %r11
	mov	TE(ENT_ENV1)(%rsi), %ecx
	mov	%ecx, SE_DONEE(%r11)		/* slice_envs[from].donee = to + 1 */
	movl	$0, slice_envs - SE_SIZE + SE_DONEE(,%rcx,SE_SIZE)	/* [to].donee = 0 */
	movl	$TS_READY_, threads + T_STATE(%rax)
	lea	threads(%rax), %rcx		/* the target, now current */
	/* rdx is the caller's, for the target: kept in the caller's frame,
	 * whose registers are dead (it restarts at its entry). */
	TRACE_REC TRACE_K_SYSCALL_FAST, SYSNO_PCT, %r11, save=CALLER_RDX(%rsp)
	mov	T_ID - TF_RIP(%rsp), %rax	/* the caller's id (its env's PCT entry) */
#ifdef EXO_UP
#define PCT_PC(off)	cpus + (off)(%rip)	/* the one CPU's */
#else
	mov	T_HOME(%rcx), %rsp		/* this CPU's struct percpu */
#define PCT_PC(off)	(off)(%rsp)
#endif
	mov	%rcx, PCT_PC(PC_CURRENT)
	/* Its tables (another space: always loaded), stacks, UTCB (SWITCH_TO_RAX). */
	mov	T_ROOT(%rcx), %r11
	mov	%r11, %cr3
	mov	%r11, PCT_PC(PC_ROOT)
	mov	T_UTCB_VA(%rcx), %r11
	wrgsbase %r11				/* its UTCB (<exo/ipc.h>) */
	fxrstor64 fpu_clean(%rip)		/* not the caller's FPU/SSE state (trap.c) */
	/*
	 * The way out through its frame, whose end is its ring-0 stack: ss,
	 * rsp = the entry's sp; cs and rflags as they are; rip = the entry's pc.
	 */
#ifdef EXO_UP
	lea	TF_SIZE(%rcx), %rsp
	mov	%rsp, PCT_PC(PC_ARCH + CPU_TSS + TSS_RSP0)
#else
	lea	TF_SIZE(%rcx), %r11
	mov	%r11, PCT_PC(PC_ARCH + CPU_TSS + TSS_RSP0)
	mov	%r11, %rsp
#endif
	pushq	$SEL_UDATA
	pushq	TE(ENT_SP)(%rsi)
	lea	TF_CS(%rcx), %rsp
	pushq	TE(ENT_PC)(%rsi)
	xor	%ecx, %ecx
	xor	%r11d, %r11d
	xor	%esi, %esi			/* the flags, SYNC */
	BKL_DROP			/* release: the stores above come first */
	iretq
/*
 * Declined: nothing changed. rsi was 0 (SYNC) where it was used; r11 holds
 * no kernel address, and no value of the caller's either way: SYSCALL
 * clobbers it.
 */
pct_slow_rsi\t:
	xor	%esi, %esi
pct_slow_unlock\t:
	BKL_DROP
pct_slow\t:
	mov	$SYSNO_PCT, %eax
	jmp	vec3_common

.endm
	PCT_ENTRY
	PCT_ENTRY _traced

	.section .note.GNU-stack, "", @progbits
