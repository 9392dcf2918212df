/*
 * A vCPU's registers as GDB's x86-64 target sees them: one table gives each
 * register's name, size, type and where KVM keeps it, and from it come the
 * target description gdb reads (qXfer:features:read:target.xml) and the
 * layout of the g/G and p/P packets, so the two cannot disagree.
 *
 * Numbering (gdb's i386:x86-64, features org.gnu.gdb.i386.core, .sse and
 * .segments, then exo's own "org.exo.sys"):
 *   0-15 rax rbx rcx rdx rsi rdi rbp rsp r8-r15, 16 rip, 17 eflags,
 *   18-23 cs ss ds es fs gs, 24-31 st0-st7, 32-39 fctrl..fop,
 *   40-55 xmm0-15, 56 mxcsr, 57 fs_base, 58 gs_base,
 *   59 k_gs_base, 60 cr0, 61 cr2, 62 cr3, 63 cr4, 64 cr8, 65 efer.
 * The x87 and SSE registers are shown unavailable: exo's kernel uses
 * neither (-mno-sse -mno-80387), and gdb's x86-64 target requires them.
 */
#ifndef VMM_GDBREGS_H
#define VMM_GDBREGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

struct gdb_tx;

/* What KVM tells of a vCPU, all that the table reads. */
struct gdb_cpu {
	struct kvm_regs r;
	struct kvm_sregs s;
	uint64_t kernel_gs_base;     /* MSR 0xc0000102 */
};

#define GDB_NREGS 66
enum { GDB_REG_RIP = 16, GDB_REG_EFLAGS = 17 };

/* The target description: an XML document, NUL-terminated. */
const char *gdbregs_xml(void);

/* Bytes of register n in the g packet's layout (0 if no such register). */
size_t gdbregs_size(unsigned n);
/* Append register n (p) or all of them (g) as hex; 'x's for unavailable. */
void gdbregs_put(struct gdb_tx *tx, const struct gdb_cpu *c, unsigned n);
void gdbregs_put_all(struct gdb_tx *tx, const struct gdb_cpu *c);
/*
 * Set register n from its hex digits (P): 0, -EINVAL if the digits are
 * wrong, -EPERM if exo does not let gdb write it (only the general
 * registers, rip and eflags are; KVM_SET_REGS writes them).
 */
int gdbregs_set(struct gdb_cpu *c, unsigned n, const char *hex);
/* All of them (G): the writable ones change, the others must be unchanged
 * (or unavailable); -EINVAL or -EPERM otherwise, and c is left as it was. */
int gdbregs_set_all(struct gdb_cpu *c, const char *hex, size_t len);

#endif
