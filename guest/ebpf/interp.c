/*
 * The eBPF interpreter (see interp.h). Semantics from RFC 9669, written out
 * where C leaves them open: x / 0 = 0, x % 0 = x, signed MIN / -1 = MIN and
 * MIN % -1 = 0, shift counts masked to 63 or 31, 32-bit results
 * zero-extended. Arithmetic is on u64 so nothing overflows undefinedly;
 * right shifts of negative values are arithmetic (gcc and clang define it).
 *
 * One switch on the whole opcode byte, the cases made by macros from one
 * line per operation: the program was decoded before the first run
 * (decode.c), so a step checks nothing.
 */
#include "interp.h"
#include "decode.h"

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


static u64
swap(u64 v, i32 bits)
{
	switch (bits) {
	case 16: return __builtin_bswap16((u16)v);
	case 32: return __builtin_bswap32((u32)v);
	}
	return __builtin_bswap64(v);
}

static u64
truncate(u64 v, i32 bits)
{
	switch (bits) {
	case 16: return (u16)v;
	case 32: return (u32)v;
	}
	return v;
}

/* One operation in its four forms: 64-bit (on *d, with v) and 32-bit (on x). */
#define ALU(OP, E64, E32)							\
	case BPF_ALU64 | OP | BPF_X: { u64 v = s; (void)v; E64; break; }	\
	case BPF_ALU64 | OP | BPF_K: { u64 v = k; (void)v; E64; break; }	\
	case BPF_ALU | OP | BPF_X: {						\
		u32 v = (u32)s, x = (u32)*d; (void)v; E32; *d = x; break; }	\
	case BPF_ALU | OP | BPF_K: {						\
		u32 v = (u32)k, x = (u32)*d; (void)v; E32; *d = x; break; }

/* A conditional jump in its four forms; C compares a and b as U (unsigned) or S. */
#define JMP(OP, C)								\
	case BPF_JMP | OP | BPF_X: if (C(u64, i64, *d, s)) pc += off; break;	\
	case BPF_JMP | OP | BPF_K: if (C(u64, i64, *d, k)) pc += off; break;	\
	case BPF_JMP32 | OP | BPF_X: if (C(u32, i32, *d, s)) pc += off; break;	\
	case BPF_JMP32 | OP | BPF_K: if (C(u32, i32, *d, k)) pc += off; break;
#define EQ(U, S, a, b)   ((U)(a) == (U)(b))
#define NE(U, S, a, b)   ((U)(a) != (U)(b))
#define SET(U, S, a, b)  (((U)(a) & (U)(b)) != 0)
#define GT(U, S, a, b)   ((U)(a) > (U)(b))
#define GE(U, S, a, b)   ((U)(a) >= (U)(b))
#define LT(U, S, a, b)   ((U)(a) < (U)(b))
#define LE(U, S, a, b)   ((U)(a) <= (U)(b))
#define SGT(U, S, a, b)  ((S)(a) > (S)(b))
#define SGE(U, S, a, b)  ((S)(a) >= (S)(b))
#define SLT(U, S, a, b)  ((S)(a) < (S)(b))
#define SLE(U, S, a, b)  ((S)(a) <= (S)(b))

/* Loads and stores of each size (sz: bytes). */
#define MEM(SIZE, sz)								\
	case BPF_LDX | BPF_MEM | SIZE: *d = load(r[BPF_SRC(in)] + off, sz, false); break; \
	case BPF_ST | BPF_MEM | SIZE: store(*d + off, sz, k); break;		\
	case BPF_STX | BPF_MEM | SIZE: store(*d + off, sz, s); break;

