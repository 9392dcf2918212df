/*
 * exsh's command line: a pipeline of commands, "gen 100000 | filter | count".
 * Words are separated by blanks (spaces, tabs); '|' separates commands (with
 * or without blanks around it). No quoting, no redirection. Portable: the
 * unit tests run it on the host.
 */
#ifndef EXOS_SH_PARSE_H
#define EXOS_SH_PARSE_H

#include <exo/types.h>

#define EXOS_SH_LINE     512    /* bytes of a command line, with its NUL */
#define EXOS_SH_STAGES   8      /* commands in a pipeline */
#define EXOS_SH_ARGS     8      /* words of a command, its name included */

struct exos_sh_cmd {
	u32 argc;
	char *argv[EXOS_SH_ARGS + 1];   /* NULL-terminated, into buf */
};

struct exos_pipeline {
	u32 ncmds;
	struct exos_sh_cmd cmds[EXOS_SH_STAGES];
	char buf[EXOS_SH_LINE];
};

/*
 * Parse line into p: 0, or -E_INVAL with *why (a static sentence) and *at
 * (the byte offset in line where it went wrong).
 */
int exos_sh_parse(const char *line, struct exos_pipeline *p, const char **why,
		  u32 *at);

#endif
