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
 * Entry: rsp = &current->ctx.rip, rdi = cap, rsi = va, rdx = flags, rax the
 * call number. rax is scratch; rcx (the user's return address: the stub
 * jumps to it), r8-r11 are parked in the thread's frame and restored. The
 * caller's other registers never change.
 */
#include <exo/exo.h>
#include <exo/layout.h>

#include "asm.h"

#define KVA_DISP	-0x80000000	/* EXO_KERNEL_BASE as a sign-extended disp32 */
#define BIND_FAST_FLAGS	(EXO_BIND_R | EXO_BIND_W | EXO_BIND_X | EXO_BIND_NOW)
/* Bits that must be clear in va: the page offset and bits 47-63 (user half). */
#define VA_BAD_BITS	0xffff800000000fff

.macro BIND_RESTORE
	mov	TF_RCX - TF_RIP(%rsp), %rcx
	mov	TF_R8 - TF_RIP(%rsp), %r8
	mov	TF_R9 - TF_RIP(%rsp), %r9
	mov	TF_R10 - TF_RIP(%rsp), %r10
	mov	TF_R11 - TF_RIP(%rsp), %r11
.endm

	.text
	.globl bind_entry
bind_entry:
	mov	%rcx, TF_RCX - TF_RIP(%rsp)
	mov	%r8, TF_R8 - TF_RIP(%rsp)
	mov	%r9, TF_R9 - TF_RIP(%rsp)
	mov	%r10, TF_R10 - TF_RIP(%rsp)
	mov	%r11, TF_R11 - TF_RIP(%rsp)
	test	$~BIND_FAST_FLAGS, %rdx		/* imm32 sign-extends: bits 32-63 too */
	jnz	bind_slow
	movabs	$VA_BAD_BITS, %rax
	test	%rax, %rsi
	jnz	bind_slow
	cmp	$EXO_USER_MIN, %rsi
	jb	bind_slow
	/* cap: bits 32-63 clear, index < EXO_NCAPS, the slot's generation. */
	mov	%edi, %eax
	cmp	%rax, %rdi
	jne	bind_slow
	test	$0xffff & ~(EXO_NCAPS - 1), %edi
	jnz	bind_slow
	mov	T_STLB - TF_RIP(%rsp), %r8	/* env->stlb; env->caps is before it */
	movzwl	%di, %eax
	lea	(%rax,%rax,4), %rax
	lea	-ENV_STLB(%r8,%rax,8), %rax	/* rax = k = &env->caps[index] */
	mov	%edi, %ecx
	shr	$16, %ecx
	cmp	%cx, CAP_GEN(%rax)		/* a live slot's gen is never 0 */
	jne	bind_slow
	cmpb	$CAP_TYPE_FRAME, CAP_TYPE(%rax)
	jne	bind_slow
	mov	%edx, %r9d
	and	$EXO_BIND_R | EXO_BIND_W | EXO_BIND_X, %r9d
	or	$EXO_BIND_R, %r9d		/* r9 = rights (= EXO_CAP_* bits) */
	movzbl	CAP_RIGHTS(%rax), %ecx
	not	%ecx
	test	%ecx, %r9d
	jnz	bind_slow
	cmpq	$0, CAP_VA(%rax)
	jne	bind_slow			/* bound already */
	/* The software-TLB entry: rcx = &env->stlb[(va >> 12) % 256]. */
	mov	%rsi, %rcx
	shr	$12, %rcx
	movzbl	%cl, %ecx
	lea	(%rcx,%rcx,4), %rcx
	lea	(%r8,%rcx,8), %rcx
	mov	STLB_TAG(%rcx), %r10
	and	$-EXO_PAGE_SIZE, %r10
	cmp	%rsi, %r10
	je	bind_slow			/* bound at va: -E_EXIST */
	testb	$STLB_F_VALID, STLB_TAG(%rcx)
	jz	1f
	testb	$STLB_F_LAZY | STLB_F_PINNED, STLB_PA_RIGHTS(%rcx)
	jnz	bind_slow			/* never evicted: the general path installs */
1:	/* The leaf table of va, as arch_space_map_page (mmu.c) caches it. */
	mov	T_SPACE - TF_RIP(%rsp), %r11
	mov	%rsi, %r10
	shr	$21, %r10
	inc	%r10
	cmp	%r10, SP_LEAF_KEY(%r11)
	jne	bind_slow
	mov	%rsi, %r10
	shr	$9, %r10
	and	$0xff8, %r10d			/* ((va >> 12) % 512) * 8 */
	add	SP_LEAF_PA(%r11), %r10
	lea	KVA_DISP(%r10), %r10		/* r10 = the leaf entry's kernel address */
	testb	$1, (%r10)
	jnz	bind_slow			/* mapped there: -E_EXIST */
	/*
	 * Point of no return. rax = k, rcx = the entry, r8 = env->stlb,
	 * r9 = rights, r10 = the leaf entry, r11 = the space.
	 */
	testb	$STLB_F_VALID, STLB_TAG(%rcx)
	jnz	2f
	incl	STLB_LIVE(%r8)			/* a valid entry replaced: no change */
2:	mov	SP_INDEX(%r11), %r8d
	shl	$9, %r8d			/* cap_ref: env * EXO_NCAPS + slot + 1 */
	movzwl	%di, %r11d
	lea	1(%r8,%r11), %r8d
	mov	%r8, STLB_CAP(%rcx)		/* cap, and pad = 0 */
	mov	%r10, STLB_SLOT(%rcx)
	mov	bind_pte_bits(,%r9,8), %r8
	or	CAP_OBJECT(%rax), %r8
	mov	%r8, STLB_PTE(%rcx)
	mov	CAP_OBJECT(%rax), %r11
	or	%r9, %r11
	test	$EXO_BIND_NOW, %dl
	jz	3f
	mov	%r8, (%r10)			/* not present before: nothing to flush */
	jmp	4f
3:	or	$STLB_F_LAZY, %r11
4:	mov	%r11, STLB_PA_RIGHTS(%rcx)
	lea	STLB_F_VALID(%rsi), %r11
	mov	%r11, STLB_TAG(%rcx)
	mov	%rsi, CAP_VA(%rax)
	mov	%r9b, CAP_BOUND(%rax)
	BIND_RESTORE
	xor	%eax, %eax
	iretq
bind_slow:
	BIND_RESTORE
	mov	$SYSNO_BIND, %eax
	jmp	vec3_common

/* The leaf entry for rights 0..7 (R implied): P, U, W for W, NX without X. */
	.section .rodata
	.balign 8
bind_pte_bits:
	.irp r, 0, 1, 2, 3, 4, 5, 6, 7
	.quad	0x5 | (\r & 2) | ((1 - (\r & 1)) << 63)
	.endr

	.section .note.GNU-stack, "", @progbits
