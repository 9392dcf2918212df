/* The x86-64 encoder of the eBPF compiler: see x86enc.h for the format. */
#include "x86enc.h"

static void
put(struct x86buf *b, u8 v)
{
	if (b->p && b->len < b->cap)
		b->p[b->len] = v;
	b->len++;
}

static void
put32(struct x86buf *b, u32 v)
{
	for (int i = 0; i < 4; i++)
		put(b, (u8)(v >> 8 * i));
}

static bool
fits8(i64 v)
{
	return v >= -128 && v <= 127;
}

/*
 * A REX prefix when one is needed: 64-bit operand, an extended register, or
 * (force) a byte operand in spl/bpl/sil/dil, which without REX would name
 * ah/ch/dh/bh.
 */
static void
rex(struct x86buf *b, bool w, int reg, int rm, bool force)
{
	u8 r = (u8)(0x40 | w << 3 | (reg >> 3 & 1) << 2 | (rm >> 3 & 1));

	if (r != 0x40 || force)
		put(b, r);
}

static bool
byte_needs_rex(int r)
{
	return r >= RSP && r <= RDI;
}

static void
modrm_reg(struct x86buf *b, int reg, int rm)
{
	put(b, (u8)(0xc0 | (reg & 7) << 3 | (rm & 7)));
}

/* ModRM (and SIB, disp) for [base + disp], in the shortest form. */
static void
modrm_mem(struct x86buf *b, int reg, int base, i32 disp)
{
	int mod = disp == 0 && (base & 7) != RBP ? 0 : fits8(disp) ? 1 : 2;

	put(b, (u8)(mod << 6 | (reg & 7) << 3 | (base & 7)));
	if ((base & 7) == RSP)
		put(b, 0x24);   /* SIB: no index, base rsp/r12 */
	if (mod == 1)
		put(b, (u8)disp);
	else if (mod == 2)
		put32(b, (u32)disp);
}

void
x86_alu_rr(struct x86buf *b, enum x86alu op, bool w, int dst, int src)
{
	b->ninsn++;
	rex(b, w, src, dst, false);
	put(b, (u8)op);
	modrm_reg(b, src, dst);
}

void
x86_alu_ri(struct x86buf *b, enum x86ext ext, bool w, int dst, i32 imm)
{
	b->ninsn++;
	rex(b, w, 0, dst, false);
	put(b, fits8(imm) ? 0x83 : 0x81);
	modrm_reg(b, ext, dst);
	if (fits8(imm))
		put(b, (u8)imm);
	else
		put32(b, (u32)imm);
}

void
x86_test_ri(struct x86buf *b, bool w, int dst, i32 imm)
{
	b->ninsn++;
	rex(b, w, 0, dst, false);
	put(b, 0xf7);
	modrm_reg(b, 0, dst);
	put32(b, (u32)imm);
}

/* The shortest of xor r32,r32 / mov r32,imm32 / mov r64,simm32 / movabs. */
void
x86_mov_ri(struct x86buf *b, int dst, u64 v)
{
	if (v == 0) {
		x86_alu_rr(b, X_XOR, false, dst, dst);
		return;
	}
	b->ninsn++;
	if (v <= 0xffffffffu) {
		rex(b, false, 0, dst, false);
		put(b, (u8)(0xb8 + (dst & 7)));
		put32(b, (u32)v);
	} else if ((i64)v == (i32)v) {
		rex(b, true, 0, dst, false);
		put(b, 0xc7);
		modrm_reg(b, 0, dst);
		put32(b, (u32)v);
	} else {
		rex(b, true, 0, dst, false);
		put(b, (u8)(0xb8 + (dst & 7)));
		put32(b, (u32)v);
		put32(b, (u32)(v >> 32));
	}
}

