/*
 * The checker against random programs: random instructions (valid opcodes,
 * small registers and offsets) and the example extensions with bits
 * flipped. Every rejection must name a rule and an instruction inside the
 * program; every accepted program must run safely on the checking
 * interpreter (verify_oracle.c) over random contexts, packets and helper
 * results. Deterministic: a fixed seed.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/ext_obj.h"
#include "verify_oracle.h"

static u64 seed = 88172645463325252ull;

static u32
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (u32)seed;
}

static const u8 codes[] = {
	0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67,
	0x6f, 0x77, 0x7f, 0x87, 0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd4,
	0xdc, 0xd7, 0x04, 0x0c, 0x14, 0x24, 0x34, 0x3c, 0x44, 0x54, 0x64, 0x74, 0x94,
	0x9c, 0xa4, 0xb4, 0xbc, 0xc4, 0x05, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x3d, 0x45,
	0x4d, 0x55, 0x5d, 0x65, 0x6d, 0x75, 0x7d, 0xa5, 0xad, 0xb5, 0xbd, 0xc5, 0xcd,
	0xd5, 0xdd, 0x16, 0x1e, 0x26, 0x2e, 0xa6, 0x85, 0x95, 0x61, 0x69, 0x71, 0x79,
	0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb,
	0x18, 0x15, 0x1d, 0xbf, 0xbf, 0x79, 0x07,
};

static int
rnd_imm(void)
{
	switch (rnd() % 5) {
	case 0: return (int)(rnd() % 10);
	case 1: return -(int)(rnd() % 600);
	case 2: return (int)(rnd() % 80);
	case 3: return (int)(rnd() % 4) * 8;
	}
	return (int)rnd();
}

/* One random instruction at p[i]; 2 slots for LD_IMM64. */
static u32
rnd_insn(struct bpf_insn *p, u32 i, u32 n)
{
	struct bpf_insn *in = &p[i];
	u8 cls;

	in->code = codes[rnd() % sizeof(codes)];
	in->regs = BPF_REGS(rnd() % 10, rnd() % 11);
	in->off = (int16_t)(rnd() % 2 ? -8 * (int)(rnd() % 9) : (int)(rnd() % 40) - 20);
	in->imm = rnd_imm();
	cls = BPF_CLASS(in->code);
	if (in->code == (BPF_LD | BPF_DW | BPF_IMM)) {
		if (i + 1 >= n)
			in->code = 0xb7;
		else {
			in->regs &= 0x0f;
			in->off = 0;
			p[i + 1] = (struct bpf_insn){ 0, 0, 0, (i32)rnd() };
			return 2;
		}
	}
	if ((cls == BPF_ALU || cls == BPF_ALU64) && BPF_SRC_BIT(in->code))
		in->imm = 0;
	if (cls == BPF_ALU || cls == BPF_ALU64) {
		in->off = 0;
		if (!BPF_SRC_BIT(in->code))
			in->regs &= 0x0f;
	}
	if (cls == BPF_JMP || cls == BPF_JMP32) {
		in->off = (int16_t)(rnd() % 8 == 0 ? -(int)(rnd() % 4) : (int)(rnd() % 6));
		if (BPF_SRC_BIT(in->code))
			in->imm = 0;
		else
			in->regs &= 0x0f;
		if (BPF_OP(in->code) == BPF_CALL)
			*in = (struct bpf_insn){ in->code, 0, 0, (i32)(1 + rnd() % 8) };
		if (BPF_OP(in->code) == BPF_EXIT)
			*in = (struct bpf_insn){ in->code, 0, 0, 0 };
	}
	if (cls == BPF_LDX || (cls == BPF_STX && BPF_MODE(in->code) != BPF_ATOMIC))
		in->imm = 0;
	if (cls == BPF_STX && BPF_MODE(in->code) == BPF_ATOMIC)
		in->imm = BPF_ADD | (rnd() % 2);
	if (cls == BPF_ST)
		in->regs &= 0x0f;
	return 1;
}

