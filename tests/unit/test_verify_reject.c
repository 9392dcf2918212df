/*
 * The checker's rejecting corpus: each program breaks one rule, and the
 * checker must name that rule at that instruction. Grouped by rule; the
 * count per rule is printed by verify/rule_counts and kept in
 * guest/ebpf/README.md.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "guest/ebpf/verify.h"
#include "verify_asm.h"

struct reject {
	int line;
	const char *section;
	u64 domain;                     /* 0: every helper */
	const struct bpf_insn *insns;
	u32 n;
	int rule;
	u32 at;
};

#define REJD(sec, dom, r, i, ...) { __LINE__, sec, dom, PROG(__VA_ARGS__), \
				     NINSN(__VA_ARGS__), r, i }
#define REJ(sec, r, i, ...) REJD(sec, 0, r, i, __VA_ARGS__)

#define SYS  "event/syscall"
#define PKT  "event/packet"
#define PF   "event/pagefault"
#define THR  "event/thread"
#define IPC  "event/ipc"
#define IRQ  "event/irq"
#define TMR  "event/timer"
#define GSYS "guard/syscall"
#define GPKT "guard/packet"
#define GTMR "guard/timer"

static const struct reject rejects[] = {
	/* opcode: not an RFC 9669 instruction */
	REJ(SYS, R_OPCODE, 0, INSN(0xff, 0, 0, 0, 0), RET(0)),
	REJ(SYS, R_OPCODE, 0, INSN(BPF_LD | 0x20 | BPF_W, 0, 0, 0, 0), RET(0)),  /* LD ABS */
	REJ(SYS, R_OPCODE, 0, INSN(BPF_LDX | BPF_IMM | BPF_W, 0, 1, 0, 0), RET(0)),
	REJ(SYS, R_OPCODE, 1, MOV(0, 0), INSN(BPF_ST | BPF_ATOMIC | BPF_DW, 10, 0, -8, 0), EXIT),
	REJ(SYS, R_OPCODE, 1, ST(BPF_DW, 10, -8, 0), INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 1, -8, 0xe1), RET(0)),
	REJ(SYS, R_OPCODE, 1, ST(BPF_DW, 10, -8, 0), INSN(BPF_STX | BPF_ATOMIC | BPF_B, 10, 1, -8, BPF_ADD), RET(0)),
	REJ(SYS, R_OPCODE, 1, MOV(0, 0), INSN(BPF_ALU | BPF_END, 0, 0, 0, 8), EXIT),
	REJ(SYS, R_OPCODE, 1, MOV(0, 0), INSN(BPF_JMP | 0xe0, 0, 0, 0, 0), EXIT),
	REJ(SYS, R_OPCODE, 0, INSN(BPF_LDX | BPF_MEMSX | BPF_DW, 0, 1, 0, 0), EXIT),
	REJ(SYS, R_OPCODE, 1, MOV(0, 0), INSN(BPF_JMP32 | BPF_CALL, 0, 0, 0, 1), EXIT),
	REJ(SYS, R_OPCODE, 1, MOV(0, 0), INSN(BPF_JMP | BPF_EXIT | BPF_X, 0, 0, 0, 0)),
	REJ(SYS, R_OPCODE, 1, MOV(0, 0), INSN(BPF_ALU64 | BPF_END | BPF_X, 0, 0, 0, 16), EXIT),

	/* reserved_field: a field the opcode leaves zero is not */
	REJ(SYS, R_RESERVED, 1, MOV(0, 0), INSN(BPF_ALU64 | BPF_ADD | BPF_K, 0, 1, 0, 1), EXIT),
	REJ(SYS, R_RESERVED, 1, MOV(0, 0), INSN(BPF_ALU64 | BPF_ADD | BPF_X, 0, 0, 0, 1), EXIT),
	REJ(SYS, R_RESERVED, 1, MOV(0, 0), INSN(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 1, 1), EXIT),
	REJ(SYS, R_RESERVED, 1, MOV(0, 1), INSN(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 2, 1), EXIT),
	REJ(SYS, R_RESERVED, 1, MOV(0, 1), INSN(BPF_ALU64 | BPF_MOV | BPF_X, 0, 0, 7, 0), EXIT),
	REJ(SYS, R_RESERVED, 1, MOV(0, 1), INSN(BPF_ALU64 | BPF_NEG, 0, 0, 0, 5), EXIT),
	REJ(SYS, R_RESERVED, 1, MOV(0, 0), INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 1)),
	REJ(SYS, R_RESERVED, 0, INSN(BPF_JMP | BPF_JA, 1, 0, 0, 0), RET(0)),
	REJ(SYS, R_RESERVED, 0, INSN(BPF_LDX | BPF_MEM | BPF_DW, 0, 1, 0, 3), EXIT),
	REJ(SYS, R_RESERVED, 0, INSN(BPF_ST | BPF_MEM | BPF_DW, 10, 1, -8, 0), RET(0)),
	REJ(SYS, R_RESERVED, 0, INSN(BPF_JMP | BPF_CALL, 0, 0, 1, 1), RET(0)),
	REJ(SYS, R_RESERVED, 0, INSN(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 1, 0), INSN(0, 0, 0, 0, 0), EXIT),

	/* bad_register: r11 and up */
	REJ(SYS, R_BAD_REG, 0, MOV(11, 0), RET(0)),
	REJ(SYS, R_BAD_REG, 1, MOV(0, 0), ALUR(BPF_ADD, 0, 12), EXIT),
	REJ(SYS, R_BAD_REG, 0, LDX(BPF_DW, 15, 1, 0), RET(0)),
	REJ(SYS, R_BAD_REG, 0, LD64(11, 5), RET(0)),

	/* ld_imm64: the pair is broken or refers to a map */
	REJ(SYS, R_LD_IMM64, 1, MOV(0, 0), INSN(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 0, 1)),
	REJ(SYS, R_LD_IMM64, 0, INSN(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 0, 1), MOV(0, 0), EXIT),
	REJ(SYS, R_LD_IMM64, 0, INSN(BPF_LD | BPF_DW | BPF_IMM, 1, 1, 0, 1), INSN(0, 0, 0, 0, 0), RET(0)),
	REJ(SYS, R_LD_IMM64, 0, INSN(BPF_LD | BPF_DW | BPF_IMM, 0, 0, 0, 1), INSN(0, 0, 0, 4, 0), EXIT),

	/* jump_range */
	REJ(SYS, R_JUMP_RANGE, 1, MOV(0, 0), JA(5), EXIT),
	REJ(SYS, R_JUMP_RANGE, 1, MOV(0, 0), JMP(BPF_JEQ, 0, 0, -100), EXIT),
	REJ(SYS, R_JUMP_RANGE, 1, MOV(0, 0), INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, 9), EXIT),

	/* jump_into_imm64 */
	REJ(SYS, R_JUMP_INTO_IMM64, 0, JA(1), LD64(0, 5), EXIT),
	REJ(SYS, R_JUMP_INTO_IMM64, 1, MOV(0, 0), JMP(BPF_JEQ, 0, 0, 1), LD64(0, 5), EXIT),

	/* loop_bound: a loop that comes round in the same state */
	REJ(SYS, R_LOOP_BOUND, 1, MOV(0, 0), JMP(BPF_JEQ, 0, 0, -1), EXIT),
	REJ(SYS, R_LOOP_BOUND, 2, MOV(0, 0), LDX(BPF_DW, 2, 1, 0), JMP(BPF_JNE, 2, 0, -1), EXIT),
	/* waits for ever on an unknown value */
	REJ(SYS, R_LOOP_BOUND, 3, MOV(6, 0), CALL(EXT_HELPER_KTIME), ALU(BPF_AND, 0, 1),
	    JMP(BPF_JNE, 0, 0, -3), EXIT),
	REJ(SYS, R_LOOP_BOUND, 3, MOV(0, 0), JMP(BPF_JEQ, 0, 0, 1), EXIT,
	    INSN(BPF_JMP32 | BPF_JA, 0, 0, 0, -3)),
	/* the taken side of a loop's branch comes back to the same state */
	REJ(PKT, R_LOOP_BOUND, 8, PKT_PTRS, PKT_CHECK(1), LDX(BPF_B, 5, 2, 0), JMP(BPF_JEQ, 5, 7, -2),
	    RET(0)),

	/* fall_off_end */
	REJ(SYS, R_FALL_OFF_END, 0, MOV(0, 0)),
	REJ(SYS, R_FALL_OFF_END, 1, MOV(1, 0), CALL(EXT_HELPER_KTIME)),
	REJ(SYS, R_FALL_OFF_END, 0, LD64(0, 1)),

	/* unreachable */
	REJ(SYS, R_UNREACHABLE, 2, RET(0), RET(1)),
	REJ(SYS, R_UNREACHABLE, 2, MOV(0, 0), JA(1), MOV(0, 1), EXIT),

	/* call_local: bpf-to-bpf calls are not supported */
	REJ(SYS, R_CALL_LOCAL, 1, MOV(0, 0), INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), EXIT, RET(0)),

	/* reg_uninit */
	REJ(SYS, R_REG_UNINIT, 0, MOVR(0, 2), EXIT),
	REJ(SYS, R_REG_UNINIT, 0, ALU(BPF_ADD, 0, 1), EXIT),
	REJ(SYS, R_REG_UNINIT, 1, MOV(0, 0), JMP(BPF_JEQ, 3, 0, 0), EXIT),
	REJ(SYS, R_REG_UNINIT, 1, MOV(0, 0), JMPR(BPF_JEQ, 0, 4, 0), EXIT),
	REJ(SYS, R_REG_UNINIT, 0, LDX(BPF_DW, 0, 2, 0), EXIT),
	REJ(SYS, R_REG_UNINIT, 0, STX(BPF_DW, 10, 3, -8), RET(0)),
	REJ(SYS, R_REG_UNINIT, 0, ST(BPF_DW, 5, 0, 0), RET(0)),
	REJ(SYS, R_REG_UNINIT, 1, CALL(EXT_HELPER_KTIME), CALL(EXT_HELPER_COUNTER_ADD), RET(0)),
	REJ(SYS, R_REG_UNINIT, 1, CALL(EXT_HELPER_KTIME), LDX(BPF_DW, 0, 1, 0), EXIT),
	REJ(SYS, R_REG_UNINIT, 1, ST(BPF_DW, 10, -8, 0), XADD(BPF_DW, 10, 2, -8), RET(0)),

	/* r10_write */
	REJ(SYS, R_R10_WRITE, 0, MOV(10, 0), RET(0)),
	REJ(SYS, R_R10_WRITE, 0, ALU(BPF_ADD, 10, 8), RET(0)),
	REJ(SYS, R_R10_WRITE, 0, LDX(BPF_DW, 10, 1, 0), RET(0)),
	REJ(SYS, R_R10_WRITE, 0, LD64(10, 1), RET(0)),
	REJ(SYS, R_R10_WRITE, 1, ST(BPF_DW, 10, -8, 0),
	    INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 10, 10, -8, BPF_ADD | 1), RET(0)),

	/* div_by_zero: a constant zero divisor */
	REJ(SYS, R_DIV_ZERO, 1, MOV(0, 1), ALU(BPF_DIV, 0, 0), EXIT),
	REJ(SYS, R_DIV_ZERO, 1, MOV(0, 1), ALU(BPF_MOD, 0, 0), EXIT),
	REJ(SYS, R_DIV_ZERO, 1, MOV(0, 1), ALU32(BPF_DIV, 0, 0), EXIT),
	REJ(SYS, R_DIV_ZERO, 1, MOV(0, 1), ALU32(BPF_MOD, 0, 0), EXIT),
	REJ(SYS, R_DIV_ZERO, 1, MOV(0, 1), INSN(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 1, 0), EXIT),

	/* shift_range: a constant shift past the width */
	REJ(SYS, R_SHIFT_RANGE, 1, MOV(0, 1), ALU(BPF_LSH, 0, 64), EXIT),
	REJ(SYS, R_SHIFT_RANGE, 1, MOV(0, 1), ALU(BPF_RSH, 0, 100), EXIT),
	REJ(SYS, R_SHIFT_RANGE, 1, MOV(0, 1), ALU(BPF_ARSH, 0, -1), EXIT),
	REJ(SYS, R_SHIFT_RANGE, 1, MOV(0, 1), ALU32(BPF_LSH, 0, 32), EXIT),
	REJ(SYS, R_SHIFT_RANGE, 1, MOV(0, 1), ALU32(BPF_RSH, 0, 33), EXIT),

	/* ptr_alu: only add/sub of numbers moves a pointer */
	REJ(SYS, R_PTR_ALU, 0, ALU(BPF_MUL, 1, 2), RET(0)),
	REJ(SYS, R_PTR_ALU, 0, ALU32(BPF_ADD, 1, 4), RET(0)),
	REJ(SYS, R_PTR_ALU, 0, MOV32R(0, 1), EXIT),
	REJ(SYS, R_PTR_ALU, 0, ALU(BPF_OR, 1, 0), RET(0)),
	REJ(SYS, R_PTR_ALU, 0, ALUR(BPF_ADD, 1, 10), RET(0)),
	REJ(SYS, R_PTR_ALU, 1, MOV(0, 0), ALUR(BPF_SUB, 0, 1), EXIT),
	REJ(SYS, R_PTR_ALU, 0, ALU(BPF_NEG, 1, 0), RET(0)),
	REJ(SYS, R_PTR_ALU, 0, ALUR(BPF_SUB, 1, 10), RET(0)),
	REJ(PKT, R_PTR_ALU, 2, PKT_PTRS, ALU(BPF_ADD, 3, 1), RET(0)),
	REJ(SYS, R_PTR_ALU, 2, LD64(2, 1ull << 40), ALUR(BPF_ADD, 1, 2), RET(0)),
	REJ(SYS, R_PTR_ALU, 0, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 0, 1, 32, 0), EXIT),
	REJ(SYS, R_PTR_ALU, 0, ALU(BPF_XOR, 1, 0), RET(0)),

	/* ptr_var_offset: context and stack pointers move by constants only */
	REJ(SYS, R_PTR_VAR_OFF, 1, LDX(BPF_DW, 2, 1, 0), ALUR(BPF_ADD, 1, 2), RET(0)),
	REJ(SYS, R_PTR_VAR_OFF, 2, LDX(BPF_DW, 2, 1, 0), MOVR(3, 10), ALUR(BPF_ADD, 3, 2), RET(0)),
	REJ(PKT, R_PTR_VAR_OFF, 3, PKT_PTRS, LDX(BPF_W, 5, 1, 16), ALUR(BPF_ADD, 2, 5), RET(0)),
	REJ(PKT, R_PTR_VAR_OFF, 4, PKT_PTRS, LDX(BPF_W, 5, 1, 16), ALU(BPF_AND, 5, 15),
	    ALUR(BPF_SUB, 2, 5), RET(0)),
	REJ(SYS, R_PTR_VAR_OFF, 6, STORE_CHECKED, LDX(BPF_DW, 2, 0, 0), ALUR(BPF_ADD, 0, 2), RET(0)),
	REJ(SYS, R_PTR_VAR_OFF, 1, LDX(BPF_DW, 2, 1, 0), ALUR(BPF_ADD, 2, 10), RET(0)),

	/* ptr_compare */
	REJ(SYS, R_PTR_COMPARE, 1, MOV(0, 0), JMP(BPF_JEQ, 1, 0, 0), EXIT),
	REJ(SYS, R_PTR_COMPARE, 1, MOV(0, 0), JMPR(BPF_JGT, 10, 1, 0), EXIT),
	REJ(PKT, R_PTR_COMPARE, 2, PKT_PTRS, JMP(BPF_JGT, 2, 5, 0), RET(0)),
	REJ(PKT, R_PTR_COMPARE, 2, PKT_PTRS, JMP32R(BPF_JGT, 2, 3, 0), RET(0)),
	REJ(SYS, R_PTR_COMPARE, 2, MOV(1, 0), CALL(EXT_HELPER_STORE), JMP(BPF_JEQ, 0, 5, 0), RET(0)),
	REJ(SYS, R_PTR_COMPARE, 2, MOV(1, 0), CALL(EXT_HELPER_STORE), JMP(BPF_JGT, 0, 0, 0), RET(0)),
	REJ(PKT, R_PTR_COMPARE, 2, PKT_PTRS, JMPR(BPF_JSGT, 2, 3, 0), RET(0)),

	/* null_check: helper memory used before comparing it with 0 */
	REJ(SYS, R_NULL_CHECK, 2, MOV(1, 0), CALL(EXT_HELPER_STORE), LDX(BPF_DW, 1, 0, 0), RET(0)),
	REJ(SYS, R_NULL_CHECK, 2, MOV(1, 0), CALL(EXT_HELPER_STORE), ALU(BPF_ADD, 0, 8), RET(0)),
	REJ(SYS, R_NULL_CHECK, 4, MOV(1, 0), CALL(EXT_HELPER_STORE), MOVR(1, 0), MOV(2, 8),
	    CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_NULL_CHECK, 2, MOV(1, 0), CALL(EXT_HELPER_STORE), ST(BPF_W, 0, 0, 1), RET(0)),
	REJ(SYS, R_NULL_CHECK, 3, MOV(1, 0), CALL(EXT_HELPER_STORE), MOVR(6, 0),
	    STX(BPF_DW, 6, 6, 0), RET(0)),

	/* mem_bad_ptr: a number or data_end used as an address */
	REJ(SYS, R_MEM_BAD_PTR, 1, MOV(2, 0), LDX(BPF_DW, 0, 2, 0), EXIT),
	REJ(PKT, R_MEM_BAD_PTR, 2, PKT_PTRS, LDX(BPF_B, 0, 3, 0), EXIT),
	REJ(SYS, R_MEM_BAD_PTR, 1, MOV(2, 4096), ST(BPF_DW, 2, 0, 0), RET(0)),
	/* on the NULL branch the pointer is the number 0 */
	REJ(SYS, R_MEM_BAD_PTR, 3, MOV(1, 0), CALL(EXT_HELPER_STORE), JMP(BPF_JNE, 0, 0, 1),
	    LDX(BPF_DW, 1, 0, 0), RET(0)),
	/* ... and so is every copy of it */
	REJ(SYS, R_MEM_BAD_PTR, 4, MOV(1, 0), CALL(EXT_HELPER_STORE), MOVR(6, 0),
	    JMP(BPF_JNE, 0, 0, 1), LDX(BPF_DW, 1, 6, 0), RET(0)),

	/* ctx_bounds */
	REJ(SYS, R_CTX_BOUNDS, 0, LDX(BPF_DW, 0, 1, 80), EXIT),
	REJ(SYS, R_CTX_BOUNDS, 0, LDX(BPF_DW, 0, 1, -8), EXIT),
	REJ(SYS, R_CTX_BOUNDS, 1, ALU(BPF_ADD, 1, 80), LDX(BPF_DW, 0, 1, 0), EXIT),
	REJ(PKT, R_CTX_BOUNDS, 0, LDX(BPF_W, 0, 1, 32), EXIT),
	REJ(PF, R_CTX_BOUNDS, 0, LDX(BPF_DW, 0, 1, 32), EXIT),
	REJ(IRQ, R_CTX_BOUNDS, 0, LDX(BPF_DW, 0, 1, 16), EXIT),
	REJ(TMR, R_CTX_BOUNDS, 0, LDX(BPF_DW, 0, 1, 24), EXIT),
	REJ(IPC, R_CTX_BOUNDS, 0, LDX(BPF_DW, 0, 1, 48), EXIT),
	REJ(THR, R_CTX_BOUNDS, 0, LDX(BPF_DW, 0, 1, 24), EXIT),

	/* ctx_misaligned */
	REJ(SYS, R_CTX_MISALIGNED, 0, LDX(BPF_W, 0, 1, 2), EXIT),
	REJ(SYS, R_CTX_MISALIGNED, 0, LDX(BPF_DW, 0, 1, 4), EXIT),
	REJ(SYS, R_CTX_MISALIGNED, 0, LDX(BPF_H, 0, 1, 1), EXIT),
	REJ(PKT, R_CTX_MISALIGNED, 0, LDX(BPF_W, 0, 1, 18), EXIT),

	/* ctx_field: bytes outside one field (padding, or spanning two) */
	REJ(PKT, R_CTX_FIELD, 0, LDX(BPF_W, 0, 1, 28), EXIT),
	REJ(PF, R_CTX_FIELD, 0, LDX(BPF_DW, 0, 1, 16), EXIT),
	REJ(IRQ, R_CTX_FIELD, 0, LDX(BPF_DW, 0, 1, 0), EXIT),
	REJ(THR, R_CTX_FIELD, 0, LDX(BPF_DW, 0, 1, 8), EXIT),
	REJ(PKT, R_CTX_FIELD, 0, LDX(BPF_DW, 0, 1, 16), EXIT),

	/* ctx_access_size: data and data_end are read whole */
	REJ(PKT, R_CTX_SIZE, 0, LDX(BPF_W, 2, 1, 0), RET(0)),
	REJ(PKT, R_CTX_SIZE, 0, LDX(BPF_W, 2, 1, 12), RET(0)),
	REJ(PKT, R_CTX_SIZE, 0, LDX(BPF_B, 2, 1, 8), RET(0)),
	REJ(PKT, R_CTX_SIZE, 0, INSN(BPF_LDX | BPF_MEMSX | BPF_W, 2, 1, 0, 0), RET(0)),

	/* ctx_no_read: syscall's ret is write only */
	REJ(SYS, R_CTX_NO_READ, 0, LDX(BPF_DW, 0, 1, 56), EXIT),
	REJ(SYS, R_CTX_NO_READ, 0, LDX(BPF_W, 0, 1, 60), EXIT),
	REJ(GSYS, R_CTX_NO_READ, 0, LDX(BPF_B, 0, 1, 56), EXIT),

	/* ctx_no_write */
	REJ(SYS, R_CTX_NO_WRITE, 0, ST(BPF_DW, 1, 0, 5), RET(0)),
	REJ(SYS, R_CTX_NO_WRITE, 0, ST(BPF_DW, 1, 64, 5), RET(0)),
	REJ(PF, R_CTX_NO_WRITE, 0, ST(BPF_DW, 1, 0, 0), RET(0)),
	REJ(GSYS, R_CTX_NO_WRITE, 0, ST(BPF_DW, 1, 8, 0), RET(0)),
	REJ(PKT, R_CTX_NO_WRITE, 0, ST(BPF_W, 1, 16, 0), RET(0)),
	REJ(PKT, R_CTX_NO_WRITE, 1, MOV(2, 0), STX(BPF_DW, 1, 2, 0), RET(0)),
	REJ(IPC, R_CTX_NO_WRITE, 0, ST(BPF_DW, 1, 8, 0), RET(0)),
	REJ(IRQ, R_CTX_NO_WRITE, 0, ST(BPF_DW, 1, 8, 0), RET(0)),
	REJ(THR, R_CTX_NO_WRITE, 0, ST(BPF_W, 1, 8, 0), RET(0)),
	REJ(GTMR, R_CTX_NO_WRITE, 0, ST(BPF_DW, 1, 16, 0), RET(0)),
	REJ(GPKT, R_CTX_NO_WRITE, 0, ST(BPF_W, 1, 24, 0), RET(0)),

	/* stack_bounds */
	REJ(SYS, R_STACK_BOUNDS, 0, LDX(BPF_DW, 0, 10, 0), EXIT),
	REJ(SYS, R_STACK_BOUNDS, 0, STX(BPF_DW, 10, 1, -520), RET(0)),
	REJ(SYS, R_STACK_BOUNDS, 0, ST(BPF_DW, 10, 8, 0), RET(0)),
	REJ(SYS, R_STACK_BOUNDS, 2, MOVR(2, 10), ALU(BPF_SUB, 2, 600), ST(BPF_B, 2, 0, 0), RET(0)),
	REJ(SYS, R_STACK_BOUNDS, 0, ST(BPF_DW, 10, -4, 0), RET(0)),

	/* stack_misaligned */
	REJ(SYS, R_STACK_MISALIGNED, 0, ST(BPF_DW, 10, -12, 0), RET(0)),
	REJ(SYS, R_STACK_MISALIGNED, 1, MOV(2, 0), STX(BPF_W, 10, 2, -6), RET(0)),
	REJ(SYS, R_STACK_MISALIGNED, 1, ST(BPF_DW, 10, -8, 0), LDX(BPF_H, 0, 10, -3), EXIT),

	/* stack_uninit */
	REJ(SYS, R_STACK_UNINIT, 0, LDX(BPF_DW, 0, 10, -8), EXIT),
	REJ(SYS, R_STACK_UNINIT, 1, ST(BPF_W, 10, -8, 0), LDX(BPF_DW, 0, 10, -8), EXIT),
	REJ(SYS, R_STACK_UNINIT, 1, ST(BPF_W, 10, -8, 0), LDX(BPF_B, 0, 10, -1), EXIT),
	/* written on one path only */
	REJ(SYS, R_STACK_UNINIT, 3, LDX(BPF_DW, 2, 1, 0), JMP(BPF_JEQ, 2, 0, 1),
	    ST(BPF_DW, 10, -8, 0), LDX(BPF_DW, 0, 10, -8), ALU(BPF_AND, 0, 1), EXIT),
	/* a byte stored over a spilled pointer leaves the rest unreadable */
	REJ(SYS, R_STACK_UNINIT, 2, STX(BPF_DW, 10, 1, -8), ST(BPF_B, 10, -8, 0),
	    LDX(BPF_B, 0, 10, -7), EXIT),

	/* stack_ptr_partial: reading part of a spilled pointer as a number */
	REJ(SYS, R_STACK_PTR_PARTIAL, 1, STX(BPF_DW, 10, 1, -8), LDX(BPF_W, 0, 10, -8), EXIT),
	REJ(SYS, R_STACK_PTR_PARTIAL, 1, STX(BPF_DW, 10, 10, -16), LDX(BPF_B, 0, 10, -9), EXIT),

	/* pkt_bounds: packet bytes read before proving them below data_end */
	REJ(PKT, R_PKT_BOUNDS, 2, PKT_PTRS, LDX(BPF_B, 0, 2, 0), EXIT),
	REJ(PKT, R_PKT_BOUNDS, 7, PKT_PTRS, PKT_CHECK(14), LDX(BPF_B, 0, 2, 14), EXIT),
	REJ(PKT, R_PKT_BOUNDS, 7, PKT_PTRS, PKT_CHECK(14), LDX(BPF_W, 0, 2, 12), EXIT),
	REJ(PKT, R_PKT_BOUNDS, 7, PKT_PTRS, PKT_CHECK(14), LDX(BPF_B, 0, 2, -1), EXIT),
	/* read on the branch where p > data_end */
	REJ(PKT, R_PKT_BOUNDS, 7, PKT_PTRS, MOVR(4, 2), ALU(BPF_ADD, 4, 14),
	    JMPR(BPF_JGT, 4, 3, 2), RET(0), LDX(BPF_B, 0, 2, 0), EXIT),
	/* == proves nothing */
	REJ(PKT, R_PKT_BOUNDS, 7, PKT_PTRS, MOVR(4, 2), ALU(BPF_ADD, 4, 14),
	    JMPR(BPF_JEQ, 4, 3, 2), RET(0), LDX(BPF_B, 0, 2, 0), EXIT),
	/* data_end < p: the taken branch is the short packet */
	REJ(PKT, R_PKT_BOUNDS, 7, PKT_PTRS, MOVR(4, 2), ALU(BPF_ADD, 4, 14),
	    JMPR(BPF_JLT, 3, 4, 2), RET(0), LDX(BPF_B, 0, 2, 0), EXIT),
	/* a variable offset starts a new base with nothing proven */
	REJ(PKT, R_PKT_BOUNDS, 10, PKT_PTRS, PKT_CHECK(14), LDX(BPF_B, 5, 2, 0),
	    ALU(BPF_AND, 5, 15), ALUR(BPF_ADD, 2, 5), LDX(BPF_B, 0, 2, 0), EXIT),
	/* proven 2 bytes past the variable offset, read 4 */
	REJ(PKT, R_PKT_BOUNDS, 15, PKT_PTRS, PKT_CHECK(14), LDX(BPF_B, 5, 2, 0),
	    ALU(BPF_AND, 5, 15), ALUR(BPF_ADD, 2, 5), PKT_CHECK(2), LDX(BPF_W, 0, 2, 0), EXIT),
	/* a range proven for one base does not hold for another */
	REJ(PKT, R_PKT_BOUNDS, 11, PKT_PTRS, PKT_CHECK(20), LDX(BPF_B, 5, 2, 0),
	    ALU(BPF_AND, 5, 3), MOVR(6, 2), ALUR(BPF_ADD, 6, 5), LDX(BPF_B, 0, 6, 0), EXIT),
	/* a helper reading more packet bytes than proven */
	REJ(PKT, R_PKT_BOUNDS, 9, PKT_PTRS, PKT_CHECK(14), MOVR(1, 2), MOV(2, 20),
	    CALL(EXT_HELPER_TRACE), RET(0)),
	/* the check's own pointer past the range: p + 14 proven, p + 14 read */
	REJ(PKT, R_PKT_BOUNDS, 7, PKT_PTRS, PKT_CHECK(14), LDX(BPF_B, 0, 4, 0), EXIT),

	/* pkt_no_write: packet bytes are read only for packet filters */
	REJ(PKT, R_PKT_NO_WRITE, 7, PKT_PTRS, PKT_CHECK(14), ST(BPF_B, 2, 0, 0), RET(0)),
	REJ(PKT, R_PKT_NO_WRITE, 8, PKT_PTRS, PKT_CHECK(14), MOV(5, 0), STX(BPF_W, 2, 5, 0), RET(0)),
	REJ(PKT, R_PKT_NO_WRITE, 10, PKT_PTRS, PKT_CHECK(14), MOVR(3, 2), MOV(2, 0),
	    MOV(4, 4), CALL(EXT_HELPER_PKT_LOAD), RET(0)),

	/* mem_bounds: helper memory has EXT_STORE_SIZE bytes */
	REJ(SYS, R_MEM_BOUNDS, 5, STORE_CHECKED, LDX(BPF_DW, 1, 0, 64), RET(0)),
	REJ(SYS, R_MEM_BOUNDS, 5, STORE_CHECKED, LDX(BPF_B, 1, 0, -1), RET(0)),
	REJ(SYS, R_MEM_BOUNDS, 5, STORE_CHECKED, ST(BPF_W, 0, 62, 0), RET(0)),
	REJ(SYS, R_MEM_BOUNDS, 8, STORE_CHECKED, LDX(BPF_B, 2, 0, 0), ALU(BPF_AND, 2, 63),
	    ALUR(BPF_ADD, 0, 2), LDX(BPF_DW, 1, 0, 0), RET(0)),
	REJ(SYS, R_MEM_BOUNDS, 8, STORE_CHECKED, MOVR(1, 0), ALU(BPF_ADD, 1, 8), MOV(2, 64),
	    CALL(EXT_HELPER_TRACE), RET(0)),

	/* ptr_leak: a pointer into what user code reads back */
	REJ(SYS, R_PTR_LEAK, 0, STX(BPF_DW, 1, 1, 8), RET(0)),
	REJ(SYS, R_PTR_LEAK, 0, STX(BPF_DW, 1, 10, 56), RET(0)),
	REJ(PKT, R_PTR_LEAK, 0, STX(BPF_W, 1, 10, 24), RET(0)),
	REJ(THR, R_PTR_LEAK, 0, STX(BPF_DW, 1, 1, 16), RET(0)),
	REJ(SYS, R_PTR_LEAK, 5, STORE_CHECKED, STX(BPF_DW, 0, 10, 0), RET(0)),
	REJ(SYS, R_PTR_LEAK, 4, STX(BPF_DW, 10, 1, -8), MOVR(1, 10), ALU(BPF_ADD, 1, -8),
	    MOV(2, 8), CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_PTR_LEAK, 5, STORE_CHECKED, XADD(BPF_DW, 0, 10, 0), RET(0)),
	REJ(SYS, R_PTR_LEAK, 6, STORE_CHECKED, MOVR(6, 0), STX(BPF_DW, 6, 6, 8), RET(0)),

	/* ptr_store: a pointer anywhere else but a whole stack slot */
	REJ(TMR, R_PTR_STORE, 0, STX(BPF_DW, 1, 1, 16), RET(0)),
	REJ(SYS, R_PTR_STORE, 0, STX(BPF_W, 10, 1, -8), RET(0)),
	REJ(SYS, R_PTR_STORE, 0, STX(BPF_H, 10, 10, -2), RET(0)),
	/* an atomic add of a pointer into a stack number */
	REJ(SYS, R_PTR_STORE, 1, ST(BPF_DW, 10, -8, 0), XADD(BPF_DW, 10, 1, -8), RET(0)),

	/* atomic_target */
	REJ(TMR, R_ATOMIC_TARGET, 1, MOV(2, 1), XADD(BPF_DW, 1, 2, 16), RET(0)),
	REJ(PKT, R_ATOMIC_TARGET, 8, PKT_PTRS, PKT_CHECK(14), MOV(5, 1), XADD(BPF_W, 2, 5, 0), RET(0)),
	REJ(SYS, R_ATOMIC_TARGET, 2, STX(BPF_DW, 10, 1, -8), MOV(2, 1), XADD(BPF_DW, 10, 2, -8), RET(0)),

	/* helper_domain */
	REJ(SYS, R_HELPER_DOMAIN, 0, CALL(0), RET(0)),
	REJ(SYS, R_HELPER_DOMAIN, 0, CALL(99), RET(0)),
	REJ(SYS, R_HELPER_DOMAIN, 0, CALL(-1), RET(0)),
	REJ(SYS, R_HELPER_DOMAIN, 0, CALL(EXT_HELPER_PKT_LOAD), RET(0)),
	REJ(SYS, R_HELPER_DOMAIN, 1, MOV(1, 0), CALL(EXT_HELPER_DIRTY_MARK), RET(0)),
	REJ(IRQ, R_HELPER_DOMAIN, 2, MOV(1, 0), MOV(2, 0), CALL(EXT_HELPER_PAGE_PROTECT), RET(0)),
	REJ(IRQ, R_HELPER_DOMAIN, 3, MOV(1, 0), MOV(2, 1), MOV(3, 3),
	    CALL(EXT_HELPER_PROTECT_RANGE), RET(0)),
	REJ(GSYS, R_HELPER_DOMAIN, 2, MOV(1, 0), MOV(2, 1), CALL(EXT_HELPER_COUNTER_ADD), RET(0)),
	REJ(GPKT, R_HELPER_DOMAIN, 0, CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(GPKT, R_HELPER_DOMAIN, 1, MOV(1, 0), CALL(EXT_HELPER_STORE), RET(0)),
	REJD(SYS, ~(1ull << EXT_HELPER_KTIME), R_HELPER_DOMAIN, 0, CALL(EXT_HELPER_KTIME), RET(0)),
	REJD(PF, 1ull << EXT_HELPER_KTIME, R_HELPER_DOMAIN, 1, MOV(1, 0), CALL(EXT_HELPER_DIRTY_MARK), RET(0)),

	/* helper_arg_type: the prototype's argument kinds */
	REJ(SYS, R_HELPER_ARG_TYPE, 2, MOVR(1, 10), MOV(2, 1), CALL(EXT_HELPER_COUNTER_ADD), RET(0)),
	REJ(SYS, R_HELPER_ARG_TYPE, 2, MOVR(2, 1), MOV(1, 1), CALL(EXT_HELPER_COUNTER_ADD), RET(0)),
	REJ(PKT, R_HELPER_ARG_TYPE, 5, MOVR(1, 10), MOV(2, 0), MOVR(3, 10), ALU(BPF_ADD, 3, -8),
	    MOV(4, 8), CALL(EXT_HELPER_PKT_LOAD), RET(0)),
	REJ(PKT, R_HELPER_ARG_TYPE, 5, ALU(BPF_ADD, 1, 8), MOV(2, 0), MOVR(3, 10), ALU(BPF_ADD, 3, -8),
	    MOV(4, 8), CALL(EXT_HELPER_PKT_LOAD), RET(0)),
	REJ(SYS, R_HELPER_ARG_TYPE, 2, MOV(1, 0), MOV(2, 8), CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_HELPER_ARG_TYPE, 4, ST(BPF_DW, 10, -8, 0), MOVR(1, 10), ALU(BPF_ADD, 1, -8),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0), CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_HELPER_ARG_TYPE, 0, CALL(EXT_HELPER_STORE), RET(0)),
	REJ(PF, R_HELPER_ARG_TYPE, 0, CALL(EXT_HELPER_DIRTY_MARK), RET(0)),
	REJ(SYS, R_HELPER_ARG_TYPE, 2, MOVR(1, 1), MOV(2, 8), CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(PF, R_HELPER_ARG_TYPE, 2, MOV(1, 0), MOVR(2, 10), CALL(EXT_HELPER_PAGE_PROTECT), RET(0)),
	REJ(SYS, R_REG_UNINIT, 2, MOV(1, 0), MOV(2, 1), CALL(EXT_HELPER_PROTECT_RANGE), RET(0)),
	REJ(PF, R_HELPER_ARG_TYPE, 3, MOV(1, 0), MOVR(2, 10), MOV(3, 3),
	    CALL(EXT_HELPER_PROTECT_RANGE), RET(0)),

	/* helper_arg_size: 1..max, inside the stack */
	REJ(SYS, R_HELPER_ARG_SIZE, 4, ST(BPF_DW, 10, -8, 0), MOVR(1, 10), ALU(BPF_ADD, 1, -8),
	    MOV(2, 0), CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_HELPER_ARG_SIZE, 3, MOVR(1, 10), ALU(BPF_ADD, 1, -128), MOV(2, 65),
	    CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_HELPER_ARG_SIZE, 3, LDX(BPF_DW, 2, 1, 0), MOVR(1, 10), ALU(BPF_ADD, 1, -64),
	    CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_HELPER_ARG_SIZE, 4, ST(BPF_DW, 10, -8, 0), MOVR(1, 10), ALU(BPF_ADD, 1, -8),
	    MOV(2, 16), CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(PKT, R_HELPER_ARG_SIZE, 4, MOV(2, 0), MOVR(3, 10), ALU(BPF_ADD, 3, -512),
	    MOV(4, 257), CALL(EXT_HELPER_PKT_LOAD), RET(0)),
	REJ(PKT, R_HELPER_ARG_SIZE, 4, MOV(2, 0), MOVR(3, 10), ALU(BPF_ADD, 3, -8),
	    MOV(4, 16), CALL(EXT_HELPER_PKT_LOAD), RET(0)),

	/* helper_arg_uninit: a helper reading unwritten stack */
	REJ(SYS, R_HELPER_ARG_UNINIT, 3, MOVR(1, 10), ALU(BPF_ADD, 1, -8), MOV(2, 8),
	    CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_HELPER_ARG_UNINIT, 4, ST(BPF_DW, 10, -8, 0), MOVR(1, 10), ALU(BPF_ADD, 1, -16),
	    MOV(2, 16), CALL(EXT_HELPER_TRACE), RET(0)),
	REJ(SYS, R_HELPER_ARG_UNINIT, 4, ST(BPF_W, 10, -8, 0), MOVR(1, 10), ALU(BPF_ADD, 1, -8),
	    MOV(2, 5), CALL(EXT_HELPER_TRACE), RET(0)),

	/* exit_r0_uninit */
	REJ(SYS, R_EXIT_R0_UNINIT, 0, EXIT),
	REJ(SYS, R_EXIT_R0_UNINIT, 3, LDX(BPF_DW, 2, 1, 0), JMP(BPF_JEQ, 2, 0, 1), MOV(0, 0), EXIT),
	REJ(SYS, R_EXIT_R0_UNINIT, 1, MOV(1, 0), EXIT),
	/* a bounded loop walked turn by turn to an exit without r0 */
	REJ(SYS, R_EXIT_R0_UNINIT, 4, MOV(2, 3), JMP(BPF_JEQ, 2, 0, 2), ALU(BPF_SUB, 2, 1), JA(-3), EXIT),

	/* exit_r0_ptr: results are numbers */
	REJ(SYS, R_EXIT_R0_PTR, 1, MOVR(0, 1), EXIT),
	REJ(SYS, R_EXIT_R0_PTR, 1, MOVR(0, 10), EXIT),
	REJ(SYS, R_EXIT_R0_PTR, 2, MOV(1, 0), CALL(EXT_HELPER_STORE), EXIT),
	REJ(PKT, R_EXIT_R0_PTR, 1, LDX(BPF_DW, 0, 1, 0), EXIT),
	REJ(SYS, R_EXIT_R0_PTR, 2, STX(BPF_DW, 10, 1, -8), LDX(BPF_DW, 0, 10, -8), EXIT),

	/* exit_r0_range: within the event's results */
	REJ(SYS, R_EXIT_R0_RANGE, 1, MOV(0, 2), EXIT),
	REJ(SYS, R_EXIT_R0_RANGE, 1, CALL(EXT_HELPER_KTIME), EXIT),
	REJ(GPKT, R_EXIT_R0_RANGE, 1, LDX(BPF_W, 0, 1, 16), EXIT),
	REJ(PF, R_EXIT_R0_RANGE, 1, MOV(0, -1), EXIT),
	REJ(PKT, R_EXIT_R0_RANGE, 2, LD64(0, 1ull << 32), EXIT),
	REJ(SYS, R_EXIT_R0_RANGE, 2, LDX(BPF_DW, 0, 1, 0), ALU(BPF_AND, 0, 3), EXIT),
};

#define NREJECTS (sizeof(rejects) / sizeof(rejects[0]))

/*
 * complexity: the step budget is what bounds a loop whose state changes each
 * turn: here r2 > r3 narrows r2's range by one a turn, 2^64 turns.
 */
static const struct reject budget[] = {
	REJ(SYS, R_COMPLEXITY, 5, MOV(0, 0), LDX(BPF_DW, 2, 1, 0), ALU(BPF_OR, 2, 0),
	    MOVR(3, 2), JMPR(BPF_JGT, 3, 2, -2), EXIT),
};

/* Rejections tested outside the table (sizes and generated programs). */
static const int extra_rules[] = { R_PROG_SIZE, R_PROG_SIZE, R_COMPLEXITY, R_COMPLEXITY,
				   R_COMPLEXITY };

static void *work;

static void
setup(void)
{
	work = malloc(verify_work_size());
	cr_assert(work);
}

static void
teardown(void)
{
	free(work);
}

TestSuite(verify, .init = setup, .fini = teardown);

Test(verify, corpus_rejects_each_at_its_rule_and_instruction)
{
	int bad = 0;

	for (size_t i = 0; i < NREJECTS; i++) {
		const struct reject *r = &rejects[i];
		const struct ext_prog_type *t = verify_type_by_section(r->section);
		struct ext_verify_error e;
		int rc;

		cr_assert(t, "line %d: section %s", r->line, r->section);
		rc = verify_program(r->insns, r->n, t, r->domain ? r->domain : ~0ull, EXT_HOST_STEPS, work, &e);
		if (rc == 0 || e.rule != r->rule || e.insn != r->at) {
			bad++;
			cr_log_error("test_verify_reject.c:%d: want %s at %u, got %s at %u (%s)",
				     r->line, verify_rule_name(r->rule), r->at,
				     rc == 0 ? "accepted" : verify_rule_name(e.rule),
				     e.insn, e.msg);
		}
	}
	cr_expect_eq(bad, 0, "%d of %zu rejecting programs were judged otherwise",
		     bad, NREJECTS);
}

Test(verify, a_loop_narrowing_by_one_a_turn_exhausts_the_budget)
{
	const struct reject *r = &budget[0];
	struct ext_verify_error e;

	cr_assert_eq(verify_program(r->insns, r->n, verify_type_by_section(r->section),
				    ~0ull, EXT_HOST_STEPS, work, &e), -1);
	cr_expect_eq(e.rule, R_COMPLEXITY, "%s", verify_rule_name(e.rule));
	cr_expect_eq(e.insn, r->at);
}

Test(verify, empty_and_oversized_programs_break_the_size_rule)
{
	static struct bpf_insn big[EXT_MAX_INSNS + 1];
	const struct ext_prog_type *t = verify_type_by_section(SYS);
	struct ext_verify_error e;

	cr_assert_eq(verify_program(big, 0, t, ~0ull, EXT_HOST_STEPS, work, &e), -1);
	cr_expect_eq(e.rule, R_PROG_SIZE);
	for (u32 i = 0; i < EXT_MAX_INSNS; i++)
		big[i] = ONE(MOV(0, 0));
	big[EXT_MAX_INSNS] = ONE(EXIT);
	cr_assert_eq(verify_program(big, EXT_MAX_INSNS + 1, t, ~0ull, EXT_HOST_STEPS, work, &e), -1);
	cr_expect_eq(e.rule, R_PROG_SIZE);
	/* One instruction fewer is within the limit and accepted. */
	big[EXT_MAX_INSNS - 1] = ONE(EXIT);
	cr_expect_eq(verify_program(big, EXT_MAX_INSNS, t, ~0ull, EXT_HOST_STEPS, work, &e), 0, "%s", e.msg);
}

/*
 * 70 independent branches in a row, each on an unknown value, each to a
 * long tail: the walk keeps one pending branch per test, and the 65th
 * exceeds PENDING_MAX.
 */
Test(verify, too_many_pending_branches_is_complexity)
{
	static struct bpf_insn p[2 + 70 * 2 + 6 + 2];
	const struct ext_prog_type *t = verify_type_by_section(SYS);
	struct ext_verify_error e;
	u32 n = 0;

	p[n++] = ONE(LDX(BPF_DW, 2, 1, 0));
	p[n++] = ONE(MOV(0, 0));
	for (int i = 0; i < 70; i++) {
		p[n++] = ONE(JMP(BPF_JEQ, 2, i, (70 - i) * 2 - 1));
		p[n++] = ONE(ALU(BPF_ADD, 2, 0));
	}
	for (int i = 0; i < 6; i++)
		p[n++] = ONE(ALU(BPF_ADD, 0, 0));
	p[n++] = ONE(MOV(0, 1));
	p[n++] = ONE(EXIT);
	cr_assert_eq(verify_program(p, n, t, ~0ull, EXT_HOST_STEPS, work, &e), -1);
	cr_expect_eq(e.rule, R_COMPLEXITY, "%s", verify_rule_name(e.rule));
	cr_expect_eq(e.insn, 2 + 64 * 2, "at %u: %s", e.insn, e.msg);
}

/*
 * 24 diamonds, each adding 2^i or 0 to r6: every path has its own sum, so
 * nothing prunes and 2^24 paths exceed the step budget.
 */
Test(verify, exponential_paths_exceed_the_step_budget)
{
	static struct bpf_insn p[3 + 24 * 4 + 2];
	const struct ext_prog_type *t = verify_type_by_section(SYS);
	struct ext_verify_error e;
	u32 n = 0;

	p[n++] = ONE(LDX(BPF_DW, 2, 1, 0));
	p[n++] = ONE(MOV(6, 0));
	p[n++] = ONE(MOV(0, 0));
	for (int i = 0; i < 24; i++) {
		p[n++] = ONE(JMP(BPF_JSET, 2, 1 << i, 1));
		p[n++] = ONE(JA(1));
		p[n++] = ONE(ALU(BPF_ADD, 6, 1 << i));
		p[n++] = ONE(ALU(BPF_ADD, 6, 0));
	}
	p[n++] = ONE(MOV(0, 1));
	p[n++] = ONE(EXIT);
	cr_assert_eq(verify_program(p, n, t, ~0ull, EXT_HOST_STEPS, work, &e), -1);
	cr_expect_eq(e.rule, R_COMPLEXITY, "%s: %s", verify_rule_name(e.rule), e.msg);
	cr_expect_lt(e.insn, n);
}

/* Every rule has a rejecting test; prints the table for the README. */
Test(verify, rule_counts)
{
	int count[EXT_RULE_COUNT] = { 0 }, total = 0;

	for (size_t i = 0; i < NREJECTS; i++)
		count[rejects[i].rule]++;
	for (size_t i = 0; i < sizeof(extra_rules) / sizeof(extra_rules[0]); i++)
		count[extra_rules[i]]++;
	for (int r = 1; r < EXT_RULE_COUNT; r++) {
		total += count[r];
		if (getenv("VERIFY_RULE_TABLE"))
			printf("| %-20s | %3d |\n", verify_rule_name(r), count[r]);
		cr_expect_gt(count[r], 0, "rule %s has no rejecting test", verify_rule_name(r));
	}
	if (getenv("VERIFY_RULE_TABLE"))
		printf("| %-20s | %3d |\n", "total", total);
	cr_expect_geq(total, 100);
}
