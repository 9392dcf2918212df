/*
 * exos_fork and exos_waitpid, a process's side (exos.h; the manager's is
 * proc_fork.c). fork saves the registers a call preserves into the start
 * page and asks the manager for a child; the child's start page is a copy,
 * so the child starts at exos_fork_resume, loads them from its copy and
 * returns 0 from the save, in its copy-on-write copy of the parent's stack.
 */
#include "exos.h"

#include <exo/error.h>
#include <exo/ipc.h>

#include "libos.h"
#include "proc_abi.h"

_Static_assert(EXOS_START_VA == 0x7fffffe00000ULL &&
	       __builtin_offsetof(struct exos_start, fork_regs) == 8,
	       "exos_fork_resume below names the saved registers' address");

/* 0 when saving, 1 when the child resumes (setjmp's shape). */
__attribute__((returns_twice)) long exos_fork_save(u64 regs[8]);
void exos_fork_resume(void);

__asm__(".text\n"
	".globl exos_fork_save\n"
	"exos_fork_save:\n"
	"	mov %rbx, 0(%rdi)\n"
	"	mov %rbp, 8(%rdi)\n"
	"	mov %r12, 16(%rdi)\n"
	"	mov %r13, 24(%rdi)\n"
	"	mov %r14, 32(%rdi)\n"
	"	mov %r15, 40(%rdi)\n"
	"	lea 8(%rsp), %rax\n"
	"	mov %rax, 48(%rdi)\n"
	"	mov (%rsp), %rax\n"
	"	mov %rax, 56(%rdi)\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".globl exos_fork_resume\n"
	"exos_fork_resume:\n"
	"	movabs $0x7fffffe00008, %rdi\n"
	"	mov 0(%rdi), %rbx\n"
	"	mov 8(%rdi), %rbp\n"
	"	mov 16(%rdi), %r12\n"
	"	mov 24(%rdi), %r13\n"
	"	mov 32(%rdi), %r14\n"
	"	mov 40(%rdi), %r15\n"
	"	mov 48(%rdi), %rsp\n"
	"	mov $1, %eax\n"
	"	jmp *56(%rdi)\n");

static struct exos_start *const start = (struct exos_start *)EXOS_START_VA;

long
exos_fork(void)
{
	struct l4_msg m = { { EXO_TAG(EXOS_MSG_FORK, 2, 0), (u64)exos_fork_resume, 0 } };

	if (exos_fork_save(start->fork_regs))
		return 0;
	m.mr[2] = start->fork_regs[6];
	if (l4_call(start->manager, &m))
		return -E_AGAIN;
	return (long)m.mr[1];
}

long
exos_waitpid(u32 pid, u32 *status)
{
	struct l4_msg m = { { EXO_TAG(EXOS_MSG_WAIT, 1, 0), pid } };

	if (l4_call(start->manager, &m))
		return -E_AGAIN;
	if ((long)m.mr[1] >= 0 && status)
		*status = (u32)m.mr[2];
	return (long)m.mr[1];
}
