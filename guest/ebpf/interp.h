/*
 * The eBPF interpreter: the same semantics as the compiler (jit.c), one
 * instruction at a time. The fallback where compiled code cannot run, and
 * the reference the compiler is tested against.
 *
 * Like the compiler it trusts the checker for memory safety and termination
 * (it dereferences what the program computes), but not for the encoding:
 * an instruction it does not know, a jump out of the program or an unknown
 * helper ends the run with an error and err_at naming the instruction.
 */
#ifndef EBPF_INTERP_H
#define EBPF_INTERP_H

#include <exo/bpf.h>
#include <exo/error.h>
#include <exo/types.h>

#include "helpers.h"

struct ebpf_interp {
	const struct bpf_insn *prog;
	u32 n;
	const struct ebpf_helpers *helpers;
	u64 steps;                      /* out: instructions executed */
	u32 err_at;                     /* out: the instruction an error names */
};

/*
 * Run with r1 = arg (the context), the other argument registers zero.
 * Returns 0 with *r0 the program's result, or -E_INVAL (malformed or
 * ran off the end), -E_NOSYS (an instruction the compiler refuses too).
 */
int ebpf_interp(struct ebpf_interp *p, u64 arg, u64 *r0);

#endif /* EBPF_INTERP_H */
