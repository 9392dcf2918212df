/*
 * A small streaming JSON writer: it places the commas and the colons, escapes
 * strings, and writes numbers that JSON can hold (a double that is not finite
 * becomes null). Misuse (a value where a key is due, unbalanced ends, nesting
 * past JSON_DEPTH_MAX) is remembered and reported by json_end, not written.
 *
 *	struct json j;
 *	json_begin(&j, f);
 *	json_object(&j);
 *	json_key(&j, "n"); json_u64(&j, 3);
 *	json_key(&j, "xs"); json_array(&j); json_double(&j, 0.5); json_close(&j);
 *	json_close(&j);
 *	if (json_end(&j) < 0) ...        {"n":3,"xs":[0.5]} and a newline
 */
#ifndef HOST_JSON_H
#define HOST_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_DEPTH_MAX 16

/* Level 0 is the document, level d > 0 the d-th open object or array. */
struct json {
	FILE *f;
	int depth;
	bool error;
	bool want_key;                      /* in an object, and a key is due */
	char open[JSON_DEPTH_MAX + 1];      /* '{' or '[' per level */
	unsigned count[JSON_DEPTH_MAX + 1]; /* values (members) written per level */
};

void json_begin(struct json *j, FILE *f);
void json_object(struct json *j);
void json_array(struct json *j);
void json_close(struct json *j);              /* the innermost object or array */
void json_key(struct json *j, const char *key);
void json_string(struct json *j, const char *s);
void json_u64(struct json *j, uint64_t v);
void json_i64(struct json *j, int64_t v);
void json_double(struct json *j, double v);   /* 15 significant digits */
void json_bool(struct json *j, bool v);
void json_null(struct json *j);
/* End the document with a newline: 0, or -EINVAL if it was misused or is
 * not complete, -EIO if writing failed. */
int json_end(struct json *j);

/* s as a JSON string literal, quotes included, to f. */
void json_write_string(FILE *f, const char *s);

#endif
