/*
 * Arithmetic: the rules of ALU instructions on the abstract state. Scalars
 * carry an unsigned range [umin, umax], exact when both ends meet; a
 * pointer may move by a constant (and packet and helper memory pointers by a
 * bounded scalar), and nothing else may be done to one, so no pointer turns
 * into a number a program could store or return.
 */
#include <string.h>

#include "verify_state.h"

#define U32MAX 0xffffffffull

/*
 * The run-time meaning of one operation on known values (RFC 9669), which
 * the compiler and the interpreter give as well: x / 0 = 0, x % 0 = x,
 * LLONG_MIN / -1 = LLONG_MIN and its modulo 0, shifts masked.
 */
static u64
alu_eval(u8 op, u64 a, u64 b, bool is64, bool sign)
{
	u64 mask = is64 ? ~0ull : U32MAX;
	unsigned sh = (unsigned)(b & (is64 ? 63 : 31));
	i64 sa = is64 ? (i64)a : (i32)a, sb = is64 ? (i64)b : (i32)b;

	a &= mask;
	b &= mask;
	switch (op) {
	case BPF_ADD: return (a + b) & mask;
	case BPF_SUB: return (a - b) & mask;
	case BPF_MUL: return (a * b) & mask;
	case BPF_OR:  return a | b;
	case BPF_AND: return a & b;
	case BPF_XOR: return a ^ b;
	case BPF_LSH: return (a << sh) & mask;
	case BPF_RSH: return a >> sh;
	case BPF_ARSH: return (u64)(sa >> sh) & mask;
	case BPF_NEG: return (0 - (u64)sa) & mask;  /* no signed overflow */
	case BPF_DIV:
		if (!b)
			return 0;
		if (!sign)
			return a / b;
		if (sb == -1)
			return (0 - (u64)sa) & mask;        /* LLONG_MIN / -1 wraps to itself */
		return (u64)(sa / sb) & mask;
	case BPF_MOD:
		if (!b)
			return a;
		if (!sign)
			return a % b;
		if (sb == -1)
			return 0;
		return (u64)(sa % sb) & mask;
	}
	return 0;
}

/* The range of a scalar op on ranges; the full range when unsure. */
static void
alu_range(u8 op, const struct vreg *a, const struct vreg *b, bool sign, struct vreg *out)
{
	u64 lo = 0, hi = ~0ull, t;

	switch (sign ? 0xff : op) {     /* signed division: not tracked */
	case BPF_ADD:
		if (!__builtin_add_overflow(a->umax, b->umax, &hi))
			lo = a->umin + b->umin;
		else
			hi = ~0ull;
		break;
	case BPF_SUB:
		if (a->umin >= b->umax) {
			lo = a->umin - b->umax;
			hi = a->umax - b->umin;
		}
		break;
	case BPF_MUL:
		if (!__builtin_mul_overflow(a->umax, b->umax, &hi))
			lo = a->umin * b->umin;
		else
			hi = ~0ull;
		break;
	case BPF_AND:
		hi = a->umax < b->umax ? a->umax : b->umax;
		break;
	case BPF_LSH:
		if (reg_is_const(b) && b->umin < 64 && (a->umax << b->umin) >> b->umin == a->umax) {
			lo = a->umin << b->umin;
			hi = a->umax << b->umin;
		}
		break;
	case BPF_RSH:
		lo = reg_is_const(b) && b->umin < 64 ? a->umin >> b->umin : 0;
		hi = reg_is_const(b) && b->umin < 64 ? a->umax >> b->umin : a->umax;
		break;
	case BPF_DIV:           /* unsigned; a zero divisor gives 0 */
		hi = b->umin ? a->umax / b->umin : a->umax;
		lo = b->umin ? a->umin / b->umax : 0;
		break;
	case BPF_MOD:           /* a zero divisor leaves a */
		t = b->umax ? b->umax - 1 : 0;
		hi = b->umin ? (a->umax < t ? a->umax : t) : a->umax;
		break;
	}
	reg_scalar(out, lo, hi);
}

