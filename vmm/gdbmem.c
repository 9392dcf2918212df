/* Guest virtual memory for gdb: see gdbmem.h. */
#include "gdbmem.h"

#include <errno.h>
#include <string.h>

/*
 * x86-64 4-level paging: va bits 47..39 index the PML4, 38..30 the PDPT,
 * 29..21 the PD, 20..12 the PT, 11..0 the byte. An entry's bit 0 is
 * "present"; bit 7 (PS) in a PDPT or PD entry makes it a 1 GiB or 2 MiB
 * page; bits 51..12 hold the next table's or the page's frame. Bits 63..48
 * of va repeat bit 47 (canonical).
 */
#define PTE_P     (1ULL << 0)
#define PTE_PS    (1ULL << 7)
#define PTE_FRAME 0x000ffffffffff000ULL

static bool
canonical(uint64_t va)
{
	uint64_t top = va >> 47;

	return top == 0 || top == 0x1ffff;
}

int
gdbmem_translate(const struct gdb_phys *pm, const struct gdb_space *sp,
		 uint64_t va, uint64_t *pa, uint64_t *left)
{
	uint64_t table = sp->cr3 & PTE_FRAME;

	if (!sp->paging) {
		*pa = va;
		*left = 4096 - (va & 4095);
		return va < pm->size ? 0 : -EFAULT;
	}
	if (!canonical(va))
		return -EFAULT;
	for (int level = 3; level >= 0; level--) {
		unsigned shift = 12 + 9 * (unsigned)level;
		uint64_t at = table + ((va >> shift) & 511) * 8, e;

		if (at + 8 > pm->size)
			return -EFAULT;
		memcpy(&e, pm->mem + at, 8);
		if (!(e & PTE_P))
			return -EFAULT;
		if (level == 0 || ((e & PTE_PS) && level <= 2)) {
			uint64_t mask = (1ULL << shift) - 1;

			*pa = (e & PTE_FRAME & ~mask) | (va & mask);
			*left = (1ULL << shift) - (va & mask);
			return *pa < pm->size ? 0 : -EFAULT;
		}
		table = e & PTE_FRAME;
	}
	return -EFAULT;
}

size_t
gdbmem_access(const struct gdb_phys *pm, const struct gdb_space *sp,
	      uint64_t va, void *buf, size_t len, bool write)
{
	uint8_t *b = buf;
	size_t done = 0;

	while (done < len) {
		uint64_t pa, left, n;

		if (gdbmem_translate(pm, sp, va + done, &pa, &left) < 0)
			break;
		n = len - done;
		if (n > left)
			n = left;
		if (n > pm->size - pa)
			n = pm->size - pa;
		if (write)
			memcpy(pm->mem + pa, b + done, n);
		else
			memcpy(b + done, pm->mem + pa, n);
		done += n;
	}
	return done;
}
