/*
 * The eBPF -> x86-64 compiler (interface and coverage in jit.h).
 *
 * Register map. eBPF r1-r5 are the System V argument registers in order and
 * r0 is rax, so a helper call is one call instruction; r6-r9 sit in
 * callee-saved registers, which helpers keep for us:
 *
 *   eBPF  r0  r1  r2  r3  r4  r5  r6  r7  r8  r9  r10
 *   x86   rax rdi rsi rdx rcx r8  rbx r13 r14 r15 rsp+fp
 *
 * r10, the read-only frame pointer, is no register at all: it is rsp plus
 * the frame size, a constant, so a stack access is [rsp + fp + off] and the
 * prologue needs no rbp. r9, r10 and r11 are scratch for the few sequences
 * that need them (division, shifts by a register, fetching atomics).
 *
 * Frame, from high to low addresses:
 *   return address | pushes of the callee-saved registers the program names
 *   | 512-byte eBPF stack (only if it names r10) | padding to 16 (only if it
 *   calls helpers) <- rsp
 *
 * Layout. A jump is 2 bytes (rel8) where the target is near, else 5 or 6.
 * Each pass compiles every instruction: a backward jump knows its exact
 * distance, a forward one uses the previous pass's offsets. The first pass
 * starts from offsets of 0, so every forward jump is short in it; if they
 * all reach, a loop over the jumps writes their displacements and the code
 * is done in one pass (handlers: on PVM the kernel pays for every
 * instruction of the compiler too). Otherwise passes follow: from pass to
 * pass distances can only grow, so a jump once long stays long and sizes
 * only grow; when a pass ends at the length of the one before, nothing
 * changed in it, its offsets are the ones it used, and its code is final.
 */
#include "decode.h"
#include "jit.h"
#include "verify.h"       /* EXT_FACT_NONZERO */
#include "x86enc.h"

#define NOREG  0xff
#define TMP    R11      /* scratch */
#define AUX1   R9
#define AUX2   R10

static const u8 reg_map[BPF_NREGS] = {
	RAX, RDI, RSI, RDX, RCX, R8, RBX, R13, R14, R15, NOREG,
};
static const u8 callee_saved[] = { RBX, R13, R14, R15 };    /* eBPF r6-r9 */

struct jit {
	struct ebpf_jit *j;
	struct x86buf b;
	u64 exec;               /* address of byte 0 when run; 0: unknown */
	u32 frame;              /* bytes subtracted from rsp after the pushes */
	u32 fp;                 /* eBPF r10 = rsp + fp */
	u8 nsaved;
	u8 saved[4];
	bool forward;           /* has a forward jump: displacements known after pass 1 */
	u32 pc;                 /* the instruction being compiled */
};

static bool
fits_i8(i64 v)
{
	return v >= -128 && v <= 127;
}

static bool
fits_i32(i64 v)
{
	return v >= INT32_MIN && v <= INT32_MAX;
}

/* What the prologue must provide: registers to keep, a stack, alignment. */
static int
jit_scan(struct jit *c)
{
	struct ebpf_jit *j = c->j;
	bool used[BPF_NREGS] = { false }, calls = false;

	for (u32 i = 0; i < j->n; i++) {
		const struct bpf_insn *in = &j->prog[i];

		if (BPF_DST(in) >= BPF_NREGS || BPF_SRC(in) >= BPF_NREGS) {
			j->err_at = i;
			return -E_INVAL;
		}
		used[BPF_DST(in)] = used[BPF_SRC(in)] = true;
		if (in->code == (BPF_JMP | BPF_CALL))
			calls = true;
		if ((BPF_CLASS(in->code) == BPF_JMP || BPF_CLASS(in->code) == BPF_JMP32) &&
		    (in->off > 0 || (in->code == (BPF_JMP32 | BPF_JA) && in->imm > 0)))
			c->forward = true;
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;    /* the second slot holds only the upper half */
	}
	for (int r = 6; r <= 9; r++)
		if (used[r])
			c->saved[c->nsaved++] = callee_saved[r - 6];
	c->frame = used[BPF_REG_FP] ? BPF_STACK : 0;
	/* At a call rsp must be 16-aligned; at entry it is 8 past that. */
	if (calls && (8 + 8 * c->nsaved + c->frame) % 16)
		c->frame += 8;
	c->fp = c->frame;
	return 0;
}

