/*
 * exo bench's boot in a child (host/bench_child.c): what the child's boot
 * put in its run, marks, samples and vm's Linux column included, comes back
 * whole to the parent with its status; a child that dies before it reports
 * is -EPIPE.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "host/bench.h"
#include "host/bench_child.h"
#include "host/bench_vm.h"

static int
fake_boot(const void *ctx, struct bench_run *r)
{
	static const uint32_t samples[] = { 5, 7, 9 };
	int64_t v[BENCH_NCOUNTERS];

	bench_run_init(r, "ipc", "bench-ipc");
	r->ran = true;
	r->res.platform = 3;
	r->res.tsc_khz = 1234;
	for (int i = 0; i < BENCH_NCOUNTERS; i++)
		v[i] = 100 + i;
	for (uint32_t m = 0; m < 40; m++)
		bench_mark_add(r, m, v);
	r->nops = 2;
	snprintf(r->ops[1].name, sizeof(r->ops[1].name), "null_syscall");
	r->ops[1].sorted = malloc(sizeof(samples));
	memcpy(r->ops[1].sorted, samples, sizeof(samples));
	r->ops[1].cycles.n = 3;
	r->ops[1].ratio_to_null = 1.5;
	r->vm_linux = calloc(1, sizeof(*r->vm_linux));  /* vm's Linux column */
	r->vm_linux->us[VM_TRAP] = 12.5;
	return *(const int *)ctx;
}

Test(bench_child, run_comes_back_whole)
{
	static struct bench_run r;
	int status = 2;

	cr_assert_eq(bench_boot_in_child(&r, fake_boot, &status), 2);
	cr_assert(r.ran);
	cr_assert_str_eq(r.suite, "ipc", "a static name, valid after the fork");
	cr_assert_eq(r.res.tsc_khz, 1234);
	cr_assert_eq(r.nmarks, 40);
	cr_assert_eq(r.marks[39].code, 39);
	cr_assert_eq(r.marks[39].v[BENCH_NCOUNTERS - 1], 100 + BENCH_NCOUNTERS - 1);
	cr_assert_eq(r.nops, 2);
	cr_assert_null(r.ops[0].sorted);
	cr_assert_str_eq(r.ops[1].name, "null_syscall");
	cr_assert_eq(r.ops[1].sorted[0], 5);
	cr_assert_eq(r.ops[1].sorted[2], 9);
	cr_assert_float_eq(r.ops[1].ratio_to_null, 1.5, 1e-9);
	cr_assert_not_null(r.vm_linux);
	cr_assert_float_eq(r.vm_linux->us[VM_TRAP], 12.5, 1e-9, "vm's Linux column, by value");
	bench_run_free(&r);
}

static int
dying_boot(const void *ctx, struct bench_run *r)
{
	(void)ctx, (void)r;
	raise(SIGKILL);
	return 0;
}

Test(bench_child, a_child_that_dies_is_said)
{
	static struct bench_run r;

	cr_assert_eq(bench_boot_in_child(&r, dying_boot, NULL), -EPIPE);
	bench_run_free(&r);
}
