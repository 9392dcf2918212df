/*
 * What a document quotes, read back so a test can hold the program to it.
 * The tutorials (docs/tutorial/) show a session in a fenced block: a line
 * "$ COMMAND", then what that command printed, until the next "$ " line or
 * the block's end. A test runs the command and checks the quoted lines.
 */
#ifndef TESTS_DOC_QUOTE_H
#define TESTS_DOC_QUOTE_H

#include <stddef.h>

/*
 * The lines docs/DOC (under the source tree) shows after "$ cmd", each
 * ending in a newline, into out (len bytes). Their count (0: the command
 * printed nothing), -1 when the file cannot be read or has no such line,
 * -2 when out is too small.
 */
int doc_output(const char *doc, const char *cmd, char *out, size_t len);

/*
 * The bytes a command line of docs/DOC writes: the line "$ printf 'TEXT' >
 * FILE" whose FILE is file, with TEXT's escapes (\NNN octal, \\) decoded,
 * as sh's printf writes them. Their count, or -1 as above (or an escape
 * this reader does not know), -2 when out is too small.
 */
long doc_printf_bytes(const char *doc, const char *file, unsigned char *out, size_t len);

/*
 * The lines of docs/DOC's C blocks ("```c" ... "```") that are not a whole
 * line of any of files (paths under the source tree, NULL-terminated),
 * newline-terminated into missing (len bytes, cut short if too small);
 * blank lines and "..." are not counted. Their count, or -1 as above.
 */
int doc_code_missing(const char *doc, const char *const files[], char *missing, size_t len);

/* Is line (without its newline, n bytes) one whole line of text? */
int has_whole_line(const char *text, const char *line, size_t n);

#endif
