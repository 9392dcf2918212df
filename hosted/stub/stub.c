/*
 * The stub: the first and only program of every address-space process of
 * the hosted platform (hosted/proc.c starts it). It clears the process of
 * everything Linux mapped but itself, maps its control pages read-only,
 * installs one signal handler for every crossing into exo's kernel, puts
 * itself under the control thread's filter and becomes the control thread
 * (stub.S). Threads it starts on request run the user program under the
 * strict filter.
 *
 * Why jumping into the stub gains a hostile program nothing: user threads
 * may make only futex (wait and wake), rt_sigreturn, sched_yield,
 * exit_group and arch_prctl(ARCH_SET_GS), and only from stub code; every
 * other system call, from anywhere, raises SIGSYS and goes to exo's kernel
 * as that kernel's system call. With futex a program can wake or block
 * threads of its own process and nothing else; with rt_sigreturn it can
 * load any registers, which it has anyway; sched_yield gives its own host
 * core time away. What exo reads back from
 * the process (a register page) is the program's registers, read once. The
 * control thread keeps no state in memory the program can write (stub.S).
 *
 * On the ptrace platform (the control pages' ptrace word) there are no
 * filters: exo traces every user thread with PTRACE_SYSEMU, so every
 * system call a user thread makes, from any address, stops it and is
 * never carried out; the control thread is never traced and makes its
 * calls as here. A fault's signal reaches the handler below, which hands
 * the registers over by stub_report (stub.S), itself such a stop.
 */
#include <stddef.h>
#include <stdint.h>

#include <asm/sigcontext.h>
#include <asm/signal.h>
#include <asm/ucontext.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>

#include "../shared.h"

#define NR_mmap 9
#define NR_munmap 11
#define NR_rt_sigaction 13
#define NR_rt_sigprocmask 14
#define NR_sigaltstack 131
#define NR_prctl 157
#define NR_arch_prctl 158
#define ARCH_SET_GS 0x1001
#define NR_futex 202
#define NR_gettid 186
#define NR_getppid 110
#define NR_exit_group 231
#define NR_seccomp 317

/* What the kernel's ucontext holds (asm/sigcontext.h's struct sigcontext). */
struct k_siginfo {
	int si_signo, si_errno, si_code, pad;
	union {
		void *addr;                     /* SIGSEGV, SIGBUS ... */
		struct { void *call_addr; int syscall; unsigned arch; } sys;
	};
};

struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

void stub_main(long *sp);
void stub_thread_start(long slot);
extern char stub_first[], stub_restorer[];
__attribute__((noreturn)) void stub_report(void);
void stub_wait(const uint32_t *word, uint32_t r);

static long
sys6(long n, long a, long b, long c, long d, long e, long f)
{
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	long r;

	__asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c),
			 "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
	return r;
}

__attribute__((noreturn)) static void
die(int code)
{
	for (;;)
		sys6(NR_exit_group, code, 0, 0, 0, 0, 0);
}

static struct stub_regs *
slot_regs(long slot)
{
	return (struct stub_regs *)(STUB_SLOTS + (uint64_t)slot * STUB_SLOT_SIZE);
}

static void
filter_install(const struct stub_filter *f)
{
	struct sock_fprog prog = { .len = (unsigned short)f->len,
				   .filter = (struct sock_filter *)f->code };

	if (f->len == 0 || f->len > STUB_FILTER_MAX ||
	    sys6(NR_seccomp, SECCOMP_SET_MODE_FILTER, 0, (long)&prog, 0, 0, 0) != 0)
		die(120);
}

/* rdgsbase / wrgsbase (F3 [REX.W] 0F AE /1, /3 with a register operand),
 * where the host does not let user mode run them: the base is the
 * register page's gs, which exo sets to the thread's UTCB. */
static int
gsbase_emulate(struct sigcontext *sc, struct stub_regs *p)
{
	const uint8_t *ip = (const uint8_t *)sc->rip;
	unsigned rex = 0, len = 0, modrm, reg;
	__u64 *gpr[16] = { &sc->rax, &sc->rcx, &sc->rdx, &sc->rbx, &sc->rsp,
			      &sc->rbp, &sc->rsi, &sc->rdi, &sc->r8, &sc->r9,
			      &sc->r10, &sc->r11, &sc->r12, &sc->r13, &sc->r14,
			      &sc->r15 };

	if (ip[len++] != 0xf3)
		return 0;
	if ((ip[len] & 0xf0) == 0x40)
		rex = ip[len++];
	if (ip[len] != 0x0f || ip[len + 1] != 0xae)
		return 0;
	modrm = ip[len + 2];
	len += 3;
	if ((modrm & 0xc0) != 0xc0)
		return 0;
	reg = (modrm & 7) | (rex & 1) << 3;
	if ((modrm >> 3 & 7) == 1)
		*gpr[reg] = rex & 8 ? p->gs : (uint32_t)p->gs;
	else if ((modrm >> 3 & 7) == 3)
		p->gs = rex & 8 ? *gpr[reg] : (uint32_t)*gpr[reg];
	else
		return 0;
	sc->rip += len;
	return 1;
}

