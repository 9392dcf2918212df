/*
 * Compiled extension code on the host: the compiler's output in pages of
 * this process, written while read-write, then made read-and-execute
 * (never both writable and executable), for `exo ext run`, `exo ext dump`
 * and the unit tests.
 */
#ifndef HOST_EXT_CODE_H
#define HOST_EXT_CODE_H

#include <stddef.h>

#include <exo/bpf.h>

#include "../guest/ebpf/jit.h"

struct ext_code {
	void *mem;                      /* mmap'd, size bytes */
	size_t size;
	u32 *offset;                    /* n + 1: start of each instruction's code */
	u32 *count;                     /* n: x86 instructions each */
	struct ebpf_jit jit;            /* len, ninsn, prologue_ninsn, passes */
};

/*
 * Compile prog into new executable pages. near, if not NULL, asks for pages
 * within reach of a rel32 call to it (so helper calls can be direct); it is
 * a hint. Returns 0 or a negative errno / -E_* code with a message in err.
 */
int ext_code_compile(struct ext_code *c, const struct bpf_insn *prog, u32 n,
		     const struct ebpf_helpers *h, const void *near,
		     char *err, size_t errlen);
/* The same with the checker's facts on prog (see jit.h; NULL: none). */
int ext_code_compile_facts(struct ext_code *c, const struct bpf_insn *prog, u32 n,
			   const u8 *facts, const struct ebpf_helpers *h, const void *near,
			   char *err, size_t errlen);
/* Call the code with r1 = ctx; returns r0. */
u64 ext_code_call(const struct ext_code *c, u64 ctx);
void ext_code_free(struct ext_code *c);

#endif
