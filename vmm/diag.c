#include "diag.h"

#include <stdarg.h>
#include <stdio.h>

int
diag_fail(struct diag *d, int err, const char *fmt, ...)
{
	va_list ap;

	if (d) {
		va_start(ap, fmt);
		vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
		va_end(ap);
	}
	return -err;
}
