/* bench-vm's ExOS process operations (vm_proc.c): pipes, fork, spawn. */
#ifndef BENCH_VM_PROC_H
#define BENCH_VM_PROC_H

#include "bench.h"

#define VM_PROC_NOPS  4
extern const struct bench_op vm_proc_ops[VM_PROC_NOPS];

#endif
