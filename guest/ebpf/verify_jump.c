/*
 * Conditional jumps and exit. A comparison of numbers narrows their ranges
 * on each branch (and drops a branch that cannot be taken); a comparison of
 * a nullable pointer with 0 decides which branch may use it; a comparison of
 * a packet pointer with data_end proves bytes readable on the branch where
 * the pointer is at most data_end. Other pointer comparisons are refused:
 * they would let a program learn kernel addresses bit by bit.
 */
#include "verify_state.h"

#define U32MAX 0xffffffffull
#define SIGN   (1ull << 63)

/* Unsigned relations after normalization: a < b or a <= b (or their negations). */
static u8
unsigned_op(u8 op)
{
	switch (op) {
	case BPF_JSGT: return BPF_JGT;
	case BPF_JSGE: return BPF_JGE;
	case BPF_JSLT: return BPF_JLT;
	case BPF_JSLE: return BPF_JLE;
	}
	return op;
}

/* 1 always taken, 0 never, -1 either; a and b are scalars. */
static int
cmp_outcome(u8 op, const struct vreg *a, const struct vreg *b)
{
	switch (op) {
	case BPF_JEQ:
		if (reg_is_const(a) && reg_is_const(b))
			return a->umin == b->umin;
		return a->umax < b->umin || b->umax < a->umin ? 0 : -1;
	case BPF_JNE: {
		int r = cmp_outcome(BPF_JEQ, a, b);

		return r < 0 ? -1 : !r;
	}
	case BPF_JGT:
		return a->umin > b->umax ? 1 : a->umax <= b->umin ? 0 : -1;
	case BPF_JGE:
		return a->umin >= b->umax ? 1 : a->umax < b->umin ? 0 : -1;
	case BPF_JLT:
		return cmp_outcome(BPF_JGT, b, a);
	case BPF_JLE:
		return cmp_outcome(BPF_JGE, b, a);
	case BPF_JSET:
		if (reg_is_const(a) && reg_is_const(b))
			return (a->umin & b->umin) != 0;
		return -1;
	}
	return -1;
}

/* A comparison of two known values, as the machine makes it. */
static bool
cmp_const(u8 op, u64 a, u64 b, bool j32)
{
	i64 sa = j32 ? (i32)a : (i64)a, sb = j32 ? (i32)b : (i64)b;

	if (j32) {
		a = (u32)a;
		b = (u32)b;
	}
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSET: return (a & b) != 0;
	case BPF_JSGT: return sa > sb;
	case BPF_JSGE: return sa >= sb;
	case BPF_JSLT: return sa < sb;
	case BPF_JSLE: return sa <= sb;
	}
	return false;
}

static u64 max64(u64 a, u64 b) { return a > b ? a : b; }
static u64 min64(u64 a, u64 b) { return a < b ? a : b; }

/*
 * Narrow a and b given that `a op b` is `holds`. Infeasible results cannot
 * arise: cmp_outcome already dropped branches that cannot be taken.
 */
static void
cmp_refine(u8 op, struct vreg *a, struct vreg *b, bool holds)
{
	if (!holds) {
		switch (op) {
		case BPF_JEQ: op = BPF_JNE; break;
		case BPF_JNE: op = BPF_JEQ; break;
		case BPF_JGT: op = BPF_JLE; break;
		case BPF_JGE: op = BPF_JLT; break;
		case BPF_JLT: op = BPF_JGE; break;
		case BPF_JLE: op = BPF_JGT; break;
		default: return;
		}
	}
	switch (op) {
	case BPF_JEQ:
		a->umin = b->umin = max64(a->umin, b->umin);
		a->umax = b->umax = min64(a->umax, b->umax);
		return;
	case BPF_JNE:
		if (reg_is_const(b) && a->umin == b->umin && a->umin < a->umax)
			a->umin++;
		else if (reg_is_const(b) && a->umax == b->umin && a->umin < a->umax)
			a->umax--;
		return;
	case BPF_JGT:           /* a > b */
		a->umin = max64(a->umin, b->umin + 1);
		b->umax = min64(b->umax, a->umax - 1);
		return;
	case BPF_JGE:
		a->umin = max64(a->umin, b->umin);
		b->umax = min64(b->umax, a->umax);
		return;
	case BPF_JLT:
		cmp_refine(BPF_JGT, b, a, true);
		return;
	case BPF_JLE:
		cmp_refine(BPF_JGE, b, a, true);
		return;
	}
}

