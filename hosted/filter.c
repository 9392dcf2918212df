/*
 * The stub's two seccomp filters, built with libseccomp (the rules on the
 * system call and its arguments) behind a prefix of our own that libseccomp
 * cannot express: the call must come from the stub's code
 * (seccomp_data.instruction_pointer in [STUB_BASE, STUB_BASE +
 * STUB_TEXT_MAX)), else it traps: SIGSYS, a system call of exo's kernel
 * (the control thread makes no other call; if it did, its handler finds no
 * slot and ends the process, stub.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <asm/prctl.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hosted.h"

static int
export(scmp_filter_ctx c, struct stub_filter *f, u32 outside)
{
	struct sock_filter pre[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (u32)(STUB_BASE >> 32), 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (u32)STUB_BASE, 0, 1),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (u32)(STUB_BASE + STUB_TEXT_MAX), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, outside),
	};
	int fd = memfd_create("exo-filter", MFD_CLOEXEC);
	ssize_t n;
	int r = -1;

	if (fd < 0)
		return -1;
	memcpy(f->code, pre, sizeof(pre));
	if (seccomp_export_bpf(c, fd) == 0 && lseek(fd, 0, SEEK_SET) == 0) {
		n = read(fd, (char *)f->code + sizeof(pre),
			 sizeof(f->code) - sizeof(pre));
		if (n > 0 && n % 8 == 0 && (size_t)n < sizeof(f->code) - sizeof(pre)) {
			f->len = sizeof(pre) / 8 + (u64)n / 8;
			r = 0;
		}
	}
	close(fd);
	return r;
}

/* futex: wait and wake only, shared or private. */
static int
allow_futex(scmp_filter_ctx c)
{
	static const int ops[] = { FUTEX_WAIT, FUTEX_WAKE, FUTEX_WAIT_PRIVATE,
				   FUTEX_WAKE_PRIVATE };

	for (unsigned i = 0; i < 4; i++)
		if (seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(futex), 1,
				     SCMP_A1(SCMP_CMP_EQ, (unsigned)ops[i])) < 0)
			return -1;
	return 0;
}

static int
build(struct stub_filter *f, bool ctl)
{
	static const int ctl_calls[] = { SCMP_SYS(mmap), SCMP_SYS(munmap),
		SCMP_SYS(mprotect), SCMP_SYS(write), SCMP_SYS(clone), SCMP_SYS(gettid),
		SCMP_SYS(sigaltstack), SCMP_SYS(seccomp), SCMP_SYS(exit_group),
		SCMP_SYS(rt_sigreturn) };
	/* TRAP in both: user threads inherit the control thread's filter,
	 * and their system calls must reach the handler, not kill them. */
	u32 outside = SECCOMP_RET_TRAP;
	scmp_filter_ctx c = seccomp_init(SCMP_ACT_TRAP);
	int r = -1;

	if (!c)
		return -1;
	/* Another ABI (int $0x80 in a 32-bit segment): trapped, a #GP. */
	/* Both: user threads run under the control thread's filter too. */
	/* sched_yield: a parked thread watching its word gives the host core
	 * to whatever else wants it (stub_wait); it touches nothing. */
	if (seccomp_attr_set(c, SCMP_FLTATR_ACT_BADARCH, outside) < 0 || allow_futex(c) < 0 ||
	    seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(sched_yield), 0) < 0 ||
	    seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(arch_prctl), 1,
			     SCMP_A0(SCMP_CMP_EQ, ARCH_SET_GS)) < 0)
		goto out;
	if (ctl) {
		for (unsigned i = 0; i < sizeof(ctl_calls) / sizeof(ctl_calls[0]); i++)
			if (seccomp_rule_add(c, SCMP_ACT_ALLOW, ctl_calls[i], 0) < 0)
				goto out;
	} else if (seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(rt_sigreturn), 0) < 0 ||
		   seccomp_rule_add(c, SCMP_ACT_ALLOW, SCMP_SYS(exit_group), 0) < 0) {
		goto out;
	}
	r = export(c, f, outside);
out:
	seccomp_release(c);
	return r;
}

int
hosted_filters(struct stub_ctl *ctl)
{
	return build(&ctl->ctl, true) < 0 || build(&ctl->user, false) < 0 ? -1 : 0;
}
