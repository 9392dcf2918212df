#ifndef ARCH_MMU_H
#define ARCH_MMU_H

/* Record the kernel's boot page tables as the template for every space. */
void mmu_init(void);
/* W^X for the kernel image and the direct map (mmu.c), once at boot. */
void mmu_protect_kernel(u64 mem_size);

struct arch_space;
/* Load s's tables into CR3 unless they are loaded already. */
void arch_space_switch(struct arch_space *s);

struct percpu;
/* Idling with several CPUs: load the kernel's root (tlb.h says why). */
void mmu_idle(struct percpu *pc);
/* An application processor: record the root the VMM loaded. */
void mmu_ap_init(struct percpu *pc);

#endif
