/* `exo ext dump` and `exo ext run`: see ext_cmd.h. */
#include "ext_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../guest/ebpf/interp.h"
#include "cli.h"
#include "ext_disasm.h"

#define CTX_MAX (64u << 10)     /* largest --ctx file */
#define CTX_MIN 4096u           /* shorter ones are padded with zeros to this */

/*
 * Helpers on the host: none yet. The domain's host implementations (the
 * helper ids of include/exo/ext.h, on branch ebpf) go in this table at
 * merge; `run` refuses a program that calls one that is not here.
 */
static const struct ebpf_helpers host_helpers = { NULL, 0 };

/*
 * The checker must accept a program before `run` executes it, as in the
 * kernel. It is not on this branch: at merge, define EXO_EXT_CHECKER and
 * call it on the marked line.
 */
static int
ext_check(const struct ext_obj *o, char *err, size_t len)
{
#ifdef EXO_EXT_CHECKER
	return ext_verify_obj(o, err, len);     /* <- the checker, wired at merge */
#else
	(void)o;
	snprintf(err, len, "checker not built into this exo: refusing to run code "
		 "no checker has accepted ('exo ext dump' shows the compiled code)");
	return -ENOSYS;
#endif
}

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
ext_dump(FILE *f, const struct ext_obj *o, const struct ext_code *c)
{
	const u8 *code = c->mem;
	char text[96];

	fprintf(f, "%s, section %s: %u eBPF instructions -> %u x86-64 instructions, "
		"%u bytes (%.2f per eBPF instruction)\n", o->path, o->section, o->n,
		c->jit.ninsn, c->jit.len, o->n ? (double)c->jit.ninsn / o->n : 0.0);
	fprintf(f, "%-36s %3u  ", "prologue", c->jit.prologue_ninsn);
	print_bytes(f, code, c->offset[0]);
	fprintf(f, "\n");
	for (u32 i = 0; i < o->n;) {
		u32 slots = ext_disasm(o->insn, o->n, i, text, sizeof(text));
		u32 end = c->offset[i + slots];

		fprintf(f, "%4u: %-30s %3u  ", i, text, c->count[i]);
		print_bytes(f, code + c->offset[i], end - c->offset[i]);
		fprintf(f, "\n");
		i += slots;
	}
}

/* The first call to a helper the table lacks, or -1. */
static i64
missing_helper(const struct ext_obj *o, const struct ebpf_helpers *h, i32 *id)
{
	for (u32 i = 0; i < o->n; i++)
		if (o->insn[i].code == (BPF_JMP | BPF_CALL) && !BPF_SRC(&o->insn[i]) &&
		    !ebpf_helper(h, o->insn[i].imm)) {
			*id = o->insn[i].imm;
			return i;
		}
	return -1;
}

static int
dump_obj(const struct ext_obj *o)
{
	ebpf_helper_fn *fn[256];
	struct ebpf_helpers h = { fn, 256 };
	struct ext_code c;
	char err[256];
	int r;

	for (u32 k = 0; k < 256; k++)
		fn[k] = ebpf_helper(&host_helpers, (i32)k) ? host_helpers.fn[k] : helper_not_on_host;
	r = ext_code_compile(&c, o->insn, o->n, &h, NULL, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "exo ext dump: %s, section %s: %s\n", o->path, o->section, err);
		return r;
	}
	ext_dump(stdout, o, &c);
	ext_code_free(&c);
	return 0;
}

/* CPU time of this thread: a busy host deschedules us, which is not the code's cost. */
static double
cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/*
 * Time repeat runs of each on a scratch copy of the context, side by side:
 * five rounds of both, the fastest round of each counted (the others met
 * interrupts and cache misses the code does not cause).
 */
