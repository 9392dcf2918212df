/*
 * The hosted platform's machine (platform.h): memory is the memfd mapped
 * whole in exo, time the TSC and host timers, the devices the VMM's own
 * (vmm/hostdev.c) called directly. Address spaces: space.c; processes:
 * proc.c; entries and exits: loop.c.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/thread.h"
#include "../guest/core/trace.h"
#include "../vmm/machine.h"
#include "hosted.h"

struct hosted hosted;

u64
hosted_priv_run(unsigned n)
{
	u64 pa = hosted.priv_next;

	if (hosted.total - pa < (u64)n * EXO_PAGE_SIZE)
		return 0;
	hosted.priv_next += (u64)n * EXO_PAGE_SIZE;
	return pa;
}

/* A free page keeps the next free page's address in its first word. */
u64
hosted_priv_alloc(void)
{
	u64 pa = hosted.priv_free;

	if (!pa)
		return hosted_priv_run(1);
	hosted.priv_free = *(u64 *)(hosted.mem + pa);
	memset(hosted.mem + pa, 0, EXO_PAGE_SIZE);
	return pa;
}

void
hosted_priv_free(u64 pa)
{
	*(u64 *)(hosted.mem + pa) = hosted.priv_free;
	hosted.priv_free = pa;
}

struct percpu *
this_cpu(void)
{
	return &cpus[0];
}

/* The console-input line's vector, as the guest's local APIC takes it;
 * here only the device's protocol needs one (hosted_console_signal). */
#define HOSTED_VEC_CONSOLE 0x30

static void dev_out(u16 port, void *req, size_t len);
static u64 static_remap(const void *p, u64 len);

void
arch_init(const struct exo_bootinfo *bi)
{
	(void)bi;
	/* The CPUs' state is their trace rings, which the VMM's trace drains
	 * by physical address (vmm/vtrace.c): all of it in the memfd. */
	static_remap(cpus, sizeof(cpus));
	cpus[0].online = true;
	dev_out(EXO_PORT_CONSOLE_IN, NULL, HOSTED_VEC_CONSOLE);
}

/* The I/O thread: input arrived. The kernel takes it as an interrupt at
 * its next wait (loop.c: a running thread is preempted for it). */