/*
 * Both scalars. Signed comparisons are decided as unsigned ones when both
 * sides are known non-negative, else only on constants; JMP32 compares the
 * low halves, which are the values when both fit in 32 bits.
 */
static struct vstate *branch_taken(struct ext_verifier *v, u32 target);
static void branch_order(struct ext_verifier *v, u32 target, u32 *next);

static int
jump_scalar(struct ext_verifier *v, const struct bpf_insn *in, struct vreg *a,
	    struct vreg *b, u32 target, u32 *next)
{
	bool j32 = BPF_CLASS(in->code) == BPF_JMP32;
	u8 op = BPF_OP(in->code);
	bool exact = !j32 || (a->umax <= U32MAX && b->umax <= U32MAX);
	int taken = -1;

	if (op != unsigned_op(op)) {
		if (a->umax < SIGN && b->umax < SIGN && exact)
			op = unsigned_op(op);
		else
			exact = false;
	}
	if (reg_is_const(a) && reg_is_const(b))
		taken = cmp_const(BPF_OP(in->code), a->umin, b->umin, j32);
	else if (exact)
		taken = cmp_outcome(op, a, b);
	if (taken == 1)
		*next = target;
	if (taken >= 0)
		return 0;
	/* Both ways: the taken branch waits (narrowed), the fall-through goes on. */
	struct vstate *t = branch_taken(v, target);
	struct vreg kb = *b;

	if (!t)
		return -1;
	if (exact) {
		cmp_refine(op, &t->r[BPF_DST(in)], BPF_SRC_BIT(in->code) ?
			   &t->r[BPF_SRC(in)] : &kb, true);
		cmp_refine(op, a, b, false);
	}
	branch_order(v, target, next);
	return 0;
}

/* Queue the taken side of a branch: a copy of the state at target, or NULL. */
static struct vstate *
branch_taken(struct ext_verifier *v, u32 target)
{
	if (push_branch(v, &v->cur) < 0)
		return NULL;
	v->pending[v->npending - 1].pc = target;
	v->pending[v->npending - 1].from = v->cur.pc;
	return &v->pending[v->npending - 1];
}

/* Does the code at pc reach exit within a few instructions, with no branch? */
static bool
short_exit(const struct ext_verifier *v, u32 pc)
{
	for (u32 k = pc; k < v->n && k < pc + 4; k++) {
		u8 cls = BPF_CLASS(v->insns[k].code), op = BPF_OP(v->insns[k].code);

		if (cls == BPF_JMP && op == BPF_EXIT)
			return true;
		if (cls == BPF_JMP || cls == BPF_JMP32 || cls == BPF_LD)
			return false;
	}
	return false;
}

/*
 * Both sides are ready: the taken one queued, the fall-through current.
 * Walk a side that returns at once first (filters are chains of "if (...)
 * return 0"), so queued branches do not pile up one per test. Depth first
 * either way: pruning and loop detection hold for any order.
 */
static void
branch_order(struct ext_verifier *v, u32 target, u32 *next)
{
	struct vstate *t = &v->pending[v->npending - 1];
	u64 *a = (u64 *)t, *b = (u64 *)&v->cur;
	u32 pc = v->cur.pc;

	*next = pc + 1;
	if (!short_exit(v, target) || short_exit(v, *next))
		return;
	for (size_t i = 0; i < sizeof(*t) / 8; i++) {  /* swap, no 2.5 KB temporary */
		u64 x = a[i];

		a[i] = b[i];
		b[i] = x;
	}
	t->pc = pc + 1;         /* the queued side is now the fall-through */
	v->cur.pc = pc;         /* step() moves on from the jump to target */
	*next = target;
}

/* Both ways, with what each side learns: packet range, or NULL or not. */
static int
fork_paths(struct ext_verifier *v, u32 target, int which_learns,
	   const struct vreg *pkt, int null_id, u32 *next)
{
	struct vstate *t = branch_taken(v, target);

	if (!t)
		return -1;
	if (pkt && which_learns >= 0)
		state_pkt_learn(which_learns ? t : &v->cur, pkt);
	if (null_id >= 0) {
		state_mark_null(t, (u16)null_id, which_learns == 1);
		state_mark_null(&v->cur, (u16)null_id, which_learns == 0);
	}
	branch_order(v, target, next);
	return 0;
}

