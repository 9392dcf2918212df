/*
 * Every entry into the kernel arrives here with a trapframe. From user mode
 * it is the running thread's saved registers and the core decides which
 * thread to resume; from ring 0 it is an interrupt while the kernel idles, or
 * a kernel fault (a bug: panic, with the registers).
 */
#include "trap.h"

#include <exo/bootinfo.h>
#include <exo/error.h>
#include <exo/exo.h>
#include <exo/layout.h>
#include <exo/syscall.h>
#include <exo/vectors.h>

#include "../../core/env.h"
#include "../../core/kernel.h"
#include "../../core/sched.h"
#include "../../core/mdb_fast.h"
#include "../../core/platform.h"
#include "../../core/slice.h"
#include "../../core/space.h"
#include "../../core/thread.h"
#include "../../core/tlb.h"
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
	       TRACE_K_IPC_FAST == EXO_TRACE_IPC_FAST &&
	       TRACE_IPC_FAST_MAP == EXO_TRACE_IPC_FAST_MAP &&
	       TRACE_K_EXC_UPCALL == EXO_TRACE_EXC_UPCALL &&
	       TRACE_K_STLB_FILL == EXO_TRACE_STLB_FILL &&
	       TRACE_K_SYSCALL_FAST == EXO_TRACE_SYSCALL_FAST, "trace_asm.h");

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
_Static_assert(__builtin_offsetof(struct thread, arch_xframe) == T_XFRAME, "thread");
_Static_assert(__builtin_offsetof(struct thread, arch_stlb) == T_STLB, "thread");
_Static_assert(STLB_F_VALID == STLB_VALID && STLB_F_LAZY == STLB_LAZY, "stlb flags");
_Static_assert(__builtin_offsetof(struct stlb_entry, tag) == STLB_TAG &&
	       __builtin_offsetof(struct stlb_entry, pa_rights) == STLB_PA_RIGHTS &&
	       __builtin_offsetof(struct stlb_entry, arch) == STLB_SLOT &&
	       __builtin_offsetof(struct stlb_entry, arch) + 8 == STLB_PTE &&
	       sizeof(struct stlb_entry) == 40, "stlb entry");
_Static_assert(__builtin_offsetof(struct env, stlb_hits) -
	       __builtin_offsetof(struct env, stlb) == STLB_HITS, "env stlb_hits");
_Static_assert(__builtin_offsetof(struct exo_xframe, vector) == XF_VECTOR &&
	       __builtin_offsetof(struct exo_xframe, error) == XF_ERROR &&
	       __builtin_offsetof(struct exo_xframe, rip) == XF_RIP &&
	       __builtin_offsetof(struct exo_xframe, rflags) == XF_RFLAGS &&
	       __builtin_offsetof(struct exo_xframe, rsp) == XF_RSP &&
	       __builtin_offsetof(struct exo_xframe, entry_pc) == XF_ENTRY_PC &&
	       __builtin_offsetof(struct exo_xframe, entry_sp) == XF_ENTRY_SP, "xframe");
/* The hardware frame from its error code, in a trapframe. */
_Static_assert(TF_RIP - TF_ERROR == HW_RIP && TF_CS - TF_ERROR == HW_CS &&
	       TF_RSP - TF_ERROR == HW_RSP &&
	       __builtin_offsetof(struct trapframe, rflags) - TF_ERROR == HW_RFLAGS, "hw frame");
/* VEC_UP's scratch: slots of ctx below the error code, below the 40-byte
 * frame its upcall pushes for rax, and none below ctx's start. */
_Static_assert(XS_UPRAX < -40 && XS_UPRAX >= -TF_ERROR && XS_RDX >= -TF_ERROR &&
	       XS_RCX != XS_RAX && XS_RDX != XS_RCX && XS_UPRAX != XS_RDX &&
	       XS_UPRAX != XS_RCX, "VEC_UP's scratch in ctx");
_Static_assert(__builtin_offsetof(struct thread, utcb_va) == T_UTCB_VA, "thread");
_Static_assert(__builtin_offsetof(struct thread, home) == T_HOME, "thread");
_Static_assert(__builtin_offsetof(struct thread, kstack) == T_KSTACK, "thread");
_Static_assert(EXO_USER_SYSCALL_STUB < 0x7fffffff, "vec3 compares it as imm32");
_Static_assert(SYSNO_IPC == SYS_ipc, "vec3 knows the IPC system call");
_Static_assert(SYSNO_PCT == SYS_pct, "vec3 knows the PCT system call");
_Static_assert(SYSNO_BIND == SYS_bind, "vec3 knows the bind system call");
_Static_assert(SYSNO_UNBIND == SYS_unbind, "vec3 knows the unbind system call");
_Static_assert(__builtin_offsetof(struct cap, flags) == CAP_FLAGS &&
	       CAPF_RESERVE_ == CAPF_RESERVE, "cap flags");