static void
regs_out(struct stub_regs *p, const struct sigcontext *sc)
{
	p->r15 = sc->r15; p->r14 = sc->r14; p->r13 = sc->r13; p->r12 = sc->r12;
	p->r11 = sc->r11; p->r10 = sc->r10; p->r9 = sc->r9; p->r8 = sc->r8;
	p->rbp = sc->rbp; p->rdi = sc->rdi; p->rsi = sc->rsi; p->rdx = sc->rdx;
	p->rcx = sc->rcx; p->rbx = sc->rbx; p->rax = sc->rax;
	p->rip = sc->rip; p->rflags = sc->eflags; p->rsp = sc->rsp;
}

static void
regs_in(struct sigcontext *sc, const struct stub_regs *p)
{
	sc->r15 = p->r15; sc->r14 = p->r14; sc->r13 = p->r13; sc->r12 = p->r12;
	sc->r11 = p->r11; sc->r10 = p->r10; sc->r9 = p->r9; sc->r8 = p->r8;
	sc->rbp = p->rbp; sc->rdi = p->rdi; sc->rsi = p->rsi; sc->rdx = p->rdx;
	sc->rcx = p->rcx; sc->rbx = p->rbx; sc->rax = p->rax;
	sc->rip = p->rip; sc->eflags = p->rflags; sc->rsp = p->rsp;
}

/* Hand the registers to exo's kernel and wait for the ones it decides. */
static void
cross(long slot, struct sigcontext *sc, uint32_t kind)
{
	const struct stub_ctl *ctl = (const struct stub_ctl *)STUB_CTL;
	struct stub_regs *p = slot_regs(slot);
	uint32_t r = __atomic_load_n(&ctl->resume[slot], __ATOMIC_ACQUIRE);

	p->kind = kind;
	regs_out(p, sc);
	/* ptrace: exo takes the page at this stop and gives the registers
	 * itself, leaving the handler's frame behind (nothing stays blocked:
	 * SA_NODEFER and an empty mask, stub_main). */
	if (ctl->ptrace)
		stub_report();
	/* Ordered before the look at asleep (exo: the other way round), so
	 * that exo either sees the entry or is woken. */
	__atomic_store_n(&p->entry, p->entry + 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&p->asleep, __ATOMIC_SEQ_CST))
		sys6(NR_futex, (long)&p->entry, FUTEX_WAKE, 1, 0, 0, 0);
	stub_wait(&ctl->resume[slot], r);
	regs_in(sc, p);
	/* The UTCB pointer (<exo/ipc.h>: the GS base). Signal return keeps
	 * the GS base, so it is loaded here, when it changed. */
	if (p->gs != p->gs_set) {
		sys6(NR_arch_prctl, ARCH_SET_GS, (long)p->gs, 0, 0, 0, 0);
		p->gs_set = p->gs;
	}
}

static void
handler(int sig, struct k_siginfo *si, struct ucontext *uc)
{
	struct sigcontext *sc = &uc->uc_mcontext;
	/* The slot is where this stack is: every thread's handler stack is
	 * in its own slot (sigaltstack, stub_thread_start). */
	long slot = ((uint64_t)__builtin_frame_address(0) - STUB_SLOTS) / STUB_SLOT_SIZE;
	struct stub_regs *p = slot_regs(slot);

	if (slot < 0 || slot >= STUB_SLOTS_MAX)
		die(127);       /* the program moved its signal stack: its loss */

	if (sig == SIGILL && sc->rip == (uint64_t)stub_first) {
		cross(slot, sc, STUB_START);
		return;
	}
	if (sig == SIGILL && gsbase_emulate(sc, p)) {
		if (((const struct stub_ctl *)STUB_CTL)->ptrace)
			cross(slot, sc, STUB_RESUME);  /* the return is exo's there */
		return;
	}
	if (sig == SIGSYS && si->si_code == 1 /* SYS_SECCOMP */ &&
	    si->sys.arch == AUDIT_ARCH_X86_64) {
		cross(slot, sc, STUB_SYSCALL);
		return;
	}
	if (sig == STUB_SIG_PREEMPT) {
		cross(slot, sc, STUB_PREEMPT);
		return;
	}
	/* A fault: its vector and error code as the CPU gave them. A system
	 * call of another ABI (int $0x80 from a 32-bit segment) is a #GP. */
	p->vector = sig == SIGSYS ? 13 : sc->trapno;
	p->error = sig == SIGSYS ? 0 : sc->err;
	p->addr = sig == SIGSEGV || sig == SIGBUS ? (uint64_t)si->addr : 0;
	cross(slot, sc, STUB_FAULT);
}

