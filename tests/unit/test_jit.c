/*
 * The eBPF compiler (guest/ebpf/jit.c) and interpreter (interp.c): each
 * program runs both ways on the host, compiled code in pages made
 * read+execute after writing, and both must give the expected value (and
 * leave the same memory). Then a seeded differential test of thousands of
 * random programs, compiler against interpreter, register by register.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "guest/ebpf/interp.h"
#include "guest/ebpf/jit.h"
#include "host/ext_code.h"
#include "ebpf_asm.h"

#define N(a) ((u32)(sizeof(a) / sizeof((a)[0])))

static u64
h_sum5(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

/* *(u64 *)p = v: a helper that writes through a pointer it is given. */
static u64
h_store(u64 p, u64 v, u64 c, u64 d, u64 e)
{
	(void)c, (void)d, (void)e;
	memcpy((void *)(uintptr_t)p, &v, sizeof(v));
	return v + 1;
}

static ebpf_helper_fn *const helper_fns[] = { NULL, h_sum5, h_store };
static const struct ebpf_helpers helpers = { helper_fns, N(helper_fns) };

/*
 * Calls compiled code with rbx, rbp, r12-r15 set to known values and
 * returns r0; *bad gets a bit for each callee-saved register (or rsp) the
 * code did not give back. u64 jit_call_checked(void *fn, u64 ctx, u64 *bad)
 */
__asm__(
	".text\n"
	".globl jit_call_checked\n"
	"jit_call_checked:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	push %rdx\n"                    /* bad; rsp is 16-aligned now */
	"	mov %rsp, %r9\n"                /* clobbered by the callee: kept below */
	"	push %r9; push %r9\n"
	"	mov %rdi, %rax; mov %rsi, %rdi\n"
	"	movabs $0x1111111111111111, %rbx\n"
	"	movabs $0x2222222222222222, %rbp\n"
	"	movabs $0x3333333333333333, %r12\n"
	"	movabs $0x4444444444444444, %r13\n"
	"	movabs $0x5555555555555555, %r14\n"
	"	movabs $0x6666666666666666, %r15\n"
	"	call *%rax\n"
	"	xor %ecx, %ecx\n"
	"	movabs $0x1111111111111111, %rdx; cmp %rdx, %rbx; setne %cl\n"
	"	movabs $0x2222222222222222, %rdx; cmp %rdx, %rbp; setne %dl; shl $1, %dl; or %dl, %cl\n"
	"	movabs $0x3333333333333333, %rdx; cmp %rdx, %r12; setne %dl; shl $2, %dl; or %dl, %cl\n"
	"	movabs $0x4444444444444444, %rdx; cmp %rdx, %r13; setne %dl; shl $3, %dl; or %dl, %cl\n"
	"	movabs $0x5555555555555555, %rdx; cmp %rdx, %r14; setne %dl; shl $4, %dl; or %dl, %cl\n"
	"	movabs $0x6666666666666666, %rdx; cmp %rdx, %r15; setne %dl; shl $5, %dl; or %dl, %cl\n"
	"	pop %r9; pop %r9\n"
	"	lea 0(%rsp), %rdx; cmp %rdx, %r9; setne %dl; shl $6, %dl; or %dl, %cl\n"
	"	pop %rdx\n"
	"	movzbl %cl, %ecx; mov %rcx, (%rdx)\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n");
u64 jit_call_checked(void *fn, u64 ctx, u64 *bad);

static u64
run_interp(const struct bpf_insn *p, u32 n, void *ctx)
{
	struct ebpf_interp in = { .prog = p, .n = n, .helpers = &helpers };
	u64 r0 = 0;
	int r = ebpf_interp(&in, (u64)(uintptr_t)ctx, &r0);

	cr_assert_eq(r, 0, "interpreter: error %d at instruction %u", r, in.err_at);
	return r0;
}

static u64
run_jit(const struct bpf_insn *p, u32 n, void *ctx, struct ext_code *code)
{
	char err[160];
	u64 bad = 0, r0;
	int r = ext_code_compile(code, p, n, &helpers, NULL, err, sizeof(err));

	cr_assert_eq(r, 0, "compiler: %s", err);
	r0 = jit_call_checked(code->mem, (u64)(uintptr_t)ctx, &bad);
	cr_assert_eq(bad, 0, "compiled code clobbered callee-saved registers (mask %#llx)",
		     (unsigned long long)bad);
	return r0;
}

/* Both ways on copies of ctx: r0 must be want and the memory the same. */
static void
check_prog(int line, const struct bpf_insn *p, u32 n, const void *ctx, size_t len, u64 want)
{
	u8 a[256] = { 0 }, b[256] = { 0 };
	struct ext_code code;
	u64 ri, rj;

	cr_assert(len <= sizeof(a));
	if (len) {
		memcpy(a, ctx, len);
		memcpy(b, ctx, len);
	}
	ri = run_interp(p, n, a);
	rj = run_jit(p, n, b, &code);
	ext_code_free(&code);
	cr_assert_eq(ri, want, "line %d: interpreter %#llx, want %#llx", line,
		     (unsigned long long)ri, (unsigned long long)want);
	cr_assert_eq(rj, want, "line %d: compiled %#llx, want %#llx", line,
		     (unsigned long long)rj, (unsigned long long)want);
	cr_assert_arr_eq(a, b, sizeof(a), "line %d: memory differs", line);
}

#define CHECK(want, ...) do {							\
	const struct bpf_insn p_[] = { __VA_ARGS__ };				\
	check_prog(__LINE__, p_, N(p_), NULL, 0, (u64)(want));			\
} while (0)
#define CHECK_CTX(ctx, want, ...) do {						\
	const struct bpf_insn p_[] = { __VA_ARGS__ };				\
	check_prog(__LINE__, p_, N(p_), ctx, sizeof(ctx), (u64)(want));		\
} while (0)

/* r0 = a; r1 = b; r0 op= r1 (64-bit), both as registers and as imm when it fits. */
#define CHECK_OP64(op, a, b, want) do {						\
	CHECK(want, LD64(0, a), LD64(1, b), ALU64_X(op, 0, 1), EXIT());		\
	if ((i64)(b) == (i32)(b))						\
		CHECK(want, LD64(0, a), ALU64_K(op, 0, (i32)(b)), EXIT());	\
} while (0)
#define CHECK_OP32(op, a, b, want) do {						\
	CHECK(want, LD64(0, a), LD64(1, b), ALU32_X(op, 0, 1), EXIT());		\
	CHECK(want, LD64(0, a), ALU32_K(op, 0, (i32)(u32)(b)), EXIT());		\
} while (0)

