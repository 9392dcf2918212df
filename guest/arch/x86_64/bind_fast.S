/*
 * The bind fast path (SYS_bind on a PVM host, from vec3's table): the common
 * secure binding done in a few dozen instructions, with the same result and
 * the same state as bind_frame (core/bind.c) — the capability's binding, the
 * software-TLB entry, its live count, the translation if EXO_BIND_NOW.
 *
 * It takes: flags of R/W/X and NOW only (no GUARANTEED); a page-aligned user
 * va; a live FRAME capability of the caller's environment with the rights
 * asked, not bound; a software-TLB entry that is neither lazy nor pinned and
 * not for va; the leaf page table of va cached in the space (leaf_key, set by
 * every general bind and every fast-path fault) with va not present in it.
 * Anything else returns to vec3_common with every register as it came, so
 * the general path decides (and reports the error) as if this did not exist.
 *
 * It does not look at the scheduler's deadline (sched.h) as the IPC fast
 * path does: a fast bind leaves its capability bound, so the next bind of
 * it takes the general path; at most one fast bind per unbound FRAME
 * capability (EXO_NCAPS) comes between two general entries, which poll.
 *
 * SMP: both run under the big lock, taken inline after the registers are
 * parked (taken: the general path waits for it). A fast unbind invalidates
 * only this CPU's TLB, so it declines when another CPU has the space
 * loaded: the general path shoots the page down (tlb.h).
 *
 * Entry: rsp = &current->ctx.rip, rdi = cap, rsi = va, rdx = flags, rax the
 * call number. rax is scratch; rcx (the user's return address: the stub
 * jumps to it), r10 and r11 are parked in the thread's frame and restored. The
 * caller's other registers never change. rdx, checked first, indexes the
 * tables at the end.
 */
#include <exo/exo.h>
#include <exo/layout.h>

#include "asm.h"
#include "trace_asm.h"

#define KVA_DISP	-0x80000000	/* EXO_KERNEL_BASE as a sign-extended disp32 */
#define BIND_FAST_FLAGS	(EXO_BIND_R | EXO_BIND_W | EXO_BIND_X | EXO_BIND_NOW)
/* Bits that must be clear in va: the page offset and bits 47-63 (user half). */
#define VA_BAD_BITS	0xffff800000000fff
/* Bits that must be clear in a capability the fast path takes (exo.h: gen
 * in bits 16-31, index in 0-15, of which 0-8 are below EXO_NCAPS). */
#define CAP_BAD_BITS	0xffffffff0000fe00

.macro BIND_RESTORE
	mov	TF_RCX - TF_RIP(%rsp), %rcx
	mov	TF_R10 - TF_RIP(%rsp), %r10
	mov	TF_R11 - TF_RIP(%rsp), %r11
.endm

/* Two copies (trace_asm.h): bind_entry, and bind_entry_traced with its record. */
.macro BIND_ENTRY t=
	TRACE_COPY \t
	.text
	.globl bind_entry\t
