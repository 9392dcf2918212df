/*
 * escape CASE...: a hostile program's attempts to reach the host around
 * exo's kernel. On the hosted platform (hosted/) its address space is a
 * Linux process of exo-stub; each case is an attempt that must gain
 * nothing, and fails (its CHECK's line as the status) if it does. On kvm
 * there is no stub: the cases that need one find none and pass (the raw
 * system calls are exo's kernel's there by construction).
 *   rawlinux  Linux system-call numbers with a raw syscall: each is exo's
 *             kernel's (an error), none is Linux's (a pid, an fd, an exit).
 *   stubjump  the stub's own syscall instruction (its signal return) with
 *             Linux's mmap, munmap, mprotect, kill, ptrace, openat, getppid:
 *             each goes to exo's kernel; nothing is mapped, unmapped or
 *             made writable, nothing signalled or opened.
 *   mapstub   exo's own binding of a frame over the stub: refused.
 *   blocktimer a task of ours blocks the kernel's timer signal (a forged
 *             rt_sigreturn from the stub's own code) and spins: it is
 *             killed, and we run again (else the run stalls for ever).
 *   vsyscall  a call of Linux's vsyscall time() (0xffffffffff600400),
 *             which Linux emulates in its page-fault path: exo's kernel's
 *             (hosted: seccomp sees it), or a page fault (kvm: a kernel
 *             address), never the host's time. On ptrace Linux emulates
 *             it with no stop where the host has the page (vsyscall=xonly):
 *             tests/scenario/test_hosted.c runs it there only without.
 */
#include <exo/error.h>
#include <exo/exo.h>

#include "exo.h"
#include "libos.h"
#include "scenario.h"
#include "task.h"

#define STUB_BASE   0x7fffc0000000ULL   /* hosted/shared.h */
#define STUB_CTL    0x7fffd0000000ULL
#define STUB_SLOTS  0x7fffe0000000ULL
#define STUB_TEXT   0x100000ULL
#define PROBE_VA    0x300000000000ULL   /* nothing maps it */
#define VSYS_TIME   0xffffffffff600400ULL   /* Linux's vsyscall time() */

/* Linux x86-64 numbers. */
#define L_MMAP 9
#define L_MPROTECT 10
#define L_MUNMAP 11
#define L_GETPID 39
#define L_KILL 62
#define L_PTRACE 101
#define L_GETPPID 110
#define L_EXIT_GROUP 231
#define L_OPENAT 257
#define L_PIDFD_OPEN 434

static u8 xstack[8192] __attribute__((aligned(16)));

/* probe_asm(va, write): read the byte at va (and write it back if write);
 * a fault there goes on at probe_out (the handler), with faulted set. */
long probe_asm(u64 va, long write);
extern char probe_read[], probe_write[], probe_out[];
__asm__(".text\n"
	"probe_asm:\n"
	"probe_read: movzbq (%rdi), %rax\n"
	"test %rsi, %rsi\n"
	"jz probe_out\n"
	"probe_write: movb %al, (%rdi)\n"
	"probe_out: ret\n");
static volatile int faulted;

/* The byte at va, or -1 if reading it (or writing it back) faults. */
static long
probe(u64 va, long write)
{
	long v;

	faulted = 0;
	v = probe_asm(va, write);
	return faulted ? -1 : v;
}

/* stub_call(site, nr, a0, a1, a2, a3): jump to the syscall instruction at
 * site with Linux's registers; the ud2 after it comes back here with rax. */
