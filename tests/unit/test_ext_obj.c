/*
 * Extension objects clang really made: the reader (host/ext_obj.c) and its
 * refusals, the dump, and running the compiled code (host/ext_run.c) against
 * the same C compiled for the host. The sample (tests/unit/data/) is built
 * by tests/CMakeLists.txt, the examples (ext/) by the `extensions` target.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "guest/ebpf/verify.h"
#include "host/ext_dump.h"
#include "host/ext_obj.h"
#include "host/ext_run.h"

/* The same source, compiled for the host: the reference results. */
#define SEC(name) static __attribute__((unused))
#include "data/ext_sample.c"
#undef SEC

static struct ext_obj o;
static char err[512];

static const char *const cpus[] = { "v1", "v3" };

static const struct ext_obj_prog *
read_sample(const char *cpu, const char *section)
{
	char path[512];
	const struct ext_obj_prog *p;

	snprintf(path, sizeof(path), "%s/ext_sample_%s.o", EXT_SAMPLE_DIR, cpu);
	cr_assert_eq(ext_obj_read(path, &o, err, sizeof(err)), 0, "%s", err);
	p = ext_obj_find(&o, section, NULL, err, sizeof(err));
	cr_assert(p, "%s", err);
	return p;
}

static int
read_ext(const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/ext/%s", EXO_BUILD_DIR, file);
	return ext_obj_read(path, &o, err, sizeof(err));
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

/* Run p on ctx (the sample's event is no checker type: tests only). */
static u64
run_sample(const struct ext_obj_prog *p, struct sample_ctx *ctx, FILE *out)
{
	struct ext_run_input in = { .ctx = (const u8 *)ctx, .ctx_size = sizeof(*ctx) };
	u64 r0 = 0;

	cr_assert_eq(ext_run_checked(out, "sample", p, &in, &r0), 0);
	return r0;
}

Test(ext_obj, runs_as_the_host_compiled_c)
{
	FILE *out = fopen("/dev/null", "w");

	for (u32 v = 0; v < 2; v++) {
		const struct ext_obj_prog *p = read_sample(cpus[v], "event/sample");

		for (u64 s = 1; s <= 200; s++) {
			struct sample_ctx ctx = make_ctx(s), want = ctx;
			u64 r0, expect;

			if (s % 5 == 0)
				ctx.error = want.error = (u32)s % 8;
			if (s % 7 == 0)
				ctx.addr = want.addr = s << 12;
			if (!want.divisor)
				ctx.divisor = want.divisor = 3;         /* C would divide by 0 */
			expect = sample(&want);
			r0 = run_sample(p, &ctx, out);
			cr_assert_eq(r0, expect, "%s seed %llu: %#llx, C says %#llx", cpus[v],
				     (unsigned long long)s, (unsigned long long)r0,
				     (unsigned long long)expect);
		}
		p = ext_obj_find(&o, "event/classify", NULL, err, sizeof(err));
		cr_assert(p, "%s", err);
		for (u64 s = 1; s <= 200; s++) {
			struct sample_ctx ctx = make_ctx(s), want;

			if (s % 3 == 0)
				ctx.addr &= 0xfff;
			if (s % 4 == 0)
				ctx.addr = (ctx.addr & ~0xfffull & ~(1ull << 63)) | 0x1000, ctx.error = 4;
			want = ctx;
			cr_assert_eq(run_sample(p, &ctx, out), classify(&want), "%s seed %llu",
				     cpus[v], (unsigned long long)s);
		}
		ext_obj_free(&o);
	}
	fclose(out);
}

/* Dumps never run the code: every helper id gets an address. */
static u64
no_helper(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	(void)a, (void)b, (void)c, (void)d, (void)e;
	cr_assert_fail("a dumped program ran");
	return 0;
}

static ebpf_helper_fn *const any_fn[EXT_HELPER_COUNT] = {
	[1 ... EXT_HELPER_COUNT - 1] = no_helper,
};
static const struct ebpf_helpers any_helper = { any_fn, EXT_HELPER_COUNT };

/* The dump of p: a heading, the prologue, a line per instruction (no LD64). */
static void
check_dump(const char *path, const struct ext_obj_prog *p)
{
	struct ext_code c;
	char *text = NULL, line[512];
	size_t len = 0;
	u32 lines = 0, sum, ld64 = 0;
	FILE *f;

	cr_assert_eq(ext_code_compile(&c, p->insns, p->n, &any_helper, NULL, err, sizeof(err)),
		     0, "%s %s: %s", path, p->name, err);
	f = open_memstream(&text, &len);
	ext_dump(f, path, p, &c);
	fclose(f);
	f = fmemopen(text, len, "r");
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	for (u32 i = 0; i < p->n; i++)
		ld64 += p->insns[i].code == (BPF_LD | BPF_DW | BPF_IMM);
	cr_assert_eq(lines, 2 + p->n - ld64, "%s", text);
	sum = c.jit.prologue_ninsn;
	for (u32 i = 0; i < p->n; i++)
		sum += c.count[i];
	cr_assert_eq(sum, c.jit.ninsn, "%s %s", path, p->name);
	free(text);
	ext_code_free(&c);
}

Test(ext_obj, dump_has_a_line_per_instruction)
{
	const struct ext_obj_prog *p = read_sample("v3", "event/sample");
	struct ext_code c;

	check_dump("sample", p);
	cr_assert_eq(ext_code_compile(&c, p->insns, p->n, NULL, NULL, err, sizeof(err)), 0);
	cr_assert_eq(c.jit.passes, 1, "every jump near: one pass and the displacements patched");
	cr_log_info("ext_sample event/sample: %u eBPF -> %u x86 (%.2f each)", p->n,
		    c.jit.ninsn, (double)c.jit.ninsn / p->n);
	ext_code_free(&c);
	ext_obj_free(&o);
}

/* The examples the documentation shows: every program compiles and dumps. */
static const char *const examples[] = {
	"count_syscalls.o", "syscall_add.o", "pf_appel.o", "pkt_filter.o",
	"pkt_tcp_syn.o", "irq_count.o", "thread_pkg.o", "timer_defer.o", "vm_prot.o",
};

Test(ext_obj, every_example_dumps)
{
	for (size_t k = 0; k < sizeof(examples) / sizeof(examples[0]); k++) {
		cr_assert_eq(read_ext(examples[k]), 0, "%s", err);
		for (unsigned i = 0; i < o.nprogs; i++)
			check_dump(examples[k], &o.progs[i]);
		ext_obj_free(&o);
	}
}

Test(ext_obj, find_names_the_choices)
{
	read_sample("v3", "event/sample");
	cr_assert_null(ext_obj_find(&o, NULL, NULL, err, sizeof(err)));
	cr_assert(strstr(err, "several programs") && strstr(err, "event/classify classify"),
		  "%s", err);
	cr_assert_null(ext_obj_find(&o, "event/none", NULL, err, sizeof(err)));
	cr_assert(strstr(err, "no program matches") && strstr(err, "event/sample sample"),
		  "%s", err);
	cr_assert_not_null(ext_obj_find(&o, NULL, "classify", err, sizeof(err)));
	ext_obj_free(&o);
}

Test(ext_obj, missing_file_is_enoent)
{
	cr_expect_eq(ext_obj_read("/nonexistent/x.o", &o, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "/nonexistent/x.o"), "%s", err);
}

Test(ext_obj, a_text_file_is_not_elf)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/CMakeCache.txt", EXO_BUILD_DIR);
	cr_expect_eq(ext_obj_read(path, &o, err, sizeof(err)), -ENOEXEC);
	cr_expect(strstr(err, "not an ELF"), "%s", err);
}