static int
run(const struct ebpf_interp *p, struct vm *vm, u64 *steps)
{
	const struct bpf_insn *prog = p->prog;
	u64 *r = vm->r, nsteps = 0;
	u32 pc = 0;

	for (;;) {
		const struct bpf_insn *in = &prog[pc++];
		u64 *d = &r[BPF_DST(in)], s = r[BPF_SRC(in)], k = (u64)(i64)in->imm;
		i64 off = in->off;

		nsteps++;
		switch (in->code) {
		ALU(BPF_ADD, *d += v, x += v)
		ALU(BPF_SUB, *d -= v, x -= v)
		ALU(BPF_MUL, *d *= v, x *= v)
		ALU(BPF_OR, *d |= v, x |= v)
		ALU(BPF_AND, *d &= v, x &= v)
		ALU(BPF_XOR, *d ^= v, x ^= v)
		ALU(BPF_LSH, *d <<= v & 63, x <<= v & 31)
		ALU(BPF_RSH, *d >>= v & 63, x >>= v & 31)
		ALU(BPF_ARSH, *d = (u64)((i64)*d >> (v & 63)), x = (u32)((i32)x >> (v & 31)))
		ALU(BPF_NEG, *d = 0 - *d, x = 0 - x)
		ALU(BPF_MOV, *d = movsx(v, in->off), x = (u32)movsx(v, in->off))
		ALU(BPF_DIV, *d = off ? (u64)div_s64((i64)*d, (i64)v, false) : div_u(*d, v, false),
		    x = off ? (u32)div_s32((i32)x, (i32)v, false) : (u32)div_u(x, v, false))
		ALU(BPF_MOD, *d = off ? (u64)div_s64((i64)*d, (i64)v, true) : div_u(*d, v, true),
		    x = off ? (u32)div_s32((i32)x, (i32)v, true) : (u32)div_u(x, v, true))
		case BPF_ALU | BPF_END | BPF_K: *d = truncate(*d, in->imm); break;
		case BPF_ALU | BPF_END | BPF_X: *d = swap(*d, in->imm); break;
		case BPF_ALU64 | BPF_END | BPF_K: *d = swap(*d, in->imm); break;

		JMP(BPF_JEQ, EQ) JMP(BPF_JNE, NE) JMP(BPF_JSET, SET)
		JMP(BPF_JGT, GT) JMP(BPF_JGE, GE) JMP(BPF_JLT, LT) JMP(BPF_JLE, LE)
		JMP(BPF_JSGT, SGT) JMP(BPF_JSGE, SGE) JMP(BPF_JSLT, SLT) JMP(BPF_JSLE, SLE)
		case BPF_JMP | BPF_JA: pc += off; break;
		case BPF_JMP32 | BPF_JA: pc += in->imm; break;
		case BPF_JMP | BPF_CALL:
			r[0] = ebpf_helper(p->helpers, in->imm)(r[1], r[2], r[3], r[4], r[5]);
			break;
		case BPF_JMP | BPF_EXIT:
			*steps = nsteps;
			return 0;

		case BPF_LD | BPF_IMM | BPF_DW:
			*d = (u32)in->imm | (u64)(u32)in[1].imm << 32;
			pc++;
			break;
		MEM(BPF_B, 1) MEM(BPF_H, 2) MEM(BPF_W, 4) MEM(BPF_DW, 8)
		case BPF_LDX | BPF_MEMSX | BPF_B: *d = load(s + off, 1, true); break;
		case BPF_LDX | BPF_MEMSX | BPF_H: *d = load(s + off, 2, true); break;
		case BPF_LDX | BPF_MEMSX | BPF_W: *d = load(s + off, 4, true); break;
		case BPF_STX | BPF_ATOMIC | BPF_W: atomic_op(vm, in, *d + off, 4); break;
		case BPF_STX | BPF_ATOMIC | BPF_DW: atomic_op(vm, in, *d + off, 8); break;
		default:
			*steps = nsteps;
			return -E_INVAL;        /* decode.c let through what run cannot do */
		}
	}
}

int
ebpf_interp_prepare(struct ebpf_interp *p)
{
	int r;

	p->err_at = 0;
	p->prepared = false;
	if (!p->prog || p->n == 0)
		return -E_INVAL;
	r = ebpf_decode_check(p->prog, p->n, p->helpers, &p->err_at);
	p->prepared = r == 0;
	return r;
}

int
ebpf_interp(struct ebpf_interp *p, u64 arg, u64 *r0)
{
	struct vm vm;   /* the stack is not cleared: the checker refuses reads before writes */
	int r;

	if (!p->prepared && (r = ebpf_interp_prepare(p)) < 0)
		return r;
	for (int i = 0; i < BPF_NREGS; i++)
		vm.r[i] = 0;
	vm.r[1] = arg;
	vm.r[BPF_REG_FP] = (u64)(uintptr_t)&vm.stack[BPF_STACK / 8];
	r = run(p, &vm, &p->steps);
	if (r < 0)
		p->err_at = 0;
	*r0 = vm.r[0];
	return r;
}