long stub_call(u64 site, long nr, long a0, long a1, long a2, long a3);
extern char stub_call_back[];
__asm__(".text\n"
	"stub_call: push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"mov %rdi, %r11\n"
	"mov %rsi, %rax\n"
	"mov %rdx, %rdi\n"
	"mov %rcx, %rsi\n"
	"mov %r8, %rdx\n"
	"mov %r9, %r10\n"
	"mov $-1, %r8\n"
	"xor %r9d, %r9d\n"
	"jmp *%r11\n"
	"stub_call_back: pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"ret\n");

static u64 site;                /* the stub's syscall; ud2 at site + 2 */

/* vsys_call(va): call va with rdi 0 (time(NULL)) and rax -1: its rax. */
long vsys_call(u64 va);
__asm__(".text\n"
	"vsys_call: mov %rdi, %r11\n"
	"xor %edi, %edi\n"
	"mov $-1, %rax\n"
	"call *%r11\n"
	"ret\n");
static volatile int vsys_faulted;

static int
handler(struct exo_xframe *x)
{
	if (x->vector == 14 && (x->rip == (u64)probe_read || x->rip == (u64)probe_write)) {
		faulted = 1;
		x->rip = (u64)probe_out;
		return 0;
	}
	if (x->vector == 14 && x->rip == VSYS_TIME) {
		vsys_faulted = 1;       /* back to the caller, as a ret */
		x->rip = *(const u64 *)x->rsp;
		x->rsp += 8;
		x->rax = (u64)-1;
		return 0;
	}
	if (site && x->vector == 6 && x->rip == site + 2) {
		x->rip = (u64)stub_call_back;   /* rax: what the call returned */
		return 0;
	}
	return 1;
}

static long
raw(long nr, long a0, long a1, long a2)
{
	return sys_call3(nr, a0, a1, a2);
}

static void
case_rawlinux(void)
{
	static const char path[] = "/etc/hostname";
	long r;

	CHECK(raw(L_GETPID, 0, 0, 0) < 0);
	CHECK((r = raw(L_GETPPID, 0, 0, 0)) < 0);
	CHECK(raw(L_KILL, 1, 0, 0) < 0);        /* signal 0 to init: a probe */
	CHECK(raw(L_KILL, -1, 0, 0) < 0);
	CHECK(raw(L_PTRACE, 0 /* TRACEME */, 0, 0) < 0);
	CHECK(raw(L_OPENAT, -100, (long)path, 0) < 0);
	CHECK(raw(L_PIDFD_OPEN, 1, 0, 0) < 0);
	CHECK(raw(L_EXIT_GROUP, 0, 0, 0) < 0);  /* Linux's would end us here */
	printf("rawlinux: 8 Linux calls, each exo's kernel's error\n");
}

/* The stub's signal return: mov $15, %eax; syscall; ud2. */
static u64
stub_site(void)
{
	static const u8 want[] = { 0xb8, 0x0f, 0, 0, 0, 0x0f, 0x05, 0x0f, 0x0b };

	for (u64 va = STUB_BASE; va < STUB_BASE + STUB_TEXT; va++) {
		unsigned i;

		if ((va & 0xfff) == 0 && probe(va, 0) < 0)
			return 0;
		for (i = 0; i < sizeof(want) && *(volatile u8 *)(va + i) == want[i]; i++)
			;
		if (i == sizeof(want))
			return va + 5;
	}
	return 0;
}

static void
case_stubjump(void)
{
	static const char path[] = "/etc/hostname";

	CHECK(exo_handler_set(handler, xstack + sizeof(xstack)) == 0);
	if (probe(STUB_BASE, 0) < 0) {
		printf("stubjump: no stub here (not the hosted platform): nothing to try\n");
		return;
	}
	site = stub_site();
	CHECK(site != 0);
	/* mmap of a fixed page: nothing appears there. */
	stub_call(site, L_MMAP, (long)PROBE_VA, 4096, 3, 0x32);
	CHECK(probe(PROBE_VA, 0) < 0);
	/* munmap of the control pages and our own register page: still there. */
	stub_call(site, L_MUNMAP, (long)STUB_CTL, 4096, 0, 0);
	CHECK(probe(STUB_CTL, 0) >= 0);
	stub_call(site, L_MUNMAP, (long)STUB_BASE, 4096, 0, 0);
	CHECK(probe(STUB_BASE, 0) >= 0);
	/* mprotect of the control pages read/write: still read-only. */
	stub_call(site, L_MPROTECT, (long)STUB_CTL, 4096, 3, 0);
	CHECK(probe(STUB_CTL, 1) < 0);
	/* Linux's answers would be >= 0: a pid, 0, an fd. */
	CHECK(stub_call(site, L_GETPPID, 0, 0, 0, 0) < 0);
	CHECK(stub_call(site, L_GETPID, 0, 0, 0, 0) < 0);
	CHECK(stub_call(site, L_KILL, 1, 0, 0, 0) < 0);
	CHECK(stub_call(site, L_PTRACE, 0, 0, 0, 0) < 0);
	CHECK(stub_call(site, L_OPENAT, -100, (long)path, 0, 0) < 0);
	CHECK(stub_call(site, L_PIDFD_OPEN, 1, 0, 0, 0) < 0);
	printf("stubjump: the stub's syscall at %#lx: 11 Linux calls, none Linux's\n",
	       (unsigned long)site);
}

static void
case_mapstub(void)
{
	long c;

	CHECK(exo_handler_set(handler, xstack + sizeof(xstack)) == 0);
	if (probe(STUB_BASE, 0) < 0) {
		printf("mapstub: no stub here (not the hosted platform): nothing to try\n");
		return;
	}
	CHECK((c = frame_alloc(0)) > 0);
	CHECK(bind((exo_cap_t)c, STUB_BASE, EXO_BIND_W | EXO_BIND_NOW) < 0);
	CHECK(bind((exo_cap_t)c, STUB_CTL, EXO_BIND_W | EXO_BIND_NOW) < 0);
	CHECK(bind((exo_cap_t)c, STUB_SLOTS, EXO_BIND_W | EXO_BIND_NOW) < 0);
	CHECK(probe(STUB_CTL, 1) < 0);
	printf("mapstub: binds over the stub, its control and register pages refused\n");
}

/*
 * A forged signal frame (Linux x86-64 struct ucontext at the rsp the
 * signal return reads): it resumes at spin() with the timer signal
 * (SIGUSR2, hosted/shared.h) blocked and no signal stack.
 */
#define UC_STACK_FLAGS   3      /* words: uc_flags, uc_link, ss_sp, then */
#define UC_MCTX          5      /* struct sigcontext: r8 ... */
#define MC_RSP           15
#define MC_RIP           16
#define MC_EFLAGS        17
#define MC_SEGS          18     /* cs, gs, fs, ss: 16 bits each */
#define UC_SIGMASK       37
#define SIG_TIMER        12

static u64 forged[64] __attribute__((aligned(16)));
static u8 spin_stack[4096] __attribute__((aligned(16)));

static void
spin(void)
{
	for (;;)
		__asm__ volatile("" ::: "memory");
}

static void
evader(u64 arg)
{
	(void)arg;
	forged[UC_STACK_FLAGS] = 2;                     /* SS_DISABLE */
	forged[UC_MCTX + MC_RSP] = (u64)(spin_stack + sizeof(spin_stack) - 8);
	forged[UC_MCTX + MC_RIP] = (u64)spin;
	forged[UC_MCTX + MC_EFLAGS] = 0x202;
	forged[UC_MCTX + MC_SEGS] = 0x33;               /* Linux's 64-bit user CS */
	forged[UC_SIGMASK] = 1ULL << (SIG_TIMER - 1);
	/* The stub's signal return: mov $15, %eax; syscall, at site - 5. */
	__asm__ volatile("mov %0, %%rsp; jmp *%1"
			 : : "r"(forged), "r"(site - 5) : "memory");
	__builtin_unreachable();
}

static void
case_blocktimer(void)
{
	CHECK(exo_handler_set(handler, xstack + sizeof(xstack)) == 0);
	if (probe(STUB_BASE, 0) < 0) {
		printf("blocktimer: no stub here (not the hosted platform): nothing to try\n");
		return;
	}
	site = stub_site();
	CHECK(site != 0);
	CHECK(task_spawn(evader, 0) != 0);
	/* Our sleep's end is the timer the evader keeps out. */
	CHECK(l4_sleep(100000) != 0 || 1);
	printf("blocktimer: we ran again beside a task that blocked the timer\n");
}

static void
case_vsyscall(void)
{
	long r;

	CHECK(exo_handler_set(handler, xstack + sizeof(xstack)) == 0);
	r = vsys_call(VSYS_TIME);
	/* Linux's answer is the host's time in seconds: > 0. */
	CHECK(r <= 0);
	printf("vsyscall: Linux's time() at %#llx: %s (%ld), not the host's time\n",
	       (unsigned long long)VSYS_TIME, vsys_faulted ? "a page fault" :
	       "exo's kernel's answer", r);
}

static const struct scenario_case cases[] = {
	{ "rawlinux", case_rawlinux },
	{ "stubjump", case_stubjump },
	{ "mapstub", case_mapstub },
	{ "blocktimer", case_blocktimer },
	{ "vsyscall", case_vsyscall },
};

int
main(int argc, char **argv)
{
	return scenario_main("escape", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