_Static_assert(__builtin_offsetof(struct mdb_state, dir) == MDB_DIR &&
	       __builtin_offsetof(struct mdb_state, hash_mask) == MDB_MASK &&
	       MDB_PTRS_PER_FRAME == 512 &&
	       __builtin_offsetof(struct mdb_node, space) == MN_SPACE &&
	       __builtin_offsetof(struct mdb_node, va) == MN_VA &&
	       __builtin_offsetof(struct mdb_node, hnext) == MN_HNEXT &&
	       __builtin_offsetof(struct space, mdb_salt) == SP_SALT, "mdb");
_Static_assert(SYS_pct < SYSNO_FAST_END && SYS_bind < SYSNO_FAST_END, "vec3 table");
_Static_assert(__builtin_offsetof(struct thread, space) == T_SPACE &&
	       __builtin_offsetof(struct thread, arch_capbase) == T_CAPBASE &&
	       __builtin_offsetof(struct thread, arch_slice) == T_SLICE &&
	       __builtin_offsetof(struct thread, id) == T_ID &&
	       __builtin_offsetof(struct thread, state) == T_STATE &&
	       __builtin_offsetof(struct thread, flags) == T_STATE + 4 &&
	       __builtin_offsetof(struct thread, arch_fpu_saved) == T_FPU_SAVED &&
	       __builtin_offsetof(struct thread, arch_save) == T_SAVE &&
	       __builtin_offsetof(struct trapframe, rsp) == TF_RSP &&
	       TS_READY_ == TS_READY && TS_ENTRY_WAIT_ == TS_ENTRY_WAIT, "thread");
_Static_assert(sizeof(struct env) == ENV_SIZE &&
	       __builtin_offsetof(struct env, entry[EXO_ENTRY_PCT]) == ENV_PCT &&
	       __builtin_offsetof(struct env_entry, tid) == ENT_TID &&
	       __builtin_offsetof(struct env_entry, pc) == ENT_PC &&
	       __builtin_offsetof(struct env_entry, sp) == ENT_SP &&
	       __builtin_offsetof(struct env_entry, thread_off) == ENT_TOFF &&
	       __builtin_offsetof(struct env_entry, env1) == ENT_ENV1 &&
	       sizeof(struct env_entry) == 32 && sizeof(struct thread) * NTHREADS < 1ull << 31 &&
	       sizeof(struct slice_env) == SE_SIZE &&
	       __builtin_offsetof(struct slice_env, donee) == SE_DONEE &&
	       CAP_TYPE_ENV == EXO_CAP_ENV && EXO_PCT_SYNC == 0, "pct fast path");
_Static_assert(__builtin_offsetof(struct env, caps) == 0 &&
	       __builtin_offsetof(struct env, stlb) == ENV_STLB &&
	       __builtin_offsetof(struct env, stlb_live) -
	       __builtin_offsetof(struct env, stlb) == STLB_LIVE, "env");
_Static_assert(__builtin_offsetof(struct stlb_entry, cap) == STLB_CAP &&
	       __builtin_offsetof(struct stlb_entry, pad) == STLB_CAP + 4 &&
	       sizeof(struct stlb_entry) == 40 && STLB_F_PINNED == STLB_PINNED &&
	       STLB_F_LAZY == STLB_LAZY && STLB_F_VALID == STLB_VALID, "stlb entry");
_Static_assert(sizeof(struct cap) == CAP_SIZE &&
	       __builtin_offsetof(struct cap, object) == CAP_OBJECT &&
	       __builtin_offsetof(struct cap, va) == CAP_VA &&
	       __builtin_offsetof(struct cap, gen) == CAP_GEN &&
	       __builtin_offsetof(struct cap, type) == CAP_TYPE &&
	       __builtin_offsetof(struct cap, rights) == CAP_RIGHTS &&
	       __builtin_offsetof(struct cap, bound) == CAP_BOUND &&
	       CAP_TYPE_FRAME == EXO_CAP_FRAME, "cap");