Test(jit, alu64)
{
	CHECK_OP64(BPF_ADD, 40, 2, 42);
	CHECK_OP64(BPF_ADD, UINT64_MAX, 1, 0);
	CHECK_OP64(BPF_SUB, 0, 1, UINT64_MAX);
	CHECK_OP64(BPF_MUL, 0x100000001ull, 0x100000001ull, 0x200000001ull);
	CHECK_OP64(BPF_MUL, 3, -5, (u64)-15);
	CHECK_OP64(BPF_OR, 0xf0, 0x0f, 0xff);
	CHECK_OP64(BPF_AND, 0xff00ff00ff00ff00ull, -1, 0xff00ff00ff00ff00ull);
	CHECK_OP64(BPF_AND, 0xffffffffffffffffull, 0x80000000ull, 0x80000000ull);
	CHECK_OP64(BPF_XOR, 0x5555, 0xffff, 0xaaaa);
	CHECK_OP64(BPF_MOV, 7, -1, UINT64_MAX);
	CHECK(-42, MOV64_K(0, 42), ALU64_K(BPF_NEG, 0, 0), EXIT());
	CHECK(0x123456789abcdef0ull, LD64(0, 0x123456789abcdef0ull), EXIT());
	CHECK(0xffffffff80000000ull, LD64(0, 0xffffffff80000000ull), EXIT());
	CHECK(0x80000000ull, LD64(0, 0x80000000ull), EXIT());
}

Test(jit, alu32_wraps_and_zero_extends)
{
	CHECK_OP32(BPF_ADD, 0xffffffffull, 1, 0);
	CHECK_OP32(BPF_ADD, UINT64_MAX, 0, 0xffffffffull);      /* upper half cleared */
	CHECK_OP32(BPF_SUB, 0, 1, 0xffffffffull);
	CHECK_OP32(BPF_MUL, 0x10000, 0x10000, 0);
	CHECK_OP32(BPF_MUL, 0xffffffff00000003ull, -5, 0xfffffff1ull);
	CHECK_OP32(BPF_OR, 0xabcd000000000001ull, 2, 3);
	CHECK_OP32(BPF_AND, UINT64_MAX, UINT64_MAX, 0xffffffffull);
	CHECK_OP32(BPF_XOR, UINT64_MAX, 0, 0xffffffffull);
	CHECK_OP32(BPF_MOV, UINT64_MAX, UINT64_MAX, 0xffffffffull);
	CHECK(0xffffffffull, MOV32_K(0, -1), EXIT());
	CHECK(0xffffffd6ull, LD64(0, 0x7700000000000000ull | 42), ALU32_K(BPF_NEG, 0, 0), EXIT());
}

Test(jit, div_mod_unsigned)
{
	CHECK_OP64(BPF_DIV, 100, 7, 14);
	CHECK_OP64(BPF_MOD, 100, 7, 2);
	CHECK_OP64(BPF_DIV, 100, 0, 0);                 /* x / 0 = 0 */
	CHECK_OP64(BPF_MOD, 100, 0, 100);               /* x % 0 = x */
	CHECK_OP64(BPF_DIV, UINT64_MAX, -1, 1);         /* imm sign-extended, unsigned */
	CHECK_OP64(BPF_MOD, UINT64_MAX - 1, -1, UINT64_MAX - 1);
	CHECK_OP32(BPF_DIV, 0x1000000064ull, 7, 14);
	CHECK_OP32(BPF_MOD, 0x1000000064ull, 7, 2);
	CHECK_OP32(BPF_DIV, 0x1000000064ull, 0, 0);
	CHECK_OP32(BPF_MOD, 0x1000000064ull, 0, 0x64);  /* and zero-extended */
	CHECK_OP32(BPF_DIV, 100, -1, 0);                /* 32-bit imm: (u32)-1 */
	/* A divisor of 0 in the upper half only is 0 for 32-bit division. */
	CHECK(0, MOV64_K(0, 9), LD64(1, 0x100000000ull), ALU32_X(BPF_DIV, 0, 1), EXIT());
	/* dst and src in each of the registers the sequence borrows (rax, rdx). */
	CHECK(14, MOV64_K(3, 100), MOV64_K(0, 7), ALU64_X(BPF_DIV, 3, 0),
	      MOV64_X(0, 3), EXIT());
	CHECK(2, MOV64_K(0, 100), MOV64_K(3, 7), ALU64_X(BPF_MOD, 0, 3), EXIT());
	CHECK(0x500e, MOV64_K(6, 100), MOV64_K(3, 7), MOV64_K(0, 0x5000),
	      ALU64_X(BPF_DIV, 6, 3), ALU64_X(BPF_ADD, 0, 6), ALU64_X(BPF_SUB, 0, 3),
	      ALU64_K(BPF_ADD, 0, 0), ALU64_X(BPF_ADD, 0, 3), EXIT());
	CHECK(100 + 7 + 2, MOV64_K(6, 100), MOV64_K(3, 7), MOV64_K(0, 100),
	      ALU64_X(BPF_MOD, 6, 3), ALU64_X(BPF_ADD, 0, 3), ALU64_X(BPF_ADD, 0, 6), EXIT());
	CHECK(1, MOV64_K(4, 5), ALU64_X(BPF_DIV, 4, 4), MOV64_X(0, 4), EXIT());
}

Test(jit, div_mod_signed)
{
	CHECK(-3, MOV64_K(0, -7), MOV64_K(1, 2), SDIV64_X(0, 1), EXIT());
	CHECK(-1, MOV64_K(0, -7), MOV64_K(1, 2), SMOD64_X(0, 1), EXIT());
	CHECK(1, MOV64_K(0, 7), MOV64_K(1, -2), SMOD64_X(0, 1), EXIT());
	CHECK(INT64_MIN, LD64(0, INT64_MIN), MOV64_K(1, -1), SDIV64_X(0, 1), EXIT());
	CHECK(0, LD64(0, INT64_MIN), MOV64_K(1, -1), SMOD64_X(0, 1), EXIT());
	CHECK(INT64_MIN, LD64(0, INT64_MIN), SDIV64_K(0, -1), EXIT());
	CHECK(0, LD64(0, INT64_MIN), INSN(BPF_ALU64 | BPF_MOD | BPF_K, 0, 0, 1, -1), EXIT());
	CHECK(0, MOV64_K(0, -7), MOV64_K(1, 0), SDIV64_X(0, 1), EXIT());
	CHECK(-7, MOV64_K(0, -7), MOV64_K(1, 0), SMOD64_X(0, 1), EXIT());
	CHECK(-33, MOV64_K(0, 100), SDIV64_K(0, -3), EXIT());
	CHECK(0x80000000ull, MOV32_K(0, INT32_MIN), MOV64_K(1, -1), SDIV32_X(0, 1), EXIT());
	CHECK(0, MOV32_K(0, INT32_MIN), MOV64_K(1, -1), SMOD32_X(0, 1), EXIT());
	CHECK(0xfffffffdull, MOV64_K(0, -7), MOV64_K(1, 2), SDIV32_X(0, 1), EXIT());
	CHECK(0xfffffff9ull, MOV64_K(0, -7), MOV64_K(1, 0), SMOD32_X(0, 1), EXIT());
	CHECK(0xfffffffdull, MOV64_K(0, -7), INSN(BPF_ALU | BPF_DIV | BPF_K, 0, 0, 1, 2), EXIT());
}

