/* The register table: see gdbregs.h. */
#include "gdbregs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gdbproto.h"

enum feature { CORE, SSE, SEGMENTS, SYS, NFEATURES };

struct reg {
	const char *name;
	uint16_t bits;          /* in gdb's layout */
	uint8_t feature;
	const char *type;
	int16_t off;            /* in struct gdb_cpu, -1: unavailable */
	uint8_t src;            /* bytes KVM keeps (a selector: 2) */
	bool writable;
};

#define R(f)  offsetof(struct gdb_cpu, r.f)
#define S(f)  offsetof(struct gdb_cpu, s.f)
#define GPR(n, t, f) { n, 64, CORE, t, R(f), 8, true }
#define SEG(n, f)    { n, 32, CORE, "int32", S(f.selector), 2, false }
#define X87(n, b, t) { n, b, CORE, t, -1, 0, false }
#define XMM(n)       { n, 128, SSE, "vec128", -1, 0, false }
#define SYSREG(n, t, o) { n, 64, SYS, t, o, 8, false }

static const struct reg regs[GDB_NREGS] = {
	GPR("rax", "int64", rax), GPR("rbx", "int64", rbx), GPR("rcx", "int64", rcx),
	GPR("rdx", "int64", rdx), GPR("rsi", "int64", rsi), GPR("rdi", "int64", rdi),
	GPR("rbp", "data_ptr", rbp), GPR("rsp", "data_ptr", rsp),
	GPR("r8", "int64", r8), GPR("r9", "int64", r9), GPR("r10", "int64", r10),
	GPR("r11", "int64", r11), GPR("r12", "int64", r12), GPR("r13", "int64", r13),
	GPR("r14", "int64", r14), GPR("r15", "int64", r15),
	GPR("rip", "code_ptr", rip),
	{ "eflags", 32, CORE, "i386_eflags", R(rflags), 4, true },
	SEG("cs", cs), SEG("ss", ss), SEG("ds", ds), SEG("es", es), SEG("fs", fs),
	SEG("gs", gs),
	X87("st0", 80, "i387_ext"), X87("st1", 80, "i387_ext"), X87("st2", 80, "i387_ext"),
	X87("st3", 80, "i387_ext"), X87("st4", 80, "i387_ext"), X87("st5", 80, "i387_ext"),
	X87("st6", 80, "i387_ext"), X87("st7", 80, "i387_ext"),
	X87("fctrl", 32, "int"), X87("fstat", 32, "int"), X87("ftag", 32, "int"),
	X87("fiseg", 32, "int"), X87("fioff", 32, "int"), X87("foseg", 32, "int"),
	X87("fooff", 32, "int"), X87("fop", 32, "int"),
	XMM("xmm0"), XMM("xmm1"), XMM("xmm2"), XMM("xmm3"), XMM("xmm4"), XMM("xmm5"),
	XMM("xmm6"), XMM("xmm7"), XMM("xmm8"), XMM("xmm9"), XMM("xmm10"), XMM("xmm11"),
	XMM("xmm12"), XMM("xmm13"), XMM("xmm14"), XMM("xmm15"),
	{ "mxcsr", 32, SSE, "int", -1, 0, false },
	{ "fs_base", 64, SEGMENTS, "int64", S(fs.base), 8, false },
	{ "gs_base", 64, SEGMENTS, "int64", S(gs.base), 8, false },
	SYSREG("k_gs_base", "int64", offsetof(struct gdb_cpu, kernel_gs_base)),
	SYSREG("cr0", "int64", S(cr0)), SYSREG("cr2", "int64", S(cr2)),
	SYSREG("cr3", "int64", S(cr3)), SYSREG("cr4", "int64", S(cr4)),
	SYSREG("cr8", "int64", S(cr8)), SYSREG("efer", "int64", S(efer)),
};

static const char *const feature_names[NFEATURES] = {
	"org.gnu.gdb.i386.core", "org.gnu.gdb.i386.sse",
	"org.gnu.gdb.i386.segments", "org.exo.sys",
};

/* Types a feature defines before its registers use them. */
static const char *const feature_types[NFEATURES] = {
	[CORE] = "<flags id=\"i386_eflags\" size=\"4\">"
		 "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"PF\" start=\"2\" end=\"2\"/>"
		 "<field name=\"AF\" start=\"4\" end=\"4\"/><field name=\"ZF\" start=\"6\" end=\"6\"/>"
		 "<field name=\"SF\" start=\"7\" end=\"7\"/><field name=\"TF\" start=\"8\" end=\"8\"/>"
		 "<field name=\"IF\" start=\"9\" end=\"9\"/><field name=\"DF\" start=\"10\" end=\"10\"/>"
		 "<field name=\"OF\" start=\"11\" end=\"11\"/><field name=\"NT\" start=\"14\" end=\"14\"/>"
		 "<field name=\"RF\" start=\"16\" end=\"16\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
		 "</flags>",
	[SSE] = "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>"
		"<union id=\"vec128\"><field name=\"v2_int64\" type=\"v2i64\"/>"
		"<field name=\"uint128\" type=\"uint128\"/></union>",
};