bind_entry\t:
	mov	%rcx, TF_RCX - TF_RIP(%rsp)
	mov	%r10, TF_R10 - TF_RIP(%rsp)
	mov	%r11, TF_R11 - TF_RIP(%rsp)
	BKL_TAKE bind_slow_unlocked\t	/* the big kernel lock (smp.c) */
	test	$~BIND_FAST_FLAGS, %rdx		/* imm32 sign-extends: bits 32-63 too */
	jnz	bind_slow\t			/* from here rdx < 0x20 indexes the tables */
	movabs	$VA_BAD_BITS, %rax
	test	%rax, %rsi
	jnz	bind_slow\t
	cmp	$EXO_USER_MIN, %rsi
	jb	bind_slow\t
	movabs	$CAP_BAD_BITS, %rax		/* index >= EXO_NCAPS, or bits 32-63 */
	test	%rax, %rdi
	jnz	bind_slow\t
	/* k = &env->caps[index]: a FRAME of the slot's generation, the rights. */
	mov	T_STLB - TF_RIP(%rsp), %r11	/* env->stlb; env->caps is before it */
	movzwl	%di, %eax
	lea	(%rax,%rax,4), %rax
	lea	-ENV_STLB(%r11,%rax,8), %rax
	/*
	 * One compare of the 32 bits at k->gen: gen (16), type (8), rights
	 * (8). ecx = gen | FRAME << 16 | need << 24 XOR them has gen and type
	 * all zero if they match (a live slot's gen is never 0), and the
	 * needed rights' bits zero if k has them (bind_check's mask).
	 */
	mov	%edi, %ecx
	shr	$16, %ecx
	or	bind_want(,%rdx,4), %ecx
	xor	CAP_GEN(%rax), %ecx
	test	bind_check(,%rdx,4), %ecx
	jnz	bind_slow\t
	cmpq	$0, CAP_VA(%rax)
	jne	bind_slow\t			/* bound already */
	/* The leaf table of va, as arch_space_map_page (mmu.c) caches it. */
	mov	T_SPACE - TF_RIP(%rsp), %rcx
	mov	%rsi, %r10
	shr	$21, %r10
	inc	%r10
	cmp	%r10, SP_LEAF_KEY(%rcx)
	jne	bind_slow\t
	mov	%rsi, %r10
	shr	$9, %r10
	and	$0xff8, %r10d			/* ((va >> 12) % 512) * 8 */
	add	SP_LEAF_PA(%rcx), %r10
	lea	KVA_DISP(%r10), %r10		/* r10 = the leaf entry's kernel address */
	testb	$1, (%r10)
	jnz	bind_slow\t			/* mapped there: -E_EXIST */
	/* The software-TLB entry: rcx = &env->stlb[(va >> 12) % 256]. */
	mov	%rsi, %rcx
	shr	$12, %rcx
	movzbl	%cl, %ecx
	lea	(%rcx,%rcx,4), %rcx
	lea	(%r11,%rcx,8), %rcx
	cmpq	$0, STLB_TAG(%rcx)
	jne	bind_used\t			/* not free: more to check */
	/*
	 * Point of no return (bind_used joins below). rax = k, rcx = the
	 * entry, r10 = the leaf entry, r11 = env->stlb.
	 */
	incl	STLB_LIVE(%r11)
bind_commit\t:
	movzwl	%di, %r11d			/* cap_ref: env * EXO_NCAPS + slot + 1 */
	add	T_CAPBASE - TF_RIP(%rsp), %r11
	mov	%r11, STLB_CAP(%rcx)		/* cap, and pad = 0 */
	mov	%r10, STLB_SLOT(%rcx)
	mov	bind_pte_bits(,%rdx,8), %r11
	or	CAP_OBJECT(%rax), %r11
	mov	%r11, STLB_PTE(%rcx)
	test	$EXO_BIND_NOW, %dl
	jz	1f
	mov	%r11, (%r10)			/* not present before: nothing to flush */
1:	mov	bind_pa_rights(,%rdx,8), %r11
	or	CAP_OBJECT(%rax), %r11
	mov	%r11, STLB_PA_RIGHTS(%rcx)
	lea	STLB_F_VALID(%rsi), %r11
	mov	%r11, STLB_TAG(%rcx)
	mov	%rsi, CAP_VA(%rax)
	mov	bind_rights(%rdx), %r11b
	mov	%r11b, CAP_BOUND(%rax)
	TRACE_REC TRACE_K_SYSCALL_FAST, SYSNO_BIND, %rcx, save=%r11
	BIND_RESTORE
	xor	%eax, %eax
	BKL_DROP
	iretq
/*
 * The entry holds (or held) another binding: bound at va is -E_EXIST, a
 * lazy or pinned one is never evicted (the general path installs instead);
 * else it is replaced, and a valid one leaves the live count as it is.
 */
bind_used\t:
	mov	STLB_TAG(%rcx), %r11
	and	$-EXO_PAGE_SIZE, %r11
	cmp	%rsi, %r11
	je	bind_slow\t
	mov	T_STLB - TF_RIP(%rsp), %r11
	testb	$STLB_F_VALID, STLB_TAG(%rcx)
	jz	1f
	testb	$STLB_F_LAZY | STLB_F_PINNED, STLB_PA_RIGHTS(%rcx)
	jnz	bind_slow\t
	jmp	bind_commit\t			/* point of no return */
1:	incl	STLB_LIVE(%r11)			/* point of no return */
	jmp	bind_commit\t
