/*
 * The compiler using the checker's proof (verify_facts): a register
 * division the checker proved nonzero loses its zero test (a signed one
 * keeps its -1 test), and still computes what the interpreter does.
 */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "guest/ebpf/interp.h"
#include "guest/ebpf/verify.h"
#include "host/ext_code.h"
#include "verify_asm.h"

/* ctx->ret = args[1] / ((args[0] & 0xff) + 1): the divisor is 1..256, never 0. */
#define DIVIDE(off) LDX(BPF_DW, 2, 1, 8), ALU(BPF_AND, 2, 0xff), ALU(BPF_ADD, 2, 1), LDX(BPF_DW, 0, 1, 16), \
			 INSN(BPF_ALU64 | BPF_DIV | BPF_X, 0, 2, off, 0), \
			 STX(BPF_DW, 1, 0, 56), RET(0)
#define DIV_AT 4

static void
check_division(const struct bpf_insn *p, u32 n)
{
	void *work = malloc(verify_work_size());
	struct ext_verify_error e;
	struct ext_code with, without;
	char err[256];
	u8 facts[16];

	cr_assert(work);
	cr_assert_eq(verify_program(p, n, verify_type_by_section("event/syscall"), ~0ull,
				    EXT_HOST_STEPS, work, &e), 0, "%s", e.msg);
	verify_facts(work, n, facts);
	cr_assert(facts[DIV_AT] & EXT_FACT_NONZERO, "the checker proves the divisor 1..256");
	cr_assert_eq(ext_code_compile_facts(&with, p, n, facts, NULL, NULL, err, sizeof(err)),
		     0, "%s", err);
	cr_assert_eq(ext_code_compile(&without, p, n, NULL, NULL, err, sizeof(err)), 0);
	cr_expect_lt(with.count[DIV_AT], without.count[DIV_AT], "%u x86 instructions, "
		     "without the facts %u", with.count[DIV_AT], without.count[DIV_AT]);
	for (u64 s = 1; s <= 300; s++) {
		struct ext_syscall_ctx a = { 0 }, b;
		struct ebpf_interp in = { .prog = p, .n = n };
		u64 r0;

		a.args[0] = s * 0x9e3779b97f4a7c15ull;
		a.args[1] = s % 5 == 0 ? 1ull << 63 : s * 0xbf58476d1ce4e5b9ull;
		b = a;
		ext_code_call(&with, (u64)(uintptr_t)&a);
		cr_assert_eq(ebpf_interp(&in, (u64)(uintptr_t)&b, &r0), 0);
		cr_assert_eq(a.ret, b.ret, "seed %llu: %#llx, interpreter %#llx",
			     (unsigned long long)s, (unsigned long long)a.ret,
			     (unsigned long long)b.ret);
	}
	ext_code_free(&with);
	ext_code_free(&without);
	free(work);
}

Test(jit_facts, unsigned_division_by_a_proven_nonzero_register)
{
	check_division(PROG(DIVIDE(0)), NINSN(DIVIDE(0)));
}

Test(jit_facts, signed_division_by_a_proven_nonzero_register)
{
	check_division(PROG(DIVIDE(1)), NINSN(DIVIDE(1)));
}
