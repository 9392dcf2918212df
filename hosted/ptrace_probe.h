/* Can this process trace its children (ptrace_probe.c)? 0, or -errno. */
#ifndef HOSTED_PTRACE_PROBE_H
#define HOSTED_PTRACE_PROBE_H

#include <stdbool.h>

int ptrace_probe(void);
/* Does this host's vsyscall page run (emulated, unseen by ptrace)? */
bool ptrace_vsyscall_open(void);

#endif
