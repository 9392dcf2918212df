/*
 * Boot protocol between the VMM (the boot loader) and the kernel.
 *
 * The VMM enters the kernel in 64-bit mode at its ELF entry point with
 *   rdi = kernel-virtual address of struct exo_bootinfo,
 *   paging on, CR3 = the boot page tables described below,
 *   interrupts off, no valid stack (the kernel sets its own).
 *
 * Guarantees the kernel relies on, so that it never zeroes memory it need not:
 *   - every byte of guest memory the VMM did not write is zero (fresh anonymous
 *     memory): the kernel's .bss, every EXO_MEM_USABLE frame, every program's
 *     bss, stack and page-table-to-be;
 *   - programs arrive laid out, not as files: each PT_LOAD segment of a module
 *     already sits in its own physically contiguous, page-aligned frames at the
 *     same page offset as its virtual address; the stack and an args page too.
 *     The kernel only builds page tables for them.
 *   - the kernel image is laid out W^X already: EXO_BOOT_KPT_PA holds the
 *     leaf table of guest-physical 0..2 MiB (where the image lies) in 4 KiB
 *     pages, each mapping its own frame global, the pages of the image's
 *     read-only segments read-only (no-execute unless the segment is
 *     executable), every other page writable and no-execute; every 2 MiB
 *     page of the boot tables past the first is no-execute. The boot
 *     tables still map the first 2 MiB writable and executable with one
 *     2 MiB page, so the kernel can patch its text before it puts the
 *     leaf table in (mmu_protect_kernel checks the image's boundaries in
 *     it; the self-check, arch_kernel_wx, every entry).
 *
 * Guest physical layout:
 *   0x0000 .. 0x0fff   never mapped by anything (guard for NULL physical)
 *   EXO_BOOTINFO_PA    this structure
 *   EXO_BOOT_PT_PA     boot page tables: PML4, one PDPT, two PDs (2 MiB pages),
 *                      and the kernel image's leaf table (EXO_BOOT_KPT_PA)
 *   kernel image       at its ELF physical addresses (from 1 MiB)
 *   modules            after the kernel, page aligned
 *   the rest           EXO_MEM_USABLE
 *
 * Kernel virtual layout: physical address p is mapped at EXO_KERNEL_BASE + p for
 * p < EXO_DIRECT_MAP_MAX (the top 2 GiB, so the kernel can use -mcmodel=kernel).
 */
#ifndef EXO_BOOTINFO_H
#define EXO_BOOTINFO_H

#include <exo/types.h>

#define EXO_BOOTINFO_MAGIC   0x4f4f42305845ULL  /* "EX0BOO" */
#define EXO_BOOTINFO_VERSION 4

#define EXO_KERNEL_BASE      0xffffffff80000000ULL
#define EXO_DIRECT_MAP_MAX   (2ULL << 30)       /* guest memory limit: 2 GiB */

#define EXO_BOOTINFO_PA      0x1000ULL
#define EXO_BOOTINFO_MAX     0x7000ULL          /* up to EXO_BOOT_PT_PA */
#define EXO_BOOT_PT_PA       0x8000ULL          /* PML4, PDPT, PD0, PD1, KPT */
#define EXO_BOOT_PT_PAGES    5
#define EXO_BOOT_KPT_PA      (EXO_BOOT_PT_PA + 4 * 0x1000ULL)
#define EXO_KERNEL_MIN_PA    0x100000ULL        /* kernel may not load below 1 MiB */

#define EXO_MAX_REGIONS      16
#define EXO_MAX_MODULES      16
#define EXO_MAX_SEGMENTS     8                  /* per module, incl. stack and args */
#define EXO_NAME_MAX         32
#define EXO_CMDLINE_MAX      256
#define EXO_NO_SIGMA0        0xffffffffu
#define EXO_MAX_CPUS         4    /* the kernel's NCPUS_MAX: each CPU has a 68 KiB trace
				     ring, and a 4 MiB guest must still boot */

