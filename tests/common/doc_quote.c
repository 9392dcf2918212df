#include "doc_quote.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* docs/DOC's text, NUL-terminated (malloc'd), or NULL. */
static char *
doc_read(const char *doc)
{
	char path[1024];
	FILE *f;
	char *text = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/docs/%s", EXO_SOURCE_DIR, doc);
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
