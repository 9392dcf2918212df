/*
 * Programs the checker must accept: hand-written ones that use each thing
 * the rules allow (packet ranges, variable packet offsets, null-checked
 * helper memory, spills, pruned diamonds), and the example extensions in
 * ext/ as clang compiled them.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "guest/ebpf/verify.h"
#include "host/ext_obj.h"
#include "verify_asm.h"

struct accept {
	int line;
	const char *section;
	const struct bpf_insn *insns;
	u32 n;
};

#define ACC(sec, ...) { __LINE__, sec, PROG(__VA_ARGS__), NINSN(__VA_ARGS__) }

static const struct accept accepts[] = {
	/* the smallest program of every type */
	ACC("event/syscall", RET(0)), ACC("event/pagefault", RET(1)),
	ACC("event/thread", RET(0)), ACC("event/ipc", RET(1)),
	ACC("event/irq", RET(0)), ACC("event/timer", RET(0)),
	ACC("event/packet", INSN(BPF_ALU | BPF_MOV | BPF_K, 0, 0, 0, -1), EXIT), ACC("guard/packet", RET(1)),
	ACC("guard/syscall", RET(0)),
	/* every readable field of the syscall context, and the writable ones */
	ACC("event/syscall", LDX(BPF_DW, 2, 1, 0), LDX(BPF_DW, 3, 1, 48), LDX(BPF_W, 4, 1, 64),
	    LDX(BPF_B, 5, 1, 79), STX(BPF_DW, 1, 2, 56), ST(BPF_DW, 1, 8, 7), RET(1)),
	/* a timer's next deadline, written from a computed number */
	ACC("event/timer", LDX(BPF_DW, 2, 1, 0), LDX(BPF_DW, 3, 1, 8), ALUR(BPF_ADD, 2, 3),
	    STX(BPF_DW, 1, 2, 16), RET(0)),
	/* packet: 14 bytes proven, the last one read; p + 14 <= end via JLE */
	ACC("event/packet", PKT_PTRS, PKT_CHECK(14), LDX(BPF_B, 0, 2, 13), EXIT),
	/* data_end >= p + 20 (the other operand order), then a 4-byte read at 16 */
	ACC("event/packet", PKT_PTRS, MOVR(4, 2), ALU(BPF_ADD, 4, 20), JMPR(BPF_JGE, 3, 4, 2),
	    RET(0), LDX(BPF_W, 0, 2, 16), EXIT),
	/* a variable (IHL) offset, bounded, then proven, then read */
	ACC("event/packet", PKT_PTRS, PKT_CHECK(15), LDX(BPF_B, 5, 2, 14), ALU(BPF_AND, 5, 15),
	    ALU(BPF_LSH, 5, 2), ALUR(BPF_ADD, 2, 5), PKT_CHECK(22), LDX(BPF_H, 0, 2, 20), EXIT),
	/* packet bytes copied to the stack by the helper, then read there */
	ACC("event/packet", MOV(2, 0), MOVR(3, 10), ALU(BPF_ADD, 3, -16), MOV(4, 16),
	    CALL(EXT_HELPER_PKT_LOAD), LDX(BPF_DW, 0, 10, -8), ALU(BPF_AND, 0, 1), EXIT),
	/* helper memory, null-checked, read, written, atomically added to */
	ACC("event/syscall", STORE_CHECKED, LDX(BPF_DW, 1, 0, 56), ALU(BPF_ADD, 1, 1),
	    STX(BPF_DW, 0, 1, 56), MOV(2, 1), XADD(BPF_DW, 0, 2, 0), RET(0)),
	/* the JEQ form of the null check, and a variable index below the size */
	ACC("event/irq", LDX(BPF_W, 6, 1, 0), MOV(1, 0), CALL(EXT_HELPER_STORE),
	    JMP(BPF_JEQ, 0, 0, 4), ALU(BPF_AND, 6, 7), ALU(BPF_LSH, 6, 3), ALUR(BPF_ADD, 0, 6),
	    ST(BPF_DW, 0, 0, 1), RET(0)),
	/* the context spilled to the stack across a call and used again */
	ACC("event/syscall", STX(BPF_DW, 10, 1, -8), CALL(EXT_HELPER_KTIME),
	    LDX(BPF_DW, 1, 10, -8), LDX(BPF_DW, 2, 1, 0), STX(BPF_DW, 1, 2, 56), RET(1)),
	/* a constant survives a spill; the range check after it decides the exit */
	ACC("event/syscall", ST(BPF_DW, 10, -16, 1), LDX(BPF_DW, 0, 10, -16), EXIT),
	/* trace from initialized stack */
	ACC("event/ipc", LDX(BPF_DW, 2, 1, 16), STX(BPF_DW, 10, 2, -8), MOVR(1, 10),
	    ALU(BPF_ADD, 1, -8), MOV(2, 8), CALL(EXT_HELPER_TRACE), RET(0)),
	/* division and shifts by registers are defined: x / 0 = 0 */
	ACC("event/syscall", LDX(BPF_DW, 2, 1, 8), LDX(BPF_DW, 3, 1, 16), ALUR(BPF_DIV, 2, 3),
	    ALUR(BPF_MOD, 2, 3), ALUR(BPF_LSH, 2, 3), STX(BPF_DW, 1, 2, 56), RET(1)),
	/* a branch the ranges decide is not walked: r2 <= 255 never exceeds 300 */
	ACC("event/syscall", LDX(BPF_B, 2, 1, 0), JMP(BPF_JGT, 2, 300, 2), RET(0), RET(5)),
	/* the range learned on the branch bounds the result */
	ACC("event/syscall", LDX(BPF_DW, 0, 1, 0), JMP(BPF_JLE, 0, 1, 1), MOV(0, 0), EXIT),
	/* pagefault helpers */
	ACC("event/pagefault", LDX(BPF_DW, 6, 1, 0), MOVR(1, 6), CALL(EXT_HELPER_DIRTY_MARK),
	    MOVR(1, 6), MOV(2, 3), CALL(EXT_HELPER_PAGE_PROTECT), RET(1)),
	/* packet minus packet is a length, a number */
	ACC("event/packet", PKT_PTRS, ALUR(BPF_SUB, 3, 2), MOVR(0, 3), ALU32(BPF_AND, 0, 0xffff),
	    EXIT),
	/* a bounded loop: the counter is known each turn, so is the exit */
	ACC("event/syscall", MOV(0, 0), MOV(2, 0), ALU(BPF_ADD, 0, 3), ALU(BPF_ADD, 2, 1),
	    JMP(BPF_JLT, 2, 10, -3), ALU(BPF_AND, 0, 1), EXIT),
	/* a loop on a range: r2 in 0..15 counts down to 0, one state a turn */
	ACC("event/syscall", LDX(BPF_B, 2, 1, 0), ALU(BPF_AND, 2, 15), JMP(BPF_JEQ, 2, 0, 2),
	    ALU(BPF_SUB, 2, 1), JA(-3), MOV(0, 1), EXIT),
	/* a loop over packet bytes with a constant bound, each byte proven */
	ACC("event/packet", PKT_PTRS, PKT_CHECK(8), MOV(0, 0), MOV(6, 0), MOVR(7, 2),
	    LDX(BPF_B, 5, 7, 0), ALUR(BPF_ADD, 0, 5), ALU(BPF_ADD, 7, 1), ALU(BPF_ADD, 6, 1),
	    JMP(BPF_JLT, 6, 8, -5), EXIT),
	/*
	 * RFC 9669's results on known values, as the compiler must give them: a
	 * wrong constant would walk the r0 = 7 path and break the result range.
	 */
	ACC("event/syscall", MOV(0, 5), MOV(2, 0), ALUR(BPF_DIV, 0, 2), JMP(BPF_JEQ, 0, 0, 2),
	    RET(7), EXIT),                                        /* x / 0 = 0 */
	ACC("event/syscall", MOV(0, 1), MOV(2, 0), ALUR(BPF_MOD, 0, 2), JMP(BPF_JEQ, 0, 1, 2),
	    RET(7), EXIT),                                        /* x % 0 = x */
	ACC("event/syscall", LD64(0, 0x8000000000000000ull),
	    INSN(BPF_ALU64 | BPF_DIV | BPF_K, 0, 0, 1, -1), LD64(2, 0x8000000000000000ull),
	    JMPR(BPF_JEQ, 0, 2, 2), RET(7), RET(1)),      /* LLONG_MIN s/ -1 */
	ACC("event/syscall", MOV(0, 1), MOV(2, 65), ALUR(BPF_LSH, 0, 2), JMP(BPF_JEQ, 0, 2, 2),
	    RET(7), RET(0)),                                /* shifts masked: 1 << 65 = 2 */
	ACC("event/syscall", MOV(0, -1), ALU32(BPF_ADD, 0, 1), JMP(BPF_JEQ, 0, 0, 2),
	    RET(7), RET(0)),                                /* 32-bit wraps to 0 */
	/* known values decide signed and 32-bit branches: -1 s< 0, low half of 2^32 is 0 */
	ACC("event/syscall", MOV(2, -1), JMP(BPF_JSLT, 2, 0, 2), RET(7), RET(0)),
	ACC("event/syscall", LD64(2, 1ull << 32), INSN(BPF_JMP32 | BPF_JEQ | BPF_K, 2, 0, 2, 0),
	    RET(7), RET(1)),
	/* LD_IMM64 and a JMP32 compare on numbers */
	ACC("event/syscall", LD64(2, 0x100000001ull), JMP32R(BPF_JEQ, 2, 2, 0), RET(0)),
};

