/*
 * A small x86-64 encoder for the eBPF compiler: only the general-purpose
 * instructions the compiler uses (no SSE, no POPCNT, no CMPXCHG16B: the
 * kernel runs where those may be absent; see guest/CMakeLists.txt).
 *
 * Every emitter appends one instruction to an x86buf and counts it, so the
 * compiler can report x86 instructions per eBPF instruction. With p NULL
 * (a sizing pass) nothing is written but lengths and counts are kept; bytes
 * past cap are dropped and the caller sees len > cap.
 *
 * Encoding, for the record (Intel SDM vol. 2, ch. 2):
 *   [prefixes] [REX 0100WRXB] opcode ModRM(mod 2 | reg 3 | rm 3) [SIB] [disp] [imm]
 *   REX.W: 64-bit operand; REX.R/B: bit 3 of ModRM.reg / ModRM.rm (or SIB base).
 *   rm 100 (rsp, r12) as a base needs a SIB byte; mod 00 with rm 101 (rbp,
 *   r13) means RIP-relative, so those bases take a zero disp8.
 */
#ifndef EBPF_X86ENC_H
#define EBPF_X86ENC_H

#include <exo/types.h>

enum x86reg {
	RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	R8, R9, R10, R11, R12, R13, R14, R15,
};

struct x86buf {
	u8 *p;          /* NULL: size only */
	u32 len, cap;
	u32 ninsn;      /* instructions emitted */
};

/* Two-operand ALU opcodes, "op r/m, reg" form (ModRM.reg is the source). */
enum x86alu {
	X_ADD = 0x01, X_OR = 0x09, X_AND = 0x21, X_SUB = 0x29, X_XOR = 0x31,
	X_CMP = 0x39, X_MOV = 0x89, X_TEST = 0x85,
};
/* The /digit of the same operations with an immediate (0x81/0x83). */
enum x86ext {
	XE_ADD = 0, XE_OR = 1, XE_AND = 4, XE_SUB = 5, XE_XOR = 6, XE_CMP = 7,
};
/* Shifts (0xC1/0xD3 /digit). */
enum x86shift { XS_ROR = 1, XS_SHL = 4, XS_SHR = 5, XS_SAR = 7 };
/* Group 3 (0xF7 /digit). */
enum x86grp3 { XG_NEG = 3, XG_DIV = 6, XG_IDIV = 7 };
/* Condition codes (low nibble of Jcc). */
enum x86cc {
	CC_B = 0x2, CC_AE = 0x3, CC_E = 0x4, CC_NE = 0x5, CC_BE = 0x6, CC_A = 0x7,
	CC_L = 0xc, CC_GE = 0xd, CC_LE = 0xe, CC_G = 0xf,
};

void x86_alu_rr(struct x86buf *b, enum x86alu op, bool w, int dst, int src);
void x86_alu_ri(struct x86buf *b, enum x86ext ext, bool w, int dst, i32 imm);
void x86_test_ri(struct x86buf *b, bool w, int dst, i32 imm);
void x86_mov_ri(struct x86buf *b, int dst, u64 v);      /* shortest form; may use xor */
void x86_shift_ri(struct x86buf *b, enum x86shift s, bool w, int dst, u8 n);
void x86_shift_cl(struct x86buf *b, enum x86shift s, bool w, int dst);
void x86_ror16_8(struct x86buf *b, int r);
void x86_imul_rr(struct x86buf *b, bool w, int dst, int src);
void x86_imul_ri(struct x86buf *b, bool w, int dst, i32 imm);
void x86_grp3(struct x86buf *b, enum x86grp3 g, bool w, int r);
void x86_movzx_rr(struct x86buf *b, int size, int dst, int src);  /* size 1, 2 */
void x86_movsx_rr(struct x86buf *b, int size, bool w, int dst, int src); /* 1, 2, 4 */
void x86_bswap(struct x86buf *b, bool w, int r);
void x86_cqo(struct x86buf *b, bool w);

/* Memory operands are [base + disp]. size is 1, 2, 4 or 8 bytes. */
void x86_load(struct x86buf *b, int size, bool sx, int dst, int base, i32 disp);
void x86_store(struct x86buf *b, int size, int base, i32 disp, int src);
void x86_store_imm(struct x86buf *b, int size, int base, i32 disp, i32 imm);
void x86_lea(struct x86buf *b, int dst, int base, i32 disp);
/* lock add/or/and/xor [base + disp], src (size 4, 8). */
void x86_lock_alu(struct x86buf *b, enum x86alu op, int size, int base, i32 disp, int src);
void x86_lock_xadd(struct x86buf *b, int size, int base, i32 disp, int src);
void x86_lock_cmpxchg(struct x86buf *b, int size, int base, i32 disp, int src);
void x86_xchg(struct x86buf *b, int size, int base, i32 disp, int src);

/* Branches: rel is from the end of the instruction. */
void x86_jcc8(struct x86buf *b, enum x86cc cc, int8_t rel);
void x86_jcc32(struct x86buf *b, enum x86cc cc, i32 rel);
void x86_jmp8(struct x86buf *b, int8_t rel);
void x86_jmp32(struct x86buf *b, i32 rel);
void x86_call32(struct x86buf *b, i32 rel);
void x86_call_r(struct x86buf *b, int r);
void x86_ret(struct x86buf *b);
void x86_push(struct x86buf *b, int r);
void x86_pop(struct x86buf *b, int r);

/* Lengths of the branch forms, for the compiler's layout. */
#define X86_JCC8_LEN   2
#define X86_JCC32_LEN  6
#define X86_JMP8_LEN   2
#define X86_JMP32_LEN  5
#define X86_CALL32_LEN 5

#endif /* EBPF_X86ENC_H */
