/*
 * `exo ext run`: a checked program run on the host, compiled, on a context
 * the user gives (as BPF_PROG_TEST_RUN lets Linux users test a program
 * before they load it); the interpreter runs it too and must agree.
 */
#ifndef HOST_EXT_RUN_H
#define HOST_EXT_RUN_H

#include <stdio.h>

#include "ext_helpers.h"
#include "ext_obj.h"

struct ext_run_input {
	const u8 *ctx;          /* the context, ctx_size bytes (the event's size) */
	size_t ctx_size;
	const u8 *pkt;          /* a packet event's bytes: data and data_end of */
	size_t pkt_len;         /* each run's context point to a copy; else NULL */
	unsigned repeat;        /* > 0: also time that many runs of each */
	const u8 *facts;        /* the checker's verify_facts() on p, or NULL */
};

/*
 * Run p (which the checker accepted for a context of in->ctx_size bytes)
 * compiled and interpreted, each on copies of the context, packet and helper
 * state; print r0, the context and packet bytes it changed, the helper state
 * it left and, with repeat, the time per run. *r0 gets the result. Returns 0,
 * or a negative errno with a message on stderr (-ENOSYS: a helper the host
 * lacks; -EPROTO: the compiled code and the interpreter disagree, a
 * compiler bug).
 */
int ext_run_checked(FILE *f, const char *path, const struct ext_obj_prog *p,
		    const struct ext_run_input *in, u64 *r0);

#endif
