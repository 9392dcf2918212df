/*
 * Every entry into the kernel arrives here with a trapframe. From user mode
 * it is the running thread's saved registers and the core decides which
 * thread to resume; from ring 0 it is an interrupt while the kernel idles, or
 * a kernel fault (a bug: panic, with the registers).
 */
#include "trap.h"

#include <exo/bootinfo.h>
#include <exo/exo.h>
#include <exo/layout.h>
#include <exo/syscall.h>
#include <exo/vectors.h>

#include "../../core/env.h"
#include "../../core/kernel.h"
#include "../../core/platform.h"
#include "../../core/space.h"
#include "../../core/thread.h"
#include "../../core/trace.h"
#include "asm.h"
#include "cpu.h"
#include "lapic.h"
#include "mmu.h"
#include "trace_asm.h"
#include "x86.h"

/* The entry code's trace points (trace_asm.h) write the same record. */
_Static_assert(TRACE_RECS == __builtin_offsetof(struct exo_trace_ring, recs) &&
	       TRACE_REC_SIZE == EXO_TRACE_REC_SIZE &&
	       TRACE_R_KIND == __builtin_offsetof(struct exo_trace_rec, kind) &&
	       TRACE_R_KIND + 2 == __builtin_offsetof(struct exo_trace_rec, a16) &&
	       TRACE_R_A0 == __builtin_offsetof(struct exo_trace_rec, a0) &&
	       TRACE_K_EXC_UPCALL == EXO_TRACE_EXC_UPCALL &&
	       TRACE_K_STLB_FILL == EXO_TRACE_STLB_FILL, "trace_asm.h");

/* The entry code reaches these by fixed offsets (asm.h). */
_Static_assert(__builtin_offsetof(struct thread, ctx) == 0, "ctx first");
_Static_assert(__builtin_offsetof(struct trapframe, r11) == TF_R11, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, r8) == TF_R8, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rbp) == TF_RBP, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rcx) == TF_RCX, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rbx) == TF_RBX, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rax) == TF_RAX, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, error) == TF_ERROR, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rip) == TF_RIP, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, cs) == TF_CS, "tf");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "tf");
_Static_assert(TF_SIZE % 16 == 0, "the CPU aligns the entry stack to 16");
_Static_assert(__builtin_offsetof(struct thread, root) == T_ROOT, "thread");
_Static_assert(__builtin_offsetof(struct thread, arch_ist) == T_IST, "thread");
_Static_assert(__builtin_offsetof(struct thread, arch_stlb) == T_STLB, "thread");
_Static_assert(STLB_F_VALID == STLB_VALID && STLB_F_LAZY == STLB_LAZY, "stlb flags");
_Static_assert(__builtin_offsetof(struct stlb_entry, tag) == STLB_TAG &&
	       __builtin_offsetof(struct stlb_entry, pa_rights) == STLB_PA_RIGHTS &&
	       __builtin_offsetof(struct stlb_entry, arch) == STLB_SLOT &&
	       __builtin_offsetof(struct stlb_entry, arch) + 8 == STLB_PTE &&
	       sizeof(struct stlb_entry) == 40, "stlb entry");
_Static_assert(__builtin_offsetof(struct env, stlb_hits) -
	       __builtin_offsetof(struct env, stlb) == STLB_HITS, "env stlb_hits");
_Static_assert(__builtin_offsetof(struct exo_xframe, vector) == XF_VECTOR, "xframe");
_Static_assert(__builtin_offsetof(struct exo_xframe, error) == XF_ERROR, "xframe");
_Static_assert(__builtin_offsetof(struct exo_xframe, cs) == XF_CS, "xframe");
_Static_assert(__builtin_offsetof(struct exo_xframe, entry_pc) == XF_ENTRY_PC, "xframe");
_Static_assert(__builtin_offsetof(struct exo_xframe, entry_sp) == XF_ENTRY_SP, "xframe");
_Static_assert(EXO_UTCB_XFRAME + XF_TOP == EXO_UTCB_XTOP && EXO_UTCB_XTOP % 16 == 0,
	       "the exception frame's top is where IST3 points, 16-byte aligned");
