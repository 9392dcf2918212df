/* The remote protocol's framing: see gdbproto.h. */
#include "gdbproto.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum gdb_rx_event
gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	int v;

	switch (rx->state) {
	case RX_IDLE:
		if (c == 0x03)
			return GDB_RX_INTERRUPT;
		if (c == '$') {
			rx->state = RX_DATA;
			rx->len = 0;
			rx->sum = 0;
			rx->overflow = false;
		}
		return GDB_RX_NONE;     /* acks and noise between packets */
	case RX_DATA:
		if (c == '#') {
			rx->state = RX_SUM1;
			return GDB_RX_NONE;
		}
		rx->sum += c;
		if (rx->len < GDB_PKT_MAX)
			rx->buf[rx->len++] = (char)c;
		else
			rx->overflow = true;
		return GDB_RX_NONE;
	case RX_SUM1:
		v = hexval(c);
		rx->want = (uint8_t)(v < 0 ? 0 : v << 4);
		rx->state = v < 0 ? RX_IDLE : RX_SUM2;
		return v < 0 ? GDB_RX_BADSUM : GDB_RX_NONE;
	case RX_SUM2:
		rx->state = RX_IDLE;
		v = hexval(c);
		if (v < 0 || (uint8_t)(rx->want | v) != rx->sum || rx->overflow)
			return GDB_RX_BADSUM;
		rx->buf[rx->len] = '\0';
		return GDB_RX_PACKET;
	}
	return GDB_RX_NONE;
}

void
gdb_tx_begin(struct gdb_tx *tx)
{
	tx->buf[0] = '$';
	tx->len = 1;
	tx->full = false;
}

/* Room for n more bytes, keeping 3 for "#xx". */
static bool
tx_room(struct gdb_tx *tx, size_t n)
{
	if (tx->len + n + 3 > sizeof(tx->buf) || tx->len - 1 + n > GDB_PKT_MAX) {
		tx->full = true;
		return false;
	}
	return true;
}

void
gdb_tx_str(struct gdb_tx *tx, const char *s)
{
	size_t n = strlen(s);

	if (!tx_room(tx, n))
		return;
	memcpy(tx->buf + tx->len, s, n);
	tx->len += n;
}

void
gdb_tx_fmt(struct gdb_tx *tx, const char *fmt, ...)
{
	char s[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	gdb_tx_str(tx, s);
}

void
gdb_tx_hex(struct gdb_tx *tx, const void *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = p;

	if (!tx_room(tx, 2 * n))
		return;
	for (size_t i = 0; i < n; i++) {
		tx->buf[tx->len++] = digits[b[i] >> 4];
		tx->buf[tx->len++] = digits[b[i] & 15];
	}
}

void
gdb_tx_bin(struct gdb_tx *tx, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++) {
		bool esc = b[i] == '#' || b[i] == '$' || b[i] == '}' || b[i] == '*';

		if (!tx_room(tx, esc ? 2 : 1))
			return;
		if (esc)
			tx->buf[tx->len++] = '}';
		tx->buf[tx->len++] = (char)(esc ? b[i] ^ 0x20 : b[i]);
	}
}

void
gdb_tx_finish(struct gdb_tx *tx)
{
	uint8_t sum = 0;

	for (size_t i = 1; i < tx->len; i++)
		sum += (uint8_t)tx->buf[i];
	snprintf(tx->buf + tx->len, 4, "#%02x", sum);
	tx->len += 3;
}

bool
gdb_hex_decode(const char *s, void *out, size_t n)
{
	uint8_t *b = out;

	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);

		if (lo < 0)
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool
gdb_hex_num(const char **s, uint64_t *v)
{
	const char *p = *s;
	uint64_t x = 0;
	int d;

	while ((d = hexval(*p)) >= 0) {
		if (x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
		p++;
	}
	if (p == *s)
		return false;
	*s = p;
	*v = x;
	return true;
}

long
gdb_unescape(char *p, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (p[i] != '}') {
			p[o++] = p[i];
			continue;
		}
		if (++i == len)
			return -1;
		p[o++] = (char)(p[i] ^ 0x20);
	}
	return (long)o;
}