static void
jit_prologue(struct jit *c)
{
	for (int i = 0; i < c->nsaved; i++)
		x86_push(&c->b, c->saved[i]);
	if (c->frame)
		x86_alu_ri(&c->b, XE_SUB, true, RSP, (i32)c->frame);
}

static void
jit_epilogue(struct jit *c)
{
	if (c->frame)
		x86_alu_ri(&c->b, XE_ADD, true, RSP, (i32)c->frame);
	for (int i = c->nsaved - 1; i >= 0; i--)
		x86_pop(&c->b, c->saved[i]);
	x86_ret(&c->b);
}

/* x86 register with the value of eBPF register r (r10: materialized in TMP). */
static int
src_reg(struct jit *c, int r)
{
	if (r != BPF_REG_FP)
		return reg_map[r];
	x86_lea(&c->b, TMP, RSP, (i32)c->fp);
	return TMP;
}

/* x86 dst = eBPF register r, all 64 bits. */
static void
mov_from(struct jit *c, int dst, int r)
{
	if (r == BPF_REG_FP)
		x86_lea(&c->b, dst, RSP, (i32)c->fp);
	else if (dst != reg_map[r])
		x86_alu_rr(&c->b, X_MOV, true, dst, reg_map[r]);
}

/* A memory operand [eBPF register r + off]. */
static void
mem_operand(const struct jit *c, int r, int16_t off, int *base, i32 *disp)
{
	if (r == BPF_REG_FP) {
		*base = RSP;
		*disp = (i32)c->fp + off;
	} else {
		*base = reg_map[r];
		*disp = off;
	}
}

/* Forward jumps of a fixed sequence: emit with rel8 0, patch at the target. */
static u32
jcc8_fwd(struct jit *c, enum x86cc cc)
{
	x86_jcc8(&c->b, cc, 0);
	return c->b.len;
}

static u32
jmp8_fwd(struct jit *c)
{
	x86_jmp8(&c->b, 0);
	return c->b.len;
}

static void
patch8(struct jit *c, u32 end)
{
	u32 rel = c->b.len - end;       /* < 128: the sequences are short */

	if (c->b.p && end - 1 < c->b.cap)
		c->b.p[end - 1] = (u8)rel;
}

static void
alu_rr_or_imm(struct jit *c, const struct bpf_insn *in, bool w, int dst,
	      enum x86alu op, enum x86ext ext)
{
	if (BPF_SRC_BIT(in->code) == BPF_X)
		x86_alu_rr(&c->b, op, w, dst, src_reg(c, BPF_SRC(in)));
	else
		x86_alu_ri(&c->b, ext, w, dst, in->imm);
}

static int
jit_mov(struct jit *c, const struct bpf_insn *in, bool w, int dst)
{
	int s = BPF_SRC(in);

	if (BPF_SRC_BIT(in->code) == BPF_K) {
		if (in->off)
			return -E_INVAL;
		x86_mov_ri(&c->b, dst, w ? (u64)(i64)in->imm : (u32)in->imm);
		return 0;
	}
	switch (in->off) {
	case 0:
		if (s == BPF_REG_FP) {
			x86_lea(&c->b, dst, RSP, (i32)c->fp);
			if (!w)
				x86_alu_rr(&c->b, X_MOV, false, dst, dst);
		} else if (!w || dst != reg_map[s]) {
			x86_alu_rr(&c->b, X_MOV, w, dst, reg_map[s]);
		}
		return 0;
	case 8: case 16: case 32:       /* MOVSX */
		if (in->off == 32 && !w)
			return -E_INVAL;
		x86_movsx_rr(&c->b, in->off / 8, w, dst, src_reg(c, s));
		return 0;
	}
	return -E_INVAL;
}

/* x86 takes a variable shift count only in cl (rcx is eBPF r4). */
static void
jit_shift(struct jit *c, const struct bpf_insn *in, bool w, int dst, enum x86shift s)
{
	u8 n = (u8)(in->imm & (w ? 63 : 31));   /* RFC 9669: counts are masked */

	if (BPF_SRC_BIT(in->code) == BPF_K) {
		if (n)
			x86_shift_ri(&c->b, s, w, dst, n);
		else if (!w)
			x86_alu_rr(&c->b, X_MOV, false, dst, dst);  /* zero-extend */
		return;
	}
	if (BPF_SRC(in) == 4) {         /* count already in cl: x86 masks it */
		x86_shift_cl(&c->b, s, w, dst);
		return;
	}
	x86_alu_rr(&c->b, X_MOV, true, TMP, RCX);
	mov_from(c, RCX, BPF_SRC(in));
	if (dst == RCX) {
		x86_shift_cl(&c->b, s, w, TMP);
	} else {
		x86_shift_cl(&c->b, s, w, dst);
		x86_alu_rr(&c->b, X_MOV, true, RCX, TMP);
		return;
	}
	x86_alu_rr(&c->b, X_MOV, true, RCX, TMP);       /* dst is rcx */
}