static void
alu_scalar(u8 op, struct vreg *d, const struct vreg *s, bool is64, bool sign)
{
	struct vreg r;

	if (reg_is_const(d) && reg_is_const(s)) {
		reg_const(d, alu_eval(op, d->umin, s->umin, is64, sign));
		return;
	}
	if (!is64 && (d->umax > U32MAX || s->umax > U32MAX)) {
		reg_scalar(d, 0, U32MAX);
		return;
	}
	alu_range(op, d, s, sign, &r);
	if (!is64 && r.umax > U32MAX)
		reg_scalar(&r, 0, U32MAX);
	*d = r;
}

/* dst = src as a move: 64-bit copies anything; 32-bit and sign-extending
 * moves only numbers, which would otherwise launder a pointer. */
static int
alu_mov(struct ext_verifier *v, const struct bpf_insn *in, struct vreg *d,
	const struct vreg *s, bool is64)
{
	u32 pc = v->cur.pc;

	if (is64 && !in->off) {
		*d = *s;
		return 0;
	}
	if (reg_is_ptr(s))
		return verify_fail(v, pc, R_PTR_ALU, "a 32-bit or sign-extending move "
				   "of a pointer in r%d", BPF_SRC(in));
	if (in->off) {          /* MOVSX: exact on constants, else unknown */
		u64 k = s->umin;
		i64 x = in->off == 8 ? (int8_t)k : in->off == 16 ? (int16_t)k : (i32)k;

		if (reg_is_const(s))
			reg_const(d, is64 ? (u64)x : (u64)(u32)x);
		else
			reg_scalar(d, 0, is64 ? ~0ull : U32MAX);
		return 0;
	}
	if (s->umax <= U32MAX)
		*d = *s;
	else
		reg_scalar(d, 0, U32MAX);
	return 0;
}

static bool
ptr_movable(u8 type)
{
	return type == V_CTX || type == V_STACK || type == V_PKT || type == V_MEM;
}

/*
 * Pointer + scalar (or pointer - scalar). Context and stack pointers move by
 * constants only: their accesses are checked against fixed layouts. Packet
 * and helper memory pointers may also add a bounded scalar, whose range
 * every later access accounts for.
 */
static int
alu_ptr_add(struct ext_verifier *v, struct vreg *p, const struct vreg *k, bool sub)
{
	u32 pc = v->cur.pc;
	i64 off;

	if (p->type == V_MEM_OR_NULL)
		return verify_fail(v, pc, R_NULL_CHECK, "arithmetic on a pointer that "
				   "may be NULL; compare it with 0 first");
	if (!ptr_movable(p->type))
		return verify_fail(v, pc, R_PTR_ALU, "arithmetic on data_end");
	if (reg_is_const(k)) {
		off = sub ? p->off - (i64)k->umin : p->off + (i64)k->umin;
		if (off < -(1 << 29) || off > (1 << 29))
			return verify_fail(v, pc, R_PTR_ALU, "pointer offset %lld out of range",
					   (long long)off);
		p->off = (i32)off;
		return 0;
	}
	if (sub || p->type == V_CTX || p->type == V_STACK)
		return verify_fail(v, pc, R_PTR_VAR_OFF, "%s a variable offset %s a %s "
				   "pointer", sub ? "subtracting" : "adding", sub ? "from" : "to",
				   p->type == V_CTX ? "context" : p->type == V_STACK ? "stack" :
				   "packet or memory");
	if (k->umax > EXT_PACKET_MAX || p->umax + k->umax > EXT_PACKET_MAX)
		return verify_fail(v, pc, R_PTR_VAR_OFF, "variable offset up to %llu; "
				   "bound it to %u first", (unsigned long long)k->umax,
				   EXT_PACKET_MAX);
	p->umin += k->umin;
	p->umax += k->umax;
	if (p->type == V_PKT) {         /* a new base: nothing proven readable yet */
		if (v->cur.pkt_ids == PKT_IDS)
			return verify_fail(v, pc, R_COMPLEXITY, "more than %d variable "
					   "packet offsets", PKT_IDS - 1);
		p->id = v->cur.pkt_ids++;
		v->cur.pkt_range[p->id] = 0;
	}
	return 0;
}

