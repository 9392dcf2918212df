/* The tests' JSON reader: see jv.h. */
#include "jv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JV_DEPTH_MAX 64

struct jv_in {
	const char *p, *start;
	char *err;
	size_t errlen;
	int depth;
};

static struct jv *jv_value(struct jv_in *in);

static void *
jv_fail(struct jv_in *in, const char *what)
{
	if (!in->err[0])
		snprintf(in->err, in->errlen, "%s at offset %td", what, in->p - in->start);
	return NULL;
}

static void
jv_space(struct jv_in *in)
{
	while (*in->p == ' ' || *in->p == '\t' || *in->p == '\n' || *in->p == '\r')
		in->p++;
}

static struct jv *
jv_new(enum jv_type t)
{
	struct jv *v = calloc(1, sizeof(*v));

	if (v)
		v->type = t;
	return v;
}

/*
 * Room doubles at 4, 8, 16, ... items (n alone says when: no capacity field).
 * Growing by one item a push made a 16,000-event trace cost 30 s to parse on
 * the host and minutes in the nested guest, in realloc's copies and mmaps.
 */
static bool
jv_push(struct jv *v, char *key, struct jv *item)
{
	if (v->n == 0 || (v->n >= 4 && !(v->n & (v->n - 1)))) {
		size_t room = v->n ? 2 * v->n : 4;
		struct jv **items = realloc(v->items, room * sizeof(*items));

		if (!items)
			return false;
		v->items = items;
		if (v->type == JV_OBJECT) {
			char **keys = realloc(v->keys, room * sizeof(*keys));

			if (!keys)
				return false;
			v->keys = keys;
		}
	}
	if (v->type == JV_OBJECT)
		v->keys[v->n] = key;
	v->items[v->n++] = item;
	return true;
}

static int
jv_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The bytes of the string literal starting at p (past its '"') up to its
 * closing quote or the end: its unescaped form is no longer. Not the rest
 * of the document (strlen): that made reading a trace of 16,000 events
 * (1.8 MB) take 11 s, each string sized by all that followed it. */
static size_t
jv_string_span(const char *p)
{
	const char *q = p;

	while (*q && *q != '"')
		q += q[0] == '\\' && q[1] ? 2 : 1;
	return (size_t)(q - p);
}

/* A string literal at in->p (on its '"'), unescaped into a new buffer. */
static char *
jv_string_raw(struct jv_in *in)
{
	const char *p = in->p + 1;
	char *out = malloc(jv_string_span(p) + 1), *o = out;

	if (!out)
		return jv_fail(in, "out of memory");
	for (;; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"')
			break;
		if (c < 0x20) {
			free(out);
			in->p = p;
			return jv_fail(in, c ? "control character in a string" :
				       "unterminated string");
		}
		if (c != '\\') {
			*o++ = (char)c;
			continue;
		}
		c = (unsigned char)*++p;
		switch (c) {
		case '"': case '\\': case '/': *o++ = (char)c; break;
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'u': {
			int v = 0;

			for (int i = 1; i <= 4; i++) {
				int h = jv_hex(p[i]);

				if (h < 0) {
					free(out);
					in->p = p;
					return jv_fail(in, "bad \\u escape");
				}
				v = v * 16 + h;
			}
			if (v == 0 || v > 0xff) {
				free(out);
				in->p = p;
				return jv_fail(in, "\\u escape outside 0x01..0xff");
			}
			*o++ = (char)v;
			p += 4;
			break;
		}
		default:
			free(out);
			in->p = p;
			return jv_fail(in, "bad escape");
		}
	}
	*o = '\0';
	in->p = p + 1;
	return out;
}