void
x86_shift_ri(struct x86buf *b, enum x86shift s, bool w, int dst, u8 n)
{
	b->ninsn++;
	rex(b, w, 0, dst, false);
	put(b, n == 1 ? 0xd1 : 0xc1);
	modrm_reg(b, s, dst);
	if (n != 1)
		put(b, n);
}

void
x86_shift_cl(struct x86buf *b, enum x86shift s, bool w, int dst)
{
	b->ninsn++;
	rex(b, w, 0, dst, false);
	put(b, 0xd3);
	modrm_reg(b, s, dst);
}

/* ror r16, 8: swaps the two low bytes. */
void
x86_ror16_8(struct x86buf *b, int r)
{
	b->ninsn++;
	put(b, 0x66);
	rex(b, false, 0, r, false);
	put(b, 0xc1);
	modrm_reg(b, XS_ROR, r);
	put(b, 8);
}

void
x86_imul_rr(struct x86buf *b, bool w, int dst, int src)
{
	b->ninsn++;
	rex(b, w, dst, src, false);
	put(b, 0x0f);
	put(b, 0xaf);
	modrm_reg(b, dst, src);
}

void
x86_imul_ri(struct x86buf *b, bool w, int dst, i32 imm)
{
	b->ninsn++;
	rex(b, w, dst, dst, false);
	put(b, fits8(imm) ? 0x6b : 0x69);
	modrm_reg(b, dst, dst);
	if (fits8(imm))
		put(b, (u8)imm);
	else
		put32(b, (u32)imm);
}

void
x86_grp3(struct x86buf *b, enum x86grp3 g, bool w, int r)
{
	b->ninsn++;
	rex(b, w, 0, r, false);
	put(b, 0xf7);
	modrm_reg(b, g, r);
}

/* movzx r32, r8/r16 (a 32-bit write clears bits 32-63). */
void
x86_movzx_rr(struct x86buf *b, int size, int dst, int src)
{
	b->ninsn++;
	rex(b, false, dst, src, size == 1 && byte_needs_rex(src));
	put(b, 0x0f);
	put(b, size == 1 ? 0xb6 : 0xb7);
	modrm_reg(b, dst, src);
}

/* movsx r32/r64, r8/r16; movsxd r64, r32. */
void
x86_movsx_rr(struct x86buf *b, int size, bool w, int dst, int src)
{
	b->ninsn++;
	if (size == 4) {
		rex(b, true, dst, src, false);
		put(b, 0x63);
	} else {
		rex(b, w, dst, src, size == 1 && byte_needs_rex(src));
		put(b, 0x0f);
		put(b, size == 1 ? 0xbe : 0xbf);
	}
	modrm_reg(b, dst, src);
}

void
x86_bswap(struct x86buf *b, bool w, int r)
{
	b->ninsn++;
	rex(b, w, 0, r, false);
	put(b, 0x0f);
	put(b, (u8)(0xc8 + (r & 7)));
}

/* cqo (rdx:rax = sign of rax) or, 32-bit, cdq. */
void
x86_cqo(struct x86buf *b, bool w)
{
	b->ninsn++;
	if (w)
		put(b, 0x48);
	put(b, 0x99);
}

/* mov / movzx / movsx / movsxd dst, [base + disp]. */
void
x86_load(struct x86buf *b, int size, bool sx, int dst, int base, i32 disp)
{
	b->ninsn++;
	switch (size) {
	case 8:
		rex(b, true, dst, base, false);
		put(b, 0x8b);
		break;
	case 4:
		rex(b, sx, dst, base, false);
		put(b, sx ? 0x63 : 0x8b);
		break;
	default:
		rex(b, sx, dst, base, false);
		put(b, 0x0f);
		put(b, (u8)((sx ? 0xbe : 0xb6) + (size == 2)));
		break;
	}
	modrm_mem(b, dst, base, disp);
}

