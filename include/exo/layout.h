/*
 * A user address space, as the kernel builds it and the VMM lays programs out:
 *
 *   0 .. EXO_USER_KIP                  never mapped: NULL and small offsets fault
 *   EXO_USER_KIP                       the kernel interface page (read-only)
 *   EXO_USER_SYSCALL_STUB              the kernel's system-call stub page
 *                                      (read/execute; PVM hosts only); its
 *                                      address fits a 32-bit immediate, so the
 *                                      entry path checks it in one compare
 *   EXO_USER_MIN .. EXO_USER_MAX       program segments (from the ELF file)
 *   .. EXO_USER_STACK_TOP              the initial stack, EXO_USER_STACK_SIZE
 *   EXO_USER_ARGS                      one page: argv[] and the strings
 *   EXO_USER_SIGMA0_BASE               σ0 only: physical frame pa at base + pa
 *   EXO_USER_END                       end of the lower canonical half
 */
#ifndef EXO_LAYOUT_H
#define EXO_LAYOUT_H

#define EXO_PAGE_SIZE          0x1000ULL
#define EXO_PAGE_DOWN(a)       ((a) & ~(EXO_PAGE_SIZE - 1))
#define EXO_PAGE_UP(a)         (((a) + EXO_PAGE_SIZE - 1) & ~(EXO_PAGE_SIZE - 1))
#define EXO_USER_MIN           0x10000ULL
#define EXO_USER_MAX           0x00007fff00000000ULL
#define EXO_USER_STACK_SIZE    0x10000ULL
#define EXO_USER_STACK_TOP     0x00007fffffe00000ULL
#define EXO_USER_ARGS          EXO_USER_STACK_TOP
#define EXO_USER_KIP           0xe000ULL
#define EXO_USER_SYSCALL_STUB  0xf000ULL
#define EXO_USER_SIGMA0_BASE   0x0000100000000000ULL
#define EXO_USER_BITS          47
#define EXO_USER_END           (1ULL << EXO_USER_BITS)

#endif
