/*
 * The program types the checker knows (one per event, handler or guard):
 * each context's fields with their access, the helpers each may call and
 * the range of its result; and the helpers' prototypes. The ABI they
 * describe is include/exo/ext.h; the tables follow its structs field by
 * field (the _Static_asserts hold them to it).
 */
#include <string.h>

#include "verify.h"

#define OFF(type, field) ((u16)__builtin_offsetof(struct type, field))
#define FLD(type, field, sz, k, acc) { OFF(type, field), sz, k, acc }
#define END { 0, 0, 0, 0 }
#define R  F_READ
#define RW (F_READ | F_WRITE)
#define RWU (F_READ | F_WRITE | F_USER)

static const struct ext_field syscall_fields[] = {
	FLD(ext_syscall_ctx, nr, 8, F_NUM, R),
	FLD(ext_syscall_ctx, args[0], 8, F_NUM, RWU),
	FLD(ext_syscall_ctx, args[1], 8, F_NUM, RWU),
	FLD(ext_syscall_ctx, args[2], 8, F_NUM, RWU),
	FLD(ext_syscall_ctx, args[3], 8, F_NUM, RWU),
	FLD(ext_syscall_ctx, args[4], 8, F_NUM, RWU),
	FLD(ext_syscall_ctx, args[5], 8, F_NUM, RWU),
	FLD(ext_syscall_ctx, ret, 8, F_NUM, F_WRITE | F_USER),
	FLD(ext_syscall_ctx, space, 8, F_NUM, R),
	FLD(ext_syscall_ctx, thread, 8, F_NUM, R),
	END
};
_Static_assert(sizeof(struct ext_syscall_ctx) == 80, "syscall_fields follows the struct");

static const struct ext_field pagefault_fields[] = {
	FLD(ext_pagefault_ctx, addr, 8, F_NUM, R),
	FLD(ext_pagefault_ctx, ip, 8, F_NUM, R),
	FLD(ext_pagefault_ctx, kind, 4, F_NUM, R),
	FLD(ext_pagefault_ctx, access, 4, F_NUM, R),
	FLD(ext_pagefault_ctx, space, 8, F_NUM, R),
	END
};
_Static_assert(sizeof(struct ext_pagefault_ctx) == 32, "pagefault_fields follows the struct");

static const struct ext_field thread_fields[] = {
	FLD(ext_thread_ctx, thread, 8, F_NUM, R),
	FLD(ext_thread_ctx, what, 4, F_NUM, R),
	FLD(ext_thread_ctx, cpu, 4, F_NUM, R),
	FLD(ext_thread_ctx, user_word, 8, F_NUM, RWU),
	END
};
_Static_assert(sizeof(struct ext_thread_ctx) == 24, "thread_fields follows the struct");

static const struct ext_field ipc_fields[] = {
	FLD(ext_ipc_ctx, sender, 8, F_NUM, R),
	FLD(ext_ipc_ctx, label, 8, F_NUM, R),
	FLD(ext_ipc_ctx, mr[0], 8, F_NUM, R),
	FLD(ext_ipc_ctx, mr[1], 8, F_NUM, R),
	FLD(ext_ipc_ctx, mr[2], 8, F_NUM, R),
	FLD(ext_ipc_ctx, mr[3], 8, F_NUM, R),
	END
};
_Static_assert(sizeof(struct ext_ipc_ctx) == 48, "ipc_fields follows the struct");

static const struct ext_field irq_fields[] = {
	FLD(ext_irq_ctx, line, 4, F_NUM, R),
	FLD(ext_irq_ctx, cpu, 4, F_NUM, R),
	FLD(ext_irq_ctx, count, 8, F_NUM, R),
	END
};
_Static_assert(sizeof(struct ext_irq_ctx) == 16, "irq_fields follows the struct");

static const struct ext_field timer_fields[] = {
	FLD(ext_timer_ctx, now, 8, F_NUM, R),
	FLD(ext_timer_ctx, period, 8, F_NUM, R),
	FLD(ext_timer_ctx, next, 8, F_NUM, RW),
	END
};
_Static_assert(sizeof(struct ext_timer_ctx) == 24, "timer_fields follows the struct");

/* pad is no field: reading it is refused like any byte outside the fields. */
static const struct ext_field packet_fields[] = {
	FLD(ext_packet_ctx, data, 8, F_PKT_DATA, R),
	FLD(ext_packet_ctx, data_end, 8, F_PKT_END, R),
	FLD(ext_packet_ctx, len, 4, F_NUM, R),
	FLD(ext_packet_ctx, ifindex, 4, F_NUM, R),
	FLD(ext_packet_ctx, mark, 4, F_NUM, RWU),
	END
};
_Static_assert(sizeof(struct ext_packet_ctx) == 32, "packet_fields follows the struct");

