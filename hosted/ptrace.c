/*
 * The ptrace platform (--platform ptrace): the hosted platform with its
 * crossings made by ptrace instead of seccomp, for hosts that refuse
 * seccomp filters. Everything else is hosted's: the memfd, the spaces'
 * processes and their control threads, the kernel loop (loop.c), which
 * calls hosted_ptrace_run where hosted waits for a register page.
 *
 * The tracer is CPU 0's thread (ptrace requests are a thread's, and this
 * platform runs one CPU: run.c refuses more). Each user thread is attached
 * (PTRACE_SEIZE, PTRACE_INTERRUPT) while it is parked, before it ran any
 * user code (stub.S stub_traced_start), and stays traced until it dies:
 *   - a system call stops it at its entry (PTRACE_SYSEMU) and is never
 *     carried out by Linux; exo reads the registers (PTRACE_GETREGS) and
 *     gives back those the kernel decides (PTRACE_SETREGS);
 *   - a fault is a signal-delivery stop; exo lets the signal through to the
 *     stub's handler, which reads what only the signal frame has (the
 *     vector, the error code) and reports by a system call at STUB_REPORT,
 *     itself such a stop (stub.c cross);
 *   - the kernel's timer is STUB_SIG_PREEMPT sent to the running thread
 *     (hosted_ptrace_kick), whose delivery stop is the entry; exo drops it.
 *
 * The door the stub's own calls go through is "not traced": the control
 * thread is never attached, and a new thread runs its few untraced
 * instructions before its first user instruction. User code cannot use it:
 * every thread that runs user code is traced from before its first
 * instruction to its death (exo never detaches), so every system call it
 * makes, from any address and with any registers, is a stop; it cannot make
 * an untraced thread (clone is a system call, so exo's), nor change what
 * the control thread does (its state is in registers, its requests in
 * read-only pages: stub.S); a jump into stub code runs that code traced,
 * and a jump to STUB_REPORT forges a report of a fault, which the program
 * could raise anyway (the report is sanitised as hosted's are: loop.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/thread.h"
#include "hosted.h"
#include "ptrace_fault.h"

#define SYSCALL_STOP (SIGTRAP | 0x80)   /* PTRACE_O_TRACESYSGOOD */
/* <elf.h>'s (vmm/elf.h, found first here, is exo's loader's). */
#define NT_X86_XSTATE 0x202

/* Each CPU's thread running now, (pid << 32 | tid), 0: none; read by the
 * timer's signal handler, the I/O thread and other CPUs' IPIs
 * (hosted_ptrace_kick). */
static u64 running[NCPUS_MAX];
/* The selectors and fs base Linux gave the stub: every thread's. */
static struct user_regs_struct segs;
/* Each CPU's timers, signalling its own thread. */
static timer_t deadline_timer[NCPUS_MAX], poll_timer[NCPUS_MAX];
static bool have_timers[NCPUS_MAX];
static u64 armed[NCPUS_MAX];    /* the deadline deadline_timer is set to */

void
hosted_ptrace_kick(u32 cpu)
{
	u64 r = __atomic_load_n(&running[cpu], __ATOMIC_ACQUIRE);

	/* A kick that comes after the thread stopped is a spurious entry at
	 * its next run, which costs a crossing and nothing else. */
	if (r)
		syscall(SYS_tgkill, (pid_t)(r >> 32), (pid_t)(u32)r, STUB_SIG_PREEMPT);
}

static void
on_timer(int sig)
{
	int e = errno;

	(void)sig;
	hosted_ptrace_kick(this_cpu()->id);
	errno = e;
}

/* Both timers signal this CPU's thread (its tracees'): the deadline one at
 * the kernel's timer, the poll one every HOSTED_POLL_NS, so that a thread
 * that never enters does not keep --timeout or a signal to stop unseen. */
static int
timer_new(timer_t *t, int sig)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID, .sigev_signo = sig };

	ev._sigev_un._tid = gettid();
	return timer_create(CLOCK_MONOTONIC, &ev, t);
}

