/*
 * The eBPF interpreter: the same semantics as the compiler (jit.c), one
 * instruction at a time. The fallback where compiled code cannot run, and
 * the reference the compiler is tested against.
 *
 * Like the compiler it trusts the checker for memory safety and termination
 * (it dereferences what the program computes), but not for the encoding:
 * before the first run it decodes the whole program once (ebpf_interp_prepare)
 * and refuses an instruction it does not know, a write to r10, a jump out
 * of the program or into the middle of an LD_IMM64, or an unknown helper,
 * with err_at naming the instruction. Runs after that check nothing: on
 * PVM every instruction of the kernel costs alike.
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
	bool prepared;                  /* out: decoded and found well formed */
	u64 steps;                      /* out: instructions the last run executed */
	u32 err_at;                     /* out: the instruction an error names */
};

/*
 * Decode p->prog once. Returns 0, -E_INVAL (malformed), or -E_NOSYS (an
 * instruction the compiler refuses too: calls to program functions, map
 * references, LD_ABS/LD_IND).
 */
int ebpf_interp_prepare(struct ebpf_interp *p);

/*
 * Run with r1 = arg (the context), the other registers zero; prepares
 * first if that was not done. Returns 0 with *r0 the program's result, or
 * the error of ebpf_interp_prepare.
 */
int ebpf_interp(struct ebpf_interp *p, u64 arg, u64 *r0);

#endif /* EBPF_INTERP_H */
