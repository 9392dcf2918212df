/* System-call stubs and the small conveniences built on them. */
#include "libos.h"

#include "../../guest/core/fmt.h"

void
exit(int status)
{
	sys_call3(SYS_exit, status, 0, 0);
	__builtin_unreachable();
}

long
console_write(const void *buf, size_t len)
{
	return sys_call3(SYS_console_write, (long)buf, (long)len, 0);
}

long
console_read(void *buf, size_t len)
{
	return sys_call3(SYS_console_read, (long)buf, (long)len, 0);
}

long
ktest(long op, long arg)
{
	return sys_call3(SYS_ktest, op, arg, 0);
}

/* Formats into a buffer and writes it with one system call (up to 1 KiB). */
int
printf(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	return (int)console_write(buf, n);
}

int
puts(const char *s)
{
	return printf("%s\n", s);
}

int
atoi(const char *s)
{
	int v = 0, neg = *s == '-';

	if (neg || *s == '+')
		s++;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return neg ? -v : v;
}