/*
 * A prologue that makes the body's reads mostly legal: every register set
 * (numbers, a context copy in r6, a stack pointer in r7), stack slots
 * written, and for packet types data/data_end in r8/r9 with a few bytes
 * proven.
 */
static u32
prologue(struct bpf_insn *p, const struct ext_prog_type *t)
{
	u32 n = 0;

	p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_MOV | BPF_X, BPF_REGS(6, 1), 0, 0 };
	p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_MOV | BPF_X, BPF_REGS(7, 10), 0, 0 };
	p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_ADD | BPF_K, 7, 0, -(i32)(8 * (1 + rnd() % 8)) };
	for (int r = 0; r <= 5; r++)
		if (r != 1)
			p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_MOV | BPF_K, (u8)r, 0, rnd_imm() };
	for (int k = 1; k <= 8; k++)
		p[n++] = (struct bpf_insn){ BPF_ST | BPF_MEM | BPF_DW, 10, (int16_t)(-8 * k), rnd_imm() };
	if (t->event == EXT_EV_PACKET) {
		p[n++] = (struct bpf_insn){ BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(8, 1), 0, 0 };
		p[n++] = (struct bpf_insn){ BPF_LDX | BPF_MEM | BPF_DW, BPF_REGS(9, 1), 8, 0 };
		p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_MOV | BPF_X, BPF_REGS(4, 8), 0, 0 };
		p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_ADD | BPF_K, 4, 0, (i32)(rnd() % 40) };
		p[n++] = (struct bpf_insn){ BPF_JMP | BPF_JLE | BPF_X, BPF_REGS(4, 9), 2, 0 };
		p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0 };
		p[n++] = (struct bpf_insn){ BPF_JMP | BPF_EXIT, 0, 0, 0 };
	} else {
		p[n++] = (struct bpf_insn){ BPF_ALU64 | BPF_MOV | BPF_K, 8, 0, rnd_imm() };
		p[n++] = (struct bpf_insn){ BPF_LDX | BPF_MEM | BPF_W, BPF_REGS(9, 1), 0, 0 };
	}
	return n;
}

static u32
rnd_prog(struct bpf_insn *p, const struct ext_prog_type *t)
{
	u32 i = rnd() % 4 ? prologue(p, t) : 0, n = i + 2 + rnd() % 24;

	while (i < n - 1)
		i += rnd_insn(p, i, n - 1);
	if (rnd() % 2)  /* a result in range, most of the time */
		p[n - 2] = (struct bpf_insn){ BPF_ALU64 | BPF_AND | BPF_K, 0, 0, 1 };
	p[n - 1] = (struct bpf_insn){ BPF_JMP | BPF_EXIT, 0, 0, 0 };
	return n;
}

/* A UDP packet to port 5353 (so filters get past their checks), or noise. */
static void
rnd_packet(u8 *pkt, u32 *len)
{
	static const u8 udp[] = {
		0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
		0x45, 0, 0, 40, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
		0x14, 0xe9, 0x14, 0xe9, 0, 12, 0, 0, 'h', 'i', '!', '\n',
	};

	*len = rnd() % 64;
	for (u32 i = 0; i < *len; i++)
		pkt[i] = (u8)rnd();
	if (rnd() % 2) {
		*len = sizeof(udp) - rnd() % 12;
		memcpy(pkt, udp, *len);
	}
}

/* The compiler's facts hold on the runs: dead code never ran, a divisor
 * proven nonzero never was 0. */
static void
check_facts(const u8 *ran, const u8 *facts, u32 n, int *bad)
{
	for (u32 i = 0; i < n; i++) {
		if ((ran[i] & ORACLE_RAN) && !(facts[i] & EXT_FACT_WALKED) && (*bad)++ < 5)
			cr_log_error("instruction %u ran but was not walked", i);
		if ((ran[i] & ORACLE_DIV0) && (facts[i] & EXT_FACT_NONZERO) && (*bad)++ < 5)
			cr_log_error("instruction %u divided by 0 but was proven nonzero", i);
	}
}

