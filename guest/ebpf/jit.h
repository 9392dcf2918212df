/*
 * The eBPF compiler: an instruction array the checker has accepted, in;
 * x86-64 machine code, out. Portable C with no allocation: the caller owns
 * the output buffer (and the pages around it: it writes them, then makes
 * them read-only and executable, never both writable and executable) and a
 * work array of offsets.
 *
 * The compiled code is a function of the System V AMD64 ABI:
 *     u64 code(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);
 * (an extension is called with its context pointer as r1). It keeps the
 * callee-saved registers, uses no more stack than its own frame (the pushes
 * of the registers it uses and the 512-byte eBPF stack, nothing below rsp:
 * fine without a red zone; at most 4 * 8 + 512 + 8 bytes below the return
 * address, plus what the helpers it calls use) and only general-purpose
 * instructions. Helper calls are one rel32 call when the helper is within
 * 2 GiB of exec_addr (kernel: put the code near the kernel's text), else
 * movabs + call. Only those direct calls depend on the address: elsewhere
 * the code is position independent.
 *
 * What it compiles (RFC 9669, what clang -O2 -target bpf emits): ALU and
 * ALU64 (signed div/mod, MOVSX, byte swaps), JMP and JMP32 with every
 * condition and gotol, helper calls, EXIT, LDX/ST/STX of all sizes, MEMSX
 * loads, LD_IMM64 with a plain constant, and the atomics (add, or, and, xor,
 * each with and without fetch, xchg, cmpxchg) of 4 and 8 bytes. Refused,
 * with -E_NOSYS and err_at naming the instruction: calls to functions of the
 * program (BPF_PSEUDO_CALL), LD_IMM64 of map or BTF references (src != 0),
 * the legacy packet loads (LD_ABS, LD_IND). Anything malformed (decode.h
 * lists what that means, including a path that would run off the end) is
 * -E_INVAL: the checker should have refused it, and the compiler does not
 * trust that.
 */
#ifndef EBPF_JIT_H
#define EBPF_JIT_H

#include <exo/bpf.h>
#include <exo/error.h>
#include <exo/types.h>

#include "helpers.h"

/* No eBPF instruction compiles to more bytes than this (a bound for callers). */
#define EBPF_JIT_MAX_INSN_BYTES 64

struct ebpf_jit {
	/* In. */
	const struct bpf_insn *prog;
	u32 n;                          /* instructions (LD_IMM64 counts 2) */
	const struct ebpf_helpers *helpers;
	u8 *out;                        /* NULL: only compute len */
	u32 cap;                        /* bytes at out */
	u64 exec_addr;                  /* where the code will run; 0: at out */
	u32 *offset;                    /* n + 1 entries, required (work array) */
	u32 *count;                     /* n entries or NULL: x86 instructions each */
	/* n entries or NULL: verify_facts() of the checker's acceptance of this
	 * very program. EXT_FACT_NONZERO drops a register division's zero test
	 * (signed ones keep the -1 test); nothing else is used yet. */
	const u8 *facts;

	/* Out. offset[i]: start of instruction i's code, offset[n]: the end;
	 * the prologue is [0, offset[0]). */
	u32 len;                        /* bytes of code (also when -E_NOMEM) */
	u32 ninsn;                      /* x86 instructions in all */
	u32 prologue_ninsn;
	u32 passes;                     /* layout passes until jump sizes settled */
	u32 err_at;                     /* the instruction an error names */
};

/*
 * Compile j->prog. With out NULL only len is computed, with every helper
 * call in its long form (movabs + call): an upper bound for the same
 * program at any address (a call within rel32 of exec_addr is one 5-byte
 * call, and shorter code only lets jumps shrink). So a loader can size,
 * allocate, then compile at the final address. Returns 0, or:
 *   -E_INVAL  a malformed instruction, register, jump target or helper id
 *   -E_NOSYS  an instruction this compiler does not handle (see above)
 *   -E_NOMEM  the code needs more than cap bytes (j->len says how many)
 */
int ebpf_jit(struct ebpf_jit *j);

#endif /* EBPF_JIT_H */