void
x86_store(struct x86buf *b, int size, int base, i32 disp, int src)
{
	b->ninsn++;
	if (size == 2)
		put(b, 0x66);
	rex(b, size == 8, src, base, size == 1 && byte_needs_rex(src));
	put(b, size == 1 ? 0x88 : 0x89);
	modrm_mem(b, src, base, disp);
}

void
x86_store_imm(struct x86buf *b, int size, int base, i32 disp, i32 imm)
{
	b->ninsn++;
	if (size == 2)
		put(b, 0x66);
	rex(b, size == 8, 0, base, false);
	put(b, size == 1 ? 0xc6 : 0xc7);
	modrm_mem(b, 0, base, disp);
	if (size == 1) {
		put(b, (u8)imm);
	} else if (size == 2) {
		put(b, (u8)imm);
		put(b, (u8)(imm >> 8));
	} else {
		put32(b, (u32)imm);  /* sign-extended to 64 bits by the CPU */
	}
}

void
x86_lea(struct x86buf *b, int dst, int base, i32 disp)
{
	b->ninsn++;
	rex(b, true, dst, base, false);
	put(b, 0x8d);
	modrm_mem(b, dst, base, disp);
}

/* [lock] op [base + disp], src with a one- or two-byte opcode. */
static void
mem_op(struct x86buf *b, bool lock, int size, u8 op0, u8 op1, int base, i32 disp, int src)
{
	b->ninsn++;
	if (lock)
		put(b, 0xf0);
	rex(b, size == 8, src, base, false);
	put(b, op0);
	if (op1)
		put(b, op1);
	modrm_mem(b, src, base, disp);
}

void
x86_lock_alu(struct x86buf *b, enum x86alu op, int size, int base, i32 disp, int src)
{
	mem_op(b, true, size, (u8)op, 0, base, disp, src);
}

void
x86_lock_xadd(struct x86buf *b, int size, int base, i32 disp, int src)
{
	mem_op(b, true, size, 0x0f, 0xc1, base, disp, src);
}

void
x86_lock_cmpxchg(struct x86buf *b, int size, int base, i32 disp, int src)
{
	mem_op(b, true, size, 0x0f, 0xb1, base, disp, src);
}

/* xchg with memory locks by itself. */
void
x86_xchg(struct x86buf *b, int size, int base, i32 disp, int src)
{
	mem_op(b, false, size, 0x87, 0, base, disp, src);
}

void
x86_jcc8(struct x86buf *b, enum x86cc cc, int8_t rel)
{
	b->ninsn++;
	put(b, (u8)(0x70 + cc));
	put(b, (u8)rel);
}

void
x86_jcc32(struct x86buf *b, enum x86cc cc, i32 rel)
{
	b->ninsn++;
	put(b, 0x0f);
	put(b, (u8)(0x80 + cc));
	put32(b, (u32)rel);
}

void
x86_jmp8(struct x86buf *b, int8_t rel)
{
	b->ninsn++;
	put(b, 0xeb);
	put(b, (u8)rel);
}

void
x86_jmp32(struct x86buf *b, i32 rel)
{
	b->ninsn++;
	put(b, 0xe9);
	put32(b, (u32)rel);
}

void
x86_call32(struct x86buf *b, i32 rel)
{
	b->ninsn++;
	put(b, 0xe8);
	put32(b, (u32)rel);
}

void
x86_call_r(struct x86buf *b, int r)
{
	b->ninsn++;
	rex(b, false, 0, r, false);
	put(b, 0xff);
	modrm_reg(b, 2, r);
}

void
x86_ret(struct x86buf *b)
{
	b->ninsn++;
	put(b, 0xc3);
}

void
x86_push(struct x86buf *b, int r)
{
	b->ninsn++;
	rex(b, false, 0, r, false);
	put(b, (u8)(0x50 + (r & 7)));
}

void
x86_pop(struct x86buf *b, int r)
{
	b->ninsn++;
	rex(b, false, 0, r, false);
	put(b, (u8)(0x58 + (r & 7)));
}