Test(ext_obj, an_x86_elf_is_not_ebpf)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/exo-kernel", EXO_BUILD_DIR);
	cr_expect_eq(ext_obj_read(path, &o, err, sizeof(err)), -ENOEXEC);
	cr_expect(strstr(err, "not eBPF"), "%s", err);
}

Test(ext_obj, a_global_variable_relocation_is_refused_by_name)
{
	cr_expect_eq(read_ext("bad_global.o"), -ENOTSUP);
	cr_expect(strstr(err, "R_BPF_64_64"), "%s", err);
	cr_expect(strstr(err, "event/syscall"), "%s", err);
}

Test(ext_obj, functions_of_one_section_are_programs_of_their_own)
{
	cr_assert_eq(read_ext("pf_appel.o"), 0, "%s", err);
	cr_expect_eq(o.nprogs, 3);
	cr_expect_str_eq(o.progs[0].section, "guard/pagefault");
	cr_expect_str_eq(o.progs[1].name, "dirty");
	cr_expect_str_eq(o.progs[2].name, "read_barrier");
	cr_expect_str_eq(o.progs[2].section, "event/pagefault");
	ext_obj_free(&o);
}

/* clang's code reading a packet byte without a bounds check is refused. */
Test(ext_obj, an_unchecked_packet_read_compiled_by_clang_is_rejected)
{
	struct ext_verify_error e;
	void *work = malloc(verify_work_size());

	cr_assert_eq(read_ext("bad_pkt_unchecked.o"), 0, "%s", err);
	cr_assert_eq(o.nprogs, 1);
	cr_expect_eq(verify_program(o.progs[0].insns, o.progs[0].n,
				    verify_type_by_section(o.progs[0].section), ~0ull, EXT_HOST_STEPS,
				    work, &e), -1);
	cr_expect_eq(e.rule, R_PKT_BOUNDS, "%s", verify_rule_name(e.rule));
	cr_expect_eq(e.insn, 1);
	free(work);
	ext_obj_free(&o);
}