int
hosted_ptrace_init(void)
{
	struct sigaction sa = { .sa_handler = on_timer, .sa_flags = SA_RESTART };
	int sig = SIGRTMIN + 1;
	struct itimerspec poll = { { 0, HOSTED_POLL_NS }, { 0, HOSTED_POLL_NS } };

	u32 me = this_cpu()->id;

	sigemptyset(&sa.sa_mask);
	if (sigaction(sig, &sa, NULL) < 0 || timer_new(&deadline_timer[me], sig) < 0)
		return -errno;
	if (timer_new(&poll_timer[me], sig) < 0) {
		timer_delete(deadline_timer[me]);
		return -errno;
	}
	have_timers[me] = true;
	armed[me] = 0;
	return timer_settime(poll_timer[me], 0, &poll, NULL) < 0 ? -errno : 0;
}

/* The deadline timer at the kernel's deadline (TSC; 0: none), when it moved. */
static void
arm(u64 deadline)
{
	struct itimerspec it = { 0 };
	u32 me = this_cpu()->id;

	if (deadline == armed[me])
		return;
	armed[me] = deadline;
	if (deadline) {
		u64 now = arch_now(), ns = hosted_mono_ns();

		ns += deadline > now ? (deadline - now) * 1000000ULL / hosted.tsc_khz : 0;
		it.it_value = (struct timespec){ (time_t)(ns / 1000000000ULL),
						 (long)(ns % 1000000000ULL) };
	}
	timer_settime(deadline_timer[me], TIMER_ABSTIME, &it, NULL);
}

/* Until tid stops: its wait status, or -1 (it is gone). */
int
hosted_ptrace_wait(pid_t tid)
{
	int st;

	for (;;) {
		if (waitpid(tid, &st, __WALL) == tid)
			return WIFSTOPPED(st) ? st : -1;
		if (errno != EINTR)
			return -1;
		hosted_check_stop();
	}
}

/* Is tid a thread of s's process, and not its control thread? A tid is
 * read from the register page, which the program can write. */
static bool
thread_of(const struct hspace *s, pid_t tid)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/task/%d", (int)s->pid, (int)tid);
	return tid > 0 && tid != s->pid && access(path, F_OK) == 0;
}

int
hosted_ptrace_attach(struct hspace *s, u32 slot, pid_t tid)
{
	int st;

	if (!thread_of(s, tid) ||
	    ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD) < 0)
		return -1;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) < 0)
		return -1;
	st = hosted_ptrace_wait(tid);
	if (st < 0 || st >> 16 != PTRACE_EVENT_STOP)
		return -1;
	if (!segs.cs && ptrace(PTRACE_GETREGS, tid, 0, &segs) < 0)
		return -1;
	s->tid[slot] = (u32)tid;
	s->tracer[slot] = (u8)(this_cpu()->id + 1);
	return 0;
}

static void
regs_in(struct user_regs_struct *u, const struct trapframe *c, u64 gs)
{
	*u = segs;
	u->r15 = c->r15; u->r14 = c->r14; u->r13 = c->r13; u->r12 = c->r12;
	u->r11 = c->r11; u->r10 = c->r10; u->r9 = c->r9; u->r8 = c->r8;
	u->rbp = c->rbp; u->rdi = c->rdi; u->rsi = c->rsi; u->rdx = c->rdx;
	u->rcx = c->rcx; u->rbx = c->rbx; u->rax = c->rax;
	u->rip = c->rip; u->eflags = c->rflags; u->rsp = c->rsp;
	u->orig_rax = -1ULL;    /* no system call to restart: none was made */
	u->gs_base = gs;
}

void
regs_out(struct stub_regs *e, const struct user_regs_struct *u, u32 kind)
{
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->r15 = u->r15; e->r14 = u->r14; e->r13 = u->r13; e->r12 = u->r12;
	e->r11 = u->r11; e->r10 = u->r10; e->r9 = u->r9; e->r8 = u->r8;
	e->rbp = u->rbp; e->rdi = u->rdi; e->rsi = u->rsi; e->rdx = u->rdx;
	e->rcx = u->rcx; e->rbx = u->rbx; e->rax = u->rax;
	e->rip = u->rip; e->rflags = u->eflags; e->rsp = u->rsp;
}

