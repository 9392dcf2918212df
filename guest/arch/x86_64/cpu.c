/* Descriptor tables, the TSS and the system-call MSRs: the CPU as exo runs it. */
#include <exo/bootinfo.h>
#include <exo/error.h>
#include <exo/exo.h>
#include <exo/layout.h>

#include "../../core/frame.h"
#include "../../core/kernel.h"
#include "../../core/platform.h"
#include "asm.h"
#include "cpu.h"
#include "lapic.h"
#include "mmu.h"
#include "trap.h"
#include "smp.h"
#include "x86.h"
#include "../../core/kernel.h"

u32 arch_platform;

_Static_assert(sizeof(struct tss) == 104, "tss layout");
_Static_assert(__builtin_offsetof(struct tss, rsp) == TSS_RSP0, "tss layout");

/*
 * Segment descriptors (flat; base and limit are ignored in 64-bit mode):
 *   bits 55..52 flags G D/B L AVL   bits 47..40 access P DPL(2) S type(4)
 * 0x9a code r/x ring 0, 0x92 data r/w ring 0, 0xfa/0xf2 the same for ring 3;
 * flags 0xa = G|L (64-bit code), 0xc = G|D (data).
 * The VMM enters the kernel with CS and the data registers already holding
 * these selectors, so loading the table needs no far jump.
 */
static const u64 gdt_flat[SEL_TSS >> 3] = {
	[SEL_KCODE >> 3] = 0x00af9a000000ffffULL,
	[SEL_KDATA >> 3] = 0x00cf92000000ffffULL,
	[SEL_UDATA >> 3] = 0x00cff2000000ffffULL,
	[SEL_UCODE >> 3] = 0x00affa000000ffffULL,
};

/*
 * Each CPU has its own GDT, at the start of its struct cpu's gdt[]: the
 * flat segments, and — for as long as ltr needs it — its TSS descriptor at
 * its selector, SEL_TSS + cpu * PC_SIZE / 8, which is what makes `str` name
 * the CPU (percpu.h). For CPU 0 that is gdt[5]; for CPU i it lies
 * i * 8,704 bytes further, inside CPU i's own trace-ring records, which
 * nothing uses before the CPU has loaded its task register. After ltr the
 * descriptor is not read again (the task register keeps the TSS's base and
 * limit), so it is cleared and the GDT's limit cut to the flat segments:
 * no user selector reaches the ring memory in between.
 */
_Static_assert(PC_ARCH + CPU_GDT + SEL_TSS + PC_SIZE / 8 >= EXO_TRACE_HDR_SIZE &&
	       PC_ARCH + CPU_GDT + SEL_TSS + (NCPUS - 1) * (PC_SIZE / 8) + 16 <= PC_SIZE,
	       "an application processor's TSS descriptor lies in its ring's records");

/*
 * Per CPU: the kernel stack, then one page for #DF, NMI and #MC (IST1 and
 * IST2 share it: each of them ends in a panic). CPU 0's in entry.S, the
 * others' from frames (arch_start_cpus).
 */
#define CPU_STACKS_SIZE (KSTACK_SIZE + 4096)
u64 cpu_stack_base[NCPUS];

/*
 * Interrupt gate, 16 bytes:
 *   lo: bits 63..48 offset 31..16, 47..40 attributes P | DPL << 5 | type 0xe,
 *       34..32 IST, 31..16 selector, 15..0 offset 15..0
 *   hi: bits 31..0 offset 63..32, the rest zero
 * Built as two words: on PVM every kernel instruction costs ~1,600 cycles,
 * and field-by-field stores took twice as many per gate.
 */
struct idt_gate {
	u64 lo, hi;
};

static struct idt_gate idt[IDT_NVEC];

struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

extern const u64 trap_vectors[IDT_NVEC];
extern char cpu_stacks[];        /* CPU 0's: CPU_STACKS_SIZE, entry.S */
extern char syscall_entry_hw[];

/* CPU id's TSS selector: what `str` gives this_cpu() (percpu.h). */
static u16
tss_selector(u32 id)
{
	return (u16)(SEL_TSS + id * (PC_SIZE / 8));
}

