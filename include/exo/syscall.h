/*
 * System calls: number in rax, arguments in rdi, rsi, rdx, r10, r8, r9,
 * result in rax (>= 0 success, < 0 a negative E_* from <exo/error.h>).
 * rcx and r11 are clobbered (the SYSCALL instruction uses them); every other
 * register is preserved.
 */
#ifndef EXO_SYSCALL_H
#define EXO_SYSCALL_H

enum exo_sysno {
	SYS_exit          = 0,  /* (status): does not return */
	SYS_console_write = 1,  /* (buf, len): bytes written */
	SYS_ktest         = 2,  /* (op): kernel self-test hooks, boot option ktest */
	SYS_NR
};

/* SYS_ktest operations: for the test suite, refused unless booted with ktest. */
enum exo_ktest {
	KTEST_PANIC       = 1,  /* kernel panics: the host must report it */
	KTEST_TRIPLEFAULT = 2,  /* kernel loses its IDT and faults: triple fault */
};

#define EXO_CONSOLE_WRITE_MAX 4096  /* longest single console write */

#endif
