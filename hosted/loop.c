/*
 * The kernel's loop on the hosted platform: resume a thread (its registers
 * into its register page, its slot's resume word bumped), wait for its next
 * entry, copy the registers once into the core's saved state, and hand the
 * entry to the core, which names the thread to resume next. Each CPU runs
 * it on its own thread (cpu.c), holding the big lock except while its user
 * thread runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <exo/ipc.h>
#include <exo/layout.h>

#include "../guest/core/env.h"
#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/sched.h"
#include "../guest/core/space.h"
#include "../guest/core/thread.h"
#include "../guest/core/trace.h"
#include "hosted.h"

#define RFLAGS_USER 0x202       /* IF, and bit 1 */
/* The vectors trace records name interrupts by: the guest's (asm.h). */
#define VEC_TIMER   32
#define VEC_CONSOLE 33

/* The selectors Linux runs user code with: exo's own (it is user code
 * too), the same in every stub process. */
static void
user_selectors(u64 *cs, u64 *ss)
{
	u16 c, s;

	__asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(c), "=r"(s));
	*cs = c;
	*ss = s;
}

void
arch_thread_init(struct thread *t)
{
	t->ctx.rflags = RFLAGS_USER;
	user_selectors(&t->ctx.cs, &t->ctx.ss);
}

void
arch_thread_switch(struct thread *t)
{
	this_cpu()->root = t->space->pt.root;
}

/* Exceptions reach kernel_exception; upcalls go the portable way. The
 * frame's selectors are the user ones (<exo/exo.h>: written when the entry
 * is registered), here Linux's. */
void
arch_thread_upcalls(struct thread *t, bool on)
{
	struct exo_xframe *x = thread_xframe(t);

	(void)on;
	user_selectors(&x->cs, &x->ss);
}

static void
regs_to_page(struct stub_regs *p, const struct thread *t)
{
	const struct trapframe *c = &t->ctx;

	p->r15 = c->r15; p->r14 = c->r14; p->r13 = c->r13; p->r12 = c->r12;
	p->r11 = c->r11; p->r10 = c->r10; p->r9 = c->r9; p->r8 = c->r8;
	p->rbp = c->rbp; p->rdi = c->rdi; p->rsi = c->rsi; p->rdx = c->rdx;
	p->rcx = c->rcx; p->rbx = c->rbx; p->rax = c->rax;
	p->rip = c->rip; p->rflags = c->rflags; p->rsp = c->rsp;
	p->gs = t->utcb_va;
}

static void
regs_from_copy(struct thread *t, const struct stub_regs *p)
{
	struct trapframe *c = &t->ctx;

	c->r15 = p->r15; c->r14 = p->r14; c->r13 = p->r13; c->r12 = p->r12;
	c->r11 = p->r11; c->r10 = p->r10; c->r9 = p->r9; c->r8 = p->r8;
	c->rbp = p->rbp; c->rdi = p->rdi; c->rsi = p->rsi; c->rdx = p->rdx;
	c->rcx = p->rcx; c->rbx = p->rbx; c->rax = p->rax;
	c->rip = p->rip; c->rflags = p->rflags; c->rsp = p->rsp;
}

/*
 * Before t runs (the lock held): its thread started, its space's queue
 * carried out, its registers in its page. -1: its process is gone.
 */
static int
prepare(struct thread *t, struct stub_regs **page)
{
	struct hspace *s = hosted_space(t->space->pt.root);
	u32 slot = (u32)(t - threads);
	struct stub_regs *p;

	if (!s || hosted_thread_ready(s, slot) < 0 || hosted_flush(s) < 0)
		return -1;
	p = (struct stub_regs *)(hosted.mem + s->slot_pa[slot]);
	if (!s->tid[slot])
		s->tid[slot] = __atomic_load_n(&p->tid, __ATOMIC_RELAXED);
	regs_to_page(p, t);
	*page = p;
	return 0;
}

