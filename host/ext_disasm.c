/* See ext_disasm.h. */
#include "ext_disasm.h"

#include <stdio.h>

static const char *const alu_names[16] = {
	"add", "sub", "mul", "div", "or", "and", "lsh", "rsh",
	"neg", "mod", "xor", "mov", "arsh", "end", NULL, NULL,
};
static const char *const jmp_names[16] = {
	"ja", "jeq", "jgt", "jge", "jset", "jne", "jsgt", "jsge",
	"call", "exit", "jlt", "jle", "jslt", "jsle", NULL, NULL,
};
static const char *const size_names[4] = { "w", "h", "b", "dw" };

static void
disasm_alu(const struct bpf_insn *in, char *buf, size_t len)
{
	bool w = BPF_CLASS(in->code) == BPF_ALU64, x = BPF_SRC_BIT(in->code) == BPF_X;
	int op = BPF_OP(in->code) >> 4;
	const char *name = alu_names[op], *sfx = w ? "" : "32";
	char mn[16];

	if (!name) {
		snprintf(buf, len, "(unknown alu opcode %#04x)", in->code);
		return;
	}
	if (BPF_OP(in->code) == BPF_END) {
		snprintf(buf, len, "%s%d r%d", w ? "bswap" : x ? "be" : "le", in->imm, BPF_DST(in));
		return;
	}
	if ((BPF_OP(in->code) == BPF_DIV || BPF_OP(in->code) == BPF_MOD) && in->off == 1)
		snprintf(mn, sizeof(mn), "s%s%s", name, sfx);
	else if (BPF_OP(in->code) == BPF_MOV && in->off)
		snprintf(mn, sizeof(mn), "movsx%s", sfx);
	else
		snprintf(mn, sizeof(mn), "%s%s", name, sfx);
	if (BPF_OP(in->code) == BPF_NEG)
		snprintf(buf, len, "%s r%d", mn, BPF_DST(in));
	else if (BPF_OP(in->code) == BPF_MOV && in->off)
		snprintf(buf, len, "%s r%d, r%d (s%d)", mn, BPF_DST(in), BPF_SRC(in), in->off);
	else if (x)
		snprintf(buf, len, "%s r%d, r%d", mn, BPF_DST(in), BPF_SRC(in));
	else
		snprintf(buf, len, "%s r%d, %d", mn, BPF_DST(in), in->imm);
}

static void
disasm_jmp(const struct bpf_insn *in, u32 i, char *buf, size_t len)
{
	bool w = BPF_CLASS(in->code) == BPF_JMP;
	int op = BPF_OP(in->code);
	const char *name = jmp_names[op >> 4], *sfx = w ? "" : "32";
	i64 off = !w && op == BPF_JA ? in->imm : in->off;

	if (!name) {
		snprintf(buf, len, "(unknown jump opcode %#04x)", in->code);
	} else if (op == BPF_EXIT) {
		snprintf(buf, len, "exit");
	} else if (op == BPF_CALL) {
		snprintf(buf, len, "call %s%d", BPF_SRC(in) == BPF_PSEUDO_CALL ? "local " : "",
			 in->imm);
	} else if (op == BPF_JA) {
		snprintf(buf, len, "ja%s %+lld <%lld>", w ? "" : "l", (long long)off,
			 (long long)(i + 1 + off));
	} else if (BPF_SRC_BIT(in->code) == BPF_X) {
		snprintf(buf, len, "%s%s r%d, r%d, %+lld <%lld>", name, sfx, BPF_DST(in),
			 BPF_SRC(in), (long long)off, (long long)(i + 1 + off));
	} else {
		snprintf(buf, len, "%s%s r%d, %d, %+lld <%lld>", name, sfx, BPF_DST(in), in->imm,
			 (long long)off, (long long)(i + 1 + off));
	}
}

static void
disasm_atomic(const struct bpf_insn *in, const char *sz, char *buf, size_t len)
{
	const char *name;

	switch (in->imm) {
	case BPF_ADD: name = "add"; break;
	case BPF_OR: name = "or"; break;
	case BPF_AND: name = "and"; break;
	case BPF_XOR: name = "xor"; break;
	case BPF_ADD | 1: name = "fetch_add"; break;
	case BPF_OR | 1: name = "fetch_or"; break;
	case BPF_AND | 1: name = "fetch_and"; break;
	case BPF_XOR | 1: name = "fetch_xor"; break;
	case 0xe1: name = "xchg"; break;
	case 0xf1: name = "cmpxchg"; break;
	default: name = "(unknown atomic)"; break;
	}
	snprintf(buf, len, "lock %s%s [r%d%+d], r%d", name, sz, BPF_DST(in), in->off, BPF_SRC(in));
}

u32
ext_disasm(const struct bpf_insn *prog, u32 n, u32 i, char *buf, size_t len)
{
	const struct bpf_insn *in = &prog[i];
	const char *sz = size_names[BPF_SIZE(in->code) >> 3];

	switch (BPF_CLASS(in->code)) {
	case BPF_ALU: case BPF_ALU64:
		disasm_alu(in, buf, len);
		return 1;
	case BPF_JMP: case BPF_JMP32:
		disasm_jmp(in, i, buf, len);
		return 1;
	case BPF_LD:
		if (in->code == (BPF_LD | BPF_IMM | BPF_DW) && i + 1 < n) {
			snprintf(buf, len, "lddw r%d, %#llx%s", BPF_DST(in),
				 (unsigned long long)((u32)in->imm | (u64)(u32)in[1].imm << 32),
				 BPF_SRC(in) ? " (a map or BTF reference)" : "");
			return 2;
		}
		break;
	case BPF_LDX:
		if (BPF_MODE(in->code) == BPF_MEM || BPF_MODE(in->code) == BPF_MEMSX) {
			snprintf(buf, len, "ldx%s%s r%d, [r%d%+d]",
				 BPF_MODE(in->code) == BPF_MEMSX ? "s" : "", sz, BPF_DST(in),
				 BPF_SRC(in), in->off);
			return 1;
		}
		break;
	case BPF_ST:
		if (BPF_MODE(in->code) == BPF_MEM) {
			snprintf(buf, len, "st%s [r%d%+d], %d", sz, BPF_DST(in), in->off, in->imm);
			return 1;
		}
		break;
	case BPF_STX:
		if (BPF_MODE(in->code) == BPF_MEM) {
			snprintf(buf, len, "stx%s [r%d%+d], r%d", sz, BPF_DST(in), in->off,
				 BPF_SRC(in));
			return 1;
		}
		if (BPF_MODE(in->code) == BPF_ATOMIC) {
			disasm_atomic(in, sz, buf, len);
			return 1;
		}
		break;
	}
	snprintf(buf, len, "(unknown opcode %#04x)", in->code);
	return 1;
}