/*
 * dst = dst / TMP or dst % TMP, with the RFC's definitions where x86 would
 * fault: x / 0 = 0, x % 0 = x (32-bit: zero-extended), and for the signed
 * forms MIN / -1 = MIN (= -MIN), MIN % -1 = 0. zero: TMP may be 0; m1: TMP
 * may be -1 (signed only). div uses rdx:rax (eBPF r3 and r0), kept in AUX2
 * and AUX1 unless dst.
 */
static void
emit_divide(struct jit *c, bool w, bool sgn, bool mod, int dst, bool zero, bool m1)
{
	struct x86buf *b = &c->b;
	u32 to_zero = 0, to_m1 = 0, to_done1 = 0, to_done2 = 0;

	if (dst != RAX)
		x86_alu_rr(b, X_MOV, true, AUX1, RAX);
	if (dst != RDX)
		x86_alu_rr(b, X_MOV, true, AUX2, RDX);
	if (dst != RAX)
		x86_alu_rr(b, X_MOV, true, RAX, dst);
	if (zero) {
		x86_alu_rr(b, X_TEST, w, TMP, TMP);
		to_zero = jcc8_fwd(c, CC_E);
	}
	if (m1) {
		x86_alu_ri(b, XE_CMP, w, TMP, -1);
		to_m1 = jcc8_fwd(c, CC_E);
	}
	if (sgn)
		x86_cqo(b, w);
	else
		x86_alu_rr(b, X_XOR, false, RDX, RDX);
	x86_grp3(b, sgn ? XG_IDIV : XG_DIV, w, TMP);
	if (mod)
		x86_alu_rr(b, X_MOV, w, RAX, RDX);
	if (zero || m1) {
		to_done1 = jmp8_fwd(c);
		if (zero) {
			patch8(c, to_zero);             /* divisor 0 */
			if (!mod)
				x86_alu_rr(b, X_XOR, false, RAX, RAX);
			else if (!w)
				x86_alu_rr(b, X_MOV, false, RAX, RAX);
		}
		if (m1) {
			if (zero)
				to_done2 = jmp8_fwd(c);
			patch8(c, to_m1);               /* divisor -1 */
			if (!mod)
				x86_grp3(b, XG_NEG, w, RAX);
			else
				x86_alu_rr(b, X_XOR, false, RAX, RAX);
			if (zero)
				patch8(c, to_done2);
		}
		patch8(c, to_done1);
	}
	if (dst != RAX)
		x86_alu_rr(b, X_MOV, true, dst, RAX);
	if (dst != RDX)
		x86_alu_rr(b, X_MOV, true, RDX, AUX2);
	if (dst != RAX)
		x86_alu_rr(b, X_MOV, true, RAX, AUX1);
}

static int
jit_divmod(struct jit *c, const struct bpf_insn *in, bool w, int dst, bool mod)
{
	bool sgn = in->off == 1;
	i32 k = in->imm;

	if (in->off != 0 && in->off != 1)
		return -E_INVAL;
	if (BPF_SRC_BIT(in->code) == BPF_X) {
		/* The checker proved the divisor nonzero here: no zero test. */
		bool nonzero = c->j->facts && (c->j->facts[c->pc] & EXT_FACT_NONZERO);

		mov_from(c, TMP, BPF_SRC(in));
		emit_divide(c, w, sgn, mod, dst, !nonzero, sgn);
		return 0;
	}
	/* A constant divisor: the special cases are known now. */
	if (k == 0 || (sgn && k == -1)) {
		if (k == -1 && !mod)
			x86_grp3(&c->b, XG_NEG, w, dst);
		else if (k == 0 && mod && w)
			;                                       /* x % 0 = x */
		else if (k == 0 && mod)
			x86_alu_rr(&c->b, X_MOV, false, dst, dst);
		else
			x86_alu_rr(&c->b, X_XOR, false, dst, dst);
		return 0;
	}
	/* ALU64 takes the immediate sign-extended, also for unsigned division. */
	x86_mov_ri(&c->b, TMP, w ? (u64)(i64)k : (u32)k);
	emit_divide(c, w, sgn, mod, dst, false, false);
	return 0;
}

