/*
 * The tutorials (docs/tutorial/) quote their programs' code in pieces:
 * every line of every C block must still be a line of the program it
 * walks, so an edit of the program that the text does not follow fails
 * `make test`. (The programs' output is checked by the scenario test
 * tests/scenario/test_tutorial.c.)
 */
#include <criterion/criterion.h>

#include "tests/common/doc_quote.h"

static void
code_is_quoted_exactly(const char *doc, const char *const files[])
{
	char missing[4096];
	int n = doc_code_missing(doc, files, missing, sizeof(missing));

	cr_assert_eq(n, 0, "docs/%s: %d lines of its C blocks are not in the program:\n%s",
		     doc, n, n > 0 ? missing : "(the document cannot be read)");
}

Test(tutorial_text, pager_quotes_its_program)
{
	code_is_quoted_exactly("tutorial/pager.md",
			       (const char *const[]){ "libos/tutorial/pager.c", NULL });
}

Test(tutorial_text, libos_quotes_its_program)
{
	code_is_quoted_exactly("tutorial/libos.md",
			       (const char *const[]){ "libos/tutorial/demand.c", NULL });
}

Test(tutorial_text, extension_quotes_its_extension_and_program)
{
	code_is_quoted_exactly("tutorial/extension.md",
			       (const char *const[]){ "ext/ticket.c", "libos/tutorial/ext.c",
						      NULL });
}
