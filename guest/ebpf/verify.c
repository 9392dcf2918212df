/*
 * The checker's driver: a structural pass over the instructions (opcodes,
 * registers, LD_IMM64 pairs, jump targets, nothing unreachable), then a
 * depth-first walk of every path with an abstract state, pruned where a
 * finished state at a join point covers the current one. Loops are walked
 * turn by turn; one that comes round in a state it was already in is
 * refused, and the step budget bounds the rest: every accepted path ends.
 */
#include <stdarg.h>
#include <string.h>

#include "../core/fmt.h"
#include "verify_state.h"

static const char *const rule_names[EXT_RULE_COUNT] = {
	[EXT_OK] = "ok",
	[R_PROG_SIZE] = "prog_size", [R_OPCODE] = "opcode",
	[R_RESERVED] = "reserved_field", [R_BAD_REG] = "bad_register",
	[R_LD_IMM64] = "ld_imm64", [R_JUMP_RANGE] = "jump_range",
	[R_JUMP_INTO_IMM64] = "jump_into_imm64", [R_LOOP_BOUND] = "loop_bound",
	[R_FALL_OFF_END] = "fall_off_end", [R_UNREACHABLE] = "unreachable",
	[R_CALL_LOCAL] = "call_local", [R_COMPLEXITY] = "complexity",
	[R_REG_UNINIT] = "reg_uninit", [R_R10_WRITE] = "r10_write",
	[R_DIV_ZERO] = "div_by_zero", [R_SHIFT_RANGE] = "shift_range",
	[R_PTR_ALU] = "ptr_alu", [R_PTR_VAR_OFF] = "ptr_var_offset",
	[R_PTR_COMPARE] = "ptr_compare", [R_NULL_CHECK] = "null_check",
	[R_MEM_BAD_PTR] = "mem_bad_ptr", [R_CTX_BOUNDS] = "ctx_bounds",
	[R_CTX_FIELD] = "ctx_field", [R_CTX_MISALIGNED] = "ctx_misaligned",
	[R_CTX_SIZE] = "ctx_access_size", [R_CTX_NO_READ] = "ctx_no_read",
	[R_CTX_NO_WRITE] = "ctx_no_write", [R_STACK_BOUNDS] = "stack_bounds",
	[R_STACK_MISALIGNED] = "stack_misaligned", [R_STACK_UNINIT] = "stack_uninit",
	[R_STACK_PTR_PARTIAL] = "stack_ptr_partial", [R_PKT_BOUNDS] = "pkt_bounds",
	[R_PKT_NO_WRITE] = "pkt_no_write", [R_MEM_BOUNDS] = "mem_bounds",
	[R_PTR_LEAK] = "ptr_leak",
	[R_PTR_STORE] = "ptr_store", [R_ATOMIC_TARGET] = "atomic_target",
	[R_HELPER_DOMAIN] = "helper_domain", [R_HELPER_ARG_TYPE] = "helper_arg_type",
	[R_HELPER_ARG_SIZE] = "helper_arg_size",
	[R_HELPER_ARG_UNINIT] = "helper_arg_uninit",
	[R_EXIT_R0_UNINIT] = "exit_r0_uninit", [R_EXIT_R0_PTR] = "exit_r0_ptr",
	[R_EXIT_R0_RANGE] = "exit_r0_range",
};

const char *
verify_rule_name(int rule)
{
	if (rule < 0 || rule >= EXT_RULE_COUNT || !rule_names[rule])
		return "?";
	return rule_names[rule];
}

size_t
verify_work_size(void)
{
	return sizeof(struct ext_verifier);
}

