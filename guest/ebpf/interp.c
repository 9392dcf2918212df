/*
 * The eBPF interpreter (see interp.h). Semantics from RFC 9669, written out
 * where C leaves them open: x / 0 = 0, x % 0 = x, signed MIN / -1 = MIN and
 * MIN % -1 = 0, shift counts masked to 63 or 31, 32-bit results
 * zero-extended. Arithmetic is on u64 so nothing overflows undefinedly;
 * right shifts of negative values are arithmetic (gcc and clang define it).
 */
#include "interp.h"

struct vm {
	u64 r[BPF_NREGS];
	u64 stack[BPF_STACK / 8];
};

static u64
div_u(u64 a, u64 b, bool mod)
{
	if (b == 0)
		return mod ? a : 0;
	return mod ? a % b : a / b;
}

static i64
div_s64(i64 a, i64 b, bool mod)
{
	if (b == 0)
		return mod ? a : 0;
	if (b == -1)            /* MIN / -1 overflows in C and faults on x86 */
		return mod ? 0 : (i64)(0 - (u64)a);
	return mod ? a % b : a / b;
}

static i32
div_s32(i32 a, i32 b, bool mod)
{
	if (b == 0)
		return mod ? a : 0;
	if (b == -1)
		return mod ? 0 : (i32)(0 - (u32)a);
	return mod ? a % b : a / b;
}

static u64
movsx(u64 s, int16_t off)
{
	switch (off) {
	case 8: return (u64)(i64)(int8_t)s;
	case 16: return (u64)(i64)(int16_t)s;
	case 32: return (u64)(i64)(i32)s;
	}
	return s;
}

static int
alu64(const struct bpf_insn *in, u64 *d, u64 s)
{
	switch (BPF_OP(in->code)) {
	case BPF_ADD: *d += s; break;
	case BPF_SUB: *d -= s; break;
	case BPF_MUL: *d *= s; break;
	case BPF_OR: *d |= s; break;
	case BPF_AND: *d &= s; break;
	case BPF_XOR: *d ^= s; break;
	case BPF_LSH: *d <<= s & 63; break;
	case BPF_RSH: *d >>= s & 63; break;
	case BPF_ARSH: *d = (u64)((i64)*d >> (s & 63)); break;
	case BPF_NEG: *d = 0 - *d; break;
	case BPF_MOV: *d = movsx(s, in->off); break;
	case BPF_DIV: case BPF_MOD: {
		bool mod = BPF_OP(in->code) == BPF_MOD;

		*d = in->off ? (u64)div_s64((i64)*d, (i64)s, mod) : div_u(*d, s, mod);
		break;
	}
	case BPF_END:
		if (BPF_SRC_BIT(in->code) == BPF_X)
			return -E_INVAL;
		switch (in->imm) {
		case 16: *d = __builtin_bswap16((u16)*d); break;
		case 32: *d = __builtin_bswap32((u32)*d); break;
		case 64: *d = __builtin_bswap64(*d); break;
		default: return -E_INVAL;
		}
		break;
	default:
		return -E_INVAL;
	}
	return 0;
}

static int
alu32(const struct bpf_insn *in, u64 *d64, u64 s64)
{
	u32 d = (u32)*d64, s = (u32)s64;

	switch (BPF_OP(in->code)) {
	case BPF_ADD: d += s; break;
	case BPF_SUB: d -= s; break;
	case BPF_MUL: d *= s; break;
	case BPF_OR: d |= s; break;
	case BPF_AND: d &= s; break;
	case BPF_XOR: d ^= s; break;
	case BPF_LSH: d <<= s & 31; break;
	case BPF_RSH: d >>= s & 31; break;
	case BPF_ARSH: d = (u32)((i32)d >> (s & 31)); break;
	case BPF_NEG: d = 0 - d; break;
	case BPF_MOV:
		if (in->off == 32)
			return -E_INVAL;
		d = (u32)movsx(s, in->off);
		break;
	case BPF_DIV: case BPF_MOD: {
		bool mod = BPF_OP(in->code) == BPF_MOD;

		d = in->off ? (u32)div_s32((i32)d, (i32)s, mod) : (u32)div_u(d, s, mod);
		break;
	}
	case BPF_END:   /* to little endian: truncate; to big endian: swap */
		switch (in->imm) {
		case 16:
			*d64 = BPF_SRC_BIT(in->code) ? __builtin_bswap16((u16)*d64) : (u16)*d64;
			return 0;
		case 32:
			*d64 = BPF_SRC_BIT(in->code) ? __builtin_bswap32((u32)*d64) : (u32)*d64;
			return 0;
		case 64:
			if (BPF_SRC_BIT(in->code))
				*d64 = __builtin_bswap64(*d64);
			return 0;
		}
		return -E_INVAL;
	default:
		return -E_INVAL;
	}
	*d64 = d;
	return 0;
}

