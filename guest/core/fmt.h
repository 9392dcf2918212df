#ifndef CORE_FMT_H
#define CORE_FMT_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A small vsnprintf for the kernel and the library OS: %d %i %u %x %X %p %s %c
 * %%, flags '-', '0' and '#' (0x before a non-zero %x, 0X before %X), a
 * width, length modifiers l, ll, z. Always
 * NUL-terminates when size > 0; returns the length the whole output would have.
 */
size_t fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
size_t fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