/* Make t's thread enter (the kernel's timer signal; its thread enters at
 * once) and wait for that entry. A tid the program forged names at worst
 * another thread of it. */
static int
stop(struct hspace *s, u32 slot)
{
	syscall(SYS_tgkill, s->pid, s->tid[slot], STUB_SIG_PREEMPT);
	return hosted_wait_entry(s, slot, 0, WAIT_SIGNALLED);
}

/*
 * Release t (prepared; the lock dropped) and wait for its next entry,
 * copied once into *e and into t's saved registers, as an entry saves
 * them on kvm. Meanwhile this CPU answers other CPUs' requests: a
 * shootdown without stopping t (cpu.c says why); an eviction or a
 * reschedule by making t enter first, so that its registers are saved
 * before the answer (*req: the bits answered). -1: its process is gone.
 */
static int
run_until_entry(struct thread *t, struct stub_regs *p, struct stub_regs *e, u32 *req)
{
	struct hspace *s = hosted_space(t->space->pt.root);
	u32 slot = (u32)(t - threads);
	unsigned how = WAIT_IPI | (this_cpu()->id == 0 ? WAIT_IRQ : 0);
	int r;

	if (hosted.ptrace) {    /* the same entry, by ptrace (ptrace.c) */
		if (hosted_ptrace_run(s, slot, t, e) < 0)
			return -1;
		regs_from_copy(t, e);
		*req |= smp_poll(this_cpu());
		return 0;
	}
	__atomic_fetch_add(&s->ctl->resume[slot], 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &s->ctl->resume[slot], FUTEX_WAKE, 1, NULL, NULL, 0);
	for (;;) {
		r = hosted_wait_entry(s, slot, hosted_cpu()->deadline, how);
		if (r == 2) {
			u32 q = __atomic_load_n(&this_cpu()->req, __ATOMIC_ACQUIRE);

			if (!(q & (SMP_REQ_EVICT | SMP_REQ_RESCHED))) {
				*req |= smp_poll(this_cpu());
				continue;
			}
		}
		if (r > 0)              /* the timer, console input or a request */
			r = stop(s, slot);
		break;
	}
	if (r < 0)
		return -1;
	memcpy(e, p, sizeof(*e));      /* once: the program may change it */
	regs_from_copy(t, e);
	*req |= smp_poll(this_cpu());  /* t's registers are saved: answer */
	return 0;
}

/*
 * A page fault's error code as the kernel's tables see it: Linux fills its
 * page tables lazily, so its "present" bit says whether Linux had the page
 * in yet, not whether exo mapped it. Present is exo's answer; the rest
 * (write, user, fetch) is the access, as the CPU said.
 */
#define PF_PRESENT 0x1
#define PF_WRITE   0x2
#define PF_USER    0x4
#define PF_FETCH   0x10

static u64
pf_error(struct thread *t, u64 error, u64 addr)
{
	u64 pa;
	bool mapped = addr < EXO_USER_END &&
		      arch_space_lookup(&t->space->pt, addr, 0, &pa) == 0;

	return (error & (PF_WRITE | PF_FETCH)) | PF_USER | (mapped ? PF_PRESENT : 0);
}

/*
 * The vectors user mode can raise on x86-64 (#DE #DB #BP #OF #BR #UD #NM
 * #NP #SS #GP #PF #MF #AC #XM): the stub's report is the program's word,
 * so any other vector it names (an NMI, #DF, #MC, an interrupt) is taken
 * as what a forged report is, a #GP.
 */
#define USER_VECTORS (1u << 0 | 1u << 1 | 1u << 3 | 1u << 4 | 1u << 5 | 1u << 6 | \
		      1u << 7 | 1u << 11 | 1u << 12 | 1u << 13 | 1u << 14 | 1u << 16 | \
		      1u << 17 | 1u << 19)

static void
fault_sane(struct thread *t, struct stub_regs *e)
{
	if (e->vector >= 32 || !(USER_VECTORS >> e->vector & 1)) {
		e->vector = 13;
		e->error = 0;
	}
	if (e->vector == 14)
		e->error = pf_error(t, e->error, e->addr);
}

