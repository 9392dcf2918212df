/* `exo ext run`'s execution: see ext_run.h. */
#include "ext_run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../guest/ebpf/interp.h"
#include "../guest/ebpf/verify.h"
#include "ext_code.h"

/* One execution's memory: the context, the packet and the helpers' state. */
struct ext_run_mem {
	u8 *ctx, *pkt;
	struct ext_host_state st;
};

static int
mem_init(struct ext_run_mem *m, const struct ext_run_input *in)
{
	memset(m, 0, sizeof(*m));
	m->ctx = malloc(in->ctx_size);
	m->pkt = malloc(in->pkt_len ? in->pkt_len : 1);
	if (!m->ctx || !m->pkt)
		return -ENOMEM;
	memcpy(m->ctx, in->ctx, in->ctx_size);
	if (in->pkt) {
		struct ext_packet_ctx *pc = (struct ext_packet_ctx *)m->ctx;

		memcpy(m->pkt, in->pkt, in->pkt_len);
		pc->data = (u64)(uintptr_t)m->pkt;
		pc->data_end = pc->data + in->pkt_len;
	}
	return 0;
}

static void
mem_free(struct ext_run_mem *m)
{
	free(m->ctx);
	free(m->pkt);
}

/* Equal but for the packet pointers, which point to each run's own copy. */
static bool
mem_same(const struct ext_run_mem *a, const struct ext_run_mem *b,
	 const struct ext_run_input *in)
{
	size_t skip = in->pkt ? offsetof(struct ext_packet_ctx, len) : 0;

	return !memcmp(a->ctx + skip, b->ctx + skip, in->ctx_size - skip) &&
	       !memcmp(a->pkt, b->pkt, in->pkt_len) &&
	       !memcmp(a->st.counters, b->st.counters, sizeof(a->st.counters)) &&
	       !memcmp(a->st.store, b->st.store, sizeof(a->st.store));
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
 * Time repeat runs of each on a scratch copy of the memory, side by side:
 * five rounds of both, the fastest round of each counted (the others met
 * interrupts and cache misses the code does not cause).
 */
static void
run_timed(FILE *f, const struct ext_code *c, struct ebpf_interp *in,
	  const struct ext_run_input *input)
{
	struct ext_run_mem m;
	double best_i = 1e300, best_c = 1e300;
	unsigned repeat = input->repeat;
	u64 r0;

	if (mem_init(&m, input) < 0)
		goto out;
	ext_host_use(&m.st);
	for (int round = 0; round < 5; round++) {
		double t0 = cpu_ns(), t1, t2;

		for (unsigned k = 0; k < repeat; k++)
			ebpf_interp(in, (u64)(uintptr_t)m.ctx, &r0);
		t1 = cpu_ns();
		for (unsigned k = 0; k < repeat; k++)
			ext_code_call(c, (u64)(uintptr_t)m.ctx);
		t2 = cpu_ns();
		best_i = t1 - t0 < best_i ? t1 - t0 : best_i;
		best_c = t2 - t1 < best_c ? t2 - t1 : best_c;
	}
	fprintf(f, "CPU time per run (best of 5 rounds of %u): interpreted %.1f ns, "
		"compiled %.1f ns (interpreter/compiled %.1f)\n", repeat, best_i / repeat,
		best_c / repeat, best_i / (best_c > 0 ? best_c : 1));
out:
	mem_free(&m);
}

static void
print_changes(FILE *f, const char *what, const u8 *before, const u8 *after, size_t from,
	      size_t len)
{
	if (!memcmp(before + from, after + from, len - from))
		return;
	fprintf(f, "%s after (changed bytes marked *):\n", what);
	for (size_t k = from & ~(size_t)15; k < len; k += 16) {
		fprintf(f, "  %04zx:", k);
		for (size_t m = k; m < k + 16 && m < len; m++)
			fprintf(f, " %02x%c", after[m], after[m] != before[m] ? '*' : ' ');
		fprintf(f, "\n");
	}
}

static void
print_result(FILE *f, const struct ext_run_mem *m, const struct ext_run_input *in, u64 r0)
{
	fprintf(f, "r0 = %#llx (%llu)\n", (unsigned long long)r0, (unsigned long long)r0);
	print_changes(f, "context", in->ctx, m->ctx,
		      in->pkt ? offsetof(struct ext_packet_ctx, len) : 0, in->ctx_size);
	if (in->pkt)
		print_changes(f, "packet", in->pkt, m->pkt, 0, in->pkt_len);
	ext_host_print(f, &m->st);
}

static int
refuse_missing_helper(const char *path, const struct ext_obj_prog *p)
{
	const struct ext_helper_proto *h;
	i32 id;
	i64 at = ext_host_missing(p->insns, p->n, &id);

	if (at < 0)
		return 0;
	h = verify_helper((u32)id);
	fprintf(stderr, "exo ext run: %s, %s %s, instruction %lld: helper %s (%d) acts on "
		"the kernel (its page tables or threads): the host cannot run it; load "
		"the extension into exo instead\n", path, p->section, p->name,
		(long long)at, h ? h->name : "?", id);
	return -ENOSYS;
}

int
ext_run_checked(FILE *f, const char *path, const struct ext_obj_prog *p,
		const struct ext_run_input *in, u64 *r0)
{
	struct ebpf_interp ip = { .prog = p->insns, .n = p->n, .helpers = &ext_host_helpers };
	struct ext_run_mem a = { 0 }, b = { 0 };
	struct ext_code c = { 0 };
	struct ext_host_state start = { .trace = f };
	char err[256];
	u64 ri = 0;
	int r;

	if ((r = refuse_missing_helper(path, p)) < 0)
		return r;
	if ((r = mem_init(&a, in)) < 0 || (r = mem_init(&b, in)) < 0) {
		fprintf(stderr, "exo ext run: out of memory for a %zu-byte context\n",
			in->ctx_size);
		goto out;
	}
	r = ext_code_compile_facts(&c, p->insns, p->n, in->facts, &ext_host_helpers, NULL,
				   err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "exo ext run: %s, %s %s: %s\n", path, p->section, p->name, err);
		goto out;
	}
	a.st = start;
	ext_host_use(&a.st);
	*r0 = ext_code_call(&c, (u64)(uintptr_t)a.ctx);
	ext_host_replay(&b.st, &start, &a.st);
	ext_host_use(&b.st);
	r = ebpf_interp(&ip, (u64)(uintptr_t)b.ctx, &ri);
	if (r < 0 || ri != *r0 || !mem_same(&a, &b, in)) {
		fprintf(stderr, "exo ext run: %s, %s %s: the interpreter %s (r0 %#llx against "
			"compiled %#llx): a compiler bug, please report it\n", path, p->section,
			p->name, r < 0 ? "failed" : "disagrees", (unsigned long long)ri,
			(unsigned long long)*r0);
		r = -EPROTO;
		goto out;
	}
	print_result(f, &a, in, *r0);
	if (in->repeat)
		run_timed(f, &c, &ip, in);
out:
	ext_host_use(NULL);
	ext_code_free(&c);
	mem_free(&a);
	mem_free(&b);
	return r;
}