/* Load the task register with c's TSS; c->gdt is left with the flat
 * segments only. */
static void
cpu_load_tr(struct cpu *c, u16 sel)
{
	u64 *d = c->gdt + (sel >> 3), base = (u64)&c->tss, limit = sizeof(c->tss) - 1;
	struct dtr whole = { (u16)(sel + 15), (u64)c->gdt };
	struct dtr flat = { SEL_TSS - 1, (u64)c->gdt };

	for (u32 i = 0; i < SEL_TSS >> 3; i++)
		c->gdt[i] = gdt_flat[i];
	d[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x89ULL << 40 |
	       (base >> 24 & 0xff) << 56;
	d[1] = base >> 32;
	__asm__ volatile("lgdt %0; ltr %w1; lgdt %2"
			 : : "m"(whole), "r"(sel), "m"(flat) : "memory");
	d[0] = d[1] = 0;
}

/* A present 64-bit interrupt gate to kernel code, DPL 0, no IST. */
#define GATE_BITS ((u64)SEL_KCODE << 16 | 0x8eULL << 40)
#define GATE_DPL(dpl) ((u64)(dpl) << 45)
#define GATE_IST(ist) ((u64)(ist) << 32)

static void
idt_set(int vec, u64 handler)
{
	idt[vec].lo = GATE_BITS | (handler & 0xffff) | (handler & 0xffff0000ULL) << 32;
	idt[vec].hi = handler >> 32;
}

#define CR4_FSGSBASE (1ULL << 16)
#define CPUID7_EBX_FSGSBASE 1u
#define MSR_KERNEL_GS_BASE 0xc0000102

/*
 * This CPU's TSS, task register and GDT (cpu_load_tr), the IDT and MSRs. User threads find their UTCB through the GS base (wrgsbase at every
 * switch, <exo/ipc.h>), so CR4.FSGSBASE is required. KERNEL_GS_BASE points
 * at percpu.arch for the hardware-KVM SYSCALL entry's swapgs.
 */
void
cpu_init(struct percpu *pc)
{
	struct cpu *c = cpu_arch(pc);
	u64 stack = arch_cpu_kstack(pc->id);
	struct dtr idtr = { sizeof(idt) - 1, (u64)idt };
	u32 a, b, cx, d;
	u64 cr4;

	cpuid(7, &a, &b, &cx, &d);
	if (!(b & CPUID7_EBX_FSGSBASE))
		panic("this CPU has no FSGSBASE (CPUID 7 EBX bit 0): user threads "
		      "find their UTCB through the GS base");
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" : : "r"(cr4 | CR4_FSGSBASE));
	c->kstack_top = stack;
	c->tss.rsp[0] = stack;
	c->tss.ist[0] = stack + 4096;
	c->tss.ist[1] = stack + 4096;
	c->tss.iomap_base = sizeof(c->tss);
	cpu_load_tr(c, tss_selector(pc->id));
	__asm__ volatile("lidt %0" : : "m"(idtr) : "memory");
	if (this_cpu() != pc)
		panic("CPU %u: the task register does not name its struct percpu", pc->id);
	/* SYSRET: user SS = STAR[63:48] + 8, user CS = + 16; SYSCALL: CS = [47:32]. */
	wrmsr(MSR_STAR, (u64)((SEL_UDATA & ~3) - 8) << 48 | (u64)SEL_KCODE << 32);
	/*
	 * On PVM, SYSCALL stays in ring 3 and the stub's int3 saves the flags
	 * SYSCALL left, which the kernel's iretq restores: masking IF there
	 * would return every caller with interrupts off, and a thread that
	 * then only computes would never take an interrupt again (no IPI, no
	 * timer: a TLB shootdown to its CPU would wait for ever).
	 */
	wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT |
	      (arch_platform == EXO_PLATFORM_KVM_PVM ? 0 : RFLAGS_IF));
	wrmsr(MSR_KERNEL_GS_BASE, (u64)c);
	if (arch_platform == EXO_PLATFORM_KVM_PVM)
		wrmsr(MSR_LSTAR, EXO_USER_SYSCALL_STUB);
	else
		wrmsr(MSR_LSTAR, (u64)syscall_entry_hw);
}