/* A page fault on a page exo has mapped with the rights the access needs:
 * the fault raced with the mapping, made on another CPU while the thread
 * ran, which its process carries out before the thread runs again (one CPU
 * never sees one). It is retried, as a CPU retries after a page-table
 * write it had not seen. */
static bool
pf_spurious(struct thread *t, const struct stub_regs *e)
{
	u32 need = (e->error & PF_WRITE ? EXO_SEG_W : 0) | (e->error & PF_FETCH ? EXO_SEG_X : 0);
	u64 pa;

	return e->vector == 14 && e->addr < EXO_USER_END &&
	       arch_space_lookup(&t->space->pt, e->addr, need, &pa) == 0;
}

/* The timer signal's entry (or a request's): interrupts, as on kvm. */
static struct thread *
preempted(struct thread *t)
{
	struct hcpu *h = hosted_cpu();
	u64 now;

	if (this_cpu()->id == 0 && __atomic_exchange_n(&hosted.irq, 0, __ATOMIC_ACQ_REL)) {
		TRACE_S(IRQ, VEC_CONSOLE);
		kernel_irq(EXO_IRQ_CONSOLE);
	}
	now = arch_now();
	if (h->deadline && now >= h->deadline) {
		TRACE_S(IRQ, VEC_TIMER);
		h->deadline = 0;
		kernel_timer(now);
	}
	return kernel_resume(t);
}

/* One entry of t (the lock held): the thread to run next. */
static struct thread *
dispatch(struct thread *t, struct stub_regs *e, u32 req)
{
	/* Another CPU changed this one's queue or timeouts: re-arm, and the
	 * way out reconsiders (as trap_ipi on kvm, whatever the entry). */
	if (req & (SMP_REQ_EVICT | SMP_REQ_RESCHED))
		sched_arm();
	switch (e->kind) {
	case STUB_SYSCALL:
		TRACE_S(SYSCALL, t->ctx.rax);
		return kernel_syscall(t);
	case STUB_FAULT:
		if (pf_spurious(t, e))
			return kernel_resume(t);
		fault_sane(t, e);
		TRACE_SAB(EXCEPTION, e->vector, e->vector == 14 ? e->addr : 0, e->rip);
		return kernel_exception(t, e->vector, e->error, e->addr);
	case STUB_PREEMPT:
		return preempted(t);
	default:        /* STUB_START again: a forged entry, no effect */
		return preempted(t);
	}
}

/*
 * A CPU's loop, entered with the big lock held and t this CPU's current
 * thread. The lock is dropped while t runs and taken at its entry; if t
 * was taken away meanwhile (another CPU evicted it: deleted, moved), the
 * scheduler picks what runs instead, as trap() does on kvm.
 */
void
hosted_loop(struct thread *t)
{
	for (;;) {
		struct stub_regs e, *p = NULL;
		u32 req = 0;
		int r = prepare(t, &p);

		/* Every entry, not only the waits: a thread that enters at
		 * once each time never lets a wait see the end of the run. */
		hosted_check_stop();
		if (r == 0) {
			hosted_flush_loaded();
			smp_unlock();
			r = run_until_entry(t, p, &e, &req);
			smp_lock();
			/* An IPI whose bits the wait for the lock answered
			 * (smp_lock_wait drops what smp_poll returns): take it
			 * as a reschedule, which costs a re-arm at most. */
			if (hosted_ipi_take(hosted_cpu()))
				req |= SMP_REQ_RESCHED;
		}
		if (this_cpu()->cur != t)
			t = kernel_evicted();
		else if (r < 0)
			/* Its process died (a signal it blocked, its own doing):
			 * as a fault, so the core ends the task and says so. */
			t = kernel_exception(t, 13, 0, 0);
		else
			t = dispatch(t, &e, req);
		TRACE_A(KEXIT, t->id);
	}
}

void
arch_run(struct thread *t)
{
	hosted_loop(t);
}
