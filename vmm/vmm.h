/* Boot exo's kernel with a list of programs and run it to the end. */
#ifndef VMM_VMM_H
#define VMM_VMM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <exo/bootinfo.h>

#include "diag.h"

enum vmm_outcome {
	VMM_EXITED = 0,      /* the kernel exited with a status */
	VMM_TIMEOUT,         /* stopped at --timeout */
	VMM_CRASHED,         /* kernel panic, triple fault, KVM error, bad request */
	VMM_INTERRUPTED,     /* SIGINT or SIGTERM */
};

struct vmm_program {
	const char *path;    /* ELF file */
	const char *name;    /* for reports */
	int argc;
	char **argv;
};

struct vmm_config {
	const char *kvm_path;
	const char *kernel_path;
	const char *cmdline;             /* kernel command line */
	uint64_t mem_size;
	double timeout;                  /* seconds, 0 for none */
	struct vmm_program progs[EXO_MAX_MODULES];
	unsigned nprogs;
	bool stats;                      /* print statistics at exit */
	bool verbose;
	FILE *report;                    /* JSON lines, or NULL */
	FILE *console;                   /* the guest's console output */
	const char *input;               /* console input: a file, "-" stdin, NULL none */
};

struct vmm_result {
	enum vmm_outcome outcome;
	int status;                      /* VMM_EXITED: 0..255 */
};

/*
 * Returns 0 once the guest has run (res says how it ended), or a negative
 * errno if it could not be started; d then says why and what to do.
 */
int vmm_run(const struct vmm_config *cfg, struct vmm_result *res, struct diag *d);

#endif