static void *work;

static void
setup(void)
{
	work = malloc(verify_work_size());
	cr_assert(work);
}

static void
teardown(void)
{
	free(work);
}

TestSuite(verify_accept, .init = setup, .fini = teardown);

Test(verify_accept, hand_written_programs)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(accepts) / sizeof(accepts[0]); i++) {
		const struct accept *a = &accepts[i];
		struct ext_verify_error e;

		if (verify_program(a->insns, a->n, verify_type_by_section(a->section), ~0ull, EXT_HOST_STEPS,
				   work, &e) < 0) {
			bad++;
			cr_log_error("test_verify_accept.c:%d: rejected at %u: %s: %s", a->line,
				     e.insn, verify_rule_name(e.rule), e.msg);
		}
	}
	cr_expect_eq(bad, 0);
}

/*
 * 30 diamonds that each set r0 to 0 or 1 and join: 2^30 paths, walked in
 * about 30 * 5 steps because the state at each join covers the other side.
 */
Test(verify_accept, pruning_joins_equal_states)
{
	static struct bpf_insn p[2 + 30 * 4 + 1];
	struct ext_verify_error e;
	u32 n = 0;

	p[n++] = ONE(LDX(BPF_DW, 2, 1, 0));
	p[n++] = ONE(MOV(0, 0));
	for (int i = 0; i < 30; i++) {
		p[n++] = ONE(JMP(BPF_JSET, 2, 1 << i, 2));
		p[n++] = ONE(MOV(0, 0));
		p[n++] = ONE(JA(1));
		p[n++] = ONE(MOV(0, 1));
	}
	p[n++] = ONE(EXIT);
	cr_expect_eq(verify_program(p, n, verify_type_by_section("event/syscall"), ~0ull, EXT_HOST_STEPS,
				    work, &e), 0, "%s at %u: %s", verify_rule_name(e.rule),
		     e.insn, e.msg);
}

