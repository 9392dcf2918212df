/*
 * The local APIC, x2APIC mode: registers are MSRs 0x800 + (xAPIC offset >> 4),
 * no MMIO page to map. Each CPU has its own; the timer's deadline is per CPU,
 * the mode is the same on all. APIC ids are CPU numbers (KVM's vCPU ids).
 *
 * Time is the TSC. The timer runs in TSC-deadline mode where CPUID offers it:
 * the deadline goes to IA32_TSC_DEADLINE as it is. Otherwise in one-shot
 * mode, whose counter runs at the APIC bus rate: KVM's is 1 GHz (1 ns per
 * cycle, its default, which exo's VMM leaves alone), so with divide-by-1 a
 * count is nanoseconds, derived from a TSC delay with the boot info's
 * tsc_khz. Either way the interrupt handler checks the TSC against the
 * deadline and re-arms if the timer fired early (rounding, or a delay longer
 * than one count), so kernel_timer never runs before the deadline.
 */
#include "lapic.h"

#include <exo/hostio.h>
#include <exo/ipc.h>

#include "../../core/kernel.h"
#include "../../core/percpu.h"
#include "../../core/platform.h"
#include "cpu.h"
#include "mmu.h"
#include "trap.h"
#include "asm.h"
#include "x86.h"

#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)

/* IA32_APIC_BASE: bit 11 enable, bit 10 x2APIC mode (entered from xAPIC). */
#define MSR_APIC_BASE     0x1b
#define APIC_BASE_EXTD    (1u << 10)
#define APIC_BASE_EN      (1u << 11)
#define MSR_TSC_DEADLINE  0x6e0

#define X2APIC_EOI        0x80b
#define X2APIC_ICR        0x830   /* dest << 32 | vector: fixed, physical, edge */
#define X2APIC_SVR        0x80f   /* spurious vector: bits 7..0, bit 8 enable */
#define X2APIC_LVT_TIMER  0x832
#define X2APIC_LVT_LINT0  0x835
#define X2APIC_TIMER_INIT 0x838   /* one-shot: count, 0 stops */
#define X2APIC_TIMER_DIV  0x83e

#define SVR_ENABLE        (1u << 8)
/* LVT entry: vector bits 7..0, bit 16 masked, timer mode bits 18..17. */
#define LVT_MASKED        (1u << 16)
#define LVT_ONESHOT       (0u << 17)
#define LVT_TSC_DEADLINE  (2u << 17)
#define TIMER_DIV_1       0xb

#define APIC_TIMER_KHZ    1000000ULL  /* KVM's APIC bus: 1 GHz */
#define ONESHOT_MAX       0xffffffffULL

static struct {
	bool up;             /* x2APIC on: interrupts can arrive */
	bool timer;          /* the timer can be armed */
	bool tsc_deadline;   /* TSC-deadline mode, else one-shot */
	u64 tsc_khz;
	u64 oneshot_max;     /* one-shot: the longest delay one count covers (TSC) */
} lapic;
static u64 lapic_deadline[NCPUS_MAX];    /* the kernel's deadline per CPU, 0: none */
static u64 lapic_armed[NCPUS_MAX];       /* what the timer will raise by, 0: nothing */

/* Interrupts taken while idle, handled once the lock is held (cpu.pending). */
#define PENDING_TIMER   1u
#define PENDING_CONSOLE 2u

