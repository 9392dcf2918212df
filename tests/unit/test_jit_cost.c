/*
 * What the kernel would pay on PVM, where every ring-0 instruction is
 * emulated and so costs about the same: exact x86 instruction counts, taken
 * here by single-stepping a child process (ptrace), of running an extension
 * interpreted and compiled, and of compiling it. The host build is not the
 * kernel build (flags differ a little), so these are close, not equal, to
 * the kernel's counts; the ratios are what they show.
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "guest/ebpf/interp.h"
#include "guest/ebpf/jit.h"
#include "host/ext_code.h"
#include "host/ext_obj.h"
#include "insn_count.h"

#define SEC(name) static __attribute__((unused))
#include "data/ext_sample.c"
#undef SEC

struct job {
	struct ebpf_interp *in;         /* prepared: decoding is paid once, at load */
	const struct bpf_insn *prog;
	u32 n;
	struct ext_code *code;
	struct sample_ctx ctx;
	u32 offset[256];
	u8 out[4096];
};

static void
nothing(void *arg)
{
	(void)arg;
}

static void
run_interp(void *arg)
{
	struct job *j = arg;
	u64 r0;

	ebpf_interp(j->in, (u64)(uintptr_t)&j->ctx, &r0);
}

static void
run_compiled(void *arg)
{
	struct job *j = arg;

	ext_code_call(j->code, (u64)(uintptr_t)&j->ctx);
}

static void
run_compiler(void *arg)
{
	struct job *j = arg;
	struct ebpf_jit jit = { .prog = j->prog, .n = j->n, .offset = j->offset,
				.out = j->out, .cap = sizeof(j->out) };

	ebpf_jit(&jit);
}

#ifdef EXT_SAMPLE_DIR

Test(jit_cost, instructions_interpreted_compiled_and_to_compile)
{
	static const char *const sections[] = { "event/sample", "event/classify" };

#if defined(__SANITIZE_ADDRESS__)
	/* Counts of instrumented code (build-san: the helpers the compiled code
	 * calls run ASan's checks) are not the product's: measured without. */
	cr_skip_test("instruction counts are not meaningful under AddressSanitizer");
#endif

	for (int s = 0; s < 2; s++) {
		static struct ext_obj o;
		const struct ext_obj_prog *p;
		struct ext_code code;
		struct job job;
		struct ebpf_interp in;
		char path[512], err[512];
		long base, interp, compiled, compile;
		u64 r0;

		snprintf(path, sizeof(path), "%s/ext_sample_v3.o", EXT_SAMPLE_DIR);
		cr_assert_eq(ext_obj_read(path, &o, err, sizeof(err)), 0, "%s", err);
		p = ext_obj_find(&o, sections[s], NULL, err, sizeof(err));
		cr_assert(p, "%s", err);
		cr_assert_eq(ext_code_compile(&code, p->insns, p->n, NULL, NULL, err, sizeof(err)), 0);
		cr_assert_leq(p->n, 256u);
		memset(&job, 0, sizeof(job));
		job = (struct job){ .in = &in, .prog = p->insns, .n = p->n, .code = &code };
		job.ctx.addr = 0x7f0012345678;
		job.ctx.error = 6;
		job.ctx.divisor = 7;
		in = (struct ebpf_interp){ .prog = p->insns, .n = p->n };
		cr_assert_eq(ebpf_interp(&in, (u64)(uintptr_t)&job.ctx, &r0), 0);
		base = count_insns(nothing, &job);
		if (base < 0) {
			ext_code_free(&code);
			ext_obj_free(&o);
			cr_skip_test("ptrace is not allowed here");
		}
		interp = count_insns(run_interp, &job) - base;
		compiled = count_insns(run_compiled, &job) - base;
		compile = count_insns(run_compiler, &job) - base;
		cr_log_info("%s (%u instructions, %llu run): interpreted %ld x86 instructions, "
			    "compiled %ld (%.1fx fewer); compiling it %ld (%.0f per eBPF "
			    "instruction, %u passes)", sections[s], p->n,
			    (unsigned long long)in.steps, interp, compiled,
			    (double)interp / (double)compiled, compile, (double)compile / p->n,
			    code.jit.passes);
		cr_assert_lt(compiled, interp);
		/* compiled code runs at most its static count: no loops here */
		cr_assert_leq(compiled, (long)code.jit.ninsn + 2);
		ext_code_free(&code);
		ext_obj_free(&o);
	}
}

#endif /* EXT_SAMPLE_DIR */
