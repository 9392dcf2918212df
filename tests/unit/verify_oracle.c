/*
 * A checking interpreter: runs an eBPF program on real buffers and reports
 * the first thing a safe program never does (an access outside the
 * context's permitted fields, the stack, the packet or helper memory; a
 * read of an unwritten register or stack byte; a pointer stored outside the
 * stack, returned, or operated on by anything but add and sub; running
 * past a step limit). The fuzz test runs every program the checker accepts
 * through it: an accepted program that trips it is a checker bug.
 */
#include <string.h>

#include "verify_oracle.h"

enum { T_UNINIT, T_NUM, T_PTR };

struct oreg { u64 v; u8 tag; };

struct oracle {
	const struct ext_prog_type *t;
	struct oracle_env *env;
	struct oreg r[BPF_NREGS];
	u8 stack[BPF_STACK];
	u8 sinit[BPF_STACK], sptr[BPF_STACK];   /* shadow: written, pointer byte */
	const char *why;
};

static bool
in(u64 a, u64 n, const void *base, u64 size)
{
	u64 b = (u64)(uintptr_t)base;

	return a >= b && n <= size && a - b <= size - n;
}

/* Where may n bytes at a be read (or written)? NULL or the failure. */
static const char *
access_ok(struct oracle *o, u64 a, u64 n, bool write, bool ptr_val)
{
	struct oracle_env *e = o->env;

	if (in(a, n, o->stack, BPF_STACK))
		return NULL;
	if (ptr_val)
		return "pointer stored outside the stack";
	if (in(a, n, e->ctx, o->t->ctx_size)) {
		u64 off = a - (u64)(uintptr_t)e->ctx;

		for (const struct ext_field *f = o->t->fields; f->size; f++)
			if (off >= f->off && off + n <= (u64)f->off + f->size) {
				if (write && (o->t->guard || !(f->access & F_WRITE)))
					return "write to a read-only context field";
				if (!write && !(f->access & F_READ))
					return "read of an unreadable context field";
				return NULL;
			}
		return "context access outside its fields";
	}
	if (in(a, n, e->pkt, e->pkt_len))
		return write ? "write to the packet" : NULL;
	if (e->store_given && in(a, n, e->store, EXT_STORE_SIZE))
		return NULL;
	return "access outside every region";
}

static int
load(struct oracle *o, u64 a, int n, struct oreg *out)
{
	const char *why = access_ok(o, a, (u64)n, false, false);
	u64 v = 0;

	if (why) {
		o->why = why;
		return -1;
	}
	memcpy(&v, (void *)(uintptr_t)a, (size_t)n);
	out->v = v;
	out->tag = T_NUM;
	if (in(a, (u64)n, o->stack, BPF_STACK)) {
		int s = (int)(a - (u64)(uintptr_t)o->stack), ptrs = 0;

		for (int i = s; i < s + n; i++) {
			if (!o->sinit[i]) {
				o->why = "read of an unwritten stack byte";
				return -1;
			}
			ptrs += o->sptr[i];
		}
		if (ptrs && (ptrs != 8 || n != 8)) {
			o->why = "part of a pointer read as a number";
			return -1;
		}
		if (ptrs)
			out->tag = T_PTR;
	}
	return 0;
}

static int
store(struct oracle *o, u64 a, int n, const struct oreg *val)
{
	const char *why = access_ok(o, a, (u64)n, true, val->tag == T_PTR);

	if (why) {
		o->why = why;
		return -1;
	}
	memcpy((void *)(uintptr_t)a, &val->v, (size_t)n);
	if (in(a, (u64)n, o->stack, BPF_STACK)) {
		int s = (int)(a - (u64)(uintptr_t)o->stack);

		for (int i = s; i < s + n; i++) {
			o->sinit[i] = 1;
			o->sptr[i] = val->tag == T_PTR;
		}
	}
	return 0;
}