Test(jit, shifts_masked)
{
	CHECK_OP64(BPF_LSH, 1, 63, 1ull << 63);
	CHECK_OP64(BPF_LSH, 1, 64, 1);                  /* count masked to 0 */
	CHECK_OP64(BPF_RSH, 1ull << 63, 63, 1);
	CHECK_OP64(BPF_ARSH, 1ull << 63, 63, UINT64_MAX);
	CHECK_OP64(BPF_ARSH, -16, 2, -4);
	CHECK_OP64(BPF_RSH, 0xff00, 65, 0x7f80);
	CHECK_OP32(BPF_LSH, 1, 31, 0x80000000ull);
	CHECK_OP32(BPF_LSH, 0xffffffff00000001ull, 32, 1);      /* masked, zero-extended */
	CHECK_OP32(BPF_RSH, 0xffffffff80000000ull, 31, 1);
	CHECK_OP32(BPF_ARSH, 0x80000000ull, 31, 0xffffffffull);
	CHECK_OP32(BPF_ARSH, 0x1234567880000000ull, 0, 0x80000000ull);
	/* The count register is rcx (r4), the destination rcx, or neither. */
	CHECK(0x100, MOV64_K(0, 1), MOV64_K(4, 8), ALU64_X(BPF_LSH, 0, 4), EXIT());
	CHECK(0x300, MOV64_K(4, 3), MOV64_K(2, 8), ALU64_X(BPF_LSH, 4, 2), MOV64_X(0, 4), EXIT());
	CHECK(0x18, MOV64_K(4, 3), ALU64_X(BPF_LSH, 4, 4), MOV64_X(0, 4), EXIT());
	CHECK(0x105, MOV64_K(4, 5), MOV64_K(6, 1), MOV64_K(2, 8), ALU64_X(BPF_LSH, 6, 2),
	      MOV64_X(0, 6), ALU64_X(BPF_ADD, 0, 4), EXIT());
	CHECK(1, LD64(4, 0xffffffff00000000ull), MOV64_K(2, 32), ALU32_X(BPF_RSH, 4, 2),
	      MOV64_K(0, 1), ALU64_X(BPF_ADD, 0, 4), EXIT());
}

Test(jit, byte_swaps)
{
	CHECK(0x3412, LD64(0, 0xaabbccdd11221234ull), END_BE(0, 16), EXIT());
	CHECK(0x78563412, LD64(0, 0xaabbccdd12345678ull), END_BE(0, 32), EXIT());
	CHECK(0x0807060504030201ull, LD64(0, 0x0102030405060708ull), END_BE(0, 64), EXIT());
	CHECK(0x1234, LD64(0, 0xaabbccdd11221234ull), END_LE(0, 16), EXIT());
	CHECK(0x12345678, LD64(0, 0xaabbccdd12345678ull), END_LE(0, 32), EXIT());
	CHECK(0x0102030405060708ull, LD64(0, 0x0102030405060708ull), END_LE(0, 64), EXIT());
	CHECK(0x3412, LD64(0, 0xaabbccdd11221234ull), BSWAP(0, 16), EXIT());
	CHECK(0x78563412, LD64(0, 0xaabbccdd12345678ull), BSWAP(0, 32), EXIT());
	CHECK(0x0807060504030201ull, LD64(0, 0x0102030405060708ull), BSWAP(0, 64), EXIT());
	/* sil/dil: the byte registers that need a REX prefix */
	CHECK(0x3412, LD64(2, 0x1234), END_BE(2, 16), MOV64_X(0, 2), EXIT());
}

Test(jit, movsx)
{
	CHECK(-128, MOV64_K(1, 0x1280), MOVSX64(0, 1, 8), EXIT());
	CHECK(-32768, MOV64_K(1, 0x18000), MOVSX64(0, 1, 16), EXIT());
	CHECK(INT32_MIN, LD64(1, 0x180000000ull), MOVSX64(0, 1, 32), EXIT());
	CHECK(0xffffff80ull, MOV64_K(1, 0x80), MOVSX32(0, 1, 8), EXIT());
	CHECK(0xffff8000ull, MOV64_K(1, 0x8000), MOVSX32(0, 1, 16), EXIT());
	CHECK(0x7f, MOV64_K(2, 0x7f), MOVSX64(0, 2, 8), EXIT());        /* sil */
}

Test(jit, loads_and_stores)
{
	u8 ctx[32];

	for (int i = 0; i < 32; i++)
		ctx[i] = (u8)(0x80 + i);
	CHECK_CTX(ctx, 0x80, LDX(BPF_B, 0, 1, 0), EXIT());
	CHECK_CTX(ctx, 0x8382, LDX(BPF_H, 0, 1, 2), EXIT());
	CHECK_CTX(ctx, 0x87868584, LDX(BPF_W, 0, 1, 4), EXIT());
	CHECK_CTX(ctx, 0x8f8e8d8c8b8a8988ull, LDX(BPF_DW, 0, 1, 8), EXIT());
	CHECK_CTX(ctx, (u64)(i64)(int8_t)0x81, LDXSX(BPF_B, 0, 1, 1), EXIT());
	CHECK_CTX(ctx, (u64)(i64)(int16_t)0x8382, LDXSX(BPF_H, 0, 1, 2), EXIT());
	CHECK_CTX(ctx, (u64)(i64)(i32)0x87868584, LDXSX(BPF_W, 0, 1, 4), EXIT());
	/* Stores of every size, from registers and immediates; memory compared. */
	CHECK_CTX(ctx, 0, LD64(2, 0x1122334455667788ull), STX(BPF_B, 1, 2, 0),
		  STX(BPF_H, 1, 2, 2), STX(BPF_W, 1, 2, 4), STX(BPF_DW, 1, 2, 8),
		  ST(BPF_B, 1, 16, 0x1ff), ST(BPF_H, 1, 18, 0x12345), ST(BPF_W, 1, 20, -2),
		  ST(BPF_DW, 1, 24, -3), MOV64_K(0, 0), EXIT());
	CHECK_CTX(ctx, 0x88, LD64(6, 0x1122334455667788ull), STX(BPF_B, 1, 6, 31),
		  LDX(BPF_B, 0, 1, 31), EXIT());
	/* Byte stores from the registers without a legacy byte form (sil, dil). */
	CHECK_CTX(ctx, 0x8877, MOV64_X(7, 1), MOV64_K(1, 0x88), MOV64_K(2, 0x77),
		  STX(BPF_B, 7, 1, 1), STX(BPF_B, 7, 2, 0), LDX(BPF_H, 0, 7, 0), EXIT());
	/* Loads with a base of r0 and r3 (rax, rdx) and a large offset. */
	CHECK_CTX(ctx, 0x9f9e9d9c, MOV64_X(0, 1), ALU64_K(BPF_SUB, 0, 1000),
		  LDX(BPF_W, 0, 0, 1028), EXIT());
}

