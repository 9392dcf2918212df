/* A checking interpreter for the checker's fuzz test (verify_oracle.c). */
#ifndef TESTS_VERIFY_ORACLE_H
#define TESTS_VERIFY_ORACLE_H

#include "guest/ebpf/verify.h"

/* The buffers a run sees: the context, the packet, helper memory. */
struct oracle_env {
	void *ctx;              /* t->ctx_size bytes; for packets data/data_end set */
	u8 *pkt;
	u32 pkt_len;
	u8 *store;              /* EXT_STORE_SIZE bytes */
	bool store_given;       /* ext_store returns it, else NULL */
	u64 rnd;                /* what ktime and the other number helpers return */
	u8 *ran;                /* per instruction: ORACLE_RAN, ORACLE_DIV0 */
};

#define ORACLE_RAN   1
#define ORACLE_DIV0  2          /* a division or modulo by a register saw 0 */

/* Run; NULL if nothing unsafe happened (the result in *result), else why. */
const char *oracle_run(const struct bpf_insn *p, u32 n, const struct ext_prog_type *t,
		       struct oracle_env *env, u64 *result);

#endif