/* RFC 9669 arithmetic, written apart from the checker's alu_eval. */
static u64
arith(u8 op, u64 a, u64 b, bool is64, bool sign)
{
	u64 m = is64 ? ~0ull : 0xffffffffull;
	unsigned sh = (unsigned)(b & (is64 ? 63 : 31));

	a &= m;
	b &= m;
	switch (op) {
	case BPF_ADD: return (a + b) & m;
	case BPF_SUB: return (a - b) & m;
	case BPF_MUL: return (a * b) & m;
	case BPF_OR: return a | b;
	case BPF_AND: return a & b;
	case BPF_XOR: return a ^ b;
	case BPF_LSH: return (a << sh) & m;
	case BPF_RSH: return a >> sh;
	case BPF_ARSH: return is64 ? (u64)((i64)a >> sh) : (u64)(u32)((i32)a >> sh);
	case BPF_NEG: return (0 - a) & m;
	case BPF_DIV:
		if (!b)
			return 0;
		if (!sign)
			return a / b;
		if (is64)
			return b == m ? (0 - a) & m : (u64)((i64)a / (i64)b);
		return b == m ? (0 - a) & m : (u64)(u32)((i32)a / (i32)b);
	case BPF_MOD:
		if (!b)
			return a;
		if (!sign)
			return a % b;
		if (b == m)
			return 0;
		return is64 ? (u64)((i64)a % (i64)b) : (u64)(u32)((i32)a % (i32)b);
	}
	return 0;
}

static u64
bswap(u64 v, int bits)
{
	u64 r = 0;

	for (int i = 0; i < bits / 8; i++)
		r |= ((v >> (8 * i)) & 0xff) << (bits - 8 - 8 * i);
	return r;
}

static int
alu(struct oracle *o, const struct bpf_insn *in)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64, x = BPF_SRC_BIT(in->code);
	u8 op = BPF_OP(in->code);
	struct oreg *d = &o->r[BPF_DST(in)];
	struct oreg s = x ? o->r[BPF_SRC(in)] : (struct oreg){ is64 ? (u64)(i64)in->imm :
							       (u32)in->imm, T_NUM };
	u64 m = is64 ? ~0ull : 0xffffffffull;

	if (s.tag == T_UNINIT || (op != BPF_MOV && d->tag == T_UNINIT)) {
		o->why = "read of an unwritten register";
		return -1;
	}
	if (op == BPF_MOV) {
		if (in->off && s.tag == T_PTR)
			return o->why = "pointer sign-extended", -1;
		if (!is64 && s.tag == T_PTR)
			return o->why = "pointer truncated", -1;
		*d = s;
		if (in->off)
			d->v = in->off == 8 ? (u64)(int8_t)s.v : in->off == 16 ?
			       (u64)(int16_t)s.v : (u64)(i32)s.v;
		d->v &= m;
		return 0;
	}
	if (d->tag == T_PTR || s.tag == T_PTR) {
		bool both = d->tag == T_PTR && s.tag == T_PTR;

		if (!is64 || (op != BPF_ADD && op != BPF_SUB) || (both && op == BPF_ADD))
			return o->why = "pointer used in arithmetic", -1;
		d->v = arith(op, d->v, s.v, true, false);
		d->tag = both ? T_NUM : T_PTR;
		return 0;
	}
	if (op == BPF_END) {
		int bits = in->imm;
		u64 keep = bits == 64 ? ~0ull : (1ull << bits) - 1;

		d->v = (x || is64) ? bswap(d->v & keep, bits) : d->v & keep;
		return 0;
	}
	d->v = arith(op, d->v, s.v, is64, (op == BPF_DIV || op == BPF_MOD) && in->off == 1);
	return 0;
}

