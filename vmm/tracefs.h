/*
 * tracefs for the KVM tracepoints exo samples or counts (their perf ids):
 * where it is not mounted, mount it when root, else say the one command
 * that fixes it. The decision is apart from the probing so that tests can
 * give it any state of the machine.
 */
#ifndef VMM_TRACEFS_H
#define VMM_TRACEFS_H

#include <stdbool.h>
#include <stddef.h>

#define TRACEFS_DIR      "/sys/kernel/tracing"
#define TRACEFS_FIX      "mount -t tracefs nodev " TRACEFS_DIR

struct tracefs_state {
	bool events;            /* TRACEFS_DIR/events or debugfs's tracing/events exists */
	bool dir;               /* TRACEFS_DIR exists (the mount point) */
	bool root;              /* the effective user is root */
};

enum tracefs_action {
	TRACEFS_READY,          /* mounted already: nothing to do */
	TRACEFS_MOUNT,          /* mount it ourselves */
	TRACEFS_TELL,           /* cannot: tell the user the command */
};

enum tracefs_action tracefs_decide(const struct tracefs_state *s);
/* Make tracefs available if it is not: 0, or -errno with why (naming the
 * command to run) filled in. */
int tracefs_ensure(char *why, size_t n);
/* The perf id of tracepoint event ("kvm/kvm_exit"), mounting tracefs if need
 * be; -1 with why filled in. */
int tracefs_event_id(const char *event, char *why, size_t n);

#endif
