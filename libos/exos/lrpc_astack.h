/*
 * LRPC's argument stack and the server's binding table, the portable part
 * (lrpc.c makes the system calls): the unit tests run it on the host.
 *
 * An A-stack is one frame, bound in the client and in the server:
 *
 *   0        8        16                                  4096
 *   +--------+--------+-----------------------------------+
 *   | in_len | out_len| data: the call's bytes in, the     |
 *   |  (u64) |  (u64) | procedure's bytes out              |
 *   +--------+--------+-----------------------------------+
 *
 * Both sides may write it at any time (another client thread, a hostile
 * server), so neither trusts its header: the call's in_len travels in a
 * register and the server checks it (lrpc_check_call); out_len is checked
 * by the client before it reads (lrpc_astack_out).
 */
#ifndef EXOS_LRPC_ASTACK_H
#define EXOS_LRPC_ASTACK_H

#include <exo/types.h>

#define LRPC_ASTACK_SIZE  4096u
#define LRPC_ASTACK_HDR   16u
#define LRPC_ASTACK_DATA  (LRPC_ASTACK_SIZE - LRPC_ASTACK_HDR)
#define LRPC_BINDINGS     8
#define LRPC_PROC_BIND    0xb1dULL      /* the binding call's number */

struct lrpc_astack {
	volatile u64 in_len, out_len;
	u8 data[LRPC_ASTACK_DATA];
};
_Static_assert(sizeof(struct lrpc_astack) == LRPC_ASTACK_SIZE, "one frame");

/* A binding as the server keeps it: the caller's id (the kernel's rax, not
 * forgeable), the handle (our name for its ENV capability, the way back)
 * and the A-stack (our copy of its frame, bound at va). */
struct lrpc_bind_rec {
	u64 client, handle, astack, va;
	bool used;
};

struct lrpc_table {
	struct lrpc_bind_rec b[LRPC_BINDINGS];
	u32 nprocs;
};

void lrpc_table_init(struct lrpc_table *t, u32 nprocs);
/* The binding of caller under handle, or NULL (the caller is not bound:
 * another environment's handle is not its binding). */
struct lrpc_bind_rec *lrpc_table_find(struct lrpc_table *t, u64 caller, u64 handle);
/* A free record for a new binding (its index: the A-stack's place), or
 * NULL: -E_EXIST (already bound) in *err, -E_NOMEM (table full). */
struct lrpc_bind_rec *lrpc_table_add(struct lrpc_table *t, u64 caller, u64 handle,
				     int *err);
/* May the call run? 0, or -E_INVAL: proc out of range or in_len beyond
 * the A-stack. */
int lrpc_check_call(const struct lrpc_table *t, u64 proc, u64 in_len);
/* Client side: the procedure's bytes out, n of them, if the header is
 * sane; -E_INVAL if out_len claims more than the A-stack holds. */
long lrpc_astack_out(const struct lrpc_astack *as, u8 *dst, u64 n);

#endif