static int
step_alu(struct vm *vm, const struct bpf_insn *in)
{
	int op = BPF_OP(in->code);
	bool x = BPF_SRC_BIT(in->code) == BPF_X;
	u64 s = x ? vm->r[BPF_SRC(in)] : (u64)(i64)in->imm;

	if (BPF_DST(in) == BPF_REG_FP)
		return -E_INVAL;
	if (in->off) {
		bool sdiv = (op == BPF_DIV || op == BPF_MOD) && in->off == 1;
		bool sx = op == BPF_MOV && x &&
			  (in->off == 8 || in->off == 16 || in->off == 32);

		if (!sdiv && !sx)
			return -E_INVAL;
	}
	if (BPF_CLASS(in->code) == BPF_ALU64)
		return alu64(in, &vm->r[BPF_DST(in)], s);
	return alu32(in, &vm->r[BPF_DST(in)], s);
}

/* The condition of a conditional jump; -1: not a condition. */
static int
condition(int op, u64 a, u64 b, bool w)
{
	i64 sa = w ? (i64)a : (i32)a, sb = w ? (i64)b : (i32)b;

	if (!w) {
		a = (u32)a;
		b = (u32)b;
	}
	switch (op) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JSET: return (a & b) != 0;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSGT: return sa > sb;
	case BPF_JSGE: return sa >= sb;
	case BPF_JSLT: return sa < sb;
	case BPF_JSLE: return sa <= sb;
	}
	return -1;
}

static u64
load(u64 addr, int size, bool sx)
{
	const void *p = (const void *)(uintptr_t)addr;

	switch (size) {
	case 1: return sx ? (u64)(i64)*(const int8_t *)p : *(const u8 *)p;
	case 2: return sx ? (u64)(i64)*(const int16_t *)p : *(const u16 *)p;
	case 4: return sx ? (u64)(i64)*(const i32 *)p : *(const u32 *)p;
	}
	return *(const u64 *)p;
}

static void
store(u64 addr, int size, u64 v)
{
	void *p = (void *)(uintptr_t)addr;

	switch (size) {
	case 1: *(u8 *)p = (u8)v; break;
	case 2: *(u16 *)p = (u16)v; break;
	case 4: *(u32 *)p = (u32)v; break;
	default: *(u64 *)p = v; break;
	}
}