/* The trapframe's shape of a page's registers (the page is a copy). */
static void
page_to_frame(struct trapframe *c, const struct stub_regs *p)
{
	c->r15 = p->r15; c->r14 = p->r14; c->r13 = p->r13; c->r12 = p->r12;
	c->r11 = p->r11; c->r10 = p->r10; c->r9 = p->r9; c->r8 = p->r8;
	c->rbp = p->rbp; c->rdi = p->rdi; c->rsi = p->rsi; c->rdx = p->rdx;
	c->rcx = p->rcx; c->rbx = p->rbx; c->rax = p->rax;
	c->rip = p->rip; c->rflags = p->rflags; c->rsp = p->rsp;
}

/*
 * A fault's signal reaches the stub's handler with the thread's FPU and
 * vector registers saved in its signal frame and reset for the handler;
 * the report leaves that frame behind (no rt_sigreturn), so the state is
 * kept here at the delivery stop and given back at the report. One buffer:
 * one tracer, one thread between the two at a time. Its size is the
 * largest XSAVE area Linux has (AVX-512 with AMX tiles: under 12 KiB).
 */
static u8 xstate[NCPUS_MAX][16384] __attribute__((aligned(64)));
static struct iovec xstate_iov[NCPUS_MAX];

static int
xstate_keep(pid_t tid)
{
	u32 me = this_cpu()->id;

	xstate_iov[me] = (struct iovec){ xstate[me], sizeof(xstate[me]) };
	return (int)ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, &xstate_iov[me]);
}

static int
xstate_give(pid_t tid)
{
	return (int)ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE,
			   &xstate_iov[this_cpu()->id]);
}

/*
 * The two bytes before rip, through the space's own table (exo has every
 * frame in the memfd): int $0x80 and sysenter enter Linux as 32-bit system
 * calls, a #GP on kvm and on hosted (its filter's other ABI). 0: not
 * readable (the stub's code, whose only calls are syscall).
 */
static u32
insn_before(struct thread *t, u64 rip)
{
	u32 v = 0;

	for (int i = 2; i >= 1; i--) {
		u64 pa;

		if (rip < (u64)i || arch_space_lookup(&t->space->pt, rip - i, 0, &pa) < 0 ||
		    pa >= hosted.mem_size)
			return 0;
		v = v << 8 | hosted.mem[pa];
	}
	return v;
}

static bool
fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGTRAP;
}

/*
 * Run t (its thread traced and stopped; its register page prepared, for
 * the gs the stub's emulation reads) until its next entry, which goes to
 * *e in the register page's shape. -1: its thread is gone, or it cannot be
 * run (its process is then killed, which the core takes as its end).
 */