/* BPF_END: to little endian is a truncation here, to big endian a swap. */
static int
jit_end(struct jit *c, const struct bpf_insn *in, bool w, int dst)
{
	bool swap = w || BPF_SRC_BIT(in->code) == BPF_X;

	if (w && BPF_SRC_BIT(in->code) == BPF_X)
		return -E_INVAL;
	switch (in->imm) {
	case 16:
		if (swap)
			x86_ror16_8(&c->b, dst);
		x86_movzx_rr(&c->b, 2, dst, dst);
		return 0;
	case 32:
		if (swap)
			x86_bswap(&c->b, false, dst);
		else
			x86_alu_rr(&c->b, X_MOV, false, dst, dst);
		return 0;
	case 64:
		if (swap)
			x86_bswap(&c->b, true, dst);
		return 0;
	}
	return -E_INVAL;
}

static int
jit_alu(struct jit *c, const struct bpf_insn *in)
{
	bool w = BPF_CLASS(in->code) == BPF_ALU64;
	int dst = reg_map[BPF_DST(in)];
	int op = BPF_OP(in->code);

	if (BPF_DST(in) == BPF_REG_FP)
		return -E_INVAL;                /* r10 is read only */
	if (in->off && op != BPF_MOV && op != BPF_DIV && op != BPF_MOD)
		return -E_INVAL;
	switch (op) {
	case BPF_ADD: alu_rr_or_imm(c, in, w, dst, X_ADD, XE_ADD); return 0;
	case BPF_SUB: alu_rr_or_imm(c, in, w, dst, X_SUB, XE_SUB); return 0;
	case BPF_OR:  alu_rr_or_imm(c, in, w, dst, X_OR, XE_OR); return 0;
	case BPF_AND: alu_rr_or_imm(c, in, w, dst, X_AND, XE_AND); return 0;
	case BPF_XOR: alu_rr_or_imm(c, in, w, dst, X_XOR, XE_XOR); return 0;
	case BPF_MUL:
		if (BPF_SRC_BIT(in->code) == BPF_X)
			x86_imul_rr(&c->b, w, dst, src_reg(c, BPF_SRC(in)));
		else
			x86_imul_ri(&c->b, w, dst, in->imm);
		return 0;
	case BPF_LSH:  jit_shift(c, in, w, dst, XS_SHL); return 0;
	case BPF_RSH:  jit_shift(c, in, w, dst, XS_SHR); return 0;
	case BPF_ARSH: jit_shift(c, in, w, dst, XS_SAR); return 0;
	case BPF_NEG:
		x86_grp3(&c->b, XG_NEG, w, dst);
		return 0;
	case BPF_MOV: return jit_mov(c, in, w, dst);
	case BPF_DIV: return jit_divmod(c, in, w, dst, false);
	case BPF_MOD: return jit_divmod(c, in, w, dst, true);
	case BPF_END: return jit_end(c, in, w, dst);
	}
	return -E_INVAL;
}

/* Jump to eBPF instruction t from the end of instruction i (cc < 0: always). */
static void
emit_jump(struct jit *c, u32 i, u32 t, int cc)
{
	u32 *off = c->j->offset;
	u32 short_len = cc < 0 ? X86_JMP8_LEN : X86_JCC8_LEN;
	u32 long_len = cc < 0 ? X86_JMP32_LEN : X86_JCC32_LEN;
	i64 rel;

	if (t <= i)     /* backward: this pass's offsets, exact */
		rel = (i64)off[t] - (c->b.len + short_len);
	else            /* forward: the previous pass's, from the end of i */
		rel = (i64)off[t] - off[i + 1];
	if (fits_i8(rel)) {
		if (cc < 0)
			x86_jmp8(&c->b, (int8_t)rel);
		else
			x86_jcc8(&c->b, (enum x86cc)cc, (int8_t)rel);
		return;
	}
	if (t <= i)
		rel -= long_len - short_len;
	if (cc < 0)
		x86_jmp32(&c->b, (i32)rel);
	else
		x86_jcc32(&c->b, (enum x86cc)cc, (i32)rel);
}

