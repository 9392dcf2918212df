/*
 * eBPF instructions written by hand for the checker's tests: one macro per
 * instruction form, named as the RFC 9669 assembly reads.
 */
#ifndef TESTS_VERIFY_ASM_H
#define TESTS_VERIFY_ASM_H

#include <exo/bpf.h>
#include <exo/ext.h>

/* Braces, so that arrays of them are constant initializers; ONE() makes one
 * an expression. */
#define INSN(c, d, s, o, k) { (c), BPF_REGS(d, s), (o), (k) }
#define ONE(x)           ((struct bpf_insn)x)

#define MOV(d, k)        INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define MOVR(d, s)       INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV32R(d, s)     INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define ALU(op, d, k)    INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, k)
#define ALUR(op, d, s)   INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define ALU32(op, d, k)  INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, k)
#define ALU32R(op, d, s) INSN(BPF_ALU | (op) | BPF_X, d, s, 0, 0)
#define LD64(d, k)       INSN(BPF_LD | BPF_DW | BPF_IMM, d, 0, 0, (i32)(u32)(u64)(k)), \
			 INSN(0, 0, 0, 0, (i32)((u64)(k) >> 32))
#define LDX(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST(sz, d, o, k)  INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, k)
#define XADD(sz, d, s, o) INSN(BPF_STX | BPF_ATOMIC | (sz), d, s, o, BPF_ADD)
#define JA(o)            INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define JMP(op, d, k, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, k)
#define JMPR(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define JMP32R(op, d, s, o) INSN(BPF_JMP32 | (op) | BPF_X, d, s, o, 0)
#define CALL(n)          INSN(BPF_JMP | BPF_CALL, 0, 0, 0, n)
#define EXIT             INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define RET(k)           MOV(0, k), EXIT

/* r2 = data, r3 = data_end of a packet context in r1. */
#define PKT_PTRS         LDX(BPF_DW, 2, 1, 0), LDX(BPF_DW, 3, 1, 8)
/* if (r2 + n > r3) return 0 (5 instructions, r4 scratch). */
#define PKT_CHECK(n)     MOVR(4, 2), ALU(BPF_ADD, 4, n), \
			 JMPR(BPF_JLE, 4, 3, 2), RET(0)
/* r0 = ext_store(0); if (!r0) return 0 (5 instructions). */
#define STORE_CHECKED    MOV(1, 0), CALL(EXT_HELPER_STORE), JMP(BPF_JNE, 0, 0, 2), RET(0)

#define PROG(...)  ((const struct bpf_insn[]){ __VA_ARGS__ })
#define NINSN(...) (u32)(sizeof(PROG(__VA_ARGS__)) / sizeof(struct bpf_insn))

#endif /* TESTS_VERIFY_ASM_H */