Test(jit, stack)
{
	/* r10 as a base, copied, compared, and given to a helper */
	CHECK(0x1234 + 0x5678, ST(BPF_DW, 10, -8, 0x1234), ST(BPF_W, 10, -512, 0x5678),
	      LDX(BPF_DW, 0, 10, -8), LDX(BPF_W, 2, 10, -512), ALU64_X(BPF_ADD, 0, 2), EXIT());
	CHECK(42 + 43, MOV64_X(1, 10), ALU64_K(BPF_ADD, 1, -16), MOV64_K(2, 42), CALL(2),
	      LDX(BPF_DW, 1, 10, -16), ALU64_X(BPF_ADD, 0, 1), EXIT());
	CHECK(1, MOV64_X(2, 10), ALU64_K(BPF_SUB, 2, 8), MOV64_K(0, 0),
	      JMP_X(BPF_JGT, 10, 2, 1), EXIT(), MOV64_K(0, 1), EXIT());
	CHECK(8, MOV64_X(2, 10), ALU64_K(BPF_SUB, 2, 8), MOV64_X(0, 10),
	      ALU64_X(BPF_SUB, 0, 2), EXIT());
	CHECK(0x77, MOV64_K(6, 0x77), STX(BPF_DW, 10, 6, -256), LDX(BPF_DW, 0, 10, -256), EXIT());
}

Test(jit, atomics)
{
	u64 ctx[4] = { 10, 0xf0, 0xff, 5 };

	CHECK_CTX(ctx, 0, MOV64_K(2, 3), ATOMIC(BPF_DW, 1, 2, 0, BPF_ADD),
		  ATOMIC(BPF_W, 1, 2, 8, BPF_ADD), MOV64_K(0, 0), EXIT());
	CHECK_CTX(ctx, 10 + 0xf0, MOV64_K(2, 3), ATOMIC(BPF_DW, 1, 2, 0, BPF_ADD | FETCH),
		  MOV64_X(0, 2), MOV64_K(3, 1), ATOMIC(BPF_W, 1, 3, 8, BPF_ADD | FETCH),
		  ALU64_X(BPF_ADD, 0, 3), EXIT());
	CHECK_CTX(ctx, 0, MOV64_K(2, 0x0f), ATOMIC(BPF_DW, 1, 2, 8, BPF_OR),
		  ATOMIC(BPF_DW, 1, 2, 16, BPF_AND), ATOMIC(BPF_W, 1, 2, 24, BPF_XOR),
		  MOV64_K(0, 0), EXIT());
	/* fetch or/and/xor: the loop; src r2, and src r0 itself */
	CHECK_CTX(ctx, 0xf0 + 0xff + 7, MOV64_K(0, 7), MOV64_K(2, 0x0f),
		  ATOMIC(BPF_DW, 1, 2, 8, BPF_OR | FETCH), MOV64_X(3, 2), MOV64_K(2, 0x0f),
		  ATOMIC(BPF_W, 1, 2, 16, BPF_XOR | FETCH), ALU64_X(BPF_ADD, 3, 2),
		  ALU64_X(BPF_ADD, 0, 3), EXIT());
	CHECK_CTX(ctx, 5, MOV64_K(0, 1), ATOMIC(BPF_DW, 1, 0, 24, BPF_AND | FETCH), EXIT());
	CHECK_CTX(ctx, 10, MOV64_K(2, 99), ATOMIC(BPF_DW, 1, 2, 0, XCHG), MOV64_X(0, 2), EXIT());
	CHECK_CTX(ctx, 0xf0, MOV64_K(2, 99), ATOMIC(BPF_W, 1, 2, 8, XCHG), MOV64_X(0, 2), EXIT());
	/* cmpxchg: success (r0 = old = expected), failure (r0 = old) */
	CHECK_CTX(ctx, 10, MOV64_K(0, 10), MOV64_K(2, 99), ATOMIC(BPF_DW, 1, 2, 0, CMPXCHG), EXIT());
	CHECK_CTX(ctx, 10, MOV64_K(0, 11), MOV64_K(2, 99), ATOMIC(BPF_DW, 1, 2, 0, CMPXCHG), EXIT());
	/* 32-bit success leaves r0's upper half cleared */
	CHECK_CTX(ctx, 0xf0, LD64(0, 0x77000000000000f0ull), MOV64_K(2, 1),
		  ATOMIC(BPF_W, 1, 2, 8, CMPXCHG), EXIT());
	CHECK_CTX(ctx, 15, MOV64_X(6, 1), MOV64_K(0, 5), ATOMIC(BPF_DW, 10, 0, -8, BPF_ADD),
		  ST(BPF_DW, 10, -8, 10), ATOMIC(BPF_DW, 10, 0, -8, BPF_ADD),
		  LDX(BPF_DW, 0, 10, -8), EXIT());
}

/* One conditional jump, taken or not, 64- and 32-bit, register and imm. */
struct jcase { u8 op; u64 a, b; bool taken64, taken32; };

