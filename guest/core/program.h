/*
 * Programs: the boot modules, run one after another, each in its own address
 * space. (Environments, threads and a scheduler replace this in #3 and #4.)
 */
#ifndef CORE_PROGRAM_H
#define CORE_PROGRAM_H

#include <exo/types.h>
#include <exo/bootinfo.h>

#include "platform.h"

/* Status a killed program is reported with: 128 + vector, like a shell. */
#define PROGRAM_KILLED_STATUS(vector) (128 + (vector))

/* Run the modules in order; after the last, exit the VM with its status. */
__attribute__((noreturn)) void program_run_all(const struct exo_bootinfo *bi);

/* The running program's space: system calls check user pointers against it. */
const struct arch_space *program_space(void);

/* The running program ends: by SYS_exit, or killed by a fault it caused. */
__attribute__((noreturn)) void program_exit(i64 status);
__attribute__((noreturn)) void program_kill(u64 vector, u64 error, u64 addr, u64 rip);

/* Validate and map a module's segments into s (-E_NOEXEC, -E_NOMEM). */
int program_map(struct arch_space *s, const struct exo_module *m, u64 mem_size);

#endif