enum exo_platform {
	EXO_PLATFORM_KVM_HW  = 1,   /* VMX/SVM: ring 0 runs natively */
	EXO_PLATFORM_KVM_PVM = 2,   /* PVM host: ring 0 emulated, user native */
	EXO_PLATFORM_HOSTED  = 3,   /* the kernel core as a Linux process */
	EXO_PLATFORM_PTRACE  = 4,   /* the same, its crossings by ptrace, no seccomp */
};

/* Is p one of the platforms with the kernel core in the exo process? */
static inline int
exo_platform_in_process(u32 p)
{
	return p == EXO_PLATFORM_HOSTED || p == EXO_PLATFORM_PTRACE;
}

/* The platform's name in reports, traces and bench JSON. */
static inline const char *
exo_platform_name(u32 p)
{
	return p == EXO_PLATFORM_KVM_PVM ? "kvm-pvm" :
	       p == EXO_PLATFORM_HOSTED ? "hosted" :
	       p == EXO_PLATFORM_PTRACE ? "ptrace" : "kvm-hw";
}

enum exo_mem_type {
	EXO_MEM_USABLE = 1,         /* free, zero-filled */
	EXO_MEM_BOOT   = 2,         /* boot info and boot page tables */
	EXO_MEM_KERNEL = 3,         /* kernel image, incl. bss */
	EXO_MEM_MODULE = 4,         /* program segments, stacks, args pages */
};

/* Regions are sorted by base; a usable region overlaps no other region. */
struct exo_mem_region {
	u64 base;                   /* page aligned */
	u64 len;                    /* page multiple */
	u32 type;                   /* enum exo_mem_type */
	u32 _pad;
};

/* Segment flags, ELF's PF_X/PF_W/PF_R values on purpose. */
#define EXO_SEG_X 1
#define EXO_SEG_W 2
#define EXO_SEG_R 4

struct exo_segment {
	u64 vaddr;                  /* page aligned user virtual address */
	u64 paddr;                  /* page aligned guest physical address */
	u64 len;                    /* page multiple */
	u32 flags;                  /* EXO_SEG_* */
	u32 _pad;
};

struct exo_module {
	char name[EXO_NAME_MAX];    /* NUL terminated, for reports */
	u64 entry;                  /* user virtual */
	u64 stack_top;              /* user virtual, 16-byte aligned */
	u64 argv;                   /* user virtual address of argv[] */
	u32 argc;
	u32 nsegs;
	/* Ascending and apart in user and in physical memory: each segment
	 * starts past the end of the one before, at both addresses (the
	 * kernel compares neighbours only, and refuses the module otherwise). */
	struct exo_segment segs[EXO_MAX_SEGMENTS];
};

struct exo_bootinfo {
	u64 magic;
	u32 version;
	u32 platform;               /* enum exo_platform */
	u64 mem_size;               /* bytes of guest physical memory from 0 */
	u64 tsc_khz;                /* 0 if unknown */
	u32 nregions;
	u32 nmodules;
	u32 sigma0;                 /* index of σ0's module, EXO_NO_SIGMA0 if none */
	u32 ncpus;                  /* vCPUs, 1..EXO_MAX_CPUS (kernel/smp.c) */
	struct exo_mem_region regions[EXO_MAX_REGIONS];
	struct exo_module modules[EXO_MAX_MODULES];
	char cmdline[EXO_CMDLINE_MAX];
};

_Static_assert(sizeof(struct exo_segment) == 32, "exo_segment layout");
_Static_assert(sizeof(struct exo_module) == 64 + 32 * EXO_MAX_SEGMENTS,
	       "exo_module layout");
_Static_assert(sizeof(struct exo_bootinfo) <= EXO_BOOTINFO_MAX,
	       "boot info must fit below the boot page tables");

#endif