static const struct jcase jcases[] = {
	{ BPF_JEQ, 5, 5, 1, 1 }, { BPF_JEQ, 0x100000005ull, 5, 0, 1 },
	{ BPF_JNE, 5, 5, 0, 0 }, { BPF_JNE, 0x100000005ull, 5, 1, 0 },
	{ BPF_JGT, 6, 5, 1, 1 }, { BPF_JGT, -1, 5, 1, 1 }, { BPF_JGT, 5, 5, 0, 0 },
	{ BPF_JGE, 5, 5, 1, 1 }, { BPF_JGE, 4, 5, 0, 0 },
	{ BPF_JLT, 4, 5, 1, 1 }, { BPF_JLT, -1, 5, 0, 0 }, { BPF_JLT, 0x100000000ull, 5, 0, 1 },
	{ BPF_JLE, 5, 5, 1, 1 }, { BPF_JLE, 6, 5, 0, 0 },
	{ BPF_JSGT, 1, -1, 1, 1 }, { BPF_JSGT, -1, 1, 0, 0 }, { BPF_JSGT, 0x80000000ull, 0, 1, 0 },
	{ BPF_JSGE, -1, -1, 1, 1 }, { BPF_JSGE, -2, -1, 0, 0 },
	{ BPF_JSLT, -2, -1, 1, 1 }, { BPF_JSLT, 0x80000000ull, 0, 0, 1 },
	{ BPF_JSLE, -1, -1, 1, 1 }, { BPF_JSLE, 0, -1, 0, 0 },
	{ BPF_JSET, 6, 3, 1, 1 }, { BPF_JSET, 0x100000000ull, 0x100000001ull, 1, 0 },
	{ BPF_JSET, 4, 3, 0, 0 },
	{ BPF_JEQ, 0, 0, 1, 1 }, { BPF_JGT, 1, 0, 1, 1 }, { BPF_JSLT, -1, 0, 1, 1 },
	{ BPF_JSGT, 0x100000000ull, 0, 1, 0 },
};

Test(jit, conditional_jumps)
{
	for (u32 i = 0; i < N(jcases); i++) {
		const struct jcase *c = &jcases[i];

		CHECK(c->taken64, LD64(1, c->a), LD64(2, c->b), MOV64_K(0, 1),
		      JMP_X(c->op, 1, 2, 1), MOV64_K(0, 0), EXIT());
		CHECK(c->taken32, LD64(1, c->a), LD64(2, c->b), MOV64_K(0, 1),
		      JMP32_X(c->op, 1, 2, 1), MOV64_K(0, 0), EXIT());
		if ((i64)c->b == (i32)c->b)
			CHECK(c->taken64, LD64(1, c->a), MOV64_K(0, 1),
			      JMP_K(c->op, 1, (i32)c->b, 1), MOV64_K(0, 0), EXIT());
		CHECK(c->taken32, LD64(1, c->a), MOV64_K(0, 1),
		      JMP32_K(c->op, 1, (i32)(u32)c->b, 1), MOV64_K(0, 0), EXIT());
	}
}

/*
 * A jump over `gap` instructions, forward or (a counted loop) backward.
 * Returns true if it was compiled to a rel8 jump.
 */
static bool
check_jump_width(u32 gap, bool backward)
{
	struct bpf_insn p[1100];
	struct ext_code code;
	u32 n = 0, jump, target;
	bool near;

	p[n++] = MOV64_K(0, 0);
	p[n++] = MOV64_K(6, 3);
	if (!backward) {
		jump = n;
		p[n++] = JMP_K(BPF_JGT, 6, 2, (int16_t)gap);
		target = n + gap;
		for (u32 k = 0; k < gap; k++)
			p[n++] = ALU64_K(BPF_ADD, 0, 1000);
		p[n++] = ALU64_K(BPF_ADD, 0, 1);
		p[n++] = EXIT();
	} else {
		u32 top = n;

		target = top;
		for (u32 k = 0; k < gap; k++)
			p[n++] = ALU64_K(BPF_ADD, 0, 1);
		p[n++] = ALU64_K(BPF_SUB, 6, 1);
		jump = n;
		p[n] = JMP_K(BPF_JNE, 6, 0, (int16_t)((i64)top - (n + 1)));
		n++;
		p[n++] = EXIT();
	}
	check_prog(__LINE__, p, n, NULL, 0, backward ? 3 * gap : 1);
	cr_assert_eq(ext_code_compile(&code, p, n, &helpers, NULL, (char[80]){ 0 }, 80), 0);
	/* The jump is the last x86 instruction of its eBPF instruction: rel8
	 * (7x cb) when the distance from its end fits in a byte, else rel32
	 * (0f 8x cd). */
	{
		const u8 *end = (const u8 *)code.mem + code.offset[jump + 1];
		i64 rel = (i64)code.offset[target] - code.offset[jump + 1];

		near = rel >= -128 && rel <= 127;
		if (near)
			cr_assert_eq(end[-2] & 0xf0, 0x70, "gap %u: want a rel8 jump", gap);
		else
			cr_assert_eq(end[-6], 0x0f, "gap %u: want a rel32 jump", gap);
		if (near) {
			cr_assert_eq((int8_t)end[-1], rel);
		} else {
			i32 rel32;

			memcpy(&rel32, end - 4, 4);
			cr_assert_eq(rel32, rel);
		}
	}
	ext_code_free(&code);
	return near;
}

Test(jit, jumps_of_both_widths)
{
	u32 gaps[] = { 1, 10, 17, 18, 19, 30, 31, 32, 40, 43, 50, 200, 1000 };
	u32 nnear = 0;

	for (u32 i = 0; i < N(gaps); i++) {
		nnear += check_jump_width(gaps[i], false);
		nnear += check_jump_width(gaps[i], true);
	}
	cr_assert(nnear > 2 && nnear < 2 * N(gaps) - 2, "%u of %u near", nnear, 2 * N(gaps));
	/* gotol: JMP32 | JA with the offset in imm; JA 0 falls through */
	CHECK(2, MOV64_K(0, 1), GOTOL(1), EXIT(), JA(0), MOV64_K(0, 2), EXIT());
	CHECK(3, MOV64_K(0, 0), JA(2), ALU64_K(BPF_ADD, 0, 1), JA(2),
	      ALU64_K(BPF_ADD, 0, 2), JA(-4), ALU64_K(BPF_ADD, 0, 0), EXIT());
}