static int
jump_cc(int op)
{
	switch (op) {
	case BPF_JEQ:  return CC_E;
	case BPF_JNE:  return CC_NE;
	case BPF_JSET: return CC_NE;
	case BPF_JGT:  return CC_A;
	case BPF_JGE:  return CC_AE;
	case BPF_JLT:  return CC_B;
	case BPF_JLE:  return CC_BE;
	case BPF_JSGT: return CC_G;
	case BPF_JSGE: return CC_GE;
	case BPF_JSLT: return CC_L;
	case BPF_JSLE: return CC_LE;
	}
	return -1;
}

/* The comparison of a conditional jump (test for JSET and for 0). */
static void
emit_compare(struct jit *c, const struct bpf_insn *in, bool w)
{
	int op = BPF_OP(in->code);
	int dst = src_reg(c, BPF_DST(in));      /* r10: TMP */

	if (BPF_SRC_BIT(in->code) == BPF_X) {
		int s = BPF_SRC(in) == BPF_REG_FP ? src_reg(c, BPF_REG_FP) : reg_map[BPF_SRC(in)];

		x86_alu_rr(&c->b, op == BPF_JSET ? X_TEST : X_CMP, w, dst, s);
	} else if (op == BPF_JSET) {
		x86_test_ri(&c->b, w, dst, in->imm);
	} else if (in->imm == 0) {
		/* test r,r sets the flags cmp r,0 would, in fewer bytes */
		x86_alu_rr(&c->b, X_TEST, w, dst, dst);
	} else {
		x86_alu_ri(&c->b, XE_CMP, w, dst, in->imm);
	}
}

static int
jit_call(struct jit *c, const struct bpf_insn *in)
{
	ebpf_helper_fn *fn;
	u64 addr, span = (u64)EBPF_JIT_MAX_INSN_BYTES * (c->j->n + 1);

	if (BPF_SRC(in) == BPF_PSEUDO_CALL)
		return -E_NOSYS;
	fn = ebpf_helper(c->j->helpers, in->imm);
	if (BPF_SRC(in) || BPF_DST(in) || in->off || !fn)
		return -E_INVAL;
	addr = (u64)(uintptr_t)fn;
	/* A direct call if rel32 reaches from anywhere in the code. The test
	 * does not depend on this pass's layout, so every pass agrees. */
	if (c->exec && fits_i32((i64)(addr - c->exec)) &&
	    fits_i32((i64)(addr - (c->exec + span)))) {
		x86_call32(&c->b, (i32)(addr - (c->exec + c->b.len + X86_CALL32_LEN)));
	} else {
		x86_mov_ri(&c->b, RAX, addr);
		x86_call_r(&c->b, RAX);
	}
	return 0;
}

static int
jit_jmp(struct jit *c, const struct bpf_insn *in, u32 i)
{
	bool w = BPF_CLASS(in->code) == BPF_JMP;
	int op = BPF_OP(in->code);
	i64 t;

	if (op == BPF_CALL)
		return w ? jit_call(c, in) : -E_INVAL;
	if (op == BPF_EXIT) {
		if (!w)
			return -E_INVAL;
		jit_epilogue(c);
		return 0;
	}
	t = (i64)i + 1 + (!w && op == BPF_JA ? in->imm : in->off);
	if (t < 0 || t >= c->j->n)
		return -E_INVAL;
	if (op != BPF_JA && jump_cc(op) < 0)
		return -E_INVAL;
	if (t == i + 1)
		return 0;       /* falls through either way */
	if (op != BPF_JA)
		emit_compare(c, in, w);
	emit_jump(c, i, (u32)t, op == BPF_JA ? -1 : jump_cc(op));
	return 0;
}

static const u8 size_bytes[4] = { [BPF_W >> 3] = 4, [BPF_H >> 3] = 2, [BPF_B >> 3] = 1,
				  [BPF_DW >> 3] = 8 };