bind_slow\t:
	BKL_DROP
bind_slow_unlocked\t:
	BIND_RESTORE
	mov	$SYSNO_BIND, %eax
	jmp	vec3_common

.endm
	BIND_ENTRY
	BIND_ENTRY _traced

/*
 * The unbind fast path (SYS_unbind, from vec3's table): unbind_frame's
 * common case, with the state bind_break leaves. It takes a live FRAME
 * capability of the caller's environment, bound (not in the reserve), with
 * nothing in the mapping database at (space, va) (no L4 map from it:
 * mdb_flush's business), and the leaf entry present, user, and this frame;
 * the leaf entry is the software-TLB entry's arch[0] if the entry still
 * holds this binding, else the leaf cache's (bind_entry). Then: the leaf
 * entry cleared and invlpg (the space is the running one's), the software
 * TLB entry cleared if it was this binding's (with the live count), the
 * binding. Anything else: vec3_common, every register as it came.
 * Registers: rdi = cap; rcx, r8-r11 parked in the thread's frame.
 */
/* Two copies, as bind_entry's. */
.macro UNBIND_ENTRY t=
	TRACE_COPY \t
	.text
	.globl unbind_entry\t
unbind_entry\t:
	mov	%rcx, TF_RCX - TF_RIP(%rsp)
	mov	%r8, TF_R8 - TF_RIP(%rsp)
	mov	%r9, TF_R9 - TF_RIP(%rsp)
	mov	%r10, TF_R10 - TF_RIP(%rsp)
	mov	%r11, TF_R11 - TF_RIP(%rsp)
	BKL_TAKE unbind_slow_unlocked\t
	cmpl	$1, ncpus(%rip)
	je	39f
	/*
	 * Another CPU with this space loaded may hold the page: the general
	 * path shoots it down. Count the CPUs whose loaded root is ours (this
	 * one is one of them); under the lock no CPU loads a root.
	 */
	mov	T_ROOT - TF_RIP(%rsp), %rax
	xor	%ecx, %ecx
	.if NCPUS != 4
	.error "unbind_entry compares the loaded roots of NCPUS = 4 CPUs"
	.endif
	.irp i, 0, 1, 2, 3
	cmp	%rax, cpus + \i * PC_SIZE + PC_ROOT(%rip)
	jne	38f
	inc	%ecx
38:
	.endr
	cmp	$1, %ecx
	jne	unbind_slow\t
39:
	movabs	$CAP_BAD_BITS, %rax
	test	%rax, %rdi
	jnz	unbind_slow\t
	mov	T_STLB - TF_RIP(%rsp), %r11	/* env->stlb; env->caps is before it */
	movzwl	%di, %eax
	lea	(%rax,%rax,4), %rax
	lea	-ENV_STLB(%r11,%rax,8), %rax	/* rax = k */
	mov	%edi, %ecx
	shr	$16, %ecx
	or	$CAP_TYPE_FRAME << 16, %ecx
	xor	CAP_GEN(%rax), %ecx
	test	$0xffffff, %ecx			/* gen and type (bind_entry) */
	jnz	unbind_slow\t
	mov	CAP_VA(%rax), %r10
	test	%r10, %r10
	jz	unbind_slow\t			/* not bound: -E_NOENT */
	testb	$CAPF_RESERVE_, CAP_FLAGS(%rax)
	jnz	unbind_slow\t
	/* Its software-TLB entry, rcx; 0 if it holds another binding. */
	mov	%r10, %rcx
	shr	$12, %rcx
	movzbl	%cl, %ecx
	lea	(%rcx,%rcx,4), %rcx
	lea	(%r11,%rcx,8), %rcx
	lea	STLB_F_VALID(%r10), %r8
	cmp	%r8, STLB_TAG(%rcx)
	jne	4f
	movzwl	%di, %r8d
	add	T_CAPBASE - TF_RIP(%rsp), %r8
	cmp	%r8d, STLB_CAP(%rcx)
	je	5f
