/*
 * `exo ext` on objects clang really made (tests/unit/data/, compiled by
 * tests/CMakeLists.txt): the section reader, the dump, and running the
 * compiled code against the same C compiled for the host.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host/ext_cmd.h"
#include "host/ext_obj.h"

/* The same source, compiled for the host: the reference results. */
#define SEC(name) static __attribute__((unused))
#include "data/ext_sample.c"
#undef SEC

#ifdef EXT_SAMPLE_DIR

static const char *const cpus[] = { "v1", "v3" };

static void
read_sample(const char *cpu, const char *section, struct ext_obj *o)
{
	char path[512], err[512];

	snprintf(path, sizeof(path), "%s/ext_sample_%s.o", EXT_SAMPLE_DIR, cpu);
	cr_assert_eq(ext_obj_read(path, section, o, err, sizeof(err)), 0, "%s", err);
}

static struct sample_ctx
make_ctx(u64 seed)
{
	struct sample_ctx c;
	u8 *p = (u8 *)&c;

	for (size_t k = 0; k < sizeof(c); k++) {
		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		p[k] = (u8)(seed >> 56);
	}
	return c;
}

Test(ext_obj, runs_as_the_host_compiled_c)
{
	for (u32 v = 0; v < 2; v++) {
		struct ext_obj o;
		FILE *out = fopen("/dev/null", "w");

		read_sample(cpus[v], "event/sample", &o);
		for (u64 s = 1; s <= 200; s++) {
			struct sample_ctx ctx = make_ctx(s), want = ctx;
			u64 r0 = 0, expect;  /* u64 of <exo/types.h> */

			if (s % 5 == 0)
				ctx.error = want.error = (u32)s % 8;
			if (s % 7 == 0)
				ctx.addr = want.addr = s << 12;
			if (!want.divisor)
				ctx.divisor = want.divisor = 3;         /* C would divide by 0 */
			expect = sample(&want);
			cr_assert_eq(ext_run_checked(out, &o, (const u8 *)&ctx, sizeof(ctx), 0,
						     &r0), 0);
			cr_assert_eq(r0, expect, "%s seed %llu: %#llx, C says %#llx", cpus[v],
				     (unsigned long long)s, (unsigned long long)r0,
				     (unsigned long long)expect);
		}
		ext_obj_free(&o);
		read_sample(cpus[v], "event/classify", &o);
		for (u64 s = 1; s <= 200; s++) {
			struct sample_ctx ctx = make_ctx(s), want;
			u64 r0 = 0;

			if (s % 3 == 0)
				ctx.addr &= 0xfff;
			if (s % 4 == 0)
				ctx.addr = (ctx.addr & ~0xfffull & ~(1ull << 63)) | 0x1000, ctx.error = 4;
			want = ctx;
			cr_assert_eq(ext_run_checked(out, &o, (const u8 *)&ctx, sizeof(ctx), 0,
						     &r0), 0);
			cr_assert_eq(r0, classify(&want), "%s seed %llu", cpus[v],
				     (unsigned long long)s);
		}
		ext_obj_free(&o);
		fclose(out);
	}
}

Test(ext_obj, dump_has_a_line_per_instruction)
{
	struct ext_obj o;
	struct ext_code c;
	char err[256], *text = NULL, line[512];
	size_t len = 0;
	u32 lines = 0, sum;
	FILE *f;

	read_sample("v3", "event/sample", &o);
	cr_assert_eq(ext_code_compile(&c, o.insn, o.n, NULL, NULL, err, sizeof(err)), 0, "%s", err);
	f = open_memstream(&text, &len);
	ext_dump(f, &o, &c);
	fclose(f);
	f = fmemopen(text, len, "r");
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	/* a heading, the prologue, one line per instruction (no LD64 here) */
	cr_assert_eq(lines, 2 + o.n, "%s", text);
	sum = c.jit.prologue_ninsn;
	for (u32 i = 0; i < o.n; i++)
		sum += c.count[i];
	cr_assert_eq(sum, c.jit.ninsn);
	cr_assert_eq(c.jit.passes, 1, "every jump near: one pass and the displacements patched");
	cr_log_info("ext_sample event/sample: %u eBPF -> %u x86 (%.2f each)", o.n,
		    c.jit.ninsn, (double)c.jit.ninsn / o.n);
	free(text);
	ext_code_free(&c);
	ext_obj_free(&o);
}

Test(ext_obj, refusals_name_the_problem)
{
	struct ext_obj o;
	char path[512], err[512];

	snprintf(path, sizeof(path), "%s/ext_sample_v3.o", EXT_SAMPLE_DIR);
	cr_assert_lt(ext_obj_read(path, NULL, &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "several sections") && strstr(err, "event/classify"), "%s", err);
	cr_assert_lt(ext_obj_read(path, "event/none", &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "no section event/none"), "%s", err);
	cr_assert_lt(ext_obj_read(path, ".strtab", &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "holds no code"), "%s", err);
	snprintf(path, sizeof(path), "%s/ext_reloc.o", EXT_SAMPLE_DIR);
	cr_assert_lt(ext_obj_read(path, NULL, &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "refers to hits"), "%s", err);
	cr_assert_lt(ext_obj_read("/nonexistent.o", NULL, &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "cannot open"), "%s", err);
	cr_assert_lt(ext_obj_read("/proc/self/exe", NULL, &o, err, sizeof(err)), 0);
	cr_assert(strstr(err, "not a little-endian eBPF object"), "%s", err);
}

#else

Test(ext_obj, needs_clang)
{
	cr_skip_test("clang not found: the sample extensions were not built");
}

#endif