Test(jit, helper_calls)
{
	/* five arguments in order; r6-r9 survive the call */
	CHECK(1 + 2 * 2 + 3 * 3 + 4 * 4 + 5 * 5 + 6 + 7 + 8 + 9,
	      MOV64_K(6, 6), MOV64_K(7, 7), MOV64_K(8, 8), MOV64_K(9, 9),
	      MOV64_K(1, 1), MOV64_K(2, 2), MOV64_K(3, 3), MOV64_K(4, 4), MOV64_K(5, 5),
	      CALL(1), ALU64_X(BPF_ADD, 0, 6), ALU64_X(BPF_ADD, 0, 7),
	      ALU64_X(BPF_ADD, 0, 8), ALU64_X(BPF_ADD, 0, 9), EXIT());
	/* two calls, the second with the first's result */
	CHECK(2 * 15 + 1, MOV64_K(1, 1), MOV64_K(2, 1), MOV64_K(3, 1), MOV64_K(4, 1),
	      MOV64_K(5, 1), CALL(1), MOV64_X(2, 0), MOV64_K(1, 0), MOV64_K(3, 0),
	      MOV64_K(4, 0), MOV64_K(5, 0), CALL(1), ALU64_K(BPF_ADD, 0, 1), EXIT());
}

Test(jit, direct_calls_near_the_helper)
{
	const struct bpf_insn p[] = {
		MOV64_K(1, 1), MOV64_K(2, 1), MOV64_K(3, 1), MOV64_K(4, 1), MOV64_K(5, 1),
		CALL(1), EXIT(),
	};
	struct ext_code code;
	char err[80];

	cr_assert_eq(ext_code_compile(&code, p, N(p), &helpers, (const void *)h_sum5,
				      err, sizeof(err)), 0, "%s", err);
	if ((i64)((uintptr_t)h_sum5 - (uintptr_t)code.mem) != (i32)((uintptr_t)h_sum5 - (uintptr_t)code.mem)) {
		ext_code_free(&code);
		cr_skip_test("the kernel did not map the code near the helper");
	}
	cr_assert_eq(code.count[5], 1, "a near helper is one call instruction");
	cr_assert_eq(((u8 *)code.mem)[code.offset[5]], 0xe8);
	cr_assert_eq(ext_code_call(&code, 0), 15);
	ext_code_free(&code);
}

Test(jit, refusals)
{
	u32 off[8];
	struct {
		struct bpf_insn p[4];
		u32 n;
		int want;
	} cases[] = {
		/* into the second half of an LD_IMM64 */
		{ { JMP_K(BPF_JEQ, 0, 0, 1), LD64(1, 5), EXIT() }, 4, -E_INVAL },
		{ { MOV64_K(0, 1) }, 1, -E_INVAL },                     /* runs off the end */
		{ { MOV64_K(0, 1), JMP_K(BPF_JEQ, 0, 1, -2) }, 2, -E_INVAL },
		{ { LD64(0, 1) }, 2, -E_INVAL },
		{ { INSN(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 1), EXIT() }, 2, -E_NOSYS },
		{ { INSN(BPF_LD | 0x20 /* BPF_ABS */ | BPF_W, 0, 0, 0, 0), EXIT() }, 2, -E_NOSYS },
		{ { INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 1, 0, 0), INSN(0, 0, 0, 0, 0), EXIT() }, 3, -E_NOSYS },
		{ { CALL(7), EXIT() }, 2, -E_INVAL },                   /* no helper 7 */
		{ { CALL(0), EXIT() }, 2, -E_INVAL },                   /* NULL in the table */
		{ { MOV64_K(10, 0), EXIT() }, 2, -E_INVAL },            /* r10 is read only */
		{ { MOV64_K(11, 0), EXIT() }, 2, -E_INVAL },            /* no r11 */
		{ { JA(5), EXIT() }, 2, -E_INVAL },                     /* out of the program */
		{ { JA(-2), EXIT() }, 2, -E_INVAL },
		{ { INSN(BPF_LD | BPF_IMM | BPF_DW, 0, 0, 0, 0) }, 1, -E_INVAL },  /* half */
		{ { INSN(BPF_ALU64 | BPF_END | BPF_K, 0, 0, 0, 17), EXIT() }, 2, -E_INVAL },
		{ { INSN(BPF_ALU64 | BPF_ADD | BPF_K, 0, 0, 1, 0), EXIT() }, 2, -E_INVAL },
		{ { INSN(BPF_STX | BPF_ATOMIC | BPF_B, 1, 2, 0, BPF_ADD), EXIT() }, 2, -E_INVAL },
		{ { INSN(0xf5, 0, 0, 0, 0), EXIT() }, 2, -E_INVAL },    /* JMP op 0xf0 */
	};

	for (u32 i = 0; i < N(cases); i++) {
		struct ebpf_jit j = { .prog = cases[i].p, .n = cases[i].n,
				      .helpers = &helpers, .offset = off };
		struct ebpf_interp in = { .prog = cases[i].p, .n = cases[i].n,
					  .helpers = &helpers };
		u64 r0;

		cr_assert_eq(ebpf_jit(&j), cases[i].want, "case %u: compiler", i);
		cr_assert_eq(ebpf_interp(&in, 0, &r0), cases[i].want, "case %u: interpreter", i);
	}
}

Test(jit, buffer_too_small)
{
	const struct bpf_insn p[] = { LD64(0, 0x123456789abcdef0ull), EXIT() };
	u32 off[4];
	u8 buf[8];
	struct ebpf_jit j = { .prog = p, .n = N(p), .offset = off, .out = buf, .cap = sizeof(buf) };

	cr_assert_eq(ebpf_jit(&j), -E_NOMEM);
	cr_assert_eq(j.len, 11, "movabs (10 bytes) and ret");
	cr_assert_eq(j.passes, 1, "no forward jump: the first pass is exact");
	j.out = NULL;
	cr_assert_eq(ebpf_jit(&j), 0);
	cr_assert_eq(j.len, 11);
}

/* ---- Random programs, compiler against interpreter ---- */

static u64 rng_state;
static bool random_jumps = true;        /* false: straight-line programs */
static bool random_divides = true;      /* false: no div, mod, atomics (rare in handlers) */

static u64
rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static u64
interesting(void)
{
	static const u64 v[] = {
		0, 1, 2, 7, 31, 32, 63, 64, UINT64_MAX, (u64)INT64_MIN, INT64_MAX,
		0x80000000ull, 0xffffffffull, 0x7fffffffull, 0x100000000ull,
		0xffffffff80000000ull, 0x8000, 0x80, 0xff,
	};

	return rng() % 3 ? v[rng() % N(v)] : rng();
}

