/*
 * The ptrace platform's fast way for the faults whose vector the signal
 * says whole: a #UD (SIGILL) and an integer divide error (SIGFPE,
 * FPE_INTDIV), neither with an error code or address. exo takes them at
 * the signal's delivery stop, without letting the signal through to the
 * stub's handler and waiting for its report (two more stops, and the
 * thread's vector state kept and given back: ptrace.c). rdgsbase and
 * wrgsbase, a #UD where the host does not let user mode run them, are
 * emulated here as the stub's handler does on hosted (stub.c).
 *
 * What needs the signal frame goes the handler's way: a page fault's
 * error code (SIGSEGV, SIGBUS), an x87 or SIMD exception's vector (#MF
 * and #XM are both FPE_FLT*), a #BP or #DB (SIGTRAP).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>

#include "../guest/core/platform.h"
#include "../guest/core/thread.h"
#include "hosted.h"
#include "ptrace_fault.h"

#define INSN_MAX 5      /* F3 REX 0F AE modrm */

/* Up to n bytes at va through the space's table (exo has every frame in
 * the memfd): how many were readable. */
static unsigned
fetch(const struct thread *t, u64 va, u8 *b, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		u64 pa;

		if (arch_space_lookup(&t->space->pt, va + i, 0, &pa) < 0 ||
		    pa >= hosted.mem_size)
			break;
		b[i] = hosted.mem[pa];
	}
	return i;
}

static unsigned long long *
gpr(struct user_regs_struct *u, unsigned reg)
{
	unsigned long long *r[16] = { &u->rax, &u->rcx, &u->rdx, &u->rbx, &u->rsp,
				      &u->rbp, &u->rsi, &u->rdi, &u->r8, &u->r9,
				      &u->r10, &u->r11, &u->r12, &u->r13, &u->r14,
				      &u->r15 };

	return r[reg];
}

/* rdgsbase / wrgsbase (F3 [REX] 0F AE /1, /3, register operand) at u's
 * rip: carried out on u. false: not one. */
static bool
gsbase_emulate(const struct thread *t, struct user_regs_struct *u)
{
	u8 b[INSN_MAX];
	unsigned n = fetch(t, u->rip, b, INSN_MAX), len = 0, rex = 0, modrm, reg, op;

	if (n < 4 || b[len++] != 0xf3)
		return false;
	if ((b[len] & 0xf0) == 0x40)
		rex = b[len++];
	if (len + 3 > n || b[len] != 0x0f || b[len + 1] != 0xae)
		return false;
	modrm = b[len + 2];
	len += 3;
	op = modrm >> 3 & 7;
	if ((modrm & 0xc0) != 0xc0 || (op != 1 && op != 3))
		return false;
	reg = (modrm & 7) | (rex & 1) << 3;
	if (op == 1)
		*gpr(u, reg) = rex & 8 ? u->gs_base : (u32)u->gs_base;
	else
		u->gs_base = rex & 8 ? *gpr(u, reg) : (u32)*gpr(u, reg);
	u->rip += len;
	return true;
}

static void
entry(struct stub_regs *e, const struct user_regs_struct *u, u64 vector)
{
	regs_out(e, u, STUB_FAULT);
	e->vector = vector;
}

int
hosted_ptrace_fault(struct thread *t, pid_t tid, int sig, struct user_regs_struct *u,
		    struct stub_regs *e)
{
	siginfo_t si;

	if (sig == SIGILL) {
		if (gsbase_emulate(t, u))
			return PTRACE_FAULT_EMULATED;
		entry(e, u, 6);         /* #UD */
		return PTRACE_FAULT_ENTRY;
	}
	if (sig == SIGFPE && ptrace(PTRACE_GETSIGINFO, tid, 0, &si) == 0 &&
	    si.si_code == FPE_INTDIV) {
		entry(e, u, 0);         /* #DE */
		return PTRACE_FAULT_ENTRY;
	}
	return PTRACE_FAULT_HANDLER;
}
