/* exo bench's suites in children (bench_child.h): a run, sent whole. */
#include "bench_child.h"

#include <stdlib.h>

#include "bench_vm.h"
#include "boot_child.h"

/* The run, its marks, each op's samples, and vm's Linux column: the
 * pointers in the run (suite and program names, the VMM's reason names) are
 * to statics, the same in both processes since the fork; the arrays and the
 * column go by value. */
static int
run_send(int fd, const void *out)
{
	const struct bench_run *r = out;

	if (boot_child_write(fd, r, sizeof(*r)) < 0 ||
	    boot_child_write(fd, r->marks, r->nmarks * sizeof(*r->marks)) < 0)
		return -1;
	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].sorted && boot_child_write(fd, r->ops[i].sorted, r->ops[i].cycles.n *
						  sizeof(*r->ops[i].sorted)) < 0)
			return -1;
	if (r->vm_linux && boot_child_write(fd, r->vm_linux, sizeof(*r->vm_linux)) < 0)
		return -1;
	return 0;
}

/* Into out (its arrays allocated here, freed by bench_run_free): 0, or -1
 * if the child sent no whole run. */
static int
run_receive(int fd, void *out)
{
	struct bench_run *r = out;
	bool linux_column;

	if (boot_child_read(fd, r, sizeof(*r)) < 0)
		return -1;
	linux_column = r->vm_linux != NULL;     /* the child's pointer: it came */
	r->vm_linux = linux_column ? malloc(sizeof(*r->vm_linux)) : NULL;
	r->marks_cap = r->nmarks;
	r->marks = r->nmarks ? malloc(r->nmarks * sizeof(*r->marks)) : NULL;
	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].sorted)
			r->ops[i].sorted = malloc(r->ops[i].cycles.n * sizeof(*r->ops[i].sorted) + 1);
	if (r->nmarks && (!r->marks || boot_child_read(fd, r->marks, r->nmarks * sizeof(*r->marks)) < 0))
		goto bad;
	for (unsigned i = 0; i < r->nops; i++)
		if (r->ops[i].sorted && boot_child_read(fd, r->ops[i].sorted, r->ops[i].cycles.n *
						 sizeof(*r->ops[i].sorted)) < 0)
			goto bad;
	if (linux_column && (!r->vm_linux ||
			     boot_child_read(fd, r->vm_linux, sizeof(*r->vm_linux)) < 0))
		goto bad;
	return 0;
bad:
	bench_run_free(r);      /* free(NULL) for what was not allocated */
	r->nops = 0;
	return -1;
}

struct suite_boot {
	bench_boot_fn *boot;
	const void *ctx;
};

static int
suite_boot(const void *ctx, void *out)
{
	const struct suite_boot *s = ctx;

	return s->boot(s->ctx, out);
}

int
bench_boot_in_child(struct bench_run *r, bench_boot_fn *boot, const void *ctx)
{
	struct suite_boot s = { boot, ctx };
	struct boot_child b = { suite_boot, run_send, run_receive, &s, r };

	return boot_in_child(&b);
}