_Static_assert(__builtin_offsetof(struct space, pt.leaf_key) == SP_LEAF_KEY &&
	       __builtin_offsetof(struct space, pt.leaf_pa) == SP_LEAF_PA &&
	       __builtin_offsetof(struct space, index) == SP_INDEX, "space");
_Static_assert(EXO_NCAPS == 512 && EXO_STLB_ENTRIES == 256 &&
	       EXO_CAP_R == EXO_BIND_R && EXO_CAP_W == EXO_BIND_W &&
	       EXO_CAP_X == EXO_BIND_X && EXO_R == EXO_BIND_R, "bind fast path");
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

/*
 * From ring 0: an interrupt while this CPU idles (the only time the kernel
 * takes interrupts), without the lock. Requests from other CPUs are answered
 * here; the timer and console input wait for arch_idle to hold the lock.
 */
void
trap_kernel_entry(struct trapframe *tf)
{
	if (tf->vector >= VEC_IRQ_FIRST && tf->vector < IDT_NVEC) {
		if (tf->rip == (u64)sti_hlt_halt)
			tf->rip++;      /* taken before its HLT: don't halt after */
		TRACE_S(IRQ, tf->vector);
		lapic_interrupt_idle(tf->vector);
		return;
	}
	trap_kernel(tf);
}

/*
 * The user FPU/SSE state (x87, MMX, XMM, MXCSR). The kernel never touches
 * it (-mgeneral-regs-only), so it stays in the registers while the kernel
 * runs; it must be kept when another thread's user code may run before t
 * resumes. A system call may leave it changed (the library OS's stubs say
 * so to the compiler), so the fast paths of voluntary entries never save
 * it. An involuntary entry (interrupt, exception) must not: the thread
 * cannot know it happened. Those save it here (fpu_save) and the thread
 * gets it back before it runs user code again: from arch_thread_switch, or
 * at the end of the same entry if it goes on (fpu_kept), or from the pager's
 * map reply fast path (entry.S ipc_map), the one fast path that resumes a
 * thread stopped by an involuntary entry (pf_entry saves it too).
 *
 * A thread resumed after another's entry and without a saved state of its
 * own gets fpu_clean instead, never what the other left in the registers
 * (which may belong to another environment): arch_thread_switch, and each
 * fast path that switches (IPC, PCT, the fault to a pager), one fxrstor64.
 */

/* The fxsave64 image of a reset FPU (FCW 0x37f, MXCSR 0x1f80, all else 0). */
struct fpu_image {
	u16 fcw, fsw;
	u8 ftw, pad;
	u16 fop;
	u64 fip, fdp;
	u32 mxcsr, mxcsr_mask;
	u8 regs[THREAD_ARCH_SAVE - 32];
};
_Static_assert(sizeof(struct fpu_image) == THREAD_ARCH_SAVE &&
	       __builtin_offsetof(struct fpu_image, mxcsr) == 24, "fxsave64 layout");
extern const struct fpu_image fpu_clean;
const struct fpu_image fpu_clean __attribute__((aligned(16))) = {
	.fcw = 0x37f, .mxcsr = 0x1f80,
};
static void
fpu_save(struct thread *t)
{
	__asm__ volatile("fxsave64 %0" : "=m"(*(u8 (*)[THREAD_ARCH_SAVE])t->arch_save));
	t->arch_fpu_saved = 1;
}

/* t, saved by fpu_save, goes on: its state is in the registers (no other
 * thread's was loaded since, or arch_thread_switch loaded t's again). */
static void
fpu_kept(struct thread *t, struct thread *next)
{
	if (next == t)
		t->arch_fpu_saved = 0;
}

/*
 * An IPI from user mode (entry.S vec35: its own entry, so other entries
 * need not test the vector). A shootdown alone is answered and t goes on,
 * without the lock; an eviction or a reschedule has the scheduler look.
 */
struct trapframe *
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
	if (this_cpu()->cur == t) {
		fpu_save(t);
		next = kernel_resume(t);
		fpu_kept(t, next);
	} else {
		next = kernel_evicted();
	}
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

	smp_lock();
	if (this_cpu()->cur != t) {
		next = kernel_evicted();
		goto out;
	}
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
		fpu_save(t);
		lapic_interrupt(tf->vector);
		next = kernel_resume(t);
		fpu_kept(t, next);
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
		fpu_save(t);
		next = kernel_exception(t, tf->vector, tf->error, addr);
		fpu_kept(t, next);
	}
	}
