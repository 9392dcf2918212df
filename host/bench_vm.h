/*
 * exo bench vm beside the other designs: Appel and Li's operations in ExOS
 * and with an L4 pager (the guest's bench/vm.c), in Linux on this host
 * (bench_vm_linux.c), and as the Aegis and SPIN papers published them
 * (bench_vm.c).
 */
#ifndef HOST_BENCH_VM_H
#define HOST_BENCH_VM_H

#include <stdio.h>

#include "bench.h"

enum bench_vm_op {
	VM_DIRTY, VM_PROT1, VM_PROT100, VM_UNPROT100, VM_TRAP, VM_APPEL1, VM_APPEL2,
	VM_LRPC, VM_SHMPP,      /* communication: bench/vm_ipc.c, bench_vm_ipc.c */
	VM_NOPS
};

/* ExOS's processes (bench/vm_proc.c) and Linux's same shapes. */
enum bench_vm_proc_op { VM_PIPE_RTT, VM_PIPE_64K, VM_FORK_WAIT, VM_SPAWN_WAIT, VM_PROC_NOPS };

/* Median microseconds per operation (appel2: per page); NAN: not measured. */
struct bench_vm_linux {
	double us[VM_NOPS];
	double proc_us[VM_PROC_NOPS];   /* spawn: not measured (no such call) */
};

/* bench_vm_linux_proc.c: pipes and fork between two Linux processes. */
int bench_vm_linux_proc(struct bench_vm_linux *lx, unsigned iterations);

/* Measure Linux's column here, iterations of each: 0 or -errno. */
int bench_vm_linux(struct bench_vm_linux *lx, unsigned iterations);
/* Its communication rows (bench_vm_ipc.c, called by bench_vm_linux). */
int bench_vm_linux_ipc(struct bench_vm_linux *lx, unsigned iterations);
/* The median of n timed runs of op (prep before each, untimed), in µs:
 * 0 or -errno (bench_vm_linux.c). */
int bench_vm_time(int (*op)(void), int (*prep)(void), unsigned n, double *us);

/*
 * The comparison: the designs measured in r (a run of bench-vm; NULL: the
 * boot failed, Linux alone) beside Linux (lx, or NULL if it could not be
 * measured) and the papers' figures, each design's ratio to its baseline.
 */
void bench_vm_table(FILE *f, const struct bench_run *r, const struct bench_vm_linux *lx);

/* The JSON of lx (docs/bench.md): {"us_per_op": {"dirty": null, ...}}. */
struct json;
void bench_vm_json(struct json *j, const struct bench_vm_linux *lx);

#endif
