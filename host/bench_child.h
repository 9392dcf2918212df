/*
 * exo bench on the hosted platform: one boot per process there (the kernel
 * core is exo's own statics), so each suite boots in a child forked for it
 * and its run comes back whole (boot_child.c says why not a reset).
 */
#ifndef HOST_BENCH_CHILD_H
#define HOST_BENCH_CHILD_H

#include "bench.h"

/* Boot one suite into r; the exit status of that suite (bench_run_verdict's
 * or EXIT_HOST). */
typedef int bench_boot_fn(const void *ctx, struct bench_run *r);

/* boot(ctx, r) in a child process, r filled from it: boot's status, or
 * -errno if no child could be started or it sent no whole run (it died). */
int bench_boot_in_child(struct bench_run *r, bench_boot_fn *boot, const void *ctx);

#endif
