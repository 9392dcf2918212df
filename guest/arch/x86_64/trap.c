/*
 * Every entry into the kernel arrives here with a trapframe: system calls of
 * both platforms, interrupts (from user code, or from the kernel idling in
 * arch_idle), faults of user programs (which kill only that program) and
 * faults of the kernel itself (a bug: panic, with the registers).
 */
#include "trap.h"

#include <exo/bootinfo.h>
#include <exo/layout.h>
#include <exo/vectors.h>

#include "../../core/kernel.h"
#include "../../core/platform.h"
#include "../../core/program.h"
#include "../../core/syscall.h"
#include "asm.h"
#include "cpu.h"
#include "lapic.h"
#include "mmu.h"
#include "x86.h"

static const char *const vector_names[T_NVEC] = EXO_VECTOR_NAMES;
_Static_assert(T_NVEC == EXO_NVECTORS, "a name for every vector");

static void
regs_from_frame(struct exo_regs *r, const struct trapframe *tf)
{
	_Static_assert(__builtin_offsetof(struct exo_regs, cr2) == sizeof(*tf),
		       "exo_regs begins with a trapframe");
	__builtin_memcpy(r, tf, sizeof(*tf));
	r->cr2 = read_cr2();
	r->cr3 = read_cr3();
}

__attribute__((noreturn)) static void
trap_kernel(struct trapframe *tf)
{
	struct exo_regs r;

	regs_from_frame(&r, tf);
	panic_regs(&r, "kernel fault: %s (vector %lu, error %#lx) at rip %#lx, cr2 %#lx",
		   tf->vector < T_NVEC ? vector_names[tf->vector] : "?",
		   tf->vector, tf->error, tf->rip, r.cr2);
}

/*
 * A system call: rip/rflags of the return are in the frame (hardware entry)
 * or in rcx/r11 where SYSCALL left them (PVM stub). A return address outside
 * user space could only fault in ring 0, so it is refused first.
 */
static void
trap_syscall(struct trapframe *tf, u64 ret_rip, u64 ret_rflags)
{
	if (ret_rip >= EXO_USER_END)
		program_kill(T_GP, 0, ret_rip, tf->rip);
	tf->rax = (u64)syscall_dispatch(tf->rax, tf->rdi, tf->rsi, tf->rdx,
					tf->r10, tf->r8, tf->r9);
	tf->rip = ret_rip;
	tf->rflags = (ret_rflags & RFLAGS_USER) | RFLAGS_IF | 2;
}

void
trap(struct trapframe *tf)
{
	/* An interrupt is nobody's fault: handled, then back where it struck. */
	if (tf->vector >= VEC_IRQ_FIRST && tf->vector < IDT_NVEC) {
		lapic_interrupt(tf->vector);
		return;
	}
	if ((tf->cs & 3) != 3)
		trap_kernel(tf);
	if (tf->vector == VEC_SYSCALL) {
		trap_syscall(tf, tf->rip, tf->rflags);
		return;
	}
	if (tf->vector == T_BP && tf->rip == EXO_USER_SYSCALL_STUB + 1 &&
	    cpu0.platform == EXO_PLATFORM_KVM_PVM) {
		trap_syscall(tf, tf->rcx, tf->r11);
		return;
	}
	program_kill(tf->vector, tf->error, tf->vector == T_PF ? read_cr2() : 0,
		     tf->rip);
}

void
arch_user_start(struct arch_space *s, u64 ip, u64 sp, u64 arg0, u64 arg1)
{
	static struct trapframe tf;

	arch_space_switch(s);
	tf = (struct trapframe){
		.rdi = arg0, .rsi = arg1,
		.rip = ip, .cs = SEL_UCODE, .rflags = RFLAGS_IF | 2,
		.rsp = sp, .ss = SEL_UDATA,
	};
	arch_trap_resume(&tf);
}

void
arch_regs_capture(struct exo_regs *r)
{
	*r = (struct exo_regs){ 0 };
	__asm__ volatile("mov %%rbx, %0; mov %%rbp, %1; mov %%rsp, %2; lea 0(%%rip), %3"
			 : "=m"(r->rbx), "=m"(r->rbp), "=m"(r->rsp), "=r"(r->rip));
	r->cs = SEL_KCODE;
	r->ss = SEL_KDATA;
	r->cr2 = read_cr2();
	r->cr3 = read_cr3();
}
