/*
 * Every entry into the kernel arrives here with a trapframe. From user mode
 * it is the running thread's saved registers and the core decides which
 * thread to resume; from ring 0 it is an interrupt while the kernel idles, or
 * a kernel fault (a bug: panic, with the registers).
 */
#include "trap.h"

#include <exo/bootinfo.h>
#include <exo/layout.h>
#include <exo/syscall.h>
#include <exo/vectors.h>

#include "../../core/kernel.h"
#include "../../core/sched.h"
#include "../../core/platform.h"
#include "../../core/space.h"
#include "../../core/thread.h"
#include "../../core/tlb.h"
#include "asm.h"
#include "cpu.h"
#include "lapic.h"
#include "mmu.h"
#include "x86.h"

/* The entry code reaches these by fixed offsets (asm.h). */
_Static_assert(__builtin_offsetof(struct thread, ctx) == 0, "ctx first");
_Static_assert(__builtin_offsetof(struct trapframe, r11) == TF_R11, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, r8) == TF_R8, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rbp) == TF_RBP, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rcx) == TF_RCX, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rbx) == TF_RBX, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rax) == TF_RAX, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, rip) == TF_RIP, "tf");
_Static_assert(__builtin_offsetof(struct trapframe, cs) == TF_CS, "tf");
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "tf");
_Static_assert(TF_SIZE % 16 == 0, "the CPU aligns the entry stack to 16");
_Static_assert(__builtin_offsetof(struct thread, root) == T_ROOT, "thread");
_Static_assert(__builtin_offsetof(struct thread, utcb_va) == T_UTCB_VA, "thread");
_Static_assert(__builtin_offsetof(struct thread, home) == T_HOME, "thread");
_Static_assert(__builtin_offsetof(struct thread, kstack) == T_KSTACK, "thread");
_Static_assert(EXO_USER_SYSCALL_STUB < 0x7fffffff, "vec3 compares it as imm32");
_Static_assert(SYSNO_IPC == SYS_ipc, "vec3 knows the IPC system call");

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
 * From ring 0: an interrupt while this CPU idles (the only time the kernel
 * takes interrupts), without the lock. Requests from other CPUs are answered
 * here; the timer and console input wait for arch_idle to hold the lock.
 */
void
trap_kernel_entry(struct trapframe *tf)
{
	if (tf->vector >= VEC_IRQ_FIRST && tf->vector < IDT_NVEC) {
		lapic_interrupt_idle(tf->vector);
		return;
	}
	trap_kernel(tf);
}

/*
 * An IPI from user mode. A shootdown alone is answered and t goes on,
 * without the lock; an eviction or a reschedule has the scheduler look.
 */
static struct trapframe *
trap_ipi(struct thread *t)
{
	struct thread *next;
	u32 req;

	lapic_eoi();
	req = smp_poll(this_cpu());
	if (!(req & (SMP_REQ_EVICT | SMP_REQ_RESCHED)))
		return &t->ctx;
	smp_lock();
	sched_arm();
	next = this_cpu()->cur == t ? kernel_resume(t) : kernel_evicted();
	smp_unlock();
	return &next->ctx;
}

/*
 * From user mode: tf is the running thread's ctx. The lock is taken here and
 * dropped just before the return to user mode. If another CPU took t away
 * while this one waited for the lock (smp_evict: t was deleted), the
 * scheduler picks what runs instead.
 */
struct trapframe *
trap(struct trapframe *tf)
{
	struct thread *t = (struct thread *)tf, *next;

	if (tf->vector == VEC_IPI)
		return trap_ipi(t);
	smp_lock();
	if (this_cpu()->cur != t) {
		next = kernel_evicted();
		goto out;
	}
	switch (tf->vector) {
	case VEC_SYSCALL:
		next = kernel_syscall(t);
		break;
	case VEC_TIMER:
	case VEC_CONSOLE:
	case VEC_SPURIOUS:
		/* Interrupts preempt user code: the core may pick another thread. */
		lapic_interrupt(tf->vector);
		next = kernel_resume(t);
		break;
	case T_BP:
		if (tf->rip == EXO_USER_SYSCALL_STUB + 1) {
			next = kernel_syscall(t);
			break;
		}
		__attribute__((fallthrough));   /* a breakpoint */
	default:
		next = kernel_exception(t, tf->vector, tf->error,
					tf->vector == T_PF ? read_cr2() : 0);
	}
out:
	smp_unlock();
	return &next->ctx;
}

/* SYS_ipc that the fast path declined: the entry code saved every register. */
struct trapframe *
trap_ipc_slow(struct thread *t)
{
	struct thread *next;

	t->ctx.rax = SYS_ipc;
	t->ctx.vector = T_BP;
	t->ctx.error = 0;
	smp_lock();
	next = this_cpu()->cur == t ? kernel_syscall(t) : kernel_evicted();
	smp_unlock();
	return &next->ctx;
}

void
arch_thread_init(struct thread *t)
{
	t->ctx.cs = SEL_UCODE;
	t->ctx.ss = SEL_UDATA;
	t->ctx.rflags = RFLAGS_IF | 2;
}

void
arch_thread_switch(struct thread *t)
{
	struct cpu *c = cpu_arch(this_cpu());
	u64 rsp0 = (u64)(&t->ctx + 1);

	arch_space_switch(&t->space->pt);
	c->tss.rsp[0] = rsp0;
	c->rsp0 = rsp0;
	__asm__ volatile("wrgsbase %0" : : "r"(t->utcb_va));
}

/* Leave the kernel into t for the first time on this CPU: drop the lock. */
void
arch_run(struct thread *t)
{
	smp_unlock();
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