int
verify_fail(struct ext_verifier *v, u32 pc, int rule, const char *fmt, ...)
{
	va_list ap;

	v->err->rule = rule;
	v->err->insn = pc;
	va_start(ap, fmt);
	fmt_vsnprintf(v->err->msg, sizeof(v->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Is the opcode one of RFC 9669's, with the fields it leaves zero at zero? */
static int
check_alu(const struct bpf_insn *in)
{
	u8 op = BPF_OP(in->code);
	bool x = BPF_SRC_BIT(in->code);

	if (op == BPF_NEG)
		return x || BPF_SRC(in) || in->off || in->imm ? R_RESERVED : 0;
	if (op == BPF_END) {
		if (BPF_SRC(in) || in->off)
			return R_RESERVED;
		if (BPF_CLASS(in->code) == BPF_ALU64 && x)
			return R_OPCODE;        /* bswap has no "to big endian" */
		return in->imm == 16 || in->imm == 32 || in->imm == 64 ? 0 : R_OPCODE;
	}
	if (op > BPF_END)
		return R_OPCODE;
	if ((op == BPF_DIV || op == BPF_MOD) && in->off != 0 && in->off != 1)
		return R_RESERVED;
	if (op == BPF_MOV && in->off && !(x && BPF_CLASS(in->code) == BPF_ALU64 &&
		(in->off == 8 || in->off == 16 || in->off == 32)) &&
	    !(x && BPF_CLASS(in->code) == BPF_ALU && (in->off == 8 || in->off == 16)))
		return R_RESERVED;
	if (op != BPF_DIV && op != BPF_MOD && op != BPF_MOV && in->off)
		return R_RESERVED;
	if (x ? in->imm != 0 : BPF_SRC(in) != 0)
		return R_RESERVED;
	return 0;
}

static int
check_jmp(const struct bpf_insn *in)
{
	u8 op = BPF_OP(in->code);
	bool x = BPF_SRC_BIT(in->code), j32 = BPF_CLASS(in->code) == BPF_JMP32;

	if (op > BPF_JSLE)
		return R_OPCODE;
	if (op == BPF_CALL) {
		if (j32 || x || in->regs & 0x0f || in->off)
			return j32 || x ? R_OPCODE : R_RESERVED;
		return BPF_SRC(in) == BPF_PSEUDO_CALL ? R_CALL_LOCAL :
		       BPF_SRC(in) ? R_RESERVED : 0;
	}
	if (op == BPF_EXIT)
		return j32 || x ? R_OPCODE : in->regs || in->off || in->imm ? R_RESERVED : 0;
	if (op == BPF_JA) {
		if (x)
			return R_OPCODE;
		return in->regs || (j32 ? in->off : in->imm) ? R_RESERVED : 0;
	}
	return (x ? in->imm != 0 : BPF_SRC(in) != 0) ? R_RESERVED : 0;
}

static int
check_mem(const struct bpf_insn *in)
{
	u8 cls = BPF_CLASS(in->code), mode = BPF_MODE(in->code);

	switch (cls) {
	case BPF_LDX:
		if (mode == BPF_MEMSX && BPF_SIZE(in->code) == BPF_DW)
			return R_OPCODE;
		if (mode != BPF_MEM && mode != BPF_MEMSX)
			return R_OPCODE;
		return in->imm ? R_RESERVED : 0;
	case BPF_ST:
		if (mode != BPF_MEM)
			return R_OPCODE;
		return BPF_SRC(in) ? R_RESERVED : 0;
	case BPF_STX:
		if (mode == BPF_ATOMIC) {
			u32 op = (u32)in->imm & ~1u;    /* bit 0: BPF_FETCH */

			if (BPF_SIZE(in->code) != BPF_W && BPF_SIZE(in->code) != BPF_DW)
				return R_OPCODE;
			return op == BPF_ADD || op == BPF_OR || op == BPF_AND ||
			       op == BPF_XOR ? 0 : R_OPCODE;
		}
		if (mode != BPF_MEM)
			return R_OPCODE;
		return in->imm ? R_RESERVED : 0;
	}
	return R_OPCODE;
}

/* Which registers an instruction names, and may they be named? */
static int
check_regs(const struct bpf_insn *in)
{
	if (BPF_DST(in) > BPF_REG_FP || BPF_SRC(in) > BPF_REG_FP)
		return R_BAD_REG;
	return 0;
}

static int
check_one(struct ext_verifier *v, u32 pc)
{
	const struct bpf_insn *in = &v->insns[pc];
	u8 cls = BPF_CLASS(in->code);
	int r = check_regs(in);

	if (cls == BPF_LD) {
		if (in->code != (BPF_LD | BPF_DW | BPF_IMM))
			return verify_fail(v, pc, R_OPCODE, "legacy packet load or bad LD 0x%x",
					   in->code);
		if (BPF_SRC(in))
			return verify_fail(v, pc, R_LD_IMM64, "LD_IMM64 with src %d (map or "
					   "address reference) is not supported", BPF_SRC(in));
		if (BPF_DST(in) > BPF_REG_FP)
			return verify_fail(v, pc, R_BAD_REG, "register r%d", BPF_DST(in));
		if (in->off)
			return verify_fail(v, pc, R_RESERVED, "LD_IMM64 with an offset");
		if (pc + 1 >= v->n || v->insns[pc + 1].code || v->insns[pc + 1].regs ||
		    v->insns[pc + 1].off)
			return verify_fail(v, pc, R_LD_IMM64, "LD_IMM64 without its second half");
		v->flags[pc + 1] |= IF_IMM64_HI;
		return 0;
	}
	if (r)
		return verify_fail(v, pc, r, "register r%d or r%d", BPF_DST(in), BPF_SRC(in));
	if (cls == BPF_ALU || cls == BPF_ALU64)
		r = check_alu(in);
	else if (cls == BPF_JMP || cls == BPF_JMP32)
		r = check_jmp(in);
	else
		r = check_mem(in);
	if (r)
		return verify_fail(v, pc, r, "opcode 0x%02x with src %d off %d imm %d",
				   in->code, BPF_SRC(in), in->off, in->imm);
	return 0;
}

/* The target of a jump at pc, for JA (32-bit offset in imm for JMP32). */
static i64
jump_target(const struct bpf_insn *in, u32 pc)
{
	if (BPF_CLASS(in->code) == BPF_JMP32 && BPF_OP(in->code) == BPF_JA)
		return (i64)pc + 1 + in->imm;
	return (i64)pc + 1 + in->off;
}

static bool
is_jump(const struct bpf_insn *in)
{
	u8 cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

	return (cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL && op != BPF_EXIT;
}

/* Exit and JA never fall through to the next instruction. */
static bool
is_uncond(const struct bpf_insn *in)
{
	u8 cls = BPF_CLASS(in->code), op = BPF_OP(in->code);

	return (cls == BPF_JMP && (op == BPF_EXIT || op == BPF_JA)) ||
	       (cls == BPF_JMP32 && op == BPF_JA);
}

static int
check_edges(struct ext_verifier *v, u32 pc)
{
	const struct bpf_insn *in = &v->insns[pc];
	i64 t;

	if (v->flags[pc] & IF_IMM64_HI) {
		if (pc == v->n - 1)
			return verify_fail(v, pc - 1, R_FALL_OFF_END, "the program ends "
					   "after an LD_IMM64, not exit or a jump");
		return 0;
	}
	if (is_jump(in)) {
		t = jump_target(in, pc);
		if (t < 0 || t >= v->n)
			return verify_fail(v, pc, R_JUMP_RANGE, "jump to %lld, outside 0..%u",
					   (long long)t, v->n - 1);
		if (v->flags[t] & IF_IMM64_HI)
			return verify_fail(v, pc, R_JUMP_INTO_IMM64, "jump into the middle "
					   "of the LD_IMM64 at %lld", (long long)t - 1);
		v->flags[t] |= IF_TARGET;
	}
	if (pc == v->n - 1 && !is_uncond(in))
		return verify_fail(v, pc, R_FALL_OFF_END, "the last instruction is not "
				   "exit or a jump");
	return 0;
}

/* The instructions after pc on its paths: 1 or 2 (a conditional jump). */
static int
successors(struct ext_verifier *v, u32 pc, u32 out[2])
{
	const struct bpf_insn *in = &v->insns[pc];
	bool ld64 = in->code == (BPF_LD | BPF_DW | BPF_IMM);
	int k = 0;

	if (is_jump(in))
		out[k++] = (u32)jump_target(in, pc);
	if (!is_uncond(in) && pc + 1 + ld64 < v->n)
		out[k++] = pc + 1 + ld64;
	return k;
}

/* Reachability from instruction 0, depth first over a work list. */
static int
check_reachable(struct ext_verifier *v)
{
	u32 top = 0, next[2];

	v->flags[0] |= IF_REACHED;
	v->reach[top++] = 0;
	while (top) {
		u32 pc = v->reach[--top];

		for (int k = successors(v, pc, next) - 1; k >= 0; k--) {
			if (v->flags[next[k]] & IF_REACHED)
				continue;
			v->flags[next[k]] |= IF_REACHED;
			v->reach[top++] = (u16)next[k];
		}
	}
	for (u32 pc = 0; pc < v->n; pc++)
		if (!(v->flags[pc] & (IF_REACHED | IF_IMM64_HI)))
			return verify_fail(v, pc, R_UNREACHABLE, "no path reaches this "
					   "instruction");
	return 0;
}

static int
check_structure(struct ext_verifier *v)
{
	if (v->n == 0 || v->n > EXT_MAX_INSNS)
		return verify_fail(v, 0, R_PROG_SIZE, "%u instructions; 1 to %u allowed",
				   v->n, EXT_MAX_INSNS);
	for (u32 pc = 0; pc < v->n; pc++)
		if (!(v->flags[pc] & IF_IMM64_HI) && check_one(v, pc) < 0)
			return -1;
	for (u32 pc = 0; pc < v->n; pc++)
		if (check_edges(v, pc) < 0)
			return -1;
	return check_reachable(v);
}

int
push_branch(struct ext_verifier *v, const struct vstate *s)
{
	if (v->npending == PENDING_MAX)
		return verify_fail(v, s->pc, R_COMPLEXITY, "more than %d branches pending",
				   PENDING_MAX);
	v->pending[v->npending++] = *s;
	return 0;
}

/*
 * At a join point. A recorded state whose walk is done and which covers
 * this one: prune (1). A recorded state still being walked (an ancestor on
 * this path, so we came round a loop) equal to this one: the loop can turn
 * for ever as far as the checker can tell, refuse (-1). A loop whose
 * condition the ranges decide, or whose state changes each turn, is walked
 * turn by turn within the step budget: that is the bound it proves.
 */
static int
seen_before(struct ext_verifier *v, const struct vstate *s)
{
	for (int i = v->seen_head[s->pc]; i >= 0; i = v->seen_next[i]) {
		if (v->seen_done[i] && state_covers(&v->seen[i], s))
			return 1;
		if (!v->seen_done[i] && state_equal(&v->seen[i], s))
			return verify_fail(v, s->from, R_LOOP_BOUND, "the loop back to %u "
					   "comes round in the same state: no bound is "
					   "proven", s->pc);
	}
	if (v->nseen < SEEN_MAX) {
		v->seen[v->nseen] = *s;
		v->seen_depth[v->nseen] = (u16)v->npending;
		v->seen_done[v->nseen] = 0;
		v->seen_next[v->nseen] = v->seen_head[s->pc];
		v->seen_head[s->pc] = (int16_t)v->nseen++;
	}
	return 0;
}

/* Popping pending branch i ends the walk of every state recorded above it. */
static void
pop_branch(struct ext_verifier *v)
{
	v->cur = v->pending[--v->npending];
	for (u32 i = 0; i < v->nseen; i++)
		if (v->seen_depth[i] > v->npending)
			v->seen_done[i] = 1;
}

/* One instruction: 0 to go on at cur.pc, 1 if the path ended, -1 rejected. */
static int
step(struct ext_verifier *v)
{
	const struct bpf_insn *in = &v->insns[v->cur.pc];
	u8 cls = BPF_CLASS(in->code);
	u32 next = v->cur.pc + 1;
	int r;

	v->flags[v->cur.pc] |= IF_WALKED;
	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC_BIT(in->code) &&
	    (BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD)) {
		const struct vreg *d = &v->cur.r[BPF_SRC(in)];

		v->flags[v->cur.pc] |= IF_DIV_REG;
		/* a 32-bit divisor is its low half, which may be 0 when it is wide */
		if (d->umin == 0 || (cls == BPF_ALU && d->umax > 0xffffffffull))
			v->flags[v->cur.pc] |= IF_MAY_ZERO;
	}
	switch (cls) {
	case BPF_ALU: case BPF_ALU64: case BPF_LD:
		r = insn_alu(v, in);
		next += cls == BPF_LD;
		break;
	case BPF_LDX:
		r = insn_load(v, in);
		break;
	case BPF_ST: case BPF_STX:
		r = BPF_MODE(in->code) == BPF_ATOMIC ? insn_atomic(v, in) : insn_store(v, in);
		break;
	default:
		if (BPF_OP(in->code) == BPF_EXIT)
			return insn_exit(v, in) < 0 ? -1 : 1;
		if (BPF_OP(in->code) == BPF_CALL) {
			r = insn_call(v, in);
			break;
		}
		r = insn_jump(v, in, &next);
	}
	if (r < 0)
		return -1;
	if (next != v->cur.pc + 1 + (cls == BPF_LD))
		v->cur.from = v->cur.pc;
	v->cur.pc = next;
	return 0;
}

static int
walk(struct ext_verifier *v)
{
	state_init(&v->cur);
	for (;;) {
		int r = 0;

		if (++v->steps > v->budget)
			return verify_fail(v, v->cur.pc, R_COMPLEXITY, "more than %u "
					   "instructions walked over all paths", v->budget);
		if (v->flags[v->cur.pc] & IF_TARGET)
			r = seen_before(v, &v->cur);
		if (r == 0)
			r = step(v);
		if (r < 0)
			return -1;
		if (r == 1) {
			if (v->npending == 0)
				return 0;
			pop_branch(v);
		}
	}
}

/* Pruned paths need no facts of their own: a covering state was walked with
 * wider ranges over the same instructions. */
void
verify_facts(const void *work, u32 n, u8 *facts)
{
	const struct ext_verifier *v = work;

	for (u32 pc = 0; pc < n && pc < EXT_MAX_INSNS; pc++) {
		u8 f = v->flags[pc];

		facts[pc] = (f & IF_WALKED ? EXT_FACT_WALKED : 0) |
			    ((f & (IF_WALKED | IF_DIV_REG | IF_MAY_ZERO)) ==
			     (IF_WALKED | IF_DIV_REG) ? EXT_FACT_NONZERO : 0);
	}
}

u32
verify_steps(const void *work)
{
	const struct ext_verifier *v = work;

	return v->steps;
}

int
verify_program(const struct bpf_insn *insns, u32 n, const struct ext_prog_type *t,
	       u64 domain, u32 budget, void *work, struct ext_verify_error *err)
{
	struct ext_verifier *v = work;

	u32 m = n < EXT_MAX_INSNS ? n : EXT_MAX_INSNS;

	/* Only the entries of n instructions: every ring-0 instruction counts
	 * on PVM, and a table of 4096 would cost more than a small check. */
	for (u32 pc = 0; pc < m; pc++) {
		v->seen_head[pc] = -1;
		v->flags[pc] = 0;
	}
	v->insns = insns;
	v->n = n;
	v->type = t;
	v->helpers = domain & t->helpers;
	v->err = err;
	v->steps = 0;
	v->budget = budget;
	v->npending = 0;
	v->nseen = 0;
	err->rule = EXT_OK;
	err->insn = 0;
	err->msg[0] = '\0';
	if (check_structure(v) < 0 || walk(v) < 0)
		return -1;
	return 0;
}
