/* Constants shared by the arch layer's C and assembly. */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

/* GDT selectors. SYSRET needs user data at STAR[63:48]+8, user code at +16. */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	(0x18 | 3)
#define SEL_UCODE	(0x20 | 3)
#define SEL_TSS		0x28

/*
 * Interrupt vectors (lapic.c). 0..31 are the CPU's exceptions; the IDT ends
 * after the last interrupt vector, so booting fills few gates. The spurious
 * vector need not be 0xff: an x2APIC has all eight bits of it.
 */
#define VEC_IRQ_FIRST	32
#define VEC_TIMER	32	/* LAPIC timer */
#define VEC_CONSOLE	33	/* the VMM's console-input MSI */
#define VEC_SPURIOUS	34	/* LAPIC spurious interrupt: no EOI */
#define IDT_NVEC	35

#define VEC_SYSCALL	256	/* pseudo vector: a SYSCALL on hardware KVM */
#define KSTACK_SIZE	16384

/* Offsets in struct cpu (cpu.h), checked there with _Static_assert. */
#define CPU_KSTACK_TOP	0
#define CPU_SCRATCH	8

#endif