int
hosted_console_signal(void *arg, uint32_t vector)
{
	u32 *w = hosted.wait_word;

	(void)arg;
	__atomic_store_n(&hosted.irq, 1, __ATOMIC_RELEASE);
	if (w == &hosted.idle_word)
		syscall(SYS_futex, w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	else if (w)
		syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
	return (int)vector;
}

void *
arch_phys_to_virt(u64 pa)
{
	return hosted.mem + pa;
}

/*
 * A kernel static whose physical address the core asks for (the KIP, which
 * spaces map; the console's buffer, which the console device reads) is not
 * in the memfd: the page of exo that holds it is replaced by a private
 * memfd page with the same bytes, mapped at the same address, so the kernel
 * writes it where the processes and devices read it. Statics only: a few
 * pages, once each.
 */
#define STATICS_MAX 16
static struct { const u8 *va; u64 len, pa; } statics[STATICS_MAX];
static unsigned nstatics;

/* The pages of exo holding [p, p + len) become a run of private memfd
 * pages with the same bytes, at the same addresses; its first page's pa. */
static u64
static_remap(const void *p, u64 len)
{
	const u8 *start = (const u8 *)EXO_PAGE_DOWN((u64)p);
	u64 n = (EXO_PAGE_UP((u64)p + len) - (u64)start) / EXO_PAGE_SIZE;
	u64 pa = nstatics < STATICS_MAX ? hosted_priv_run((unsigned)n) : 0;

	if (!pa) {
		fprintf(stderr, "exo: hosted: no room for kernel static %p\n", p);
		abort();
	}
	memcpy(hosted.mem + pa, start, n * EXO_PAGE_SIZE);
	if (mmap((void *)start, n * EXO_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, hosted.memfd, (off_t)pa) != start) {
		perror("exo: hosted: remapping a kernel static");
		abort();
	}
	statics[nstatics++] = (typeof(statics[0])){ start, n * EXO_PAGE_SIZE, pa };
	return pa;
}

u64
arch_virt_to_phys(const void *va)
{
	const u8 *p = va;

	if (p >= hosted.mem && p < hosted.mem + hosted.total)
		return (u64)(p - hosted.mem);
	for (unsigned i = 0; i < nstatics; i++)
		if (p >= statics[i].va && p < statics[i].va + statics[i].len)
			return statics[i].pa + (u64)(p - statics[i].va);
	return static_remap(p, 1) + (u64)p % EXO_PAGE_SIZE;
}

void
arch_frame_zero(u64 pa)
{
	memset(hosted.mem + pa, 0, EXO_PAGE_SIZE);
}

u64
arch_now(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

static u64
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec;
}

/* The TSC's rate against CLOCK_MONOTONIC over 20 ms. */
u64
hosted_measure_tsc_khz(void)
{
	u64 n0 = mono_ns(), t0 = arch_now(), n1, t1;
	struct timespec ts = { 0, 20 * 1000 * 1000 };

	nanosleep(&ts, NULL);
	n1 = mono_ns(), t1 = arch_now();
	return (t1 - t0) * 1000000ULL / (n1 - n0);
}

/*
 * There is no ring 0 here. What the slice grace needs (slice.c) is the
 * cost of the way from the timer to the entry thread's yield, which here
 * is host system calls and switches: the timer signal, its delivery, the
 * handoffs to exo and back, perhaps a control-thread batch, and the
 * yield's own crossing; about HOSTED_WAY_SYSCALLS system calls, each timed
 * now (getppid, the least of several runs), spread over the
 * SLICE_WAY_INSNS "instructions" slice.c multiplies by.
 */
#define HOSTED_WAY_SYSCALLS 16
#define SLICE_WAY_INSNS_    900     /* slice.c's SLICE_WAY_INSNS */

u64
arch_insn_mcycles(void)
{
	static u64 mc;
	u64 best = ~0ULL;

	for (int run = 0; !mc && run < 5; run++) {
		u64 t0 = arch_now();

		for (int i = 0; i < 100; i++)
			syscall(SYS_getppid);
		if ((arch_now() - t0) / 100 < best)
			best = (arch_now() - t0) / 100;
	}
	if (!mc)
		mc = best * 1000 * HOSTED_WAY_SYSCALLS / SLICE_WAY_INSNS_ + 1;
	return mc;
}

void
arch_timer_arm(u64 deadline)
{
	hosted.deadline = deadline;
}

void
hosted_check_stop(void)
{
	struct vmm *vm = hosted.vm;

	if (hosted.signalled)
		vmm_stop(vm, VMM_INTERRUPTED, 0);
	else if (hosted.stop_ns && mono_ns() >= hosted.stop_ns)
		vmm_stop(vm, VMM_TIMEOUT, 0);
	if (vm->stop)
		longjmp(hosted.out, 3);
}

void
arch_idle(void)
{
	u64 now = arch_now();

	/* Sleep to the timer or console input, in steps that notice
	 * --timeout and signals. */
	hosted.wait_word = &hosted.idle_word;
	while (!hosted.deadline || now < hosted.deadline) {
		u64 ns = hosted.deadline ? (hosted.deadline - now) * 1000000ULL /
					   hosted.tsc_khz : ~0ULL;
		struct timespec ts = { 0, ns < 50000000ULL ? (long)ns : 50000000L };

		if (__atomic_exchange_n(&hosted.irq, 0, __ATOMIC_ACQ_REL)) {
			TRACE_S(IRQ, 33);       /* the guest's VEC_CONSOLE (asm.h) */
			kernel_irq(EXO_IRQ_CONSOLE);
			return;
		}
		hosted_check_stop();
		syscall(SYS_futex, &hosted.idle_word, FUTEX_WAIT_PRIVATE, 0, &ts, NULL, 0);
		now = arch_now();
	}
	if (now < hosted.deadline)
		now = hosted.deadline;
	hosted.deadline = 0;
	TRACE_S(IRQ, 32);               /* the guest's VEC_TIMER (asm.h) */
	kernel_timer(now);
}

/* The VMM's devices, as an OUT of a request's address would reach them:
 * the request is copied to a private page first (it may be on exo's
 * stack), and back afterwards for the answers the device writes. */
static void
dev_out(u16 port, void *req, size_t len)
{
	struct vmm *vm = hosted.vm;
	struct device *dev = devices_find(&vm->devices, port);
	u32 v = (u32)hosted.scratch_pa;

	if (!dev)
		return;
	/* The same crossing to a device as a guest's OUT: traced as its exit. */
	if (vm->cfg->trace)
		vtrace_exit(vm, 0, KVM_EXIT_IO, port);
	if (req)
		memcpy(hosted.mem + hosted.scratch_pa, req, len);
	else
		v = (u32)len;
	dev->count++;
	dev->io(vm, dev, port, true, &v, 4);
	if (req)
		memcpy(req, hosted.mem + hosted.scratch_pa, len);
	if (vm->stop)
		longjmp(hosted.out, 1);
}

void
arch_host_console(u64 pa, u64 len)
{
	struct exo_console_req r = { pa, len };

	dev_out(EXO_PORT_CONSOLE, &r, sizeof(r));
}

void
arch_host_event(struct exo_event *ev)
{
	dev_out(EXO_PORT_EVENT, ev, sizeof(*ev));
}

void
arch_host_doorbell(u32 code)
{
	dev_out(EXO_PORT_DOORBELL, NULL, code);
}

void
arch_host_bench(struct exo_bench_req *req)
{
	/* The pieces name physical addresses: they are in the memfd already. */
	dev_out(EXO_PORT_BENCH, req, sizeof(*req));
}

void
arch_host_backing(struct exo_backing_req *req)
{
	dev_out(EXO_PORT_BACKING, req, sizeof(*req));
}

void
arch_host_exit(u32 status)
{
	dev_out(EXO_PORT_EXIT, NULL, status);
	longjmp(hosted.out, 1);
}

int
arch_console_getc(void)
{
	struct vmm *vm = hosted.vm;
	struct device *dev = devices_find(&vm->devices, EXO_PORT_CONSOLE_IN);
	u32 v = ~0U;

	if (dev && vm->cfg->trace)
		vtrace_exit(vm, 0, KVM_EXIT_IO, EXO_PORT_CONSOLE_IN);
	if (dev)
		dev->io(vm, dev, EXO_PORT_CONSOLE_IN, false, &v, 4);
	return v <= 0xff ? (int)v : -1;
}

void
arch_halt(void)
{
	longjmp(hosted.out, 2);
}

void
arch_regs_capture(struct exo_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->rip = (u64)__builtin_return_address(0);
}

/* One CPU: SMP is refused at the start (hosted/run.c). */
void arch_start_cpus(void) { }
u64 arch_cpu_kstack(u32 cpu) { (void)cpu; return 0; }
void arch_ipi(u32 cpu) { (void)cpu; }
void arch_relax(void) { }
void arch_wait_interrupt(void) { }
/* The queue of each space is carried out before its threads run
 * (loop.c): there is no other TLB to drop. */
void arch_tlb_invalidate(const u64 *va, u32 n) { (void)va, (void)n; }
void arch_tlb_leave(struct percpu *pc) { pc->root = 0; }
void arch_trace_set(bool on) { (void)on; }

/* The hardware test hooks have no meaning here: refused. */
void
arch_ktest_triple_fault(void)
{
	fprintf(stderr, "exo: hosted: a triple fault is a hardware test; this platform "
		"has no CPU tables to lose\n");
	arch_halt();
}

int
arch_ktest_fastpath(u32 sysno, bool on)
{
	(void)sysno, (void)on;
	return -E_INVAL;
}

/*
 * The extension window: address space reserved in exo at start, frames
 * mapped into it from the memfd, W^X kept (read+write or read+execute,
 * never both, as on the guest).
 */
#define WIN_PAGES 8192
static u8 *window;

u64
arch_ext_addr(u32 p)
{
	if (!window) {
		window = mmap(NULL, (size_t)WIN_PAGES * EXO_PAGE_SIZE, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (window == MAP_FAILED) {
			perror("exo: hosted: extension window");
			abort();
		}
	}
	return (u64)(window + (u64)p * EXO_PAGE_SIZE);
}

void *
arch_ext_map(u32 first, const u64 *pa, u32 n, u32 rights)
{
	u8 *va = (u8 *)arch_ext_addr(first);
	int prot = PROT_READ | (rights & EXO_SEG_W ? PROT_WRITE : 0) |
		   (rights & EXO_SEG_X ? PROT_EXEC : 0);

	if ((rights & EXO_SEG_W && rights & EXO_SEG_X) || first + n > WIN_PAGES)
		return NULL;
	for (u32 i = 0; i < n; i++)
		if (mmap(va + (u64)i * EXO_PAGE_SIZE, EXO_PAGE_SIZE, prot,
			 MAP_SHARED | MAP_FIXED, hosted.memfd, (off_t)pa[i]) == MAP_FAILED) {
			arch_ext_unmap(first, i);
			return NULL;
		}
	return va;
}

void
arch_ext_unmap(u32 first, u32 n)
{
	mmap((void *)arch_ext_addr(first), (size_t)n * EXO_PAGE_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

void
arch_ext_frames(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	(void)fn, (void)ctx;    /* the window's tables are Linux's */
}

u64
arch_kernel_wx(void)
{
	return 0;               /* exo maps nothing W+X (arch_ext_map refuses) */
}