/* Fetch-and-or/and/xor have no x86 instruction: a cmpxchg loop. */
static void
emit_fetch_loop(struct jit *c, enum x86alu op, int size, int base, i32 disp, int src)
{
	struct x86buf *b = &c->b;
	int operand = src == RAX ? AUX1 : src;
	u32 loop;

	x86_lea(b, AUX2, base, disp);           /* base may be rax, used below */
	x86_alu_rr(b, X_MOV, true, AUX1, RAX);
	loop = b->len;
	x86_load(b, size, false, RAX, AUX2, 0);
	x86_alu_rr(b, X_MOV, true, TMP, RAX);
	x86_alu_rr(b, op, size == 8, TMP, operand);
	x86_lock_cmpxchg(b, size, AUX2, 0, TMP);
	x86_jcc8(b, CC_NE, (int8_t)((i64)loop - (b->len + X86_JCC8_LEN)));
	if (src != RAX) {       /* src gets the old value (zero-extended), r0 back */
		x86_alu_rr(b, X_MOV, true, src, RAX);
		x86_alu_rr(b, X_MOV, true, RAX, AUX1);
	}
}

static int
jit_atomic(struct jit *c, const struct bpf_insn *in, int size, int base, i32 disp)
{
	int src = reg_map[BPF_SRC(in)];
	enum x86alu op;

	if (size != 4 && size != 8)
		return -E_INVAL;
	if (BPF_SRC(in) == BPF_REG_FP)
		return -E_INVAL;        /* would leak the stack address; and r10 is not written */
	switch (in->imm & ~1) {
	case BPF_ADD: op = X_ADD; break;
	case BPF_OR:  op = X_OR; break;
	case BPF_AND: op = X_AND; break;
	case BPF_XOR: op = X_XOR; break;
	case 0xe0:      /* BPF_XCHG */
		if (!(in->imm & 1))
			return -E_INVAL;
		x86_xchg(&c->b, size, base, disp, src);
		return 0;
	case 0xf0:      /* BPF_CMPXCHG: r0 is the expected value, and gets the old */
		if (!(in->imm & 1))
			return -E_INVAL;
		x86_lock_cmpxchg(&c->b, size, base, disp, src);
		if (size == 4)  /* on success cmpxchg leaves rax alone */
			x86_alu_rr(&c->b, X_MOV, false, RAX, RAX);
		return 0;
	default:
		return -E_INVAL;
	}
	if (!(in->imm & 1))
		x86_lock_alu(&c->b, op, size, base, disp, src);
	else if (op == X_ADD)
		x86_lock_xadd(&c->b, size, base, disp, src);
	else
		emit_fetch_loop(c, op, size, base, disp, src);
	return 0;
}

static int
jit_mem(struct jit *c, const struct bpf_insn *in)
{
	int size = size_bytes[BPF_SIZE(in->code) >> 3], mode = BPF_MODE(in->code);
	int base;
	i32 disp;

	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
		if (BPF_DST(in) == BPF_REG_FP || (mode != BPF_MEM && mode != BPF_MEMSX) ||
		    (mode == BPF_MEMSX && size == 8) || in->imm)
			return -E_INVAL;
		mem_operand(c, BPF_SRC(in), in->off, &base, &disp);
		x86_load(&c->b, size, mode == BPF_MEMSX, reg_map[BPF_DST(in)], base, disp);
		return 0;
	case BPF_ST:
		if (mode != BPF_MEM || BPF_SRC(in))
			return -E_INVAL;
		mem_operand(c, BPF_DST(in), in->off, &base, &disp);
		x86_store_imm(&c->b, size, base, disp, in->imm);
		return 0;
	case BPF_STX:
		mem_operand(c, BPF_DST(in), in->off, &base, &disp);
		if (mode == BPF_ATOMIC)
			return jit_atomic(c, in, size, base, disp);
		if (mode != BPF_MEM || in->imm)
			return -E_INVAL;
		x86_store(&c->b, size, base, disp, src_reg(c, BPF_SRC(in)));
		return 0;
	}
	return -E_INVAL;
}

/* LD_IMM64 (two slots); the other LD forms are not compiled. */
static int
jit_ld(struct jit *c, u32 i)
{
	const struct bpf_insn *in = &c->j->prog[i];

	if (in->code != (BPF_LD | BPF_IMM | BPF_DW))
		return -E_NOSYS;        /* LD_ABS, LD_IND: legacy packet access */
	if (BPF_SRC(in))
		return -E_NOSYS;        /* map and BTF references: not resolved here */
	if (i + 1 >= c->j->n || in[1].code || in[1].regs || in[1].off ||
	    BPF_DST(in) == BPF_REG_FP || in->off)
		return -E_INVAL;
	x86_mov_ri(&c->b, reg_map[BPF_DST(in)], (u32)in->imm | (u64)(u32)in[1].imm << 32);
	return 2;
}

