/*
 * A small JSON reader for the tests, so they judge what exo writes by its
 * structure rather than by its text. Strict RFC 8259 syntax; strings keep
 * \u escapes below 0x100 as single bytes (what exo's writer produces) and
 * refuse others.
 */
#ifndef TESTS_JV_H
#define TESTS_JV_H

#include <stdbool.h>
#include <stddef.h>

enum jv_type { JV_NULL, JV_BOOL, JV_NUMBER, JV_STRING, JV_ARRAY, JV_OBJECT };

struct jv {
	enum jv_type type;
	bool b;
	double num;
	char *str;              /* JV_STRING */
	char **keys;            /* JV_OBJECT: keys[i] names items[i] */
	struct jv **items;      /* JV_ARRAY, JV_OBJECT */
	size_t n;
};

/* The value text holds, or NULL with err filled (what and where). */
struct jv *jv_parse(const char *text, char *err, size_t errlen);
/* The same for a whole file. */
struct jv *jv_parse_file(const char *path, char *err, size_t errlen);
void jv_free(struct jv *v);

/* Member key of an object, item i of an array: NULL if none (or v is NULL). */
const struct jv *jv_get(const struct jv *v, const char *key);
const struct jv *jv_at(const struct jv *v, size_t i);
/* Follow a path of keys, e.g. jv_path(v, "a", "b", NULL). */
const struct jv *jv_path(const struct jv *v, ...);

#endif
