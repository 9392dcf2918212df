/*
 * Every context field of every event, as include/exo/ext.h documents its
 * access (written out again here, apart from verify_types.c): for handler
 * and guard, a read, a store of a number and a store of a pointer, each
 * accepted or rejected with the rule the documentation implies, at the
 * access instruction.
 */
#include <criterion/criterion.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>

#include "guest/ebpf/verify.h"
#include "verify_asm.h"

struct doc_field {
	const char *event;
	u16 off, size;
	const char *access;     /* "R", "RW", "RWU", "WU" as in ext.h */
};

#define F(ev, type, field, sz, acc) { ev, offsetof(struct type, field), sz, acc }

static const struct doc_field doc[] = {
	F("syscall", ext_syscall_ctx, nr, 8, "R"),
	F("syscall", ext_syscall_ctx, args[0], 8, "RWU"),
	F("syscall", ext_syscall_ctx, args[5], 8, "RWU"),
	F("syscall", ext_syscall_ctx, ret, 8, "WU"),
	F("syscall", ext_syscall_ctx, space, 8, "R"),
	F("syscall", ext_syscall_ctx, thread, 8, "R"),
	F("pagefault", ext_pagefault_ctx, addr, 8, "R"),
	F("pagefault", ext_pagefault_ctx, ip, 8, "R"),
	F("pagefault", ext_pagefault_ctx, kind, 4, "R"),
	F("pagefault", ext_pagefault_ctx, access, 4, "R"),
	F("pagefault", ext_pagefault_ctx, space, 8, "R"),
	F("thread", ext_thread_ctx, thread, 8, "R"),
	F("thread", ext_thread_ctx, what, 4, "R"),
	F("thread", ext_thread_ctx, cpu, 4, "R"),
	F("thread", ext_thread_ctx, user_word, 8, "RWU"),
	F("ipc", ext_ipc_ctx, sender, 8, "R"),
	F("ipc", ext_ipc_ctx, label, 8, "R"),
	F("ipc", ext_ipc_ctx, mr[0], 8, "R"),
	F("ipc", ext_ipc_ctx, mr[3], 8, "R"),
	F("irq", ext_irq_ctx, line, 4, "R"),
	F("irq", ext_irq_ctx, cpu, 4, "R"),
	F("irq", ext_irq_ctx, count, 8, "R"),
	F("timer", ext_timer_ctx, now, 8, "R"),
	F("timer", ext_timer_ctx, period, 8, "R"),
	F("timer", ext_timer_ctx, next, 8, "RW"),
	F("packet", ext_packet_ctx, len, 4, "R"),
	F("packet", ext_packet_ctx, ifindex, 4, "R"),
	F("packet", ext_packet_ctx, mark, 4, "RWU"),
	F("packet", ext_packet_ctx, data, 8, "R"),
	F("packet", ext_packet_ctx, data_end, 8, "R"),
};

static u8
size_code(u16 size)
{
	return size == 8 ? BPF_DW : size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;
}

/* The program's verdict: EXT_OK or the rule, which must be at instruction 1. */
static int
judge(const char *section, const struct bpf_insn *p, u32 n, void *work)
{
	struct ext_verify_error e;

	if (verify_program(p, n, verify_type_by_section(section), ~0ull, EXT_HOST_STEPS, work, &e) == 0)
		return EXT_OK;
	cr_expect_eq(e.insn, 1, "%s: %s at %u, not at the access", section,
		     verify_rule_name(e.rule), e.insn);
	return e.rule;
}

static int counts[3];   /* rejections: ctx_no_read, ctx_no_write, ptr_leak/store */

static void
check_field(const struct doc_field *f, bool guard, void *work)
{
	char section[32];
	bool r = strchr(f->access, 'R'), w = strchr(f->access, 'W') && !guard;
	bool user = strchr(f->access, 'U');
	u8 sz = size_code(f->size);
	const struct bpf_insn rd[] = { MOV(0, 0), LDX(sz, 2, 1, f->off), EXIT };
	const struct bpf_insn wr[] = { MOV(0, 0), ST(sz, 1, f->off, 1), EXIT };
	const struct bpf_insn wp[] = { MOV(0, 0), STX(sz, 1, 10, f->off), EXIT };
	int want, got;

	snprintf(section, sizeof(section), "%s/%s", guard ? "guard" : "event", f->event);
	got = judge(section, rd, 3, work);
	cr_expect_eq(got, r ? EXT_OK : R_CTX_NO_READ, "%s read at %u: %s", section, f->off,
		     verify_rule_name(got));
	counts[0] += got == R_CTX_NO_READ;
	got = judge(section, wr, 3, work);
	cr_expect_eq(got, w ? EXT_OK : R_CTX_NO_WRITE, "%s store at %u: %s", section,
		     f->off, verify_rule_name(got));
	counts[1] += got == R_CTX_NO_WRITE;
	/* A pointer: never accepted; the rule says why. */
	want = !w ? R_CTX_NO_WRITE : user ? R_PTR_LEAK : R_PTR_STORE;
	got = judge(section, wp, 3, work);
	cr_expect_eq(got, want, "%s pointer store at %u: %s", section, f->off,
		     verify_rule_name(got));
	counts[got == R_CTX_NO_WRITE ? 1 : 2] += got != EXT_OK;
}

Test(verify_fields, each_field_as_documented)
{
	void *work = malloc(verify_work_size());

	for (size_t i = 0; i < sizeof(doc) / sizeof(doc[0]); i++)
		for (int guard = 0; guard <= 1; guard++)
			check_field(&doc[i], guard, work);
	cr_log_info("rejections: ctx_no_read %d, ctx_no_write %d, ptr_leak/ptr_store %d",
		    counts[0], counts[1], counts[2]);
	free(work);
}
