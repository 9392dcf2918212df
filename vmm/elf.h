/*
 * ELF64 executables for the boot loader: the kernel (placed by physical
 * address) and user programs (placed by the VMM, mapped by the kernel at their
 * virtual addresses). Parsing checks everything against the file's size and
 * the allowed address window, so nothing later trusts the file.
 */
#ifndef VMM_ELF_H
#define VMM_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <exo/bootinfo.h>

#include "diag.h"

#define ELF_MAX_SEGS (EXO_MAX_SEGMENTS - 2)   /* a program also gets stack, args */

struct elf_seg {
	uint64_t addr;       /* where it goes: paddr or vaddr, per elf_limits */
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t filesz;
	uint64_t offset;
	uint32_t flags;      /* PF_R/W/X == EXO_SEG_R/W/X */
};

struct elf_image {
	const uint8_t *data; /* the file; segments point into it */
	size_t size;
	uint64_t entry;
	unsigned nsegs;
	struct elf_seg segs[ELF_MAX_SEGS];
};

/* The window segments must fit in, and which address places them. */
struct elf_limits {
	uint64_t lo, hi;         /* [lo, hi) */
	int by_paddr;            /* kernel: place by p_paddr */
	uint64_t virt_offset;    /* by_paddr: require vaddr == paddr + offset */
};

/*
 * Parse the ELF file data[0..size) named name. -ENOEXEC with a message naming
 * the file if it is not an x86-64 static executable whose loadable segments
 * lie inside the window without overlapping.
 */
int elf_parse(const char *name, const void *data, size_t size,
	      const struct elf_limits *lim, struct elf_image *img, struct diag *d);

/* Read a whole file into malloc'd memory (-errno, message names the path). */
int elf_read_file(const char *path, void **data, size_t *size, struct diag *d);

#endif