4:	xor	%ecx, %ecx
5:	/* No mapping-database node at (space, va) (mdb_lookup). */
	mov	T_SPACE - TF_RIP(%rsp), %r11
	mov	%r10, %r8
	shr	$12, %r8
	add	SP_SALT(%r11), %r8
	and	mdb + MDB_MASK(%rip), %r8	/* the bucket's index */
	mov	%r8, %r9
	shr	$9, %r9
	shl	$3, %r9
	add	mdb + MDB_DIR(%rip), %r9
	mov	(%r9), %r9			/* its frame of buckets */
	and	$511, %r8d
	mov	(%r9,%r8,8), %r8
1:	test	%r8, %r8
	jz	2f
	cmp	%r11, MN_SPACE(%r8)
	jne	3f
	cmp	%r10, MN_VA(%r8)
	je	unbind_slow\t			/* mapped from: mdb_flush */
3:	mov	MN_HNEXT(%r8), %r8
	jmp	1b
2:	/* The leaf entry, r9: the software TLB's, or from the leaf cache. */
	test	%rcx, %rcx
	jz	6f
	mov	STLB_SLOT(%rcx), %r9
	jmp	7f
6:	mov	%r10, %r8
	shr	$21, %r8
	inc	%r8
	cmp	%r8, SP_LEAF_KEY(%r11)
	jne	unbind_slow\t
	mov	%r10, %r9
	shr	$9, %r9
	and	$0xff8, %r9d
	add	SP_LEAF_PA(%r11), %r9
	lea	KVA_DISP(%r9), %r9
7:	/* Present, user, this frame (bits 52-63 and 1, 3-11 aside). */
	mov	(%r9), %r8
	shl	$12, %r8
	shr	$12, %r8
	and	$-4091, %r8			/* 0x...fffff005: frame, U, P */
	sub	CAP_OBJECT(%rax), %r8
	cmp	$5, %r8
	jne	unbind_slow\t			/* not installed (lazy), or not ours */
	/* Point of no return. */
	movq	$0, (%r9)
	invlpg	(%r10)
	test	%rcx, %rcx
	jz	8f
	mov	T_STLB - TF_RIP(%rsp), %r11
	decl	STLB_LIVE(%r11)
	movq	$0, STLB_TAG(%rcx)
	movq	$0, STLB_PA_RIGHTS(%rcx)
	movq	$0, STLB_SLOT(%rcx)
	movq	$0, STLB_PTE(%rcx)
	movq	$0, STLB_CAP(%rcx)		/* cap and pad */
8:	movq	$0, CAP_VA(%rax)
	movb	$0, CAP_BOUND(%rax)
	TRACE_REC TRACE_K_SYSCALL_FAST, SYSNO_UNBIND, %rcx, save=%r11
	BIND_RESTORE
	mov	TF_R9 - TF_RIP(%rsp), %r9
	xor	%eax, %eax
	BKL_DROP
	iretq
unbind_slow\t:
	BKL_DROP
unbind_slow_unlocked\t:
	BIND_RESTORE
	mov	TF_R9 - TF_RIP(%rsp), %r9
	mov	$SYSNO_UNBIND, %eax
	jmp	vec3_common

.endm
	UNBIND_ENTRY
	UNBIND_ENTRY _traced

/*
 * By flags (R/W/X and NOW, so 0..0x17): its leaf entry's bits (P, U, W for
 * W, NX without X); its software-TLB pa_rights bits (the rights, LAZY
 * without NOW); what the capability's gen/type/rights word must hold, and
 * which of its bits to compare; the binding's rights (R implied).
 */
	.section .rodata
	.balign 8
#define RIGHTS(f)	(((f) & 7) | EXO_BIND_R)
bind_pte_bits:
	.irp f, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
	.quad	0x5 | (RIGHTS(\f) & 2) | ((1 - (RIGHTS(\f) & 1)) << 63)
	.endr
bind_pa_rights:
	.irp f, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
	.quad	RIGHTS(\f) | ((1 - ((\f >> 4) & 1)) * STLB_F_LAZY)
	.endr
bind_want:
	.irp f, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
	.long	CAP_TYPE_FRAME << 16 | RIGHTS(\f) << 24
	.endr
bind_check:
	.irp f, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
	.long	0xffffff | RIGHTS(\f) << 24
	.endr
bind_rights:
	.irp f, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23
	.byte	RIGHTS(\f)
	.endr

	.section .note.GNU-stack, "", @progbits