/*
 * A packet pointer against data_end: on which branch is p <= data_end (or
 * p < data_end)? 1 taken, 0 fall-through, -1 neither (== and !=, which
 * prove nothing here).
 */
static int
pkt_learn_branch(u8 op, bool pkt_first)
{
	switch (op) {
	case BPF_JGT: case BPF_JGE: return pkt_first ? 0 : 1;
	case BPF_JLT: case BPF_JLE: return pkt_first ? 1 : 0;
	}
	return -1;
}

static int
jump_ptr(struct ext_verifier *v, const struct bpf_insn *in, struct vreg *a,
	 struct vreg *b, u32 target, u32 *next)
{
	u8 op = BPF_OP(in->code);
	u32 pc = v->cur.pc;
	bool j32 = BPF_CLASS(in->code) == BPF_JMP32;

	if (!j32 && (op == BPF_JEQ || op == BPF_JNE)) {
		struct vreg *p = a->type == V_MEM_OR_NULL ? a : b;
		const struct vreg *z = p == a ? b : a;

		if (p->type == V_MEM_OR_NULL && reg_is_const(z) && z->umin == 0)
			return fork_paths(v, target, op == BPF_JEQ ? 1 : 0, NULL, p->id, next);
	}
	bool pa = a->type == V_PKT, pb = b->type == V_PKT;
	bool ea = a->type == V_PKT_END, eb = b->type == V_PKT_END;

	if (!j32 && op == unsigned_op(op) && op != BPF_JSET && ((pa && (pb || eb)) || (ea && pb))) {
		int learns = pa && eb ? pkt_learn_branch(op, true) :
			     ea && pb ? pkt_learn_branch(op, false) : -1;

		return fork_paths(v, target, learns, learns >= 0 ? (pa ? a : b) : NULL, -1,
				  next);
	}
	if (a->type == V_MEM_OR_NULL || b->type == V_MEM_OR_NULL)
		return verify_fail(v, pc, R_PTR_COMPARE, "a nullable pointer is compared "
				   "only with 0 by == or !=");
	return verify_fail(v, pc, R_PTR_COMPARE, "pointers are compared only as packet "
			   "pointers against each other or data_end");
}

int
insn_jump(struct ext_verifier *v, const struct bpf_insn *in, u32 *next)
{
	bool j32 = BPF_CLASS(in->code) == BPF_JMP32;
	u8 op = BPF_OP(in->code);
	u32 pc = v->cur.pc;
	u32 target = pc + 1 + (j32 && op == BPF_JA ? in->imm : in->off);
	struct vreg *a = &v->cur.r[BPF_DST(in)], kreg, *b = &kreg;

	if (op == BPF_JA) {
		*next = target;
		return 0;
	}
	if (BPF_SRC_BIT(in->code))
		b = &v->cur.r[BPF_SRC(in)];
	else
		reg_const(&kreg, j32 ? (u32)in->imm : (u64)(i64)in->imm);
	if (a->type == V_UNINIT || b->type == V_UNINIT)
		return verify_fail(v, pc, R_REG_UNINIT, "r%d is read before it is written",
				   a->type == V_UNINIT ? BPF_DST(in) : BPF_SRC(in));
	*next = pc + 1;
	if (reg_is_ptr(a) || reg_is_ptr(b))
		return jump_ptr(v, in, a, b, target, next);
	return jump_scalar(v, in, a, b, target, next);
}

int
insn_exit(struct ext_verifier *v, const struct bpf_insn *in)
{
	const struct vreg *r0 = &v->cur.r[0];
	const struct ext_prog_type *t = v->type;
	u32 pc = v->cur.pc;

	(void)in;
	if (r0->type == V_UNINIT)
		return verify_fail(v, pc, R_EXIT_R0_UNINIT, "r0 is not set at exit");
	if (reg_is_ptr(r0))
		return verify_fail(v, pc, R_EXIT_R0_PTR, "r0 holds a pointer at exit; "
				   "results are numbers");
	if (r0->umin < t->ret_min || r0->umax > t->ret_max)
		return verify_fail(v, pc, R_EXIT_R0_RANGE, "r0 may be %llu..%llu; %s "
				   "returns %llu..%llu", (unsigned long long)r0->umin,
				   (unsigned long long)r0->umax, t->section,
				   (unsigned long long)t->ret_min,
				   (unsigned long long)t->ret_max);
	return 0;
}
