/*
 * crash KIND: a program that misbehaves in one way, to show that the kernel
 * kills it (and only it) and reports vector, address and rip to the host.
 */
#include <exo/bootinfo.h>

#include "libos.h"

static const char text_byte = 1;

static int
fault(const char *kind)
{
	volatile int zero = 0;

	if (!strcmp(kind, "null"))
		return *(volatile int *)0;                        /* #PF, read */
	if (!strcmp(kind, "kread"))
		return *(volatile int *)(EXO_KERNEL_BASE + 0x100000); /* #PF, protection */
	if (!strcmp(kind, "kwrite"))
		*(volatile int *)(EXO_KERNEL_BASE + 0x100000) = 1;
	else if (!strcmp(kind, "rodata"))
		*(volatile char *)&text_byte = 2;                 /* #PF, write to read-only */
	else if (!strcmp(kind, "ud"))
		__asm__ volatile("ud2");                          /* #UD */
	else if (!strcmp(kind, "div"))                       /* #DE */
		__asm__ volatile("cltd; idivl %1" : : "a"(1), "r"(zero) : "rdx");
	else if (!strcmp(kind, "gp"))
		__asm__ volatile("cli");                          /* #GP: privileged */
	else if (!strcmp(kind, "io"))
		__asm__ volatile("outb %al, $0x80");              /* #GP: no I/O rights */
	else if (!strcmp(kind, "dfnull"))                  /* #PF with DF set */
		__asm__ volatile("std; movl 0, %%eax" : : : "rax", "memory");
	else if (!strcmp(kind, "int3"))
		__asm__ volatile("int3");                         /* #BP outside the stub */
	else
		return -1;
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc < 2) {
		printf("usage: crash null|kread|kwrite|rodata|ud|div|gp|io|int3|dfnull\n");
		return 2;
	}
	if (fault(argv[1]) < 0) {
		printf("crash: unknown kind '%s'\n", argv[1]);
		return 2;
	}
	printf("crash: %s did not fault\n", argv[1]);
	return 1;
}
