/*
 * The manager's loader: an ELF image's PT_LOAD segments into a fresh
 * environment, page by page (mgr_page, proc_mem.c); the process's copy of
 * each has only the segment's rights.
 * The image is exsh's own memory, but its contents are checked as if they
 * were not: a malformed file is -E_NOEXEC, never a fault.
 */
#include "proc_mgr.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "libos.h"

struct elf64_ehdr {
	u8 ident[16];
	u16 type, machine;
	u32 version;
	u64 entry, phoff, shoff;
	u32 flags;
	u16 ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	u32 type, flags;
	u64 offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD  1
#define PF_X     1
#define PF_W     2

static bool
segment_ok(const struct elf64_phdr *ph, u64 len)
{
	return ph->filesz <= ph->memsz && ph->offset <= len &&
	       ph->filesz <= len - ph->offset && !(ph->vaddr & (EXO_PAGE_SIZE - 1)) &&
	       ph->vaddr >= EXO_USER_MIN && ph->memsz < EXO_USER_MAX &&
	       ph->vaddr + ph->memsz <= EXO_USER_MAX;
}

static long
load_segment(struct mgr_proc *p, const u8 *elf, const struct elf64_phdr *ph)
{
	u32 rights = (ph->flags & PF_W ? EXO_BIND_W : 0) | (ph->flags & PF_X ? EXO_BIND_X : 0);

	for (u64 o = 0; o < ph->memsz; o += EXO_PAGE_SIZE) {
		u64 n = o < ph->filesz ? ph->filesz - o : 0;
		long r;

		if (n > EXO_PAGE_SIZE)
			n = EXO_PAGE_SIZE;
		r = mgr_page(p, ph->vaddr + o, rights, n ? elf + ph->offset + o : 0, 0,
			     (u32)n);
		if (r < 0)
			return r;
	}
	return 0;
}

long
mgr_load(struct mgr_proc *p, const struct exos_image *img)
{
	const struct elf64_ehdr *eh = (const void *)img->elf;
	long r;

	if (img->len < sizeof *eh || eh->ident[0] != 0x7f || eh->ident[1] != 'E' ||
	    eh->ident[2] != 'L' || eh->ident[3] != 'F' || eh->ident[4] != 2 ||
	    eh->machine != 62 || eh->phentsize != sizeof(struct elf64_phdr) ||
	    eh->phoff > img->len || eh->phnum > (img->len - eh->phoff) / sizeof(struct elf64_phdr))
		return -E_NOEXEC;
	for (u32 i = 0; i < eh->phnum; i++) {
		struct elf64_phdr ph;

		memcpy(&ph, img->elf + eh->phoff + i * sizeof ph, sizeof ph);
		if (ph.type != PT_LOAD || !ph.memsz)
			continue;       /* the linker leaves an empty data segment */
		if (!segment_ok(&ph, img->len))
			return -E_NOEXEC;
		r = load_segment(p, img->elf, &ph);
		if (r < 0)
			return r;
	}
	return (long)eh->entry;
}
