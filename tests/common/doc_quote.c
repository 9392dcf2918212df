#include "doc_quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of the file at rel under the source tree, NUL-terminated
 * (malloc'd), or NULL. */
static char *
source_read(const char *rel)
{
	char path[1024];
	FILE *f;
	char *text = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/%s", EXO_SOURCE_DIR, rel);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
	    (text = malloc((size_t)n + 1)) && fread(text, 1, (size_t)n, f) == (size_t)n)
		text[n] = 0;
	else if (text) {
		free(text);
		text = NULL;
	}
	fclose(f);
	return text;
}

static char *
doc_read(const char *doc)
{
	char rel[512];

	snprintf(rel, sizeof(rel), "docs/%s", doc);
	return source_read(rel);
}

/* The line after "$ cmd\n" in text (which must start a line), or NULL. */
static const char *
after_command(const char *text, const char *cmd)
{
	size_t n = strlen(cmd);

	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (l[0] == '$' && l[1] == ' ' && !strncmp(l + 2, cmd, n) && l[2 + n] == '\n')
			return l + 3 + n;
	return NULL;
}

int
doc_output(const char *doc, const char *cmd, char *out, size_t len)
{
	char *text = doc_read(doc);
	const char *l;
	size_t used = 0;
	int lines = 0;

	if (!text || !(l = after_command(text, cmd))) {
		free(text);
		return -1;
	}
	for (; *l && strncmp(l, "$ ", 2) && strncmp(l, "```", 3); lines++) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) + 1 : strlen(l);

		if (used + n + 1 > len) {
			free(text);
			return -2;
		}
		memcpy(out + used, l, n);
		used += n;
		l += n;
	}
	out[used] = 0;
	free(text);
	return lines;
}

/* TEXT of "printf 'TEXT' > file" decoded into out; its length or < 0. */
static long
printf_decode(const char *s, const char *stop, unsigned char *out, size_t len)
{
	size_t n = 0;

	while (s < stop) {
		int c = (unsigned char)*s++;

		if (c == '\\' && s < stop && *s == '\\') {
			s++;
		} else if (c == '\\') {
			c = 0;
			for (int d = 0; d < 3 && s < stop && *s >= '0' && *s <= '7'; d++)
				c = c * 8 + (*s++ - '0');
			if (s[-1] == '\\')
				return -1;      /* an escape other than \NNN and \\ */
		}
		if (n == len)
			return -2;
		out[n++] = (unsigned char)c;
	}
	return (long)n;
}

long
doc_printf_bytes(const char *doc, const char *file, unsigned char *out, size_t len)
{
	char *text = doc_read(doc), tail[512];
	long r = -1;

	snprintf(tail, sizeof(tail), "' > %s\n", file);
	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		const char *end;

		if (strncmp(l, "$ printf '", 10))
			continue;
		end = strchr(l + 10, '\'');
		if (end && !strncmp(end, tail, strlen(tail))) {
			r = printf_decode(l + 10, end, out, len);
			break;
		}
	}
	free(text);
	return r;
}

int
has_whole_line(const char *text, const char *line, size_t n)
{
	for (const char *l = text; l; l = strchr(l, '\n'), l = l ? l + 1 : NULL)
		if (!strncmp(l, line, n) && (l[n] == '\n' || l[n] == 0))
			return 1;
	return 0;
}

/* Is line (n bytes) a line of one of the files? */
static int
in_sources(const char *const files[], const char *line, size_t n)
{
	for (unsigned i = 0; files[i]; i++) {
		char *src = source_read(files[i]);
		int found = src && has_whole_line(src, line, n);

		free(src);
		if (found)
			return 1;
	}
	return 0;
}

/* An elision or a blank line in a code block: not a quotation. */
static int
elided(const char *l, size_t n)
{
	while (n && (*l == ' ' || *l == '\t'))
		l++, n--;
	return n == 0 || (n == 3 && !strncmp(l, "...", 3));
}

int
doc_code_missing(const char *doc, const char *const files[], char *missing, size_t len)
{
	char *text = doc_read(doc);
	int in_code = 0, count = 0;
	size_t used = 0;

	if (!text)
		return -1;
	*missing = 0;
	for (const char *l = text; *l;) {
		const char *end = strchr(l, '\n');
		size_t n = end ? (size_t)(end - l) : strlen(l);

		if (!strncmp(l, "```", 3))
			in_code = n == 4 && l[3] == 'c';
		else if (in_code && !elided(l, n) && !in_sources(files, l, n)) {
			count++;
			if (used + n + 2 < len) {
				memcpy(missing + used, l, n);
				used += n;
				missing[used++] = '\n';
				missing[used] = 0;
			}
		}
		l += n + (end != NULL);
	}
	free(text);
	return count;
}
