/* Compiled extension code on the host: see ext_code.h. */
#include "ext_code.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static const char *
jit_error(int r)
{
	switch (r) {
	case -E_NOSYS: return "an instruction the compiler does not handle";
	case -E_NOMEM: return "the code does not fit the buffer";
	default: return "a malformed instruction (the checker should refuse it)";
	}
}

/* Pages for len bytes, near the hint if the kernel grants it. */
static void *
code_pages(size_t size, const void *near)
{
	void *hint = NULL, *p;

	if (near)       /* 1 GiB below: reachable by rel32 from anywhere in it */
		hint = (void *)(((uintptr_t)near - (1ul << 30)) & ~(uintptr_t)0xfff);
	p = mmap(hint, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

int
ext_code_compile(struct ext_code *c, const struct bpf_insn *prog, u32 n,
		 const struct ebpf_helpers *h, const void *near, char *err, size_t errlen)
{
	return ext_code_compile_facts(c, prog, n, NULL, h, near, err, errlen);
}

int
ext_code_compile_facts(struct ext_code *c, const struct bpf_insn *prog, u32 n,
		       const u8 *facts, const struct ebpf_helpers *h, const void *near,
		       char *err, size_t errlen)
{
	long page = sysconf(_SC_PAGESIZE);
	int r;

	memset(c, 0, sizeof(*c));
	c->offset = calloc(n + 1, sizeof(*c->offset));
	c->count = calloc(n ? n : 1, sizeof(*c->count));
	if (!c->offset || !c->count) {
		r = -ENOMEM;
		snprintf(err, errlen, "out of memory for %u instructions", n);
		goto fail;
	}
	/* First the size (with far calls, the longest form), then the code at
	 * its address: direct calls there can only make it shorter. */
	c->jit = (struct ebpf_jit){ .prog = prog, .n = n, .helpers = h,
				    .offset = c->offset, .count = c->count, .facts = facts };
	r = ebpf_jit(&c->jit);
	if (r < 0)
		goto jit_fail;
	c->size = (c->jit.len + (size_t)page - 1) / (size_t)page * (size_t)page;
	c->mem = code_pages(c->size, near);
	if (!c->mem) {
		r = -errno;
		snprintf(err, errlen, "cannot map %zu bytes for the code: %s", c->size,
			 strerror(errno));
		goto fail;
	}
	c->jit.out = c->mem;
	c->jit.cap = (u32)c->size;
	r = ebpf_jit(&c->jit);
	if (r < 0)
		goto jit_fail;
	/* W^X: writable until here, executable from here, never both. */
	if (mprotect(c->mem, c->size, PROT_READ | PROT_EXEC) < 0) {
		r = -errno;
		snprintf(err, errlen, "cannot make the code executable: %s", strerror(errno));
		goto fail;
	}
	return 0;
jit_fail:
	snprintf(err, errlen, "instruction %u: %s", c->jit.err_at, jit_error(r));
fail:
	ext_code_free(c);
	return r;
}

u64
ext_code_call(const struct ext_code *c, u64 ctx)
{
	u64 (*fn)(u64);

	/* ISO C has no cast from object to function pointer; POSIX does. */
	memcpy(&fn, &(void *){ c->mem }, sizeof(fn));
	return fn(ctx);
}

void
ext_code_free(struct ext_code *c)
{
	if (c->mem)
		munmap(c->mem, c->size);
	free(c->offset);
	free(c->count);
	memset(c, 0, sizeof(*c));
}