static bool
cond(u8 op, u64 a, u64 b, bool is32)
{
	i64 sa = is32 ? (i32)a : (i64)a, sb = is32 ? (i32)b : (i64)b;

	if (is32) {
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
	case BPF_JSET: return a & b;
	case BPF_JSGT: return sa > sb;
	case BPF_JSGE: return sa >= sb;
	case BPF_JSLT: return sa < sb;
	case BPF_JSLE: return sa <= sb;
	}
	return false;
}

/* The helpers, with their memory arguments checked as accesses. */
static int
call(struct oracle *o, int n)
{
	struct oracle_env *e = o->env;
	struct oreg *r = o->r;
	u64 ret = e->rnd;
	const char *why;

	for (int i = 1; i <= 5; i++) {
		const struct ext_helper_proto *h = verify_helper((u32)n);

		if (h && i <= 5 && h->args[i - 1] != A_NONE && r[i].tag == T_UNINIT)
			return o->why = "helper argument unwritten", -1;
	}
	switch (n) {
	case EXT_HELPER_TRACE:
		if ((why = access_ok(o, r[1].v, r[2].v, false, false)))
			return o->why = why, -1;
		for (u64 i = 0; in(r[1].v, r[2].v, o->stack, BPF_STACK) && i < r[2].v; i++) {
			u64 s = r[1].v - (u64)(uintptr_t)o->stack + i;

			if (!o->sinit[s] || o->sptr[s])
				return o->why = "helper reads unwritten or pointer stack", -1;
		}
		break;
	case EXT_HELPER_STORE:
		ret = r[1].v < EXT_STORE_SLOTS && e->store_given ?
		      (u64)(uintptr_t)e->store : 0;
		break;
	case EXT_HELPER_PKT_LOAD:
		if (r[1].v != (u64)(uintptr_t)e->ctx)
			return o->why = "pkt_load without the context", -1;
		if ((why = access_ok(o, r[3].v, r[4].v, true, false)))
			return o->why = why, -1;
		memset((void *)(uintptr_t)r[3].v, 0x5a, r[4].v);
		if (in(r[3].v, r[4].v, o->stack, BPF_STACK))
			for (u64 i = 0; i < r[4].v; i++) {
				o->sinit[r[3].v - (u64)(uintptr_t)o->stack + i] = 1;
				o->sptr[r[3].v - (u64)(uintptr_t)o->stack + i] = 0;
			}
		break;
	}
	for (int i = 1; i <= 5; i++)
		r[i] = (struct oreg){ 0, T_UNINIT };
	r[0] = (struct oreg){ ret, n == EXT_HELPER_STORE && ret ? T_PTR : T_NUM };
	return 0;
}

static int
mem(struct oracle *o, const struct bpf_insn *in)
{
	static const int sizes[] = { 4, 2, 1, 8 };
	int n = sizes[BPF_SIZE(in->code) >> 3];
	u8 cls = BPF_CLASS(in->code);
	struct oreg *base = &o->r[cls == BPF_LDX ? BPF_SRC(in) : BPF_DST(in)], v;
	u64 a = base->v + (u64)(i64)in->off;

	if (base->tag != T_PTR)
		return o->why = base->tag ? "access through a number" :
				"access through an unwritten register", -1;
	if (cls == BPF_LDX) {
		if (load(o, a, n, &v) < 0)
			return -1;
		if (BPF_MODE(in->code) == BPF_MEMSX && n < 8)
			v.v = n == 1 ? (u64)(int8_t)v.v : n == 2 ? (u64)(int16_t)v.v :
			      (u64)(i32)v.v;
		/* data and data_end come out of the context as pointers */
		if (a == (u64)(uintptr_t)o->env->ctx && o->t->event == EXT_EV_PACKET && n == 8)
			v.tag = T_PTR;
		if (a == (u64)(uintptr_t)o->env->ctx + 8 && o->t->event == EXT_EV_PACKET && n == 8)
			v.tag = T_PTR;
		o->r[BPF_DST(in)] = v;
		return 0;
	}
	v = cls == BPF_ST ? (struct oreg){ (u64)(i64)in->imm, T_NUM } : o->r[BPF_SRC(in)];
	if (v.tag == T_UNINIT)
		return o->why = "store of an unwritten register", -1;
	if (BPF_MODE(in->code) == BPF_ATOMIC) {
		struct oreg old;

		if (v.tag == T_PTR || load(o, a, n, &old) < 0 || old.tag == T_PTR)
			return o->why = o->why ? o->why : "atomic with a pointer", -1;
		struct oreg nv = { arith((u8)(in->imm & 0xf0), old.v, v.v, n == 8, false), T_NUM };

		if (store(o, a, n, &nv) < 0)
			return -1;
		if (in->imm & 1)
			o->r[BPF_SRC(in)] = old;
		return 0;
	}
	return store(o, a, n, &v);
}