_Static_assert(__builtin_offsetof(struct thread, utcb_va) == T_UTCB_VA, "thread");
_Static_assert(__builtin_offsetof(struct exo_kip, cur_utcb) == KIP_CUR_UTCB, "kip");
_Static_assert(EXO_USER_SYSCALL_STUB < 0x7fffffff, "vec3 compares it as imm32");
_Static_assert(SYSNO_IPC == SYS_ipc, "vec3 knows the IPC system call");
_Static_assert(SYSNO_PCT == SYS_pct, "vec3 knows the PCT system call");
_Static_assert(TAG_MAP_ITEM == (EXO_TAG(0, 0, 2) & 0xffff), "ipc_slow's tag test");

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

/* From ring 0: an interrupt is handled and the kernel goes on. */
void
trap_kernel_entry(struct trapframe *tf)
{
	if (tf->vector == T_GP && tf->rip >= (u64)upcall_text_start &&
	    tf->rip < (u64)upcall_text_end)
		upcall_bad_entry();     /* an upcall's iretq: a bad entry_pc */
	if (tf->vector >= VEC_IRQ_FIRST && tf->vector < IDT_NVEC) {
		TRACE_S(IRQ, tf->vector);
		lapic_interrupt(tf->vector);
		return;
	}
	trap_kernel(tf);
}

/* From user mode: tf is the running thread's ctx. */
struct trapframe *
trap(struct trapframe *tf)
{
	struct thread *t = (struct thread *)tf, *next;

	kassert(t == current);
	switch (tf->vector) {
	case VEC_SYSCALL:
		TRACE_S(SYSCALL, tf->rax);
		next = kernel_syscall(t);
		break;
	case VEC_TIMER:
	case VEC_CONSOLE:
	case VEC_SPURIOUS:
		/* Interrupts preempt user code: the core may pick another thread. */
		TRACE_S(IRQ, tf->vector);
		lapic_interrupt(tf->vector);
		next = kernel_resume(t);
		break;
	case T_BP:
		if (tf->rip == EXO_USER_SYSCALL_STUB + 1) {
			TRACE_S(SYSCALL, tf->rax);
			next = kernel_syscall(t);
			break;
		}
		__attribute__((fallthrough));   /* a breakpoint */
	default: {
		u64 addr = tf->vector == T_PF ? read_cr2() : 0;

		TRACE_SAB(EXCEPTION, tf->vector, addr, tf->rip);
		next = kernel_exception(t, tf->vector, tf->error, addr);
	}
	}
	TRACE_A(KEXIT, next->id);
	return &next->ctx;
}

/* SYS_ipc that the fast path declined: the entry code saved every register. */
struct trapframe *
trap_ipc_slow(struct thread *t)
{
	struct thread *next;

	TRACE_S(SYSCALL, SYS_ipc);
	t->ctx.rax = SYS_ipc;
	t->ctx.vector = T_BP;
	t->ctx.error = 0;
	next = kernel_syscall(t);
	TRACE_A(KEXIT, next->id);
	return &next->ctx;
}

void
arch_thread_init(struct thread *t)
{
	t->ctx.cs = SEL_UCODE;
	t->ctx.ss = SEL_UDATA;
	t->ctx.rflags = RFLAGS_IF | 2;
	t->arch_ist = (u64)(&t->ctx + 1);
}

void
arch_thread_upcalls(struct thread *t, bool on)
{
	t->arch_ist = on ? (u64)t->utcb + EXO_UTCB_XTOP : (u64)(&t->ctx + 1);
	t->arch_stlb = (u64)env_of(t->space)->stlb;
	if (t == current)
		tss_set_ist3(t->arch_ist);
}

/* upcall_bad_entry, on the kernel stack: the running thread dies. */
struct trapframe *
trap_upcall_bad(void)
{
	struct exo_xframe *x = thread_xframe(current);

	thread_doom(current, T_GP, 0, x->entry_pc, x->entry_pc);
	return &kernel_resume(current)->ctx;
}

void
arch_thread_switch(struct thread *t)
{
	u64 rsp0 = (u64)(&t->ctx + 1);

	arch_space_switch(&t->space->pt);
	tss_set_rsp0(rsp0);
	tss_set_ist3(t->arch_ist);
	cpu0.rsp0 = rsp0;
}

void
arch_run(struct thread *t)
{
	arch_trap_resume(&t->ctx);
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
