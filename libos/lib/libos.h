/* The library OS as programs see it: system-call stubs and a few conveniences. */
#ifndef LIBOS_H
#define LIBOS_H

#include <stdarg.h>
#include <stddef.h>

#include <exo/error.h>
#include <exo/syscall.h>
#include <exo/types.h>

/* Raw system call: number and up to three arguments (<exo/syscall.h>). */
static inline long
sys_call3(long no, long a0, long a1, long a2)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(no), "D"(a0), "S"(a1), "d"(a2)
			 : "rcx", "r11", "memory", EXO_SYSCALL_FPU_CLOBBERS);
	return ret;
}

__attribute__((noreturn)) void exit(int status);
long console_write(const void *buf, size_t len);
/* Console input waiting now (the console line's driver only): SYS_console_read. */
long console_read(void *buf, size_t len);
long ktest(long op, long arg);

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int puts(const char *s);
int atoi(const char *s);

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

#endif