struct object {
	const char *file;
	unsigned programs;
};

/* Each example extension: every program in it is accepted. */
Test(verify_accept, example_extensions_compiled_by_clang)
{
	static const struct object objs[] = {
		{ "count_syscalls.o", 1 }, { "syscall_add.o", 2 }, { "pf_appel.o", 3 },
		{ "pkt_filter.o", 2 }, { "pkt_tcp_syn.o", 1 }, { "irq_count.o", 2 },
		{ "thread_pkg.o", 2 }, { "timer_defer.o", 1 }, { "vm_prot.o", 4 },
	};
	static struct ext_obj o;

	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		char path[512], err[512];

		snprintf(path, sizeof(path), "%s/ext/%s", EXO_BUILD_DIR, objs[i].file);
		cr_assert_eq(ext_obj_read(path, &o, err, sizeof(err)), 0, "%s", err);
		cr_expect_eq(o.nprogs, objs[i].programs, "%s: %u programs", path, o.nprogs);
		for (unsigned k = 0; k < o.nprogs; k++) {
			const struct ext_obj_prog *p = &o.progs[k];
			const struct ext_prog_type *t = verify_type_by_section(p->section);
			struct ext_verify_error e;

			cr_assert(t, "%s: section %s", path, p->section);
			cr_expect_eq(verify_program(p->insns, p->n, t, ~0ull, EXT_HOST_STEPS, work, &e), 0,
				     "%s %s %s: rejected at %u: %s: %s", path, p->section,
				     p->name, e.insn, verify_rule_name(e.rule), e.msg);
		}
		ext_obj_free(&o);
	}
}

