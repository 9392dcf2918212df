/* `exo ext dump`: see ext_dump.h. */
#include "ext_dump.h"

#include <stdlib.h>

#include "ext_disasm.h"
#include "ext_helpers.h"

/* Dump never runs the code: helpers the host lacks get an address that aborts. */
static u64
helper_not_on_host(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	abort();
}

static void
print_bytes(FILE *f, const u8 *p, u32 len)
{
	for (u32 k = 0; k < len; k++)
		fprintf(f, "%s%02x", k ? " " : "", p[k]);
}

void
ext_dump(FILE *f, const char *path, const struct ext_obj_prog *p, const struct ext_code *c)
{
	const u8 *code = c->mem;
	char text[96];

	fprintf(f, "%s, %s %s: %u eBPF instructions -> %u x86-64 instructions, "
		"%u bytes (%.2f per eBPF instruction)\n", path, p->section, p->name, p->n,
		c->jit.ninsn, c->jit.len, p->n ? (double)c->jit.ninsn / p->n : 0.0);
	fprintf(f, "%-36s %3u  ", "prologue", c->jit.prologue_ninsn);
	print_bytes(f, code, c->offset[0]);
	fprintf(f, "\n");
	for (u32 i = 0; i < p->n;) {
		u32 slots = ext_disasm(p->insns, p->n, i, text, sizeof(text));
		u32 end = c->offset[i + slots];

		fprintf(f, "%4u: %-30s %3u  ", i, text, c->count[i]);
		print_bytes(f, code + c->offset[i], end - c->offset[i]);
		fprintf(f, "\n");
		i += slots;
	}
}

int
ext_dump_prog(FILE *f, const char *path, const struct ext_obj_prog *p)
{
	ebpf_helper_fn *fn[256];
	struct ebpf_helpers h = { fn, 256 };
	struct ext_code c;
	char err[256];
	int r;

	for (u32 k = 0; k < 256; k++)
		fn[k] = ebpf_helper(&ext_host_helpers, (i32)k) ?: helper_not_on_host;
	r = ext_code_compile(&c, p->insns, p->n, &h, NULL, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "exo ext dump: %s, %s %s: %s\n", path, p->section, p->name, err);
		return r;
	}
	ext_dump(f, path, p, &c);
	ext_code_free(&c);
	return 0;
}
