/*
 * The GDB remote serial protocol's framing, apart from what the packets
 * mean (gdbstub.c): a packet is "$" data "#" two hex digits, the sum of the
 * data's bytes modulo 256; the receiver answers "+" (good) or "-" (send it
 * again) unless both sides agreed to QStartNoAckMode. A lone 0x03 outside a
 * packet is gdb's Ctrl-C. In binary data (X, qXfer replies) '#', '$', '}'
 * and '*' travel as '}' followed by the byte XOR 0x20.
 */
#ifndef VMM_GDBPROTO_H
#define VMM_GDBPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet's data either way (qSupported's PacketSize). */
#define GDB_PKT_MAX 4096

enum gdb_rx_event {
	GDB_RX_NONE,        /* nothing complete yet */
	GDB_RX_PACKET,      /* rx->buf[0..len) holds a packet with a good sum */
	GDB_RX_BADSUM,      /* a packet arrived damaged or too long: answer "-" */
	GDB_RX_INTERRUPT,   /* 0x03: stop the guest */
};

struct gdb_rx {
	enum { RX_IDLE, RX_DATA, RX_SUM1, RX_SUM2 } state;
	char buf[GDB_PKT_MAX + 1];  /* NUL-terminated when a packet is complete */
	size_t len;
	uint8_t sum, want;
	bool overflow;
};

/* Feed one received byte; what it completed. */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* A packet being built: begin, append, then finish adds "#" and the sum. */
struct gdb_tx {
	char buf[GDB_PKT_MAX * 2 + 8];
	size_t len;
	bool full;          /* something did not fit: the packet is cut */
};

void gdb_tx_begin(struct gdb_tx *tx);
void gdb_tx_str(struct gdb_tx *tx, const char *s);
void gdb_tx_fmt(struct gdb_tx *tx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* n bytes as 2n hex digits. */
void gdb_tx_hex(struct gdb_tx *tx, const void *p, size_t n);
/* n bytes of binary data, escaped. */
void gdb_tx_bin(struct gdb_tx *tx, const void *p, size_t n);
void gdb_tx_finish(struct gdb_tx *tx);

/* Hex digits to bytes: n bytes from 2n digits; false if one is no digit. */
bool gdb_hex_decode(const char *s, void *out, size_t n);
/* A hex number at *s, up to a character not a digit (advanced past it):
 * false if there is none or it overflows 64 bits. */
bool gdb_hex_num(const char **s, uint64_t *v);
/* Undo the escapes of binary data in place: its length, or -1 if it ends
 * inside an escape. */
long gdb_unescape(char *p, size_t len);

#endif
