/*
 * A boot in a child process of exo: on the hosted platform the kernel core
 * is exo's own statics, so it boots once per process, and a command that
 * boots several times (exo bench's suites, exo fuzz's seeds) boots each in
 * a child forked for it, whose result comes back whole (boot_child.c says
 * why not a reset).
 */
#ifndef HOST_BOOT_CHILD_H
#define HOST_BOOT_CHILD_H

#include <stddef.h>

struct boot_child {
	/* In the child: the boot, into out; its status (the command's exit
	 * status for it). */
	int (*boot)(const void *ctx, void *out);
	/* In the child after it, and in the parent: out through the pipe fd
	 * (0, or -1 if it could not be written or read whole). Pointers to
	 * statics stay valid across the fork; anything allocated goes by
	 * value. */
	int (*send)(int fd, const void *out);
	int (*receive)(int fd, void *out);
	const void *ctx;
	void *out;
};

/* boot(ctx, out) in a child, out filled from it: boot's status, or -EAGAIN
 * if no child could be started, -EPIPE if it sent no whole result (it
 * died). */
int boot_in_child(const struct boot_child *b);

/* Whole buffers through a pipe: 0, or -1. */
int boot_child_write(int fd, const void *buf, size_t len);
int boot_child_read(int fd, void *buf, size_t len);

#endif
