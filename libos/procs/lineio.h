/*
 * Line input and output over a process's pipes, for exsh's small programs:
 * buffered, so a line is not a system call (or a ring operation) of its own.
 */
#ifndef PROCS_LINEIO_H
#define PROCS_LINEIO_H

#include "exos.h"
#include "libos.h"

struct lineio {
	char buf[1024];
	u32 len, pos;
	bool eof;
};

/* The next line of fd 0 into line (without its newline, cut at max - 1):
 * its length, or -1 at end of file. */
static inline long
line_read(struct lineio *in, char *line, u32 max)
{
	u32 n = 0;

	for (;;) {
		if (in->pos == in->len) {
			long got = in->eof ? 0 : exos_read(0, in->buf, sizeof in->buf);

			if (got <= 0) {
				in->eof = true;
				if (!n)
					return -1;
				line[n] = 0;
				return n;
			}
			in->len = (u32)got;
			in->pos = 0;
		}
		char c = in->buf[in->pos++];

		if (c == '\n')
			break;
		if (n < max - 1)
			line[n++] = c;
	}
	line[n] = 0;
	return n;
}

/* Queue n bytes for fd 1; false if the reader is gone. */
static inline bool
out_put(struct lineio *out, const char *s, u32 n)
{
	if (out->len + n > sizeof out->buf) {
		if (exos_write(1, out->buf, out->len) < 0)
			return false;
		out->len = 0;
	}
	memcpy(out->buf + out->len, s, n);
	out->len += n;
	return true;
}

static inline bool
out_flush(struct lineio *out)
{
	long w = out->len ? exos_write(1, out->buf, out->len) : 0;

	out->len = 0;
	return w >= 0;
}

#endif
