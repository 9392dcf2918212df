/*
 * docs/tutorial/extension.md's host session, run: `exo ext verify` and
 * `exo ext run` on the tutorial's extension (ext/ticket.c, compiled by the
 * build into build/ext/ticket.o) must print exactly what the tutorial shows,
 * with the context file its printf line writes.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/ext_cmd.h"
#include "tests/common/doc_quote.h"

#define DOC "tutorial/extension.md"

static char obj[512], ctx[64];

static void
redirect(void)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
	snprintf(obj, sizeof(obj), "%s/ext/ticket.o", EXO_BUILD_DIR);
}

static void
cleanup(void)
{
	if (*ctx)
		unlink(ctx);
}

TestSuite(tutorial_ext, .init = redirect, .fini = cleanup);

/* Everything the command printed on stdout, as a string. */
static const char *
printed(void)
{
	static char buf[16384];
	size_t n;

	fflush(stdout);
	n = fread(buf, 1, sizeof(buf) - 1, cr_get_redirected_stdout());
	buf[n] = 0;
	return buf;
}

/* What the tutorial shows cmd printing (at least one line). */
static const char *
shown(const char *cmd)
{
	static char buf[4096];
	int n = doc_output(DOC, cmd, buf, sizeof(buf));

	cr_assert_gt(n, 0, "docs/" DOC ": no \"$ %s\" followed by its output (%d)", cmd, n);
	return buf;
}

Test(tutorial_ext, verify_prints_what_the_tutorial_shows)
{
	const char *want = shown("build/exo ext verify build/ext/ticket.o");
	char *argv[] = { "ext", "verify", obj, NULL };

	cr_assert_eq(ext_cmd(3, argv), 0, "ticket.o is not accepted");
	cr_assert_str_eq(printed(), want, "docs/" DOC " shows other output for verify");
}

Test(tutorial_ext, run_on_the_tutorials_context_prints_what_it_shows)
{
	const char *want = shown("build/exo ext run build/ext/ticket.o --ctx build/ticket.ctx");
	char *argv[] = { "ext", "run", obj, "--ctx", ctx, NULL };
	unsigned char bytes[128];
	long n = doc_printf_bytes(DOC, "build/ticket.ctx", bytes, sizeof(bytes));
	int fd;

	cr_assert_gt(n, 0, "docs/" DOC ": no \"$ printf '...' > build/ticket.ctx\" (%ld)", n);
	snprintf(ctx, sizeof(ctx), "/tmp/exo-tut-ctx-XXXXXX");
	fd = mkstemp(ctx);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, bytes, (size_t)n), n);
	close(fd);
	cr_assert_eq(ext_cmd(5, argv), 0);
	cr_assert_str_eq(printed(), want, "docs/" DOC " shows other output for run");
}