/* One instruction: the number of slots it took (1, 2), or an error. */
static int
jit_insn(struct jit *c, u32 i)
{
	const struct bpf_insn *in = &c->j->prog[i];
	int r;

	c->pc = i;
	switch (BPF_CLASS(in->code)) {
	case BPF_ALU: case BPF_ALU64: r = jit_alu(c, in); break;
	case BPF_JMP: case BPF_JMP32: r = jit_jmp(c, in, i); break;
	case BPF_LD: return jit_ld(c, i);
	default: r = jit_mem(c, in); break;
	}
	return r < 0 ? r : 1;
}

/* One pass over the program; out (if any) gets the code. */
static int
jit_pass(struct jit *c)
{
	struct ebpf_jit *j = c->j;

	c->b = (struct x86buf){ .p = j->out, .cap = j->out ? j->cap : 0 };
	jit_prologue(c);
	j->prologue_ninsn = c->b.ninsn;
	for (u32 i = 0; i < j->n;) {
		u32 start = c->b.len, ninsn = c->b.ninsn;
		int slots;

		j->offset[i] = start;
		slots = jit_insn(c, i);
		if (slots < 0) {
			j->err_at = i;
			return slots;
		}
		if (c->b.len - start > EBPF_JIT_MAX_INSN_BYTES) {
			j->err_at = i;  /* a compiler bug: see jit.h */
			return -E_INVAL;
		}
		if (j->count)
			j->count[i] = c->b.ninsn - ninsn;
		if (slots == 2) {
			j->offset[i + 1] = c->b.len;
			if (j->count)
				j->count[i + 1] = 0;
		}
		i += (u32)slots;
	}
	j->offset[j->n] = c->b.len;
	return 0;
}

/* The target of a jump that pass 1 emitted forward (short), or 0. */
static u32
forward_target(const struct bpf_insn *in, u32 i)
{
	int op = BPF_OP(in->code);
	i64 off;

	if ((BPF_CLASS(in->code) != BPF_JMP && BPF_CLASS(in->code) != BPF_JMP32) ||
	    op == BPF_CALL || op == BPF_EXIT)
		return 0;
	off = in->code == (BPF_JMP32 | BPF_JA) ? in->imm : in->off;
	return off > 0 ? (u32)(i + 1 + off) : 0;        /* checked by jit_jmp */
}

/*
 * After the first pass: if every forward jump reaches its target with
 * rel8, write the displacements (the pass wrote 0) and return true.
 */
static bool
patch_forward(struct jit *c)
{
	const struct ebpf_jit *j = c->j;

	for (u32 i = 0; i < j->n; i++) {
		u32 t = forward_target(&j->prog[i], i), end = j->offset[i + 1];
		i64 rel = (i64)j->offset[t] - end;

		if (!t)
			continue;
		if (!fits_i8(rel))
			return false;
		if (j->out && end - 1 < j->cap)
			j->out[end - 1] = (u8)rel;
	}
	return true;
}

int
ebpf_jit(struct ebpf_jit *j)
{
	struct jit c = { .j = j };
	u32 prev_len = UINT32_MAX;
	int r;

	j->len = j->ninsn = j->passes = j->err_at = 0;
	if (!j->prog || !j->offset || j->n == 0 || j->n > (1u << 20))
		return -E_INVAL;
	c.exec = j->exec_addr ? j->exec_addr : (u64)(uintptr_t)j->out;
	r = ebpf_decode_check(j->prog, j->n, j->helpers, &j->err_at);
	if (r < 0)
		return r;       /* the checks below stay: cheap, and local */
	r = jit_scan(&c);
	if (r < 0)
		return r;
	for (u32 i = 0; i <= j->n; i++)
		j->offset[i] = 0;
	/* Each pass that is not the last makes at least one jump long. */
	for (;;) {
		if (j->passes++ > j->n + 2) {
			j->err_at = 0;
			return -E_INVAL;        /* cannot happen: see the layout note */
		}
		r = jit_pass(&c);
		if (r < 0)
			return r;
		if (c.b.len == prev_len || !c.forward ||
		    (j->passes == 1 && patch_forward(&c)))
			break;
		prev_len = c.b.len;
	}
	j->len = c.b.len;
	j->ninsn = c.b.ninsn;
	if (j->out && j->len > j->cap)
		return -E_NOMEM;
	return 0;
}