int
hosted_ptrace_run(struct hspace *s, u32 slot, struct thread *t, struct stub_regs *e)
{
	struct stub_regs *p = (struct stub_regs *)(hosted.mem + s->slot_pa[slot]);
	pid_t tid = (pid_t)s->tid[slot];
	struct user_regs_struct u;
	bool delivering = false;        /* a fault's signal sent to the handler */
	u32 me = this_cpu()->id;
	int sig = 0, st, r;

	if (tid <= 0)           /* never attached (hosted_thread_ready) */
		goto gone;
	regs_in(&u, &t->ctx, t->utcb_va);
	hosted_ptrace_service();
	/* Traced by another CPU's thread (its home moved): taken over. */
	r = s->tracer[slot] == me + 1 ? 0 : hosted_ptrace_take(s, slot);
	if (r < 0)
		goto gone;
	if (r > 0) {            /* a request to this CPU came first: enter */
		regs_out(e, &u, STUB_PREEMPT);
		return 0;
	}
	arm(hosted_cpu()->deadline);
	__atomic_store_n(&running[me], (u64)s->pid << 32 | (u32)tid, __ATOMIC_RELEASE);
	if ((hosted_cpu()->deadline && arch_now() >= hosted_cpu()->deadline) ||
	    (me == 0 && __atomic_load_n(&hosted.irq, __ATOMIC_ACQUIRE)) ||
	    __atomic_load_n(&this_cpu()->req, __ATOMIC_ACQUIRE) || hosted_ptrace_asked())
		hosted_ptrace_kick(me); /* due already: it enters at once */
	for (;;) {
		if (ptrace(PTRACE_SETREGS, tid, 0, &u) < 0 ||
		    ptrace(PTRACE_SYSEMU, tid, 0, sig) < 0)
			goto gone;
		sig = 0;
		st = hosted_ptrace_wait(tid);
		if (st < 0 || ptrace(PTRACE_GETREGS, tid, 0, &u) < 0)
			goto gone;
		if (WSTOPSIG(st) == SYSCALL_STOP && u.rip == STUB_REPORT_END) {
			/* The handler's report: the page, copied once. */
			memcpy(e, p, sizeof(*e));
			if (delivering && xstate_give(tid) < 0)
				goto gone;
			delivering = false;
			if (e->kind == STUB_RESUME) {
				struct trapframe c = t->ctx;

				page_to_frame(&c, e);
				regs_in(&u, &c, e->gs);
				continue;
			}
			if (e->kind != STUB_FAULT)
				e->kind = STUB_PREEMPT;
			break;
		}
		if (WSTOPSIG(st) == SYSCALL_STOP) {
			u32 insn = insn_before(t, u.rip);

			u.rax = u.orig_rax;     /* as the trap's frame has it */
			regs_out(e, &u, STUB_SYSCALL);
			if (insn == 0xcd80 || insn == 0x0f34) {
				e->kind = STUB_FAULT;
				e->vector = 13;
			}
			break;
		}
		if (st >> 16 == 0 && fault_signal(WSTOPSIG(st)) && !delivering) {
			int f = hosted_ptrace_fault(t, tid, WSTOPSIG(st), &u, e);

			if (f == PTRACE_FAULT_EMULATED)
				continue;       /* the signal dropped: run on */
			if (f == PTRACE_FAULT_ENTRY)
				break;
		}
		if (st >> 16 == 0 && fault_signal(WSTOPSIG(st))) {
			/* A fault in the handler itself (its stack gone): the
			 * process ends, as hosted's stub ends it (stub.c). */
			if (delivering || xstate_keep(tid) < 0)
				goto gone;
			delivering = true;
			sig = WSTOPSIG(st);
			continue;
		}
		/* In the handler: its registers are the stub's, not the
		 * thread's; the signal is dropped and the handler goes on to
		 * its report (the kernel sees its timer due at that entry). */
		if (delivering)
			continue;
		/* The timer's signal, a group stop, another signal: dropped,
		 * and the thread has entered for the kernel's interrupts. */
		regs_out(e, &u, STUB_PREEMPT);
		break;
	}
	__atomic_store_n(&running[me], 0, __ATOMIC_RELEASE);
	return 0;
gone:
	__atomic_store_n(&running[me], 0, __ATOMIC_RELEASE);
	kill(s->pid, SIGKILL);
	return -1;
}

/* The run is over: no more timer signals. */
void
hosted_ptrace_fini(void)
{
	for (u32 i = 0; i < NCPUS_MAX; i++) {
		if (!have_timers[i])
			continue;
		timer_delete(poll_timer[i]);
		timer_delete(deadline_timer[i]);
		have_timers[i] = false;
	}
}

/* After SIGKILL of s's process: its traced threads are exo's to reap
 * (the process's own end waits for theirs). */
void
hosted_ptrace_reap(struct hspace *s)
{
	for (u32 i = 0; i < STUB_SLOTS_MAX; i++) {
		int st;

		if (!s->tid[i])
			continue;
		while (waitpid((pid_t)s->tid[i], &st, __WALL) == (pid_t)s->tid[i] &&
		       WIFSTOPPED(st))
			;
		s->tid[i] = 0;
	}
}