#define H(n) (1ull << EXT_HELPER_##n)
/* Helpers without effects: what a guard may call. */
#define PURE     (H(KTIME) | H(SELF))
/* Effects confined to the extension's own counters and store. */
#define HANDLER  (PURE | H(TRACE) | H(COUNTER_ADD) | H(STORE))
#define U32MAX   0xffffffffull

/*
 * Handlers first, then guards: a guard sees its event's context read only
 * (the checker refuses every context store when t->guard), returns a
 * boolean and calls only pure helpers.
 */
#define TYPE(ev, name, ctx, fields, more, max) \
	{ "event/" name, ev, false, fields, sizeof(struct ctx), HANDLER | (more), 0, max, false }, \
	{ "guard/" name, ev, true, fields, sizeof(struct ctx), \
	  (HANDLER | (more)) & (PURE | H(PKT_LOAD)), 0, 1, false }

static const struct ext_prog_type types[] = {
	TYPE(EXT_EV_SYSCALL, "syscall", ext_syscall_ctx, syscall_fields,
	     H(PAGE_PROTECT) | H(PROTECT_RANGE), 1),
	TYPE(EXT_EV_PAGEFAULT, "pagefault", ext_pagefault_ctx, pagefault_fields,
	     H(PAGE_PROTECT) | H(PROTECT_RANGE) | H(DIRTY_MARK), 1),
	TYPE(EXT_EV_THREAD, "thread", ext_thread_ctx, thread_fields, 0, 1),
	TYPE(EXT_EV_IPC, "ipc", ext_ipc_ctx, ipc_fields, 0, 1),
	TYPE(EXT_EV_IRQ, "irq", ext_irq_ctx, irq_fields, 0, 1),
	TYPE(EXT_EV_TIMER, "timer", ext_timer_ctx, timer_fields, 0, 1),
	TYPE(EXT_EV_PACKET, "packet", ext_packet_ctx, packet_fields, H(PKT_LOAD), U32MAX),
};
#define NTYPES (sizeof(types) / sizeof(types[0]))

const struct ext_prog_type *
verify_type_by_event(int event, bool guard)
{
	for (unsigned i = 0; i < NTYPES; i++)
		if (types[i].event == event && types[i].guard == guard)
			return &types[i];
	return NULL;
}

const struct ext_prog_type *
verify_type_by_section(const char *section)
{
	for (unsigned i = 0; i < NTYPES; i++)
		if (!strcmp(section, types[i].section))
			return &types[i];
	return NULL;
}

static const struct ext_helper_proto helpers[EXT_HELPER_COUNT] = {
	[EXT_HELPER_KTIME] = { "ext_ktime", RET_SCALAR, { 0 }, 0, 0, false },
	[EXT_HELPER_TRACE] = { "ext_trace", RET_SCALAR, { A_MEM_RD, A_SIZE },
			       EXT_TRACE_MAX, 0, false },
	[EXT_HELPER_COUNTER_ADD] = { "ext_counter_add", RET_SCALAR,
				     { A_SCALAR, A_SCALAR }, 0, 0, false },
	[EXT_HELPER_STORE] = { "ext_store", RET_MEM_OR_NULL, { A_SCALAR }, 0,
			       EXT_STORE_SIZE, true },
	[EXT_HELPER_PKT_LOAD] = { "ext_pkt_load", RET_SCALAR,
				  { A_CTX, A_SCALAR, A_MEM_WR, A_SIZE },
				  EXT_PKT_LOAD_MAX, 0, false },
	[EXT_HELPER_PAGE_PROTECT] = { "ext_page_protect", RET_SCALAR,
				      { A_SCALAR, A_SCALAR }, 0, 0, false },
	[EXT_HELPER_DIRTY_MARK] = { "ext_dirty_mark", RET_SCALAR, { A_SCALAR },
				    0, 0, false },
	[EXT_HELPER_SELF] = { "ext_self", RET_SCALAR, { 0 }, 0, 0, false },
	[EXT_HELPER_PROTECT_RANGE] = { "ext_protect_range", RET_SCALAR,
				       { A_SCALAR, A_SCALAR, A_SCALAR }, 0, 0, false },
};

const struct ext_helper_proto *
verify_helper(u32 n)
{
	if (n == 0 || n >= EXT_HELPER_COUNT)
		return NULL;
	return &helpers[n];
}