u64
arch_cpu_kstack(u32 cpu)
{
	return cpu_stack_base[cpu] + KSTACK_SIZE;
}

/* Stacks for the application processors, from frames: only CPUs that exist
 * take memory. */
int
cpu_alloc_stacks(u32 n)
{
	for (u32 i = 1; i < n; i++) {
		u64 pa = frame_alloc_run(CPU_STACKS_SIZE / EXO_PAGE_SIZE);

		if (!pa)
			return -E_NOMEM;
		cpu_stack_base[i] = (u64)arch_phys_to_virt(pa);
	}
	return 0;
}

/*
 * The upcall vectors' traced copies (VEC_UP in entry.S, trace_asm.h), and
 * #BP's (vec3_traced: on PVM the IPC entry, whose pager-reply path has a
 * traced copy). Only a gate's offset changes, in the low quadword with one
 * store (the high one, bits 32-63 of the address, is the same for both).
 */
extern void vec0_traced(void), vec3_traced(void), vec5_traced(void), vec6_traced(void),
	vec13_traced(void), vec14_traced(void), vec16_traced(void),
	vec17_traced(void), vec19_traced(void);
static void (*const vectors_traced[T_NVEC])(void) = {
	[0] = vec0_traced, [3] = vec3_traced, [5] = vec5_traced, [6] = vec6_traced,
	[13] = vec13_traced, [14] = vec14_traced, [16] = vec16_traced,
	[17] = vec17_traced, [19] = vec19_traced,
};

void
idt_trace_set(bool on)
{
	for (int v = 0; v < T_NVEC; v++) {
		u64 h;

		if (!(EXO_UPCALL_VECTORS >> v & 1) && v != T_BP)  /* #BP: PVM's IPC */
			continue;
		kassert(vectors_traced[v]);
		h = on ? (u64)vectors_traced[v] : trap_vectors[v];
		kassert(idt[v].hi == h >> 32);
		idt[v].lo = (idt[v].lo & 0x0000ffffffff0000ULL) | (h & 0xffff) |
			    (h >> 16 & 0xffff) << 48;
	}
}

void
arch_init(const struct exo_bootinfo *bi)
{
	arch_platform = bi->platform;
	cpu_stack_base[0] = (u64)cpu_stacks;
	/*
	 * #DF, NMI and #MC get stacks of their own (IST): they can arrive where
	 * rsp is not a good kernel stack, e.g. between loading the user rsp and
	 * SYSRET on hardware KVM. No other gate has one: with an IST the
	 * processor pushes at the same place from ring 0 and ring 3, and the
	 * frame's CS is all that tells them apart, so the place must be kernel
	 * memory (entry.S VEC_UP). The reserved vectors between the exceptions
	 * and the interrupts stay not present.
	 */
	/* Every gate alike in straight stores, then the four that differ: a
	 * test per gate cost ~10 of the boot's ring-0 instructions each. */
#pragma GCC unroll 22
	for (int v = 0; v < T_NVEC; v++)
		idt_set(v, trap_vectors[v]);
#pragma GCC unroll 4
	for (int v = VEC_IRQ_FIRST; v < IDT_NVEC; v++)
		idt_set(v, trap_vectors[v]);
	idt[T_BP].lo |= GATE_DPL(3);    /* int3 from user mode: PVM's system call */
	idt[T_DF].lo |= GATE_IST(1);
	idt[T_NMI].lo |= GATE_IST(2);
	idt[T_MC].lo |= GATE_IST(2);
	cpu_init(&cpus[0]);
	mmu_init();
	lapic_init(bi);
	smp_init(bi);
	mmu_protect_kernel(bi->mem_size);      /* after smp_init patched the text */
}

void
arch_ktest_triple_fault(void)
{
	struct dtr none = { 0, 0 };

	__asm__ volatile("lidt %0; ud2" : : "m"(none));
	__builtin_unreachable();
}