static void
run_timed(FILE *f, const struct ext_code *c, struct ebpf_interp *in,
	  const u8 *ctx, size_t len, unsigned repeat)
{
	u8 *scratch = calloc(1, len > CTX_MIN ? len : CTX_MIN);
	double best_i = 1e300, best_c = 1e300;
	u64 r0;

	if (!scratch)
		return;
	memcpy(scratch, ctx, len);
	for (int round = 0; round < 5; round++) {
		double t0 = cpu_ns(), t1, t2;

		for (unsigned k = 0; k < repeat; k++)
			ebpf_interp(in, (u64)(uintptr_t)scratch, &r0);
		t1 = cpu_ns();
		for (unsigned k = 0; k < repeat; k++)
			ext_code_call(c, (u64)(uintptr_t)scratch);
		t2 = cpu_ns();
		best_i = t1 - t0 < best_i ? t1 - t0 : best_i;
		best_c = t2 - t1 < best_c ? t2 - t1 : best_c;
	}
	fprintf(f, "CPU time per run (best of 5 rounds of %u): interpreted %.1f ns, "
		"compiled %.1f ns (interpreter/compiled %.1f)\n", repeat, best_i / repeat,
		best_c / repeat, best_i / (best_c > 0 ? best_c : 1));
	free(scratch);
}

static void
print_changes(FILE *f, const u8 *before, const u8 *after, size_t len)
{
	if (!memcmp(before, after, len))
		return;
	fprintf(f, "context after (changed bytes marked *):\n");
	for (size_t k = 0; k < len; k += 16) {
		fprintf(f, "  %04zx:", k);
		for (size_t m = k; m < k + 16 && m < len; m++)
			fprintf(f, " %02x%c", after[m], after[m] != before[m] ? '*' : ' ');
		fprintf(f, "\n");
	}
}

int
ext_run_checked(FILE *f, const struct ext_obj *o, const u8 *ctx, size_t len,
		unsigned repeat, u64 *r0)
{
	struct ebpf_interp in = { .prog = o->insn, .n = o->n, .helpers = &host_helpers };
	/* Until the checker bounds accesses by the event's context size, a
	 * short file must not let the program read past the buffer. */
	size_t size = len > CTX_MIN ? len : CTX_MIN;
	u8 *a = calloc(1, size), *b = calloc(1, size);
	struct ext_code c = { 0 };
	char err[256];
	u64 ri = 0;
	i32 id;
	i64 at;
	int r;

	if (!a || !b) {
		r = -ENOMEM;
		fprintf(stderr, "exo ext run: out of memory for a %zu-byte context\n", len);
		goto out;
	}
	memcpy(a, ctx, len);
	memcpy(b, ctx, len);
	if ((at = missing_helper(o, &host_helpers, &id)) >= 0) {
		fprintf(stderr, "exo ext run: %s, section %s, instruction %lld: helper %d is "
			"not provided on the host\n", o->path, o->section, (long long)at, id);
		r = -ENOSYS;
		goto out;
	}
	r = ext_code_compile(&c, o->insn, o->n, &host_helpers, NULL, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "exo ext run: %s, section %s: %s\n", o->path, o->section, err);
		goto out;
	}
	*r0 = ext_code_call(&c, (u64)(uintptr_t)a);
	r = ebpf_interp(&in, (u64)(uintptr_t)b, &ri);
	if (r < 0 || ri != *r0 || memcmp(a, b, size)) {
		fprintf(stderr, "exo ext run: %s, section %s: the interpreter %s (r0 %#llx "
			"against compiled %#llx): a compiler bug, please report it\n", o->path,
			o->section, r < 0 ? "failed" : "disagrees", (unsigned long long)ri,
			(unsigned long long)*r0);
		r = -EPROTO;
		goto out;
	}
	fprintf(f, "r0 = %#llx (%llu)\n", (unsigned long long)*r0, (unsigned long long)*r0);
	print_changes(f, ctx, a, len);
	if (repeat)
		run_timed(f, &c, &in, ctx, len, repeat);
out:
	ext_code_free(&c);
	free(a);
	free(b);
	return r;
}