/* A new thread (stub.S, on its slot's stack): its handler stack, the
 * strict filter, then parked at stub_first until its first run. */
void
stub_thread_start(long slot)
{
	struct stub_regs *p = slot_regs(slot);
	const struct stub_ctl *ctl = (const struct stub_ctl *)STUB_CTL;
	struct { void *sp; int flags; size_t size; } ss = {
		(char *)p + STUB_SLOT_SIZE - STUB_SLOT_STACK, 0, STUB_SLOT_STACK };

	p->tid = (uint32_t)sys6(NR_gettid, 0, 0, 0, 0, 0, 0);
	if (sys6(NR_sigaltstack, (long)&ss, 0, 0, 0, 0, 0) != 0)
		die(121);
	filter_install(&ctl->user);
	__asm__ volatile("jmp stub_first");
	__builtin_unreachable();
}

static uint64_t
hex(const char *s)
{
	uint64_t v = 0;

	for (; *s; s++)
		v = v << 4 | (uint64_t)(*s <= '9' ? *s - '0' : (*s | 0x20) - 'a' + 10);
	return v;
}

extern char __stub_end[];

/* sp: the process's initial stack (argc, argv[]); argv[1] is the control
 * pages' offset in the memfd, argv[2] exo's pid, both in hex. */
void
stub_main(long *sp)
{
	static const int sigs[] = { SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
				    STUB_SIG_PREEMPT };
	const struct stub_ctl *ctl = (const struct stub_ctl *)STUB_CTL;
	uint64_t off, end = ((uint64_t)__stub_end + 4095) & ~4095ULL;
	struct k_sigaction sa = { (void *)handler,
		SA_SIGINFO | SA_ONSTACK | SA_RESTORER, stub_restorer, ~0UL };

	/* Dies with exo: then exo must still be the parent (it may have
	 * ended before the first call). */
	if (sp[0] < 3 || sys6(NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0, 0) != 0 ||
	    (uint64_t)sys6(NR_getppid, 0, 0, 0, 0, 0, 0) != hex((const char *)sp[3]))
		die(122);
	off = hex((const char *)sp[2]);
	/* Nothing of Linux's stays: not its stack, vDSO or vvar, which it may
	 * have put anywhere in the user range. From here on sp is gone. */
	if (sys6(NR_munmap, 0, STUB_BASE, 0, 0, 0, 0) != 0 ||
	    sys6(NR_munmap, (long)end, 0x7ffffffff000 - end, 0, 0, 0, 0) != 0)
		die(123);
	if (sys6(NR_mmap, STUB_CTL, STUB_CTL_PAGES * 4096, 1 /* PROT_READ */,
		 0x11 /* MAP_SHARED | MAP_FIXED */, STUB_FD_MEM, (long)off) != (long)STUB_CTL)
		die(124);
	/* ptrace: the handler's frame is left behind (cross), so it may
	 * block nothing. */
	if (ctl->ptrace) {
		sa.flags |= SA_NODEFER;
		sa.mask = 0;
	}
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sys6(NR_rt_sigaction, sigs[i], (long)&sa, 0, 8, 0, 0) != 0)
			die(125);
	if (sys6(NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) != 0)
		die(126);
	if (ctl->ptrace) {
		/* Nothing blocked in the threads it starts: the timer is a
		 * signal their tracer must see (exo forked with its mask). */
		static const unsigned long none;

		if (sys6(NR_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)&none, 0, 8, 0, 0) != 0)
			die(126);
		return;
	}
	filter_install(&ctl->ctl);
}

/* The compiler may call these for copies and clears. */
void *
memcpy(void *d, const void *s, size_t n)
{
	char *dp = d;
	const char *sp = s;

	while (n--)
		*dp++ = *sp++;
	return d;
}

void *
memset(void *d, int c, size_t n)
{
	char *dp = d;

	while (n--)
		*dp++ = (char)c;
	return d;
}