/* The atomics at size bytes (4 or 8): fetch returns the old value into src. */
static int
atomic_op(struct vm *vm, const struct bpf_insn *in, u64 addr, int size)
{
	u64 *src = &vm->r[BPF_SRC(in)], old;
	u32 *p32 = (u32 *)(uintptr_t)addr;
	u64 *p64 = (u64 *)(uintptr_t)addr;
	bool fetch = in->imm & 1;

#define FETCH_OP(fn)							\
	(size == 4 ? (u64)fn(p32, (u32)*src, __ATOMIC_SEQ_CST)		\
		   : fn(p64, *src, __ATOMIC_SEQ_CST))
	switch (in->imm & ~1) {
	case BPF_ADD: old = FETCH_OP(__atomic_fetch_add); break;
	case BPF_OR:  old = FETCH_OP(__atomic_fetch_or); break;
	case BPF_AND: old = FETCH_OP(__atomic_fetch_and); break;
	case BPF_XOR: old = FETCH_OP(__atomic_fetch_xor); break;
	case 0xe0:      /* XCHG */
		if (!fetch)
			return -E_INVAL;
		old = FETCH_OP(__atomic_exchange_n);
		break;
	case 0xf0: {    /* CMPXCHG: r0 expected, gets the old value */
		u64 *r0 = &vm->r[0];

		if (!fetch)
			return -E_INVAL;
		if (size == 4) {
			u32 e = (u32)*r0;

			__atomic_compare_exchange_n(p32, &e, (u32)*src, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
			*r0 = e;
		} else {
			__atomic_compare_exchange_n(p64, r0, *src, false,
						    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		}
		return 0;
	}
	default:
		return -E_INVAL;
	}
#undef FETCH_OP
	if (fetch)
		*src = old;
	return 0;
}

static const u8 size_bytes[4] = { [BPF_W >> 3] = 4, [BPF_H >> 3] = 2, [BPF_B >> 3] = 1,
				  [BPF_DW >> 3] = 8 };

static int
step_mem(struct vm *vm, const struct bpf_insn *in)
{
	int size = size_bytes[BPF_SIZE(in->code) >> 3], mode = BPF_MODE(in->code);
	u64 *r = vm->r;

	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
		if (BPF_DST(in) == BPF_REG_FP || (mode != BPF_MEM && mode != BPF_MEMSX) ||
		    (mode == BPF_MEMSX && size == 8) || in->imm)
			return -E_INVAL;
		r[BPF_DST(in)] = load(r[BPF_SRC(in)] + (u64)(i64)in->off, size,
				      mode == BPF_MEMSX);
		return 0;
	case BPF_ST:
		if (mode != BPF_MEM || BPF_SRC(in))
			return -E_INVAL;
		store(r[BPF_DST(in)] + (u64)(i64)in->off, size, (u64)(i64)in->imm);
		return 0;
	case BPF_STX:
		if (mode == BPF_ATOMIC) {
			if ((size != 4 && size != 8) || BPF_SRC(in) == BPF_REG_FP)
				return -E_INVAL;
			return atomic_op(vm, in, r[BPF_DST(in)] + (u64)(i64)in->off, size);
		}
		if (mode != BPF_MEM || in->imm)
			return -E_INVAL;
		store(r[BPF_DST(in)] + (u64)(i64)in->off, size, r[BPF_SRC(in)]);
		return 0;
	}
	return -E_INVAL;
}

/* A jump, call or exit at *pc: moves *pc; 1 when the program exits. */
static int
step_jmp(struct ebpf_interp *p, struct vm *vm, u32 *pc)
{
	const struct bpf_insn *in = &p->prog[*pc];
	bool w = BPF_CLASS(in->code) == BPF_JMP;
	int op = BPF_OP(in->code), c;
	u64 s = BPF_SRC_BIT(in->code) ? vm->r[BPF_SRC(in)] : (u64)(i64)in->imm;
	i64 t;

	if (op == BPF_EXIT)
		return w ? 1 : -E_INVAL;
	if (op == BPF_CALL) {
		ebpf_helper_fn *fn = ebpf_helper(p->helpers, in->imm);

		if (w && BPF_SRC(in) == BPF_PSEUDO_CALL)
			return -E_NOSYS;
		if (!w || !fn || BPF_SRC(in) || BPF_DST(in) || in->off)
			return -E_INVAL;
		vm->r[0] = fn(vm->r[1], vm->r[2], vm->r[3], vm->r[4], vm->r[5]);
		(*pc)++;
		return 0;
	}
	c = op == BPF_JA ? 1 : condition(op, vm->r[BPF_DST(in)], s, w);
	if (c < 0)
		return -E_INVAL;
	t = (i64)*pc + 1 + (!w && op == BPF_JA ? in->imm : in->off);
	if (t < 0 || t >= p->n)
		return -E_INVAL;        /* checked whether taken or not, as the compiler does */
	*pc = c ? (u32)t : *pc + 1;
	return 0;
}

static int
step(struct ebpf_interp *p, struct vm *vm, u32 *pc)
{
	const struct bpf_insn *in = &p->prog[*pc];
	int r;

	switch (BPF_CLASS(in->code)) {
	case BPF_ALU: case BPF_ALU64:
		r = step_alu(vm, in);
		break;
	case BPF_JMP: case BPF_JMP32:
		return step_jmp(p, vm, pc);
	case BPF_LD:
		if (in->code != (BPF_LD | BPF_IMM | BPF_DW) || BPF_SRC(in))
			return -E_NOSYS;
		if (*pc + 1 >= p->n || in[1].code || in[1].regs || in[1].off ||
		    BPF_DST(in) == BPF_REG_FP || in->off)
			return -E_INVAL;
		vm->r[BPF_DST(in)] = (u32)in->imm | (u64)(u32)in[1].imm << 32;
		*pc += 2;
		return 0;
	default:
		r = step_mem(vm, in);
		break;
	}
	if (r == 0)
		(*pc)++;
	return r;
}

int
ebpf_interp(struct ebpf_interp *p, u64 arg, u64 *r0)
{
	struct vm vm;   /* the stack is not cleared: the checker refuses reads before writes */
	u32 pc = 0;

	p->steps = p->err_at = 0;
	for (int i = 0; i < BPF_NREGS; i++)
		vm.r[i] = 0;
	vm.r[1] = arg;
	vm.r[BPF_REG_FP] = (u64)(uintptr_t)&vm.stack[BPF_STACK / 8];
	while (pc < p->n) {
		const struct bpf_insn *in = &p->prog[pc];
		u32 at = pc;
		int r;

		if (BPF_DST(in) >= BPF_NREGS || BPF_SRC(in) >= BPF_NREGS)
			r = -E_INVAL;
		else
			r = step(p, &vm, &pc);
		p->steps++;
		if (r == 1) {
			*r0 = vm.r[0];
			return 0;
		}
		if (r < 0) {
			p->err_at = at;
			return r;
		}
	}
	p->err_at = p->n;
	return -E_INVAL;        /* ran off the end */
}
