/* Kernel console output and panic reports, both through the VMM's devices. */
#include <stdarg.h>

#include "fmt.h"
#include "kernel.h"
#include "platform.h"

struct kernel_opts kopts;

void
kprintf(const char *fmt, ...)
{
	static char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n >= sizeof(buf))
		n = sizeof(buf) - 1;
	arch_host_console(arch_virt_to_phys(buf), n);
}

void
panic_regs(const struct exo_regs *regs, const char *fmt, ...)
{
	static struct exo_event ev;
	va_list ap;

	ev.kind = EXO_EV_PANIC;
	va_start(ap, fmt);
	fmt_vsnprintf(ev.msg, sizeof(ev.msg), fmt, ap);
	va_end(ap);
	if (regs)
		ev.regs = *regs;
	else
		arch_regs_capture(&ev.regs);
	arch_host_event(&ev);
	arch_halt();
}

bool
cmdline_has(const char *s, const char *w)
{
	while (*s) {
		const char *a = s, *b = w;

		while (*a && *a != ' ' && *a == *b)
			a++, b++;
		if (!*b && (!*a || *a == ' '))
			return true;
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
	}
	return false;
}