static void
check_accepted(const struct bpf_insn *p, u32 n, const struct ext_prog_type *t,
	       const u8 *facts, int *bad)
{
	static u64 ctx[16];
	static u8 pkt[128], storemem[EXT_STORE_SIZE], ran[128];

	for (int run = 0; run < 8; run++) {
		struct oracle_env env = { ctx, pkt, 0, storemem, rnd() % 4 != 0, rnd(), ran };
		const char *why;
		u64 result;

		for (int i = 0; i < 16; i++)
			ctx[i] = rnd() % 3 ? rnd() % 300 : (u64)rnd() << 32 | rnd();
		for (int i = 0; i < EXT_STORE_SIZE; i++)
			storemem[i] = (u8)rnd();
		if (t->event == EXT_EV_PACKET) {
			struct ext_packet_ctx *c = (void *)ctx;

			rnd_packet(pkt, &env.pkt_len);
			c->data = (u64)(uintptr_t)pkt;
			c->data_end = (u64)(uintptr_t)pkt + env.pkt_len;
			c->len = env.pkt_len;
		}
		memset(ran, 0, sizeof(ran));
		why = oracle_run(p, n, t, &env, &result);
		check_facts(ran, facts, n, bad);
		if (why && (*bad)++ < 5) {
			cr_log_error("accepted %s program of %u instructions: %s", t->section, n, why);
			for (u32 i = 0; i < n; i++)
				cr_log_error("  %2u: %02x %02x %d %d", i, p[i].code, p[i].regs,
					     p[i].off, p[i].imm);
		}
		if (why)
			return;
	}
}

static const char *const sections[] = {
	"event/syscall", "event/packet", "event/pagefault", "guard/packet", "event/irq",
	"event/timer", "event/thread", "guard/syscall",
};

Test(verify_fuzz, accepted_random_programs_run_safely, .timeout = 120)
{
	static struct ext_obj objs[4];
	static const char *files[] = { "pkt_filter.o", "pf_appel.o", "syscall_add.o",
				       "pkt_tcp_syn.o" };
	static struct bpf_insn p[96];
	static u8 facts[96];
	void *work = malloc(verify_work_size());
	int bad = 0, badrule = 0, nobj = 4;
	long accepted = 0, mutated_ok = 0;

	for (int k = 0; k < nobj; k++) {
		char path[512], err[512];

		snprintf(path, sizeof(path), "%s/ext/%s", EXO_BUILD_DIR, files[k]);
		cr_assert_eq(ext_obj_read(path, &objs[k], err, sizeof(err)), 0, "%s", err);
	}
	for (int it = 0; it < 200000; it++) {
		const struct ext_prog_type *t;
		struct ext_verify_error e;
		bool mutant = rnd() % 2;
		u32 n;

		if (mutant) {
			const struct ext_obj *ob = &objs[rnd() % nobj];
			const struct ext_obj_prog *op = &ob->progs[rnd() % ob->nprogs];

			n = op->n;
			memcpy(p, op->insns, n * sizeof(p[0]));
			t = verify_type_by_section(op->section);
			for (u32 f = 1 + rnd() % 3; f; f--)
				((u8 *)&p[rnd() % n])[rnd() % 8] ^= (u8)(1u << (rnd() % 8));
		} else {
			t = verify_type_by_section(sections[rnd() % 8]);
			n = rnd_prog(p, t);
		}
		if (verify_program(p, n, t, ~0ull, EXT_HOST_STEPS, work, &e) < 0) {
			if (e.rule <= EXT_OK || e.rule >= EXT_RULE_COUNT || e.insn >= n)
				badrule++;
			continue;
		}
		accepted++;
		mutated_ok += mutant;
		verify_facts(work, n, facts);
		check_accepted(p, n, t, facts, &bad);
	}
	cr_log_info("%ld of 200000 accepted (%ld mutants)", accepted, mutated_ok);
	cr_expect_eq(badrule, 0, "%d rejections without a rule or instruction", badrule);
	cr_expect_eq(bad, 0, "%d accepted programs did something unsafe", bad);
	cr_expect_gt(accepted, 1000, "the generator should reach accepted programs");
	for (int k = 0; k < nobj; k++)
		ext_obj_free(&objs[k]);
	free(work);
}
