/*
 * gdb's view of guest memory: virtual addresses, translated through the
 * page tables a vCPU's CR3 names (the kernel's half and the current user
 * space's), read from and written to the guest's physical memory, which the
 * VMM has mapped. A debugger may write what the guest may not (breakpoints
 * in the kernel's read-only text): the walk asks only "present".
 */
#ifndef VMM_GDBMEM_H
#define VMM_GDBMEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gdb_phys {
	uint8_t *mem;           /* guest physical 0.. */
	uint64_t size;
};

/* The address space a vCPU sees: paging on (CR0.PG) and its root. */
struct gdb_space {
	bool paging;
	uint64_t cr3;
};

/* The guest physical address of va, and the bytes left in its page:
 * 0, or -EFAULT if va is not canonical, not mapped, or a table or the
 * page lies outside guest memory. */
int gdbmem_translate(const struct gdb_phys *pm, const struct gdb_space *sp,
		     uint64_t va, uint64_t *pa, uint64_t *left);

/* Copy len bytes at va out of (write: into) the guest: the bytes done,
 * which stop at the first that does not translate (0: none did). */
size_t gdbmem_access(const struct gdb_phys *pm, const struct gdb_space *sp,
		     uint64_t va, void *buf, size_t len, bool write);

#endif
