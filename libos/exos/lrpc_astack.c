/*
 * LRPC's A-stack checks and the server's binding table (lrpc_astack.h).
 */
#include "lrpc_astack.h"

#include <exo/error.h>

void
lrpc_table_init(struct lrpc_table *t, u32 nprocs)
{
	for (int i = 0; i < LRPC_BINDINGS; i++)
		t->b[i] = (struct lrpc_bind_rec){ 0 };
	t->nprocs = nprocs;
}

struct lrpc_bind_rec *
lrpc_table_find(struct lrpc_table *t, u64 caller, u64 handle)
{
	for (int i = 0; i < LRPC_BINDINGS; i++)
		if (t->b[i].used && t->b[i].client == caller && t->b[i].handle == handle)
			return &t->b[i];
	return 0;
}

struct lrpc_bind_rec *
lrpc_table_add(struct lrpc_table *t, u64 caller, u64 handle, int *err)
{
	struct lrpc_bind_rec *free = 0;

	for (int i = 0; i < LRPC_BINDINGS; i++) {
		if (t->b[i].used && t->b[i].handle == handle) {
			*err = -E_EXIST;
			return 0;
		}
		if (!t->b[i].used && !free)
			free = &t->b[i];
	}
	if (!free) {
		*err = -E_NOMEM;
		return 0;
	}
	*free = (struct lrpc_bind_rec){ .client = caller, .handle = handle, .used = true };
	return free;
}

int
lrpc_check_call(const struct lrpc_table *t, u64 proc, u64 in_len)
{
	if (proc >= t->nprocs || in_len > LRPC_ASTACK_DATA)
		return -E_INVAL;
	return 0;
}

long
lrpc_astack_out(const struct lrpc_astack *as, u8 *dst, u64 n)
{
	u64 len = as->out_len;          /* read once: the server may change it */

	if (len > LRPC_ASTACK_DATA)
		return -E_INVAL;
	if (n > len)
		n = len;
	for (u64 i = 0; i < n; i++)
		dst[i] = as->data[i];
	return (long)n;
}
