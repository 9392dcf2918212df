/*
 * The checker's step budget: the kernel gives a program EXT_STEPS_PER_INSN
 * walked instructions per instruction, at most EXT_KERNEL_STEPS, because on
 * PVM each of the checker's ring-0 instructions is emulated; the host walks
 * up to EXT_HOST_STEPS and reports the count. tests/ext/too_complex.c is a
 * safe loop that walks more than its kernel budget.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

#include "guest/ebpf/verify.h"
#include "host/ext_obj.h"
#include "insn_count.h"

static struct ext_obj o;
static void *work;

static const struct ext_obj_prog *
read_prog(const char *file)
{
	char path[512], err[512];

	snprintf(path, sizeof(path), "%s/ext/%s", EXO_BUILD_DIR, file);
	cr_assert_eq(ext_obj_read(path, &o, err, sizeof(err)), 0, "%s", err);
	return &o.progs[0];
}

static int
check(const struct ext_obj_prog *p, u32 budget, struct ext_verify_error *e)
{
	return verify_program(p->insns, p->n, verify_type_by_section(p->section), ~0ull,
			      budget, work, e);
}

static void
setup(void)
{
	work = malloc(verify_work_size());
	cr_assert(work);
}

static void
teardown(void)
{
	ext_obj_free(&o);
	free(work);
}

TestSuite(verify_budget, .init = setup, .fini = teardown);

Test(verify_budget, kernel_budget_is_proportional_and_capped)
{
	cr_expect_eq(verify_kernel_budget(1), EXT_STEPS_PER_INSN);
	cr_expect_eq(verify_kernel_budget(100), 100 * EXT_STEPS_PER_INSN);
	cr_expect_eq(verify_kernel_budget(EXT_KERNEL_STEPS / EXT_STEPS_PER_INSN),
		     EXT_KERNEL_STEPS);
	cr_expect_eq(verify_kernel_budget(EXT_MAX_INSNS), EXT_KERNEL_STEPS);
	cr_expect_eq(verify_kernel_budget(~0u), EXT_KERNEL_STEPS, "no overflow");
	cr_expect_lt(EXT_KERNEL_STEPS, EXT_HOST_STEPS);
}

/* Accepted with w steps, refused with w - 1: the budget is exactly the walk. */
Test(verify_budget, the_budget_bounds_the_walk_exactly)
{
	const struct ext_obj_prog *p = read_prog("too_complex.o");
	struct ext_verify_error e;
	u32 w, kernel = verify_kernel_budget(p->n);

	cr_assert_eq(check(p, EXT_HOST_STEPS, &e), 0, "%s: %s", verify_rule_name(e.rule), e.msg);
	w = verify_steps(work);
	cr_log_info("too_complex: %u instructions, %u walked, kernel budget %u", p->n, w, kernel);
	cr_assert_gt(w, kernel, "the example must exceed its kernel budget");
	cr_expect_eq(check(p, w, &e), 0);
	cr_expect_eq(verify_steps(work), w);
	cr_assert_eq(check(p, w - 1, &e), -1);
	cr_expect_eq(e.rule, R_COMPLEXITY, "%s", verify_rule_name(e.rule));
	cr_assert_eq(check(p, kernel, &e), -1);
	cr_expect_eq(e.rule, R_COMPLEXITY, "%s", verify_rule_name(e.rule));
	cr_expect_eq(verify_steps(work), kernel + 1, "stopped at the first step beyond");
}

Test(verify_budget, every_example_fits_the_kernel_budget)
{
	static const char *const examples[] = {
		"count_syscalls.o", "syscall_add.o", "pf_appel.o", "pkt_filter.o",
		"pkt_tcp_syn.o", "irq_count.o", "thread_pkg.o", "timer_defer.o",
	};
	struct ext_verify_error e;

	for (size_t k = 0; k < sizeof(examples) / sizeof(examples[0]); k++) {
		read_prog(examples[k]);
		for (unsigned i = 0; i < o.nprogs; i++) {
			const struct ext_obj_prog *p = &o.progs[i];

			cr_expect_eq(check(p, verify_kernel_budget(p->n), &e), 0, "%s %s: %s: %s",
				     examples[k], p->name, verify_rule_name(e.rule), e.msg);
		}
		ext_obj_free(&o);
	}
}

struct job {
	const struct ext_obj_prog *p;
	u32 budget;
};

static void
run_check(void *arg)
{
	struct job *j = arg;
	struct ext_verify_error e;

	check(j->p, j->budget, &e);
}

/*
 * What a walked instruction costs on PVM: the checker's x86 instructions per
 * step (each ~1 us emulated in ring 0), from the difference between stopping
 * too_complex at b and at 2b steps (single-stepping is slow here: small b).
 * The budget stops the work: twice the steps, more instructions.
 */
Test(verify_budget, cost_per_walked_instruction, .timeout = 120)
{
	struct job one = { read_prog("too_complex.o"), 64 };
	struct job two = { one.p, 128 };
	long c1, c2;
	double each;

	c1 = count_insns(run_check, &one);
	if (c1 < 0)
		cr_skip_test("ptrace is not allowed here");
	c2 = count_insns(run_check, &two);
	cr_assert_gt(c2, c1);
	each = (double)(c2 - c1) / 64;
	cr_log_info("checker: %.0f x86 instructions per walked instruction (%ld for 64 steps, "
		    "%ld for 128); the kernel's cap of %u steps: ~%.1fM ring-0 instructions",
		    each, c1, c2, EXT_KERNEL_STEPS, each * EXT_KERNEL_STEPS / 1e6);
}
