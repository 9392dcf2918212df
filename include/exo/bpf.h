/*
 * The eBPF instruction set (RFC 9669), the one format of all code the kernel
 * accepts from user space: SPIN's handlers and guards, packet filters.
 * Shared by the checker and the compiler (guest/ebpf/, built into the kernel
 * and for the host) and by the host tools that read extension objects.
 *
 * One instruction is 64 bits, little-endian:
 *   63              32 31      16 15   12 11    8 7        0
 *   |   imm (signed)   | offset   |  src  |  dst  |  opcode  |
 * A 64-bit immediate load (LD_IMM64) takes two slots; the second holds the
 * upper 32 bits in its imm and zeros elsewhere.
 *
 * opcode, for ALU/ALU64/JMP/JMP32:   7    4   3   2   0
 *                                    | op  | s | class |   s: 0 imm, 1 src reg
 * opcode, for LD/LDX/ST/STX:         7  5 4  3 2   0
 *                                    |mode|size|class|
 */
#ifndef EXO_BPF_H
#define EXO_BPF_H

#include <exo/types.h>

struct bpf_insn {
	u8  code;
	u8  regs;               /* dst in bits 0-3, src in bits 4-7 */
	int16_t off;
	i32 imm;
};
_Static_assert(sizeof(struct bpf_insn) == 8, "an eBPF instruction is 64 bits");

#define BPF_DST(i)       ((i)->regs & 0xf)
#define BPF_SRC(i)       ((i)->regs >> 4)
#define BPF_REGS(d, s)   ((u8)((d) | (s) << 4))

/* Classes (opcode bits 0-2). */
#define BPF_CLASS(c)     ((c) & 0x07)
#define BPF_LD           0x00
#define BPF_LDX          0x01
#define BPF_ST           0x02
#define BPF_STX          0x03
#define BPF_ALU          0x04    /* 32-bit, result zero-extended */
#define BPF_JMP          0x05
#define BPF_JMP32        0x06
#define BPF_ALU64        0x07

/* Source (bit 3) of ALU and JMP. */
#define BPF_SRC_BIT(c)   ((c) & 0x08)
#define BPF_K            0x00    /* imm */
#define BPF_X            0x08    /* src register */

/* ALU operations (bits 4-7). */
#define BPF_OP(c)        ((c) & 0xf0)
#define BPF_ADD          0x00
#define BPF_SUB          0x10
#define BPF_MUL          0x20
#define BPF_DIV          0x30    /* off 1: signed (SDIV) */
#define BPF_OR           0x40
#define BPF_AND          0x50
#define BPF_LSH          0x60
#define BPF_RSH          0x70
#define BPF_NEG          0x80
#define BPF_MOD          0x90    /* off 1: signed (SMOD) */
#define BPF_XOR          0xa0
#define BPF_MOV          0xb0    /* off 8/16/32: MOVSX */
#define BPF_ARSH         0xc0
#define BPF_END          0xd0    /* byte swap; imm 16, 32 or 64 */

/* Jump operations (bits 4-7). */
#define BPF_JA           0x00
#define BPF_JEQ          0x10
#define BPF_JGT          0x20
#define BPF_JGE          0x30
#define BPF_JSET         0x40
#define BPF_JNE          0x50
#define BPF_JSGT         0x60
#define BPF_JSGE         0x70
#define BPF_CALL         0x80
#define BPF_EXIT         0x90
#define BPF_JLT          0xa0
#define BPF_JLE          0xb0
#define BPF_JSLT         0xc0
#define BPF_JSLE         0xd0

/* Sizes (bits 3-4) and modes (bits 5-7) of loads and stores. */
#define BPF_SIZE(c)      ((c) & 0x18)
#define BPF_W            0x00    /* 4 bytes */
#define BPF_H            0x08    /* 2 */
#define BPF_B            0x10    /* 1 */
#define BPF_DW           0x18    /* 8 */
#define BPF_MODE(c)      ((c) & 0xe0)
#define BPF_IMM          0x00    /* with BPF_LD | BPF_DW: LD_IMM64 */
#define BPF_MEM          0x60
#define BPF_MEMSX        0x80    /* sign-extending load */
#define BPF_ATOMIC       0xc0

/* Registers: r0 result, r1-r5 arguments (clobbered by a call), r6-r9 kept
 * across calls, r10 the frame pointer (read only), 512 bytes of stack. */
#define BPF_NREGS        11
#define BPF_REG_FP       10
#define BPF_STACK        512

/* In a call, src 0 names a helper by number in imm (the domain resolves it). */
#define BPF_PSEUDO_CALL  1       /* src 1: a call to a function of the program */

#endif /* EXO_BPF_H */