out:
	TRACE_A(KEXIT, next->id);
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
	TRACE_S(SYSCALL, SYS_ipc);
	next = this_cpu()->cur == t ? kernel_ipc(t) : kernel_evicted();
	TRACE_A(KEXIT, next->id);
	smp_unlock();
	return &next->ctx;
}

void
arch_thread_init(struct thread *t)
{
	t->ctx.cs = SEL_UCODE;
	t->ctx.ss = SEL_UDATA;
	t->ctx.rflags = RFLAGS_IF | 2;
	t->arch_xframe = 0;
	/* For the exception upcall and the bind fast path (bind_fast.S). */
	t->arch_stlb = (u64)env_of(t->space)->stlb;
	t->arch_capbase = (u64)t->space->index * EXO_NCAPS + 1;
	t->arch_slice = (u64)&slice_envs[t->space->index];
}

void
arch_thread_upcalls(struct thread *t, bool on)
{
	struct exo_xframe *x = thread_xframe(t);

	/* The selectors the handler's frame reports (<exo/exo.h>): VEC_UP
	 * copies the rest of the faulting state, never these. */
	x->cs = SEL_UCODE;
	x->ss = SEL_UDATA;
	t->arch_xframe = on ? (u64)x : 0;
	t->arch_stlb = (u64)env_of(t->space)->stlb;
}

/* entry.S kfault_gp, on the kernel stack: the running thread dies. */
struct trapframe *
trap_upcall_bad(void)
{
	struct thread *next;
	struct exo_xframe *x;

	smp_lock();
	x = thread_xframe(current);
	thread_doom(current, T_GP, 0, x->entry_pc, x->entry_pc);
	next = kernel_resume(current);
	smp_unlock();
	return &next->ctx;
}

void
arch_thread_switch(struct thread *t)
{
	struct cpu *c = cpu_arch(this_cpu());
	u64 rsp0 = (u64)(&t->ctx + 1);

	arch_space_switch(&t->space->pt);
	if (t->arch_fpu_saved) {
		__asm__ volatile("fxrstor64 %0"
				 : : "m"(*(const u8 (*)[THREAD_ARCH_SAVE])t->arch_save));
		t->arch_fpu_saved = 0;
	} else {
		__asm__ volatile("fxrstor64 %0" : : "m"(fpu_clean));
	}
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

/*
 * Tracing on or off: the upcall vectors' gates (cpu.c) and vec3's table of
 * fast entries (entry.S) point at the traced copies or the plain ones.
 * vec3's table: each entry is vec3_common (turned
 * off by KTEST_FASTPATH), or the fast entry, plain while tracing is off,
 * its traced copy (the SYSCALL_FAST record written unconditionally) while
 * it is on, so an untraced fast path pays nothing for its trace point.
 */
extern void (*vec3_fast[SYSNO_FAST_END])(void);
extern void vec3_common(void);
extern void bind_entry(void), unbind_entry(void), pct_entry(void);
extern void bind_entry_traced(void), unbind_entry_traced(void), pct_entry_traced(void);

static const struct fast_entry {
	u32 sysno;
	void (*plain)(void), (*traced)(void);
} fast_entries[] = {
	{ SYS_bind, bind_entry, bind_entry_traced },
	{ SYS_unbind, unbind_entry, unbind_entry_traced },
	{ SYS_pct, pct_entry, pct_entry_traced },
};
static bool fast_traced;

static const struct fast_entry *
fast_entry(u32 sysno)
{
	for (u32 i = 0; i < sizeof(fast_entries) / sizeof(fast_entries[0]); i++)
		if (fast_entries[i].sysno == sysno)
			return &fast_entries[i];
	return 0;
}

void
arch_trace_set(bool on)
{
	idt_trace_set(on);
	fast_traced = on;
	for (u32 i = 0; i < sizeof(fast_entries) / sizeof(fast_entries[0]); i++) {
		const struct fast_entry *e = &fast_entries[i];

		if (vec3_fast[e->sysno] != vec3_common)   /* off stays off */
			vec3_fast[e->sysno] = on ? e->traced : e->plain;
	}
}

/* KTEST_FASTPATH: an entry of vec3's table on (as tracing wants it) or off. */
int
arch_ktest_fastpath(u32 sysno, bool on)
{
	const struct fast_entry *e = fast_entry(sysno);
	int was;

	if (!e || arch_platform != EXO_PLATFORM_KVM_PVM)
		return -E_INVAL;
	was = vec3_fast[sysno] != vec3_common;
	vec3_fast[sysno] = !on ? vec3_common : fast_traced ? e->traced : e->plain;
	return was;
}
