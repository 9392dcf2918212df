/*
 * Is an instruction array well formed? The encoding only (RFC 9669, the
 * subset jit.h lists), not safety: what the compiler and the interpreter
 * must be able to rely on without trusting the checker for it.
 *
 *   every opcode known, with the off/imm/src its form allows;
 *   registers r0-r10, and r10 never written;
 *   every jump inside the program and not into the second half of an
 *   LD_IMM64; the last instruction an exit or unconditional jump, so no
 *   path runs off the end;
 *   every helper call names a helper of the table.
 */
#ifndef EBPF_DECODE_H
#define EBPF_DECODE_H

#include <exo/bpf.h>
#include <exo/error.h>
#include <exo/types.h>

#include "helpers.h"

/*
 * 0, or -E_INVAL (malformed) / -E_NOSYS (a form neither the compiler nor the
 * interpreter handles: calls to program functions, map or BTF references in
 * LD_IMM64, LD_ABS and LD_IND), with *err_at the instruction.
 */
int ebpf_decode_check(const struct bpf_insn *prog, u32 n, const struct ebpf_helpers *h,
		      u32 *err_at);

#endif /* EBPF_DECODE_H */