/* One random ALU (or stack, or forward-jump) instruction on r0-r9. */
static u32
random_insn(struct bpf_insn *p, u32 at, u32 end)
{
	static const u8 ops[] = { BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND,
				  BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR, BPF_MOV,
				  BPF_ARSH, BPF_END };
	static const u8 jops[] = { BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_JNE, BPF_JSGT,
				   BPF_JSGE, BPF_JLT, BPF_JLE, BPF_JSLT, BPF_JSLE };
	int d = (int)(rng() % 10), s = (int)(rng() % 10);
	u8 op = ops[rng() % N(ops)], cls = rng() & 1 ? BPF_ALU64 : BPF_ALU;

	if (!random_divides && (op == BPF_DIV || op == BPF_MOD))
		op = BPF_ADD;
	u32 kind = (u32)(rng() % 18);
	i32 imm = (i32)interesting();
	int16_t off = 0;

	if (kind == 0 && end - at > 2 && random_jumps) {        /* forward jump within the program */
		cls = rng() & 1 ? BPF_JMP : BPF_JMP32;
		p[at] = INSN(cls | jops[rng() % N(jops)] | (rng() & 1 ? BPF_X : BPF_K), d, s,
			     (int16_t)(rng() % (end - at - 1)), imm);
		return 1;
	}
	if (kind == 1) {                        /* spill and refill through the stack */
		int16_t slot = (int16_t)(-8 * (1 + (int)(rng() % 63)));

		p[at] = STX(BPF_DW, 10, s, slot);
		return 1;
	}
	if (kind == 2) {
		static const u8 sz[] = { BPF_B, BPF_H, BPF_W, BPF_DW };
		int16_t slot = (int16_t)(-8 * (1 + (int)(rng() % 63)));
		u8 size = sz[rng() % 4];

		p[at] = INSN(BPF_LDX | (rng() & 1 && size != BPF_DW ? BPF_MEMSX : BPF_MEM) | size,
			     d, 10, slot, 0);
		return 1;
	}
	if (kind == 4 && random_divides) {      /* an atomic on a stack slot */
		static const i32 aops[] = { BPF_ADD, BPF_OR, BPF_AND, BPF_XOR, BPF_ADD | FETCH,
					    BPF_OR | FETCH, BPF_AND | FETCH, BPF_XOR | FETCH,
					    XCHG, CMPXCHG };
		int16_t slot = (int16_t)(-8 * (1 + (int)(rng() % 63)));

		p[at] = ATOMIC(rng() & 1 ? BPF_DW : BPF_W, 10, s, slot, aops[rng() % N(aops)]);
		return 1;
	}
	if (kind == 5 && end - at > 7) {        /* a call; then r1-r5 defined again */
		p[at] = CALL(1);
		for (int r = 1; r <= 5; r++)
			p[at + (u32)r] = MOV64_K(r, (i32)rng());
		return 6;
	}
	if (kind == 3 && end - at > 2) {
		u64 v = interesting();

		p[at] = INSN(BPF_LD | BPF_IMM | BPF_DW, d, 0, 0, (u32)v);
		p[at + 1] = INSN(0, 0, 0, 0, (u32)(v >> 32));
		return 2;
	}
	if (op == BPF_END) {
		static const i32 widths[] = { 16, 32, 64 };

		p[at] = INSN(cls | op | (cls == BPF_ALU && rng() & 1 ? BPF_X : BPF_K), d, 0, 0,
			     widths[rng() % 3]);
		return 1;
	}
	if ((op == BPF_DIV || op == BPF_MOD) && rng() & 1)
		off = 1;
	if (op == BPF_MOV && rng() % 3 == 0) {
		static const int16_t bits[] = { 8, 16, 32 };

		off = bits[rng() % (cls == BPF_ALU64 ? 3 : 2)];
		p[at] = INSN(cls | op | BPF_X, d, s, off, 0);
		return 1;
	}
	if ((op == BPF_LSH || op == BPF_RSH || op == BPF_ARSH) && rng() & 1)
		imm = (i32)(rng() % 64);
	p[at] = INSN(cls | op | (rng() & 1 ? BPF_X : BPF_K), d, s, off, imm);
	return 1;
}

/* Initialize r0-r9 and the stack, n random instructions, then store
 * r0-r9 to the context (r1 on entry, kept at r10-8). Returns the length. */
static u32
random_program(struct bpf_insn *p, u32 body)
{
	u32 n = 0, end;

	p[n++] = STX(BPF_DW, 10, 1, -520 + 8);  /* ctx at the stack's bottom */
	for (int s = 1; s <= 63; s++)
		p[n++] = ST(BPF_DW, 10, (int16_t)(-8 * s), (i32)rng());
	for (int r = 0; r < 10; r++) {
		u64 v = interesting();

		p[n++] = INSN(BPF_LD | BPF_IMM | BPF_DW, r, 0, 0, (u32)v);
		p[n++] = INSN(0, 0, 0, 0, (u32)(v >> 32));
	}
	end = n + body;
	while (n < end)
		n += random_insn(p, n, end);
	/* n == end: forward jumps land at most here, and never inside an LD64 */
	for (u32 i = 0; i < end; i++) {
		u8 cls = BPF_CLASS(p[i].code);
		u32 t = i + 1 + (u32)p[i].off;

		if (p[i].code == (BPF_LD | BPF_IMM | BPF_DW))
			i++;
		else if ((cls == BPF_JMP || cls == BPF_JMP32) && t > 0 && t < end &&
			 p[t - 1].code == (BPF_LD | BPF_IMM | BPF_DW))
			p[i].off--;
	}
	for (int r = 0; r < 10; r++)
		p[n++] = STX(BPF_DW, 10, r, (int16_t)(-8 * (r + 1)));
	p[n++] = LDX(BPF_DW, 1, 10, -520 + 8);
	for (int r = 0; r < 10; r++) {
		p[n++] = LDX(BPF_DW, 2, 10, (int16_t)(-8 * (r + 1)));
		p[n++] = STX(BPF_DW, 1, 2, (int16_t)(8 * r));
	}
	p[n++] = MOV64_K(0, 0);
	p[n++] = EXIT();
	return n;
}

Test(jit, random_differential)
{
	static struct bpf_insn p[512];
	u64 seed = 0x9e3779b97f4a7c15ull;
	u64 total_ebpf = 0, total_x86 = 0;

	/* body stays clear of the ctx slot at r10-512, which random code never writes */
	for (int t = 0; t < 4000; t++) {
		u64 ri[10] = { 0 }, rj[10] = { 0 };
		struct ext_code code;
		u32 n;

		rng_state = seed + (u64)t * 0x100000001b3ull;
		n = random_program(p, 20 + (u32)(rng() % 80));
		cr_assert_eq(run_interp(p, n, ri), 0);
		cr_assert_eq(run_jit(p, n, rj, &code), 0);
		total_ebpf += n;
		total_x86 += code.jit.ninsn;
		ext_code_free(&code);
		for (int r = 0; r < 10; r++)
			cr_assert_eq(ri[r], rj[r],
				     "program %d (state %#llx): r%d interpreter %#llx, compiled %#llx",
				     t, (unsigned long long)(seed + (u64)t * 0x100000001b3ull), r,
				     (unsigned long long)ri[r], (unsigned long long)rj[r]);
	}
	cr_log_info("random programs: %.2f x86 instructions per eBPF instruction",
		    (double)total_x86 / (double)total_ebpf);
}

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);     /* not the time others run */
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * The interpreter against compiled code on a 1000-instruction straight-line
 * program, timed side by side in one run (the ratio is reported; the only
 * bound is that compiling pays: a ratio above 1). Twice: with divisions and
 * locked atomics (whose latency both pay alike) and without, as handlers
 * mostly are.
 */