const char *
oracle_run(const struct bpf_insn *p, u32 n, const struct ext_prog_type *t,
	   struct oracle_env *env, u64 *result)
{
	static struct oracle o;
	u32 pc = 0;

	memset(&o, 0, sizeof(o));
	o.t = t;
	o.env = env;
	o.r[1] = (struct oreg){ (u64)(uintptr_t)env->ctx, T_PTR };
	o.r[10] = (struct oreg){ (u64)(uintptr_t)(o.stack + BPF_STACK), T_PTR };
	for (u32 steps = 0; steps < 1000000; steps++) {
		const struct bpf_insn *in = &p[pc];
		u8 cls = BPF_CLASS(in->code), op = BPF_OP(in->code);
		int r = 0;

		if (pc >= n)
			return "ran off the end";
		env->ran[pc] |= ORACLE_RAN;
		if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC_BIT(in->code) &&
		    (op == BPF_DIV || op == BPF_MOD) &&
		    !(o.r[BPF_SRC(in)].v & (cls == BPF_ALU ? 0xffffffffull : ~0ull)))
			env->ran[pc] |= ORACLE_DIV0;
		if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) {
			o.r[BPF_DST(in)] = (struct oreg){ (u32)in[0].imm | (u64)(u32)in[1].imm << 32,
							  T_NUM };
			pc += 2;
			continue;
		}
		if (cls == BPF_ALU || cls == BPF_ALU64) {
			r = alu(&o, in);
		} else if (cls == BPF_LDX || cls == BPF_ST || cls == BPF_STX) {
			r = mem(&o, in);
		} else if (op == BPF_EXIT) {
			if (o.r[0].tag != T_NUM)
				return o.r[0].tag ? "pointer returned" : "r0 unwritten at exit";
			if (o.r[0].v < t->ret_min || o.r[0].v > t->ret_max)
				return "result out of range";
			*result = o.r[0].v;
			return NULL;
		} else if (op == BPF_CALL) {
			r = call(&o, in->imm);
		} else if (op == BPF_JA) {
			pc += 1 + (cls == BPF_JMP32 ? in->imm : in->off);
			continue;
		} else {
			struct oreg *a = &o.r[BPF_DST(in)];
			struct oreg b = BPF_SRC_BIT(in->code) ? o.r[BPF_SRC(in)] :
				(struct oreg){ cls == BPF_JMP32 ? (u32)in->imm : (u64)(i64)in->imm,
					       T_NUM };

			if (a->tag == T_UNINIT || b.tag == T_UNINIT)
				return "compare of an unwritten register";
			pc += cond(op, a->v, b.v, cls == BPF_JMP32) ? 1 + in->off : 1;
			continue;
		}
		if (r < 0)
			return o.why;
		if (BPF_DST(in) == BPF_REG_FP && cls != BPF_ST && cls != BPF_STX)
			return "r10 written";
		if (o.r[10].v != (u64)(uintptr_t)(o.stack + BPF_STACK))
			return "r10 changed";
		pc++;
	}
	return "did not end within a million steps";
}
