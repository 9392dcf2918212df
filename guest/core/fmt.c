#include "fmt.h"

#include <stdint.h>

struct out {
	char *buf;
	size_t size;
	size_t len;
};

static void
put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void
pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

/*
 * Emit s (n chars) in a field of width, right-aligned unless left. Its first
 * pre chars (a sign, a 0x) stand before zero padding: %05d of -42 is -0042,
 * %#010x of 0xbeef is 0x0000beef.
 */
static void
field(struct out *o, const char *s, int n, int width, int left, char padc, int pre)
{
	int shown = n;

	if (!left && padc == '0') {
		for (; pre > 0 && n > 0; pre--, n--, width--)
			put(o, *s++);
	}
	if (!left)
		pad(o, padc, width - n);
	while (n-- > 0)
		put(o, *s++);
	if (left)
		pad(o, ' ', width - shown);
}

static int
utoa(char *end, uint64_t v, unsigned base, int upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char *p = end;

	do {
		*--p = digits[v % base];
		v /= base;
	} while (v);
	return (int)(end - p);
}

/* Read one conversion's integer argument at the given length (0, 1 l, 2 ll/z). */
static uint64_t
arg_unsigned(va_list *ap, int len)
{
	if (len == 0)
		return va_arg(*ap, unsigned int);
	if (len == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned long long);
}

static int64_t
arg_signed(va_list *ap, int len)
{
	if (len == 0)
		return va_arg(*ap, int);
	if (len == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, long long);
}

/* One conversion's flags, width and length modifier. */
struct spec {
	int left, alt, width, len;
	char padc;
};

static void
conv(struct out *o, char c, const struct spec *sp, va_list *ap)
{
	char tmp[24], *end = tmp + sizeof(tmp);
	int n, pre = 0, len = sp->len, width = sp->width, left = sp->left;
	char padc = sp->padc;

	switch (c) {
	case 'd':
	case 'i': {
		int64_t v = arg_signed(ap, len);
		n = utoa(end, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, 0);
		if (v < 0) {
			end[-++n] = '-';
			pre = 1;
		}
		break;
	}
	case 'u':
		n = utoa(end, arg_unsigned(ap, len), 10, 0);
		break;
	case 'x':
	case 'X': {
		uint64_t v = arg_unsigned(ap, len);

		n = utoa(end, v, 16, c == 'X');
		if (sp->alt && v) {     /* C: '#' gives 0x, except for 0 */
			end[-++n] = c;
			end[-++n] = '0';
			pre = 2;
		}
		break;
	}
	case 'p':
		n = utoa(end, (uintptr_t)va_arg(*ap, void *), 16, 0);
		end[-++n] = 'x';
		end[-++n] = '0';
		break;
	case 'c':
		tmp[0] = (char)va_arg(*ap, int);
		field(o, tmp, 1, width, left, ' ', 0);
		return;
	case 's': {
		const char *s = va_arg(*ap, const char *);
		if (!s)
			s = "(null)";
		for (n = 0; s[n]; n++)
			;
		field(o, s, n, width, left, ' ', 0);
		return;
	}
	default:        /* %% and unknown conversions print themselves */
		put(o, c);
		return;
	}
	field(o, end - n, n, width, left, padc, pre);
}

size_t
fmt_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	va_list args;

	va_copy(args, ap);
	while (*fmt) {
		struct spec sp = { .padc = ' ' };

		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				sp.left = 1;
			else if (*fmt == '0')
				sp.padc = '0';
			else if (*fmt == '#')
				sp.alt = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			sp.width = sp.width * 10 + (*fmt++ - '0');
		while (*fmt == 'l' || *fmt == 'z') {
			sp.len += *fmt == 'z' ? 2 : 1;
			fmt++;
		}
		if (!*fmt)
			break;
		if (sp.len > 2)
			sp.len = 2;
		conv(&o, *fmt++, &sp, &args);
	}
	va_end(args);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return o.len;
}

size_t
fmt_snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = fmt_vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