static void
time_both(bool divides)
{
	static struct bpf_insn p[1100];
	struct ebpf_interp in = { .prog = p, .helpers = &helpers };
	struct ext_code code;
	u64 ctx[10], r0, steps;
	double best_i = 1e300, best_c = 1e300;
	u32 runs = 500;

	rng_state = 0x1234567;
	random_jumps = false;           /* every instruction runs */
	random_divides = divides;
	in.n = random_program(p, 1000 - 117);
	random_jumps = random_divides = true;
	cr_assert_eq(run_jit(p, in.n, ctx, &code), 0);
	cr_assert_eq(ebpf_interp(&in, (u64)(uintptr_t)ctx, &r0), 0);
	steps = in.steps;
	/* rounds of both, side by side; the fastest round of each counts */
	for (int round = 0; round < 5; round++) {
		double t0 = now_ns(), t1, t2;

		for (u32 k = 0; k < runs; k++)
			ebpf_interp(&in, (u64)(uintptr_t)ctx, &r0);
		t1 = now_ns();
		for (u32 k = 0; k < runs; k++)
			ext_code_call(&code, (u64)(uintptr_t)ctx);
		t2 = now_ns();
		best_i = t1 - t0 < best_i ? t1 - t0 : best_i;
		best_c = t2 - t1 < best_c ? t2 - t1 : best_c;
	}
	cr_log_info("%u-instruction program %s divisions and atomics (%llu executed): interpreted %.0f ns, "
		    "compiled %.0f ns per run (CPU time): %.1fx; %u x86 instructions (%.2f per "
		    "eBPF instruction)", in.n, divides ? "with" : "without",
		    (unsigned long long)steps, best_i / runs, best_c / runs, best_i / best_c,
		    code.jit.ninsn, (double)code.jit.ninsn / in.n);
	cr_assert_gt(best_i, best_c, "the interpreter was faster than compiled code");
	ext_code_free(&code);
}

Test(jit, interpreter_vs_compiled_time)
{
	time_both(true);
	time_both(false);
}

/* The code's pages are read+execute, not writable, once compiled (W^X). */
Test(jit, code_pages_are_not_writable)
{
	const struct bpf_insn p[] = { MOV64_K(0, 5), EXIT() };
	struct ext_code code;
	char line[512], perms[8] = "";
	FILE *maps;

	cr_assert_eq(run_jit(p, N(p), NULL, &code), 5);
	maps = fopen("/proc/self/maps", "r");
	cr_assert_not_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		unsigned long lo, hi;
		char pr[8];

		if (sscanf(line, "%lx-%lx %7s", &lo, &hi, pr) == 3 &&
		    (uintptr_t)code.mem >= lo && (uintptr_t)code.mem < hi)
			strcpy(perms, pr);
	}
	fclose(maps);
	ext_code_free(&code);
	cr_assert_str_eq(perms, "r-xp");
}

#include "host/ext_disasm.h"

/* exo ext dump's text of each instruction form. */
Test(jit, disassembly)
{
	static const struct {
		struct bpf_insn p[2];
		const char *text;
	} cases[] = {
		{ { ALU64_X(BPF_ADD, 1, 2) }, "add r1, r2" },
		{ { ALU32_K(BPF_SUB, 0, -5) }, "sub32 r0, -5" },
		{ { SDIV64_X(3, 4) }, "sdiv r3, r4" },
		{ { SMOD32_X(3, 4) }, "smod32 r3, r4" },
		{ { MOVSX64(1, 2, 16) }, "movsx r1, r2 (s16)" },
		{ { MOVSX32(1, 2, 8) }, "movsx32 r1, r2 (s8)" },
		{ { ALU64_K(BPF_NEG, 7, 0) }, "neg r7" },
		{ { END_BE(1, 16) }, "be16 r1" },
		{ { END_LE(1, 32) }, "le32 r1" },
		{ { BSWAP(1, 64) }, "bswap64 r1" },
		{ { LD64(2, 0x123456789ull) }, "lddw r2, 0x123456789" },
		{ { LDX(BPF_B, 2, 1, 16) }, "ldxb r2, [r1+16]" },
		{ { LDXSX(BPF_H, 2, 10, -8) }, "ldxsh r2, [r10-8]" },
		{ { ST(BPF_DW, 10, -16, 7) }, "stdw [r10-16], 7" },
		{ { STX(BPF_W, 1, 3, 4) }, "stxw [r1+4], r3" },
		{ { ATOMIC(BPF_DW, 1, 2, 8, BPF_ADD | FETCH) }, "lock fetch_adddw [r1+8], r2" },
		{ { ATOMIC(BPF_W, 1, 2, 0, CMPXCHG) }, "lock cmpxchgw [r1+0], r2" },
		{ { JMP_K(BPF_JSGT, 1, -1, 3) }, "jsgt r1, -1, +3 <4>" },
		{ { JMP32_X(BPF_JLE, 1, 2, -1) }, "jle32 r1, r2, -1 <0>" },
		{ { JA(2) }, "ja +2 <3>" },
		{ { GOTOL(-1) }, "jal -1 <0>" },
		{ { CALL(5) }, "call 5" },
		{ { EXIT() }, "exit" },
		{ { INSN(0x20, 0, 0, 0, 0) }, "(unknown opcode 0x20)" },     /* LD_ABS */
		{ { INSN(0xf7, 0, 0, 0, 0) }, "(unknown alu opcode 0xf7)" },
	};
	char buf[96];

	for (u32 i = 0; i < N(cases); i++) {
		u32 slots = ext_disasm(cases[i].p, 2, 0, buf, sizeof(buf));

		cr_assert_str_eq(buf, cases[i].text);
		cr_assert_eq(slots, cases[i].p[0].code == (BPF_LD | BPF_IMM | BPF_DW) ? 2u : 1u);
	}
}
