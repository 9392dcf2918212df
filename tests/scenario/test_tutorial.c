/*
 * The tutorials' programs (libos/tutorial/) in a real boot: each exits 0
 * only if every check it makes held, and prints every line its tutorial
 * (docs/tutorial/) quotes after "$ build/exo run PROGRAM", so the text and
 * the program cannot drift apart. Judged by the exit status and the
 * report's program_exit; the quoted lines are the second witness.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <string.h>

#include "doc_quote.h"
#include "run.h"

static struct exo_run r;

struct tutorial {
	char doc[32];           /* under docs/ */
	char prog[16];
};

ParameterizedTestParameters(tutorial, runs_as_its_text_shows)
{
	static struct tutorial cases[] = {
		{ "tutorial/pager.md", "tut-pager" },           /* L4: a pager */
		{ "tutorial/libos.md", "tut-demand" },          /* exokernel: handler, paging */
		{ "tutorial/extension.md", "tut-ext" },         /* SPIN: an extension */
	};
	return cr_make_param_array(struct tutorial, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct tutorial *c, tutorial, runs_as_its_text_shows)
{
	char cmd[64], quoted[4096];
	const char *ev;
	int n;

	snprintf(cmd, sizeof(cmd), "build/exo run %s", c->prog);
	n = doc_output(c->doc, cmd, quoted, sizeof(quoted));
	cr_assert_gt(n, 0, "docs/%s: no \"$ %s\" followed by its output (%d)", c->doc, cmd, n);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", c->prog, NULL });
	cr_assert_eq(r.status, 0, "%s: exit %d\n%s%s", c->prog, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->prog, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
	for (const char *l = quoted; *l; l = strchr(l, '\n') + 1) {
		size_t len = (size_t)(strchr(l, '\n') - l);

		cr_assert(has_whole_line(r.out, l, len),
			  "docs/%s quotes a line %s did not print:\n%.*s\nit printed:\n%s",
			  c->doc, c->prog, (int)len, l, r.out);
	}
}
