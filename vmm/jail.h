/*
 * The VMM's jail: once set up, the threads that run the guest (each vCPU's
 * run loop, the I/O thread) may make only the system calls that loop needs,
 * as Firecracker jails its VMM. A guest that finds a bug in the exit
 * handlers then cannot open files, start programs or reach the network
 * through the VMM. A forbidden call stops the whole process with a message
 * naming the thread and the call (jail.c says why SIGSYS and not a silent
 * kill). The filter is per thread: the main thread, which loads files before
 * and writes reports after, stays free and starts the jailed threads.
 */
#ifndef VMM_JAIL_H
#define VMM_JAIL_H

#include "diag.h"

/* The exit status of a process a jailed thread broke out of (docs/architecture.md, "The jail"). */
#define JAIL_EXIT_STATUS 125

/* Before the jailed threads start (main thread): what they will need and
 * cannot do for themselves in the jail (one malloc arena: jail.c). */
void jail_prepare(void);

/*
 * Put the calling thread in the jail, for good; who names it in the report
 * ("vCPU 1", "the I/O thread"; a string that lives as long as the thread).
 * 0, or -errno with d saying why (libseccomp refused the filter).
 */
int jail_enter(const char *who, struct diag *d);

#endif
