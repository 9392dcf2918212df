/*
 * eBPF instructions written in C for the tests (the encodings of RFC 9669
 * through <exo/bpf.h>). LD64 expands to its two slots.
 */
#ifndef TESTS_EBPF_ASM_H
#define TESTS_EBPF_ASM_H

#include <exo/bpf.h>

#define INSN(code, dst, src, off, imm) \
	((struct bpf_insn){ (u8)(code), BPF_REGS(dst, src), (int16_t)(off), (i32)(imm) })

#define ALU64_K(op, d, k)   INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, k)
#define ALU64_X(op, d, s)   INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU32_K(op, d, k)   INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, k)
#define ALU32_X(op, d, s)   INSN(BPF_ALU | (op) | BPF_X, d, s, 0, 0)
#define SDIV64_K(d, k)      INSN(BPF_ALU64 | BPF_DIV | BPF_K, d, 0, 1, k)
#define SDIV64_X(d, s)      INSN(BPF_ALU64 | BPF_DIV | BPF_X, d, s, 1, 0)
#define SMOD64_X(d, s)      INSN(BPF_ALU64 | BPF_MOD | BPF_X, d, s, 1, 0)
#define SDIV32_X(d, s)      INSN(BPF_ALU | BPF_DIV | BPF_X, d, s, 1, 0)
#define SMOD32_X(d, s)      INSN(BPF_ALU | BPF_MOD | BPF_X, d, s, 1, 0)
#define MOVSX64(d, s, bits) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, bits, 0)
#define MOVSX32(d, s, bits) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, bits, 0)
#define MOV64_K(d, k)       ALU64_K(BPF_MOV, d, k)
#define MOV64_X(d, s)       ALU64_X(BPF_MOV, d, s)
#define MOV32_K(d, k)       ALU32_K(BPF_MOV, d, k)
#define END_LE(d, bits)     INSN(BPF_ALU | BPF_END | BPF_K, d, 0, 0, bits)
#define END_BE(d, bits)     INSN(BPF_ALU | BPF_END | BPF_X, d, 0, 0, bits)
#define BSWAP(d, bits)      INSN(BPF_ALU64 | BPF_END | BPF_K, d, 0, 0, bits)
#define LD64(d, v)          INSN(BPF_LD | BPF_IMM | BPF_DW, d, 0, 0, (u32)(u64)(v)), \
			    INSN(0, 0, 0, 0, (u32)((u64)(v) >> 32))
#define LDX(sz, d, s, off)  INSN(BPF_LDX | BPF_MEM | (sz), d, s, off, 0)
#define LDXSX(sz, d, s, off) INSN(BPF_LDX | BPF_MEMSX | (sz), d, s, off, 0)
#define STX(sz, d, s, off)  INSN(BPF_STX | BPF_MEM | (sz), d, s, off, 0)
#define ST(sz, d, off, k)   INSN(BPF_ST | BPF_MEM | (sz), d, 0, off, k)
#define ATOMIC(sz, d, s, off, op) INSN(BPF_STX | BPF_ATOMIC | (sz), d, s, off, op)
#define JMP_K(op, d, k, off)   INSN(BPF_JMP | (op) | BPF_K, d, 0, off, k)
#define JMP_X(op, d, s, off)   INSN(BPF_JMP | (op) | BPF_X, d, s, off, 0)
#define JMP32_K(op, d, k, off) INSN(BPF_JMP32 | (op) | BPF_K, d, 0, off, k)
#define JMP32_X(op, d, s, off) INSN(BPF_JMP32 | (op) | BPF_X, d, s, off, 0)
#define JA(off)             INSN(BPF_JMP | BPF_JA, 0, 0, off, 0)
#define GOTOL(imm)          INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, imm)
#define CALL(id)            INSN(BPF_JMP | BPF_CALL, 0, 0, 0, id)
#define EXIT()              INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

#define FETCH   0x01
#define XCHG    (0xe0 | FETCH)
#define CMPXCHG (0xf0 | FETCH)

#endif
