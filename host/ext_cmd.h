/*
 * `exo ext`: extensions on the host. `dump` shows each eBPF instruction
 * with the x86-64 the compiler makes of it; `run` runs the compiled code on
 * a context read from a file (as BPF_PROG_TEST_RUN lets Linux users test a
 * program before they load it), after the checker accepts it.
 */
#ifndef HOST_EXT_CMD_H
#define HOST_EXT_CMD_H

#include <stdio.h>

#include "ext_code.h"
#include "ext_obj.h"

int ext_cmd(int argc, char **argv);

/* The dump of o compiled as c: one line per eBPF instruction, totals. */
void ext_dump(FILE *f, const struct ext_obj *o, const struct ext_code *c);

/*
 * Run o (already checked) on a copy of ctx[0..len): compiled, and
 * interpreted to compare; prints r0 and the context if it changed, and
 * with repeat > 0 the time of each per run. *r0 gets the result.
 * Returns 0, or a negative errno with a message on stderr (-EPROTO: the
 * compiled code and the interpreter disagree, a compiler bug).
 */
int ext_run_checked(FILE *f, const struct ext_obj *o, const u8 *ctx, size_t len,
		    unsigned repeat, u64 *r0);

#endif