static int
alu_ptr(struct ext_verifier *v, const struct bpf_insn *in, struct vreg *d,
	const struct vreg *s, bool is64)
{
	u8 op = BPF_OP(in->code);
	u32 pc = v->cur.pc;

	if (!is64 || (op != BPF_ADD && op != BPF_SUB))
		return verify_fail(v, pc, R_PTR_ALU, "%s on a pointer", is64 ?
				   "an operation other than add or sub" : "32-bit arithmetic");
	if (reg_is_ptr(d) && reg_is_ptr(s)) {
		bool pkt = (d->type == V_PKT || d->type == V_PKT_END) &&
			   (s->type == V_PKT || s->type == V_PKT_END);

		if (op != BPF_SUB || !pkt)
			return verify_fail(v, pc, R_PTR_ALU, "pointer %s pointer",
					   op == BPF_SUB ? "-" : "+");
		reg_scalar(d, 0, ~0ull);        /* a length, or a negative one */
		return 0;
	}
	if (reg_is_ptr(s)) {            /* scalar + pointer: the pointer moves */
		struct vreg k = *d;

		if (op == BPF_SUB)
			return verify_fail(v, pc, R_PTR_ALU, "scalar - pointer");
		*d = *s;
		return alu_ptr_add(v, d, &k, false);
	}
	return alu_ptr_add(v, d, s, op == BPF_SUB);
}

static int
alu_imm64(struct ext_verifier *v, const struct bpf_insn *in)
{
	u64 k = (u32)in[0].imm | (u64)(u32)in[1].imm << 32;

	if (BPF_DST(in) == BPF_REG_FP)
		return verify_fail(v, v->cur.pc, R_R10_WRITE, "r10 is read only");
	reg_const(&v->cur.r[BPF_DST(in)], k);
	return 0;
}

static int
alu_checks(struct ext_verifier *v, const struct bpf_insn *in, const struct vreg *d,
	   const struct vreg *s, bool is64)
{
	u8 op = BPF_OP(in->code);
	u32 pc = v->cur.pc;

	if (BPF_DST(in) == BPF_REG_FP)
		return verify_fail(v, pc, R_R10_WRITE, "r10 is read only");
	if (BPF_SRC_BIT(in->code) && s->type == V_UNINIT)
		return verify_fail(v, pc, R_REG_UNINIT, "r%d is read before it is written",
				   BPF_SRC(in));
	if (op != BPF_MOV && d->type == V_UNINIT)
		return verify_fail(v, pc, R_REG_UNINIT, "r%d is read before it is written",
				   BPF_DST(in));
	if (!BPF_SRC_BIT(in->code) && (op == BPF_DIV || op == BPF_MOD) && in->imm == 0)
		return verify_fail(v, pc, R_DIV_ZERO, "%s by the constant 0",
				   op == BPF_DIV ? "division" : "modulo");
	if (!BPF_SRC_BIT(in->code) && (op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) &&
	    (in->imm < 0 || in->imm >= (is64 ? 64 : 32)))
		return verify_fail(v, pc, R_SHIFT_RANGE, "shift by %d in a %d-bit "
				   "operation", in->imm, is64 ? 64 : 32);
	return 0;
}

int
insn_alu(struct ext_verifier *v, const struct bpf_insn *in)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	u8 op = BPF_OP(in->code);
	struct vreg *d = &v->cur.r[BPF_DST(in)], kreg;
	const struct vreg *s = &kreg;
	bool sign = (op == BPF_DIV || op == BPF_MOD) && in->off == 1;

	if (BPF_CLASS(in->code) == BPF_LD)
		return alu_imm64(v, in);
	if (BPF_SRC_BIT(in->code))
		s = &v->cur.r[BPF_SRC(in)];
	else
		reg_const(&kreg, is64 ? (u64)(i64)in->imm : (u32)in->imm);
	if (alu_checks(v, in, d, s, is64) < 0)
		return -1;
	if (op == BPF_MOV)
		return alu_mov(v, in, d, s, is64);
	if (reg_is_ptr(d) || reg_is_ptr(s)) {
		if (op == BPF_NEG || op == BPF_END || sign)
			return verify_fail(v, v->cur.pc, R_PTR_ALU, "negation, byte swap or "
					   "signed division of a pointer");
		return alu_ptr(v, in, d, s, is64);
	}
	if (op == BPF_END) {            /* known values stay known only to LE */
		u64 m = in->imm == 64 ? ~0ull : (1ull << in->imm) - 1;

		if (!(BPF_SRC_BIT(in->code) || is64) && d->umax <= m)
			return 0;
		reg_scalar(d, 0, m);
		return 0;
	}
	alu_scalar(op, d, s, is64, sign);
	return 0;
}
