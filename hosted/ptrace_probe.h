/* Can this process trace its children (ptrace_probe.c)? 0, or -errno. */
#ifndef HOSTED_PTRACE_PROBE_H
#define HOSTED_PTRACE_PROBE_H

int ptrace_probe(void);

#endif
