/*
 * The helpers of include/exo/ext.h as `exo ext run` provides them on the
 * host: ext_ktime reads the host's monotonic clock, ext_trace prints,
 * ext_counter_add and ext_store act on a state of this process that the run
 * prints afterwards, ext_pkt_load copies from the context's packet. Helpers
 * that act on the kernel (ext_page_protect, ext_dirty_mark) or name a kernel
 * object (ext_self) are absent: a program calling them is refused by name.
 *
 * Helpers have no argument for their state (the compiled code calls them
 * as plain functions), so one state is current at a time: ext_host_use.
 */
#ifndef HOST_EXT_HELPERS_H
#define HOST_EXT_HELPERS_H

#include <stdio.h>

#include <exo/bpf.h>
#include <exo/ext.h>

#include "../guest/ebpf/helpers.h"

#define EXT_HOST_CLOCK_LOG 64   /* clock readings replayed to a second run */

struct ext_host_state {
	u64 counters[EXT_COUNTER_SLOTS];
	u8 store[EXT_STORE_SLOTS][EXT_STORE_SIZE];
	/* ext_ktime's readings: recorded by the first run, replayed to the
	 * second (the interpreter must see what the compiled code saw). */
	u64 clock[EXT_HOST_CLOCK_LOG];
	u32 nclock, next_clock;
	bool replay;
	FILE *trace;            /* where ext_trace prints; NULL: nowhere */
};

extern const struct ebpf_helpers ext_host_helpers;

/* Make s the state the helpers act on. */
void ext_host_use(struct ext_host_state *s);

/* A state for a second run: a copy of s before the first, replaying its clock. */
void ext_host_replay(struct ext_host_state *to, const struct ext_host_state *before,
		     const struct ext_host_state *after);

/* Print the counters and store slots that differ from zero. */
void ext_host_print(FILE *f, const struct ext_host_state *s);

/*
 * The first call in prog[0..n) to a helper the host lacks, or -1; its id
 * in *id.
 */
i64 ext_host_missing(const struct bpf_insn *prog, u32 n, i32 *id);

#endif /* HOST_EXT_HELPERS_H */
