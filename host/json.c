/* The JSON writer: see json.h. */
#include "json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>

void
json_begin(struct json *j, FILE *f)
{
	*j = (struct json){ .f = f };
}

/* Before any value: a comma after an earlier element; a value must not stand
 * where a key is due, nor a second value in a document. False if the value
 * must not be written. */
static bool
json_value_start(struct json *j)
{
	if (j->error)
		return false;
	if (j->depth == 0) {
		if (j->count[0]++)
			j->error = true;
		return !j->error;
	}
	if (j->open[j->depth] == '{') {
		if (j->want_key)
			j->error = true;
		j->want_key = true;     /* after this value */
		return !j->error;
	}
	if (j->count[j->depth]++)
		fputc(',', j->f);
	return true;
}

static void
json_open(struct json *j, char c)
{
	if (!json_value_start(j))
		return;
	if (j->depth == JSON_DEPTH_MAX) {
		j->error = true;
		return;
	}
	fputc(c, j->f);
	j->depth++;
	j->open[j->depth] = c;
	j->count[j->depth] = 0;
	j->want_key = c == '{';
}

void
json_object(struct json *j)
{
	json_open(j, '{');
}

void
json_array(struct json *j)
{
	json_open(j, '[');
}

void
json_close(struct json *j)
{
	char c;

	if (j->error)
		return;
	/* Not at depth 0, and not between a key and its value. */
	if (j->depth == 0 || (j->open[j->depth] == '{' && !j->want_key)) {
		j->error = true;
		return;
	}
	c = j->open[j->depth--];
	fputc(c == '{' ? '}' : ']', j->f);
	j->want_key = j->depth > 0 && j->open[j->depth] == '{';
}

void
json_write_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);   /* bytes as Latin-1: always valid */
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void
json_key(struct json *j, const char *key)
{
	if (j->error)
		return;
	if (j->depth == 0 || j->open[j->depth] != '{' || !j->want_key) {
		j->error = true;
		return;
	}
	if (j->count[j->depth]++)
		fputc(',', j->f);
	json_write_string(j->f, key);
	fputc(':', j->f);
	j->want_key = false;
}

void
json_string(struct json *j, const char *s)
{
	if (json_value_start(j))
		json_write_string(j->f, s);
}

void
json_u64(struct json *j, uint64_t v)
{
	if (json_value_start(j))
		fprintf(j->f, "%" PRIu64, v);
}

void
json_i64(struct json *j, int64_t v)
{
	if (json_value_start(j))
		fprintf(j->f, "%" PRId64, v);
}

void
json_double(struct json *j, double v)
{
	if (!json_value_start(j))
		return;
	if (isfinite(v))
		fprintf(j->f, "%.15g", v);
	else
		fputs("null", j->f);
}

void
json_bool(struct json *j, bool v)
{
	if (json_value_start(j))
		fputs(v ? "true" : "false", j->f);
}

void
json_null(struct json *j)
{
	if (json_value_start(j))
		fputs("null", j->f);
}

int
json_end(struct json *j)
{
	if (j->error || j->depth != 0 || j->count[0] != 1)
		return -EINVAL;
	fputc('\n', j->f);
	return fflush(j->f) == 0 && !ferror(j->f) ? 0 : -EIO;
}