/* The bytes of the context file, at most CTX_MAX. */
static int
read_ctx(const char *path, u8 **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	int r = 0;

	*buf = malloc(CTX_MAX + 1);
	if (!f || !*buf) {
		r = f ? -ENOMEM : -errno;
		fprintf(stderr, "exo ext run: --ctx %s: %s\n", path, strerror(-r));
		goto out;
	}
	*len = fread(*buf, 1, CTX_MAX + 1, f);
	if (ferror(f) || *len > CTX_MAX) {
		r = ferror(f) ? -EIO : -EFBIG;
		fprintf(stderr, "exo ext run: --ctx %s: %s\n", path,
			r == -EIO ? "read error" : "larger than 64 KiB");
	}
out:
	if (f)
		fclose(f);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

static void
ext_usage(FILE *f)
{
	fprintf(f,
"usage: exo ext dump FILE.o [--section S]\n"
"       exo ext run FILE.o [--section S] --ctx FILE [--repeat N]\n"
"\n"
"Extensions are C compiled with clang -target bpf -O2 -c, one section per\n"
"entry point. 'dump' prints each eBPF instruction, the number of x86-64\n"
"instructions the compiler makes of it and their bytes. 'run' checks the\n"
"program, runs the compiled code on the host with r1 pointing to a copy of\n"
"the context, and prints r0 and the bytes the program changed; the\n"
"interpreter runs too and must agree.\n"
"\n"
"  --section S   the section to read (default: the only one with code)\n"
"  --ctx FILE    the context's bytes (at most 64 KiB; padded with zeros to\n"
"                4096 bytes)\n"
"  --repeat N    also time N runs of each, interpreted and compiled\n");
}

enum { OPT_SECTION = OPT_CMD, OPT_CTX, OPT_REPEAT };

static const struct option ext_options[] = {
	{ "section", required_argument, 0, OPT_SECTION },
	{ "ctx", required_argument, 0, OPT_CTX },
	{ "repeat", required_argument, 0, OPT_REPEAT },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

struct ext_args {
	const char *file, *section, *ctx;
	unsigned repeat;
};

static int
ext_parse(int argc, char **argv, struct ext_args *a)
{
	int opt;
	char *end;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", ext_options, NULL)) != -1) {
		switch (opt) {
		case 'h': ext_usage(stdout); return 1;
		case OPT_SECTION: a->section = optarg; break;
		case OPT_CTX: a->ctx = optarg; break;
		case OPT_REPEAT:
			a->repeat = (unsigned)strtoul(optarg, &end, 10);
			if (*end || !*optarg || a->repeat > 100000000) {
				fprintf(stderr, "exo ext: --repeat '%s' is not a count up to "
					"100000000\n", optarg);
				return -EINVAL;
			}
			break;
		default: ext_usage(stderr); return -EINVAL;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "exo ext %s: name one object file\n", argv[0]);
		ext_usage(stderr);
		return -EINVAL;
	}
	a->file = argv[optind];
	return 0;
}

static int
cmd_dump(int argc, char **argv)
{
	struct ext_args a = { 0 };
	struct ext_obj o;
	char err[512];
	int r = ext_parse(argc, argv, &a);

	if (r)
		return r < 0 ? EXIT_HOST : 0;
	if (ext_obj_read(a.file, a.section, &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "exo ext dump: %s\n", err);
		return EXIT_HOST;
	}
	r = dump_obj(&o);
	ext_obj_free(&o);
	return r < 0 ? EXIT_HOST : 0;
}

static int
cmd_run(int argc, char **argv)
{
	struct ext_args a = { 0 };
	struct ext_obj o = { 0 };
	char err[512];
	u8 *ctx = NULL;
	size_t len = 0;
	u64 r0;
	int r = ext_parse(argc, argv, &a);

	if (r)
		return r < 0 ? EXIT_HOST : 0;
	if (!a.ctx) {
		fprintf(stderr, "exo ext run: give the context bytes with --ctx FILE\n");
		return EXIT_HOST;
	}
	r = ext_obj_read(a.file, a.section, &o, err, sizeof(err));
	if (r == 0 && (r = ext_check(&o, err, sizeof(err))) < 0)
		fprintf(stderr, "exo ext run: %s, section %s: %s\n", o.path, o.section, err);
	else if (r < 0)
		fprintf(stderr, "exo ext run: %s\n", err);
	if (r == 0 && (r = read_ctx(a.ctx, &ctx, &len)) == 0)
		r = ext_run_checked(stdout, &o, ctx, len, a.repeat, &r0);
	free(ctx);
	ext_obj_free(&o);
	return r < 0 ? EXIT_HOST : 0;
}

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
} ext_commands[] = {
	{ "dump", cmd_dump },
	{ "run", cmd_run },
};

int
ext_cmd(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		ext_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_HOST : 0;
	}
	for (size_t i = 0; i < sizeof(ext_commands) / sizeof(ext_commands[0]); i++)
		if (!strcmp(argv[1], ext_commands[i].name))
			return ext_commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "exo ext: unknown command '%s'\n\n", argv[1]);
	ext_usage(stderr);
	return EXIT_HOST;
}