/* This CPU's x2APIC, in the mode lapic_init chose. */
static void
lapic_enable(void)
{
	u64 base = rdmsr(MSR_APIC_BASE);

	if (!(base & APIC_BASE_EN)) {
		base |= APIC_BASE_EN;
		wrmsr(MSR_APIC_BASE, base);
	}
	wrmsr(MSR_APIC_BASE, base | APIC_BASE_EXTD);
	/* KVM leaves LINT0 unmasked as ExtINT (the PIC's line), which exo does not use. */
	wrmsr(X2APIC_LVT_LINT0, LVT_MASKED);
	wrmsr(X2APIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
	if (lapic.timer && lapic.tsc_deadline)
		wrmsr(X2APIC_LVT_TIMER, LVT_TSC_DEADLINE | VEC_TIMER);
	else if (lapic.timer) {
		wrmsr(X2APIC_TIMER_DIV, TIMER_DIV_1);
		wrmsr(X2APIC_LVT_TIMER, LVT_ONESHOT | VEC_TIMER);
	}
}

void
lapic_init_ap(void)
{
	if (lapic.up)
		lapic_enable();
}

void
lapic_init(const struct exo_bootinfo *bi)
{
	u32 a, b, c, d;

	cpuid(1, &a, &b, &c, &d);
	if (!(c & CPUID1_ECX_X2APIC))
		return;
	lapic.up = true;
	lapic.tsc_khz = bi->tsc_khz;
	lapic.tsc_deadline = (c & CPUID1_ECX_TSC_DEADLINE) &&
			     !cmdline_has(bi->cmdline, "timer=oneshot");
	if (lapic.tsc_deadline)
		lapic.timer = true;
	else if (lapic.tsc_khz) {
		lapic.oneshot_max = ONESHOT_MAX * lapic.tsc_khz / APIC_TIMER_KHZ;
		lapic.timer = true;
	}
	lapic_enable();
	/* Route the VMM's console-input MSI (<exo/hostio.h>) to this CPU, 0. */
	outl(EXO_PORT_CONSOLE_IN, VEC_CONSOLE);
	if (kopts.verbose)
		kprintf("exo: x2APIC up, timer %s, TSC %lu kHz\n",
			!lapic.timer ? "unusable (TSC rate unknown)" :
			lapic.tsc_deadline ? "in TSC-deadline mode" : "in one-shot mode",
			lapic.tsc_khz);
}

/* Program this CPU's timer for its deadline (0: stop it). */
static void
lapic_timer_program(u64 dl)
{
	u64 now, delta, count;

	if (lapic.tsc_deadline) {
		wrmsr(MSR_TSC_DEADLINE, dl);
		return;
	}
	if (!dl) {
		wrmsr(X2APIC_TIMER_INIT, 0);
		return;
	}
	now = rdtsc();
	delta = dl > now ? dl - now : 0;
	if (delta > lapic.oneshot_max)
		count = ONESHOT_MAX;
	else    /* rounded up: early only by the TSC/bus skew, which the handler catches */
		count = (delta * APIC_TIMER_KHZ + lapic.tsc_khz - 1) / lapic.tsc_khz;
	wrmsr(X2APIC_TIMER_INIT, count ? count : 1);
}

u64
arch_now(void)
{
	return rdtsc();
}

/*
 * Writing the timer is a VM exit wherever the APIC is emulated (KVM's x2APIC
 * MSRs without AVIC or APICv; PVM), and the kernel moves its deadline on
 * most crossings that switch threads (a slice's end, a revocation's). So the
 * timer is written only to bring its interrupt earlier: a later deadline, or
 * none, leaves the earlier interrupt to come, and lapic_timer_fired then
 * arms the real one (at most one extra interrupt per deadline moved out).
 */
void
arch_timer_arm(u64 when)
{
	u32 id = this_cpu()->id;

	if (!lapic.timer)
		panic("arch_timer_arm: no timer in this boot (no x2APIC in CPUID, "
		      "or one-shot mode without the TSC rate)");
	lapic_deadline[id] = when;
	if (!when || (lapic_armed[id] && lapic_armed[id] <= when))
		return;
	lapic_armed[id] = when;
	lapic_timer_program(when);
}

void
lapic_eoi(void)
{
	wrmsr(X2APIC_EOI, 0);
}

void
arch_ipi(u32 cpu)
{
	wrmsr(X2APIC_ICR, (u64)cpu << 32 | VEC_IPI);
}

void
arch_relax(void)
{
	__asm__ volatile("pause" : : : "memory");
}

static void lapic_timer_fired(void);

/* The timer and console interrupts noted while interrupts were on in ring 0
 * (lapic_interrupt_idle), handled now that the lock is held. */
static void
lapic_run_pending(struct cpu *c)
{
	u32 pending = c->pending;

	c->pending = 0;
	if (pending & PENDING_TIMER)
		lapic_timer_fired();
	if (pending & PENDING_CONSOLE)
		kernel_irq(EXO_IRQ_CONSOLE);
}

/*
 * Idle with the lock dropped: the timer and console interrupts that arrive
 * meanwhile are noted (lapic_interrupt_idle) and handled here once the lock
 * is held again; requests of other CPUs are answered in the handler.
 */
void
arch_idle(void)
{
	struct percpu *pc = this_cpu();
	struct cpu *c = cpu_arch(pc);

	if (!lapic.up)
		panic("arch_idle: no interrupt controller in this boot, nothing "
		      "would wake the CPU");
	mmu_idle(pc);
	pc->idle = true;
	smp_unlock();
	sti_hlt();      /* an interrupt returns past its HLT (entry.S) */
	smp_lock();
	pc->idle = false;
	lapic_run_pending(c);
}

/*
 * A CPU that holds the lock waits for an interrupt (smp_request, in the
 * middle of a shootdown). A timer or console interrupt taken meanwhile is
 * only noted: running the scheduler's timer work here could start a
 * revocation, and with it a shootdown inside this one. The kernel entry's
 * way out polls the timer's deadline (sched_poll); the rest waits for the
 * next idle.
 */
void
arch_wait_interrupt(void)
{
	sti_hlt();
}

static void
lapic_timer_fired(void)
{
	u32 id = this_cpu()->id;
	u64 now = rdtsc(), *dl = &lapic_deadline[id];

	lapic_armed[id] = 0;
	if (!*dl)
		return;                 /* disarmed after it was armed */
	if (now < *dl) {                /* early, or armed for an earlier deadline */
		lapic_armed[id] = *dl;
		lapic_timer_program(*dl);
		return;
	}
	*dl = 0;
	kernel_timer(now);
}

void
lapic_interrupt(u64 vector)
{
	if (vector == VEC_SPURIOUS)
		return;                 /* never in service: no EOI */
	/* EOI first: the core may switch away and not come back through here. */
	wrmsr(X2APIC_EOI, 0);
	if (vector == VEC_TIMER)
		lapic_timer_fired();
	else if (vector == VEC_CONSOLE)
		kernel_irq(EXO_IRQ_CONSOLE);
	else
		panic("interrupt on vector %lu, which nothing sends", vector);
}

/* An interrupt in arch_idle, without the lock: note it, or answer requests. */
void
lapic_interrupt_idle(u64 vector)
{
	struct percpu *pc = this_cpu();

	if (vector == VEC_SPURIOUS)
		return;
	wrmsr(X2APIC_EOI, 0);
	if (vector == VEC_IPI)
		smp_poll(pc);
	else if (vector == VEC_TIMER)
		cpu_arch(pc)->pending |= PENDING_TIMER;
	else if (vector == VEC_CONSOLE)
		cpu_arch(pc)->pending |= PENDING_CONSOLE;
	else
		panic("interrupt on vector %lu, which nothing sends", vector);
}
