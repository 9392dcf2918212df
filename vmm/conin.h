/*
 * Console input (exo run --input FILE): the bytes of a file or of stdin,
 * read by the I/O thread into a buffer and taken by the guest one at a time
 * at EXO_PORT_CONSOLE_IN, with an interrupt when there is something to take.
 * <exo/hostio.h> states the contract the guest sees; this is the VMM's half.
 *
 * Two threads meet here: the I/O thread puts bytes in (conin_put, conin_end)
 * and the vCPU thread takes them (conin_take, conin_set_vector). Everything
 * below "lock" is shared and changes only under it.
 */
#ifndef VMM_CONIN_H
#define VMM_CONIN_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ev.h>

#include "diag.h"

#define CONIN_BUF 4096

/* Interrupt the guest with vector: > 0 delivered, 0 the guest's APIC refused
 * it (disabled), < 0 a negative errno. */
typedef int (*conin_signal_fn)(void *arg, uint32_t vector);

struct conin {
	const char *path;            /* as given, for messages; NULL: no input */
	int fd;                      /* -1: no input */
	bool own_fd;                 /* opened here (not stdin): close at the end */
	conin_signal_fn signal;
	void *signal_arg;

	pthread_mutex_t lock;
	uint8_t buf[CONIN_BUF];      /* a ring: len bytes from head */
	size_t head, len;
	bool eof;                    /* the input has ended: no byte will follow */
	uint32_t vector;             /* the guest's choice; 0: no interrupts */
	bool notified;               /* interrupted, and the guest has not read
					EMPTY since: the next interrupt waits */
	uint64_t bytes, msis;        /* statistics: bytes read, interrupts sent */

	/* The I/O thread's, once conin_start has run. */
	struct ev_loop *loop;
	ev_io readable;
	ev_async room;               /* the guest made room in a full buffer */
};

/* No input yet: every IN answers EOF and no interrupt is ever sent. */
void conin_init(struct conin *c);
/*
 * Open path ("-" is stdin) for reading. -ENOENT, -EACCES, -EISDIR, ... with
 * a message that names the file.
 */
int conin_open(struct conin *c, const char *path, struct diag *d);
/* How to interrupt the guest (set before the guest runs). */
void conin_set_signal(struct conin *c, conin_signal_fn fn, void *arg);
/* Read the input from loop, which must not be running yet. */
void conin_start(struct conin *c, struct ev_loop *loop);
/* Close the input; the loop must be stopped. */
void conin_close(struct conin *c);

/* The guest's IN: a byte, EXO_CONSOLE_IN_EMPTY or EXO_CONSOLE_IN_EOF. */
uint32_t conin_take(struct conin *c);
/* The guest's OUT: interrupt with vector from now on (0: never); -EINVAL if
 * vector is neither 0 nor 32..255. */
int conin_set_vector(struct conin *c, uint32_t vector);

/* The input's side: append up to n bytes (returns how many fit), or end it. */
size_t conin_put(struct conin *c, const void *p, size_t n);
void conin_end(struct conin *c);

#endif