/*
 * A filter of 100 early returns in a row (if (p[i] != k) return 0): the
 * walk takes the short return side first, so branches do not pile up.
 */
Test(verify_accept, a_long_chain_of_early_returns)
{
	static struct bpf_insn p[2 + 5 + 100 * 2 + 2 + 2];
	static const struct bpf_insn head[] = { PKT_PTRS, PKT_CHECK(100) };
	struct ext_verify_error e;
	u32 n = 0;

	for (u32 i = 0; i < sizeof(head) / sizeof(head[0]); i++)
		p[n++] = head[i];
	for (int i = 0; i < 100; i++) {
		p[n++] = ONE(LDX(BPF_B, 5, 2, i));
		p[n++] = ONE(JMP(BPF_JNE, 5, i, (100 - i) * 2 - 2 + 2));
	}
	p[n++] = ONE(MOV(0, 1));
	p[n++] = ONE(EXIT);
	p[n++] = ONE(MOV(0, 0));
	p[n++] = ONE(EXIT);
	cr_expect_eq(verify_program(p, n, verify_type_by_section("event/packet"), ~0ull, EXT_HOST_STEPS,
				    work, &e), 0, "%s at %u: %s", verify_rule_name(e.rule),
		     e.insn, e.msg);
}

/* The facts the compiler may use: dead code, divisors proven nonzero. */
Test(verify_accept, facts_for_the_compiler)
{
	static const struct bpf_insn p[] = {
		LDX(BPF_B, 2, 1, 0),            /* 0: r2 in 0..255 */
		MOVR(3, 2), ALU(BPF_OR, 3, 0),  /* 1, 2: r3 unknown, may be 0 */
		ALU(BPF_ADD, 2, 1),             /* 3: r2 in 1..256, never 0 */
		MOV(0, 1000),                   /* 4 */
		ALUR(BPF_DIV, 0, 2),            /* 5: nonzero divisor */
		ALUR(BPF_MOD, 0, 3),            /* 6: may be 0 */
		JMP(BPF_JGT, 2, 300, 1),        /* 7: never taken */
		JA(1),                          /* 8 */
		MOV(0, 9),                      /* 9: dead */
		ALU(BPF_AND, 0, 1), EXIT,       /* 10, 11 */
	};
	u8 facts[12];
	struct ext_verify_error e;
	u32 n = sizeof(p) / sizeof(p[0]);

	cr_assert_eq(verify_program(p, n, verify_type_by_section("event/syscall"), ~0ull, EXT_HOST_STEPS,
				    work, &e), 0, "%s at %u: %s", verify_rule_name(e.rule),
		     e.insn, e.msg);
	verify_facts(work, n, facts);
	cr_expect_eq(facts[5], EXT_FACT_WALKED | EXT_FACT_NONZERO);
	cr_expect_eq(facts[6], EXT_FACT_WALKED);
	cr_expect_eq(facts[9], 0);
	cr_expect_eq(facts[8], EXT_FACT_WALKED);
	cr_expect_eq(facts[11], EXT_FACT_WALKED);
}
