/* Well-formed instruction arrays: see decode.h. */
#include "decode.h"

#define LD_IMM64 (BPF_LD | BPF_IMM | BPF_DW)

static int
check_alu(const struct bpf_insn *in)
{
	bool w = BPF_CLASS(in->code) == BPF_ALU64, x = BPF_SRC_BIT(in->code) == BPF_X;
	int op = BPF_OP(in->code);

	if (op > BPF_END || BPF_DST(in) == BPF_REG_FP)
		return -E_INVAL;
	switch (op) {
	case BPF_DIV: case BPF_MOD:
		return in->off == 0 || in->off == 1 ? 0 : -E_INVAL;
	case BPF_MOV:
		if (!in->off)
			return 0;
		return x && (in->off == 8 || in->off == 16 || (w && in->off == 32)) ?
		       0 : -E_INVAL;
	case BPF_END:
		if (in->off || (w && x))
			return -E_INVAL;
		return in->imm == 16 || in->imm == 32 || in->imm == 64 ? 0 : -E_INVAL;
	}
	return in->off ? -E_INVAL : 0;
}

static bool
second_slot(const struct bpf_insn *prog, u32 t)
{
	return t > 0 && prog[t - 1].code == LD_IMM64;
}

static int
check_jmp(const struct bpf_insn *prog, u32 n, u32 i, const struct ebpf_helpers *h)
{
	const struct bpf_insn *in = &prog[i];
	bool w = BPF_CLASS(in->code) == BPF_JMP;
	int op = BPF_OP(in->code);
	i64 t;

	switch (op) {
	case BPF_CALL:
		if (w && BPF_SRC(in) == BPF_PSEUDO_CALL)
			return -E_NOSYS;
		return w && !BPF_SRC(in) && !BPF_DST(in) && !in->off && !BPF_SRC_BIT(in->code) &&
		       ebpf_helper(h, in->imm) ? 0 : -E_INVAL;
	case BPF_EXIT:
		return w && !in->regs && !in->off && !in->imm && !BPF_SRC_BIT(in->code) ?
		       0 : -E_INVAL;
	case 0xe0: case 0xf0:
		return -E_INVAL;
	}
	t = (i64)i + 1 + (!w && op == BPF_JA ? in->imm : in->off);
	if (t < 0 || t >= n || second_slot(prog, (u32)t))
		return -E_INVAL;
	return 0;
}

static int
check_mem(const struct bpf_insn *in)
{
	int size = BPF_SIZE(in->code), mode = BPF_MODE(in->code);

	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
		if (mode == BPF_MEMSX && size != BPF_DW)
			return BPF_DST(in) == BPF_REG_FP || in->imm ? -E_INVAL : 0;
		return mode != BPF_MEM || BPF_DST(in) == BPF_REG_FP || in->imm ? -E_INVAL : 0;
	case BPF_ST:
		return mode != BPF_MEM || BPF_SRC(in) ? -E_INVAL : 0;
	}
	/* STX */
	if (mode == BPF_MEM)
		return in->imm ? -E_INVAL : 0;
	if (mode != BPF_ATOMIC || (size != BPF_W && size != BPF_DW) ||
	    BPF_SRC(in) == BPF_REG_FP)
		return -E_INVAL;
	switch (in->imm) {
	case BPF_ADD: case BPF_OR: case BPF_AND: case BPF_XOR:
	case BPF_ADD | 1: case BPF_OR | 1: case BPF_AND | 1: case BPF_XOR | 1:
	case 0xe1: case 0xf1:   /* XCHG, CMPXCHG (always fetch) */
		return 0;
	}
	return -E_INVAL;
}

static int
check_ld(const struct bpf_insn *prog, u32 n, u32 i)
{
	const struct bpf_insn *in = &prog[i];

	if (in->code != LD_IMM64 || BPF_SRC(in))
		return -E_NOSYS;        /* LD_ABS/IND; map and BTF references */
	if (i + 1 >= n || BPF_DST(in) == BPF_REG_FP || in->off ||
	    in[1].code || in[1].regs || in[1].off)
		return -E_INVAL;
	return 0;
}

int
ebpf_decode_check(const struct bpf_insn *prog, u32 n, const struct ebpf_helpers *h,
		  u32 *err_at)
{
	const struct bpf_insn *last = NULL;
	int r = 0;

	for (u32 i = 0; i < n && r == 0; i++) {
		const struct bpf_insn *in = &prog[i];

		*err_at = i;
		if (BPF_DST(in) >= BPF_NREGS || BPF_SRC(in) >= BPF_NREGS)
			return -E_INVAL;
		last = in;
		switch (BPF_CLASS(in->code)) {
		case BPF_ALU: case BPF_ALU64: r = check_alu(in); break;
		case BPF_JMP: case BPF_JMP32: r = check_jmp(prog, n, i, h); break;
		case BPF_LD:
			r = check_ld(prog, n, i);
			last = NULL;            /* the second slot ends it: falls off */
			i++;
			break;
		default: r = check_mem(in); break;
		}
	}
	if (r < 0)
		return r;
	*err_at = n ? n - 1 : 0;
	if (!last || last != &prog[n - 1] ||
	    (last->code != (BPF_JMP | BPF_EXIT) && last->code != (BPF_JMP | BPF_JA) &&
	     last->code != (BPF_JMP32 | BPF_JA)))
		return -E_INVAL;        /* a path would run off the end */
	return 0;
}