/* RFC 8259: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static struct jv *
jv_number(struct jv_in *in)
{
	const char *p = in->p;
	struct jv *v;
	char *end;

	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return jv_fail(in, "bad number");
	if (*p == '.') {
		if (!(*++p >= '0' && *p <= '9'))
			return jv_fail(in, "bad fraction");
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return jv_fail(in, "bad exponent");
		while (*p >= '0' && *p <= '9')
			p++;
	}
	v = jv_new(JV_NUMBER);
	if (!v)
		return jv_fail(in, "out of memory");
	v->num = strtod(in->p, &end);
	if (end != p) {
		jv_free(v);
		return jv_fail(in, "bad number");
	}
	in->p = p;
	return v;
}

static struct jv *
jv_word(struct jv_in *in, const char *word, enum jv_type t, bool b)
{
	struct jv *v;

	if (strncmp(in->p, word, strlen(word)))
		return jv_fail(in, "unexpected character");
	in->p += strlen(word);
	v = jv_new(t);
	if (!v)
		return jv_fail(in, "out of memory");
	v->b = b;
	return v;
}

/* An array or object at in->p (on its '[' or '{'). */
static struct jv *
jv_container(struct jv_in *in, bool object)
{
	struct jv *v = jv_new(object ? JV_OBJECT : JV_ARRAY), *item;
	char close = object ? '}' : ']';
	char *key = NULL;

	if (!v)
		return jv_fail(in, "out of memory");
	if (++in->depth > JV_DEPTH_MAX) {
		jv_free(v);
		return jv_fail(in, "nested too deep");
	}
	in->p++;
	jv_space(in);
	if (*in->p == close) {
		in->p++;
		in->depth--;
		return v;
	}
	for (;;) {
		jv_space(in);
		if (object) {
			if (*in->p != '"' || !(key = jv_string_raw(in)))
				goto fail;
			jv_space(in);
			if (*in->p != ':')
				goto fail;
			in->p++;
		}
		item = jv_value(in);
		if (!item || !jv_push(v, key, item)) {
			jv_free(item);
			goto fail;
		}
		key = NULL;
		jv_space(in);
		if (*in->p == close)
			break;
		if (*in->p != ',')
			goto fail;
		in->p++;
	}
	in->p++;
	in->depth--;
	return v;
fail:
	free(key);
	jv_free(v);
	return jv_fail(in, object ? "bad object" : "bad array");
}

static struct jv *
jv_value(struct jv_in *in)
{
	struct jv *v;

	jv_space(in);
	switch (*in->p) {
	case '{': return jv_container(in, true);
	case '[': return jv_container(in, false);
	case '"':
		v = jv_new(JV_STRING);
		if (!v)
			return jv_fail(in, "out of memory");
		v->str = jv_string_raw(in);
		if (!v->str) {
			jv_free(v);
			return NULL;
		}
		return v;
	case 't': return jv_word(in, "true", JV_BOOL, true);
	case 'f': return jv_word(in, "false", JV_BOOL, false);
	case 'n': return jv_word(in, "null", JV_NULL, false);
	}
	return jv_number(in);
}

struct jv *
jv_parse(const char *text, char *err, size_t errlen)
{
	struct jv_in in = { text, text, err, errlen, 0 };
	struct jv *v;

	err[0] = '\0';
	v = jv_value(&in);
	if (!v)
		return NULL;
	jv_space(&in);
	if (*in.p) {
		jv_free(v);
		return jv_fail(&in, "text after the value");
	}
	return v;
}

struct jv *
jv_parse_file(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	char *buf = NULL;
	size_t n = 0, cap = 0;
	struct jv *v;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = 2 * cap + 4096 + 1);

			if (!b) {
				free(buf);
				fclose(f);
				snprintf(err, errlen, "out of memory");
				return NULL;
			}
			buf = b;
		}
		size_t k = fread(buf + n, 1, 4096, f);

		n += k;
		if (k == 0)
			break;
	}
	fclose(f);
	buf[n] = '\0';
	if (strlen(buf) != n) {
		free(buf);
		snprintf(err, errlen, "%s: a NUL byte in the file", path);
		return NULL;
	}
	v = jv_parse(buf, err, errlen);
	free(buf);
	return v;
}

void
jv_free(struct jv *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		jv_free(v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	free(v->str);
	free(v);
}

const struct jv *
jv_get(const struct jv *v, const char *key)
{
	if (!v || v->type != JV_OBJECT)
		return NULL;
	for (size_t i = 0; i < v->n; i++)
		if (!strcmp(v->keys[i], key))
			return v->items[i];
	return NULL;
}

const struct jv *
jv_at(const struct jv *v, size_t i)
{
	if (!v || v->type != JV_ARRAY || i >= v->n)
		return NULL;
	return v->items[i];
}

const struct jv *
jv_path(const struct jv *v, ...)
{
	va_list ap;
	const char *key;

	va_start(ap, v);
	while (v && (key = va_arg(ap, const char *)))
		v = jv_get(v, key);
	va_end(ap);
	return v;
}
