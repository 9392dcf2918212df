/*
 * The boot loader proper: lays the kernel, the programs, their stacks and
 * argument pages, the boot page tables and struct exo_bootinfo out in guest
 * memory, following the boot protocol of <exo/bootinfo.h>. Works on any
 * buffer that stands for guest physical memory, so it is unit-tested on the
 * host. Guest memory must be zero when it is called.
 */
#ifndef VMM_LAYOUT_H
#define VMM_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#include <exo/bootinfo.h>

#include "diag.h"
#include "elf.h"
#include "vmm.h"

#define LAYOUT_MIN_FREE (256 * 1024ULL)  /* frames left for the kernel, at least */
#define LAYOUT_MIN_MEM  VMM_MEM_MIN     /* vmm.h */
#define LAYOUT_MAX_MEM  VMM_MEM_MAX

struct boot_program {
	const char *name;          /* shown in reports */
	struct elf_image img;      /* parsed with layout_user_limits() */
	int argc;
	char *const *argv;         /* argv[0] is the name the program sees */
	bool sigma0;               /* this is σ0 (at most one program) */
};

struct boot_layout {
	uint64_t kernel_entry;     /* kernel-virtual */
	uint64_t bootinfo_va;      /* the kernel's rdi */
	uint64_t boot_cr3;
	uint64_t kernel_end;       /* physical, page aligned */
	uint64_t modules_end;      /* physical, page aligned */
};

/* Where a kernel / a user program's segments may load. */
struct elf_limits layout_kernel_limits(uint64_t mem_size);
struct elf_limits layout_user_limits(void);

/*
 * Lay everything out in mem[0..mem_size); platform and tsc_khz (the guest's
 * TSC rate, 0 if unknown) go into the boot info as they are. -EINVAL if
 * mem_size is out of range, -ENOMEM if the programs do not fit, -E2BIG if a
 * program's arguments do not fit in its args page; the message says which
 * and what to do.
 */
int layout_build(uint8_t *mem, uint64_t mem_size, uint32_t platform,
		 uint64_t tsc_khz, const struct elf_image *kernel,
		 const struct boot_program *progs, unsigned nprogs,
		 const char *cmdline, struct boot_layout *out, struct diag *d);

#endif