static char xml[8192];

const char *
gdbregs_xml(void)
{
	size_t n = 0;

	if (xml[0])
		return xml;
#define PUT(...) (n += (size_t)snprintf(xml + n, sizeof(xml) - n, __VA_ARGS__))
	PUT("<?xml version=\"1.0\"?><!DOCTYPE target SYSTEM \"gdb-target.dtd\">"
	    "<target version=\"1.0\"><architecture>i386:x86-64</architecture>");
	for (unsigned f = 0; f < NFEATURES; f++) {
		PUT("<feature name=\"%s\">%s", feature_names[f],
		    feature_types[f] ? feature_types[f] : "");
		for (unsigned i = 0; i < GDB_NREGS; i++)
			if (regs[i].feature == f)
				PUT("<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"%s/>",
				    regs[i].name, regs[i].bits, regs[i].type, i,
				    f == SSE || (f == CORE && i >= 24) ? " group=\"float\"" :
				    f == SYS ? " group=\"system\"" : "");
		PUT("</feature>");
	}
	PUT("</target>");
#undef PUT
	return n < sizeof(xml) ? xml : "";
}

size_t
gdbregs_size(unsigned n)
{
	return n < GDB_NREGS ? regs[n].bits / 8 : 0;
}

/* Register n's value in gdb's byte order (little-endian), zero-extended. */
static void
reg_bytes(const struct gdb_cpu *c, unsigned n, uint8_t *out)
{
	memset(out, 0, regs[n].bits / 8);
	memcpy(out, (const uint8_t *)c + regs[n].off, regs[n].src);
}

void
gdbregs_put(struct gdb_tx *tx, const struct gdb_cpu *c, unsigned n)
{
	uint8_t b[16];
	size_t size = regs[n].bits / 8;

	if (regs[n].off < 0) {
		for (size_t i = 0; i < 2 * size; i++)
			gdb_tx_str(tx, "x");
		return;
	}
	reg_bytes(c, n, b);
	gdb_tx_hex(tx, b, size);
}

void
gdbregs_put_all(struct gdb_tx *tx, const struct gdb_cpu *c)
{
	for (unsigned i = 0; i < GDB_NREGS; i++)
		gdbregs_put(tx, c, i);
}

int
gdbregs_set(struct gdb_cpu *c, unsigned n, const char *hex)
{
	uint8_t b[16];
	size_t size;

	if (n >= GDB_NREGS)
		return -EINVAL;
	size = regs[n].bits / 8;
	if (strlen(hex) != 2 * size || !gdb_hex_decode(hex, b, size))
		return -EINVAL;
	if (!regs[n].writable)
		return -EPERM;
	/* eflags is 32 bits in gdb's layout: the upper half of rflags is 0. */
	memset((uint8_t *)c + regs[n].off, 0, regs[n].src);
	memcpy((uint8_t *)c + regs[n].off, b, size < regs[n].src ? size : regs[n].src);
	return 0;
}

/* G: one register's digits at hex; 0 if it may take them. */
static int
set_one(struct gdb_cpu *c, unsigned n, const char *hex)
{
	uint8_t now[16], want[16];
	size_t size = regs[n].bits / 8;
	char digits[33];

	if (hex[0] == 'x' || regs[n].off < 0)
		return 0;                       /* unavailable stays so */
	if (regs[n].writable) {
		memcpy(digits, hex, 2 * size);
		digits[2 * size] = '\0';
		return gdbregs_set(c, n, digits);
	}
	if (!gdb_hex_decode(hex, want, size))
		return -EINVAL;
	reg_bytes(c, n, now);
	return memcmp(now, want, size) ? -EPERM : 0;
}

int
gdbregs_set_all(struct gdb_cpu *c, const char *hex, size_t len)
{
	struct gdb_cpu next = *c;
	size_t at = 0;
	int r;

	for (unsigned i = 0; i < GDB_NREGS && at < len; i++) {
		size_t digits = regs[i].bits / 4;

		if (at + digits > len)
			return -EINVAL;
		r = set_one(&next, i, hex + at);
		if (r < 0)
			return r;
		at += digits;
	}
	if (at != len)
		return -EINVAL;
	*c = next;
	return 0;
}
