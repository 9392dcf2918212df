/* exsh's command line (sh_parse.h). */
#include "sh_parse.h"

#include <exo/error.h>

static bool
blank(char c)
{
	return c == ' ' || c == '\t';
}

static int
fail(const char **why, u32 *at, const char *msg, u32 where)
{
	*why = msg;
	*at = where;
	return -E_INVAL;
}

/*
 * Words are copied to buf, each with its NUL. Every word in line is followed
 * by a blank, a bar or the end, so buf never needs more than line's bytes
 * and its NUL.
 */
int
exos_sh_parse(const char *line, struct exos_pipeline *p, const char **why, u32 *at)
{
	struct exos_sh_cmd *c = &p->cmds[0];
	u32 i = 0, w = 0;

	p->ncmds = 1;
	c->argc = 0;
	for (;;) {
		while (i < EXOS_SH_LINE && blank(line[i]))
			i++;
		if (i == EXOS_SH_LINE)
			return fail(why, at, "the command line is too long", i - 1);
		if (!line[i] || line[i] == '|') {
			if (!c->argc)
				return fail(why, at, line[i] ? "a '|' with no command before it" :
					    p->ncmds > 1 ? "a '|' with no command after it" :
					    "no command", i);
			c->argv[c->argc] = 0;
			if (!line[i++])
				return 0;
			if (p->ncmds == EXOS_SH_STAGES)
				return fail(why, at, "more commands than a pipeline holds (8)",
					    i - 1);
			c = &p->cmds[p->ncmds++];
			c->argc = 0;
			continue;
		}
		if (c->argc == EXOS_SH_ARGS)
			return fail(why, at, "more words than a command holds (8)", i);
		c->argv[c->argc++] = &p->buf[w];
		while (i < EXOS_SH_LINE && line[i] && !blank(line[i]) && line[i] != '|')
			p->buf[w++] = line[i++];
		if (i == EXOS_SH_LINE)
			return fail(why, at, "the command line is too long", i - 1);
		p->buf[w++] = 0;
	}
}
