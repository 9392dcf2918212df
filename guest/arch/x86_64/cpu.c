/* Descriptor tables, the TSS and the system-call MSRs: the CPU as exo runs it. */
#include <exo/bootinfo.h>
#include <exo/exo.h>
#include <exo/layout.h>

#include "../../core/kernel.h"
#include "../../core/platform.h"
#include "asm.h"
#include "cpu.h"
#include "lapic.h"
#include "mmu.h"
#include "trap.h"
#include "x86.h"

struct cpu cpu0;

/*
 * 64-bit TSS: only the ring-0 stack and the interrupt stack table matter.
 * The I/O map base past the limit means "no I/O bitmap": user IN/OUT faults.
 */
struct tss {
	u32 _r0;
	u64 rsp[3];
	u64 _r1;
	u64 ist[7];
	u64 _r2;
	u16 _r3;
	u16 iomap_base;
} __attribute__((packed));

_Static_assert(sizeof(struct tss) == 104, "tss layout");
_Static_assert(__builtin_offsetof(struct tss, rsp) == TSS_RSP0, "tss layout");
_Static_assert(__builtin_offsetof(struct tss, ist) + 16 == TSS_IST3, "tss layout");

/*
 * Segment descriptors (flat; base and limit are ignored in 64-bit mode):
 *   bits 55..52 flags G D/B L AVL   bits 47..40 access P DPL(2) S type(4)
 * 0x9a code r/x ring 0, 0x92 data r/w ring 0, 0xfa/0xf2 the same for ring 3;
 * flags 0xa = G|L (64-bit code), 0xc = G|D (data).
 * The VMM enters the kernel with CS and the data registers already holding
 * these selectors, so loading the table needs no far jump.
 */
static u64 gdt[7] = {
	[SEL_KCODE >> 3] = 0x00af9a000000ffffULL,
	[SEL_KDATA >> 3] = 0x00cf92000000ffffULL,
	[SEL_UDATA >> 3] = 0x00cff2000000ffffULL,
	[SEL_UCODE >> 3] = 0x00affa000000ffffULL,
	/* SEL_TSS: a 16-byte system descriptor, filled in by gdt_set_tss() */
};

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
struct tss tss;           /* the IPC fast path writes rsp[0] (asm.h TSS_RSP0) */

void
tss_set_rsp0(u64 rsp0)
{
	tss.rsp[0] = rsp0;
}

void
tss_set_ist3(u64 top)
{
	tss.ist[2] = top;
}


struct dtr {
	u16 limit;
	u64 base;
} __attribute__((packed));

extern const u64 trap_vectors[IDT_NVEC];
extern char boot_stack_top[], df_stack_top[], nmi_stack_top[];
extern char syscall_entry_hw[];

static void
gdt_set_tss(void)
{
	u64 base = (u64)&tss, limit = sizeof(tss) - 1;

	gdt[SEL_TSS >> 3] = (limit & 0xffff) | (base & 0xffffff) << 16 |
			    0x89ULL << 40 | (base >> 24 & 0xff) << 56;
	gdt[(SEL_TSS >> 3) + 1] = base >> 32;
}

static void
idt_set(int vec, u64 handler, int dpl, int ist)
{
	idt[vec].lo = (handler & 0xffff) | (u64)SEL_KCODE << 16 | (u64)ist << 32 |
		      (u64)(0x80 | dpl << 5 | 0xe) << 40 |
		      (handler >> 16 & 0xffff) << 48;
	idt[vec].hi = handler >> 32;
}

/*
 * The upcall vectors' traced copies (VEC_UP in entry.S, trace_asm.h). Only
 * a gate's offset changes, in the low quadword with one store (the high
 * one, bits 32-63 of the address, is the same for both copies).
 */
extern void vec0_traced(void), vec5_traced(void), vec6_traced(void),
	vec13_traced(void), vec14_traced(void), vec16_traced(void),
	vec17_traced(void), vec19_traced(void);
static void (*const vectors_traced[T_NVEC])(void) = {
	[0] = vec0_traced, [5] = vec5_traced, [6] = vec6_traced,
	[13] = vec13_traced, [14] = vec14_traced, [16] = vec16_traced,
	[17] = vec17_traced, [19] = vec19_traced,
};

void
idt_trace_set(bool on)
{
	for (int v = 0; v < T_NVEC; v++) {
		u64 h;

		if (!(EXO_UPCALL_VECTORS >> v & 1))
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
	struct dtr gdtr = { sizeof(gdt) - 1, (u64)gdt };
	struct dtr idtr = { sizeof(idt) - 1, (u64)idt };

	cpu0.platform = bi->platform;
	cpu0.kstack_top = (u64)boot_stack_top;
	tss.rsp[0] = (u64)boot_stack_top;
	tss.ist[0] = (u64)df_stack_top;
	tss.ist[1] = (u64)nmi_stack_top;
	tss.ist[2] = (u64)boot_stack_top;   /* a thread's until the first switch */
	tss.iomap_base = sizeof(tss);
	gdt_set_tss();
	/*
	 * #DF, NMI and #MC get stacks of their own (IST): they can arrive where
	 * rsp is not a good kernel stack, e.g. between loading the user rsp and
	 * SYSRET on hardware KVM. The reserved vectors between the exceptions
	 * and the interrupts stay not present.
	 */
	for (int v = 0; v < T_NVEC; v++)
		idt_set(v, trap_vectors[v], v == T_BP ? 3 : 0,
			v == T_DF ? 1 : v == T_NMI || v == T_MC ? 2 :
			EXO_UPCALL_VECTORS >> v & 1 ? 3 : 0);
	for (int v = VEC_IRQ_FIRST; v < IDT_NVEC; v++)
		idt_set(v, trap_vectors[v], 0, 0);
	__asm__ volatile("lgdt %0; lidt %1; ltr %w2"
			 : : "m"(gdtr), "m"(idtr), "r"(SEL_TSS) : "memory");

	/* SYSRET: user SS = STAR[63:48] + 8, user CS = + 16; SYSCALL: CS = [47:32]. */
	wrmsr(MSR_STAR, (u64)((SEL_UDATA & ~3) - 8) << 48 | (u64)SEL_KCODE << 32);
	wrmsr(MSR_FMASK, RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_AC | RFLAGS_NT);
	if (bi->platform == EXO_PLATFORM_KVM_PVM)
		wrmsr(MSR_LSTAR, EXO_USER_SYSCALL_STUB);
	else
		wrmsr(MSR_LSTAR, (u64)syscall_entry_hw);
	mmu_init();
	lapic_init(bi);
}

void
arch_ktest_triple_fault(void)
{
	struct dtr none = { 0, 0 };

	__asm__ volatile("lidt %0; ud2" : : "m"(none));
	__builtin_unreachable();
}
