/*
 * exo bench --baseline FILE: read the stored run and check that it is one
 * (an exo bench --json document) before any suite boots, so a CI gate given
 * the wrong file fails at once instead of passing with nothing compared.
 *
 * The file is hostile input: it must be a regular file (a FIFO or a device
 * would block or never end), at most BENCH_BASELINE_MAX bytes, and every
 * value bench_check reads must have the type the schema gives it:
 *
 *	{"schema":"exo-bench/1", "suites":[
 *	   {"suite":STRING, "operations":[
 *	      {"name":STRING, "ring0_insns_per_op":NUMBER|null,
 *	       "ratio_to_null":NUMBER|null, ...}, ...]}, ...], ...}
 *
 * (null stands for a value that was not measured, as bench_json_write writes.)
 */
#include "bench.h"
#include "vmm/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tests/common/jv.h"

static const char *const type_names[] = {
	[JV_NULL] = "null", [JV_BOOL] = "a boolean", [JV_NUMBER] = "a number",
	[JV_STRING] = "a string", [JV_ARRAY] = "an array", [JV_OBJECT] = "an object",
};

static const char *
type_name(const struct jv *v)
{
	return v ? type_names[v->type] : "missing";
}

/* The whole file, NUL-terminated, into *text: 0 or -errno with err filled. */
static int
baseline_read(const char *path, char **text, char *err, size_t len)
{
	struct stat st;
	char *buf = NULL;
	ssize_t n = 0, got = 0;
	int fd, r;

	fd = file_open_regular(path, &st);
	if (fd == -EINVAL) {
		snprintf(err, len, "not a regular file");
		return fd;
	}
	if (fd < 0) {
		snprintf(err, len, "cannot open it: %s", strerror(-fd));
		return fd;
	}
	if (st.st_size > BENCH_BASELINE_MAX) {
		snprintf(err, len, "%lld bytes, more than a bench file can be (%d)",
			 (long long)st.st_size, BENCH_BASELINE_MAX);
		r = -EFBIG;
		goto out;
	}
	/* One byte more than the limit: a file that grows is still refused. */
	buf = malloc(BENCH_BASELINE_MAX + 2);
	if (!buf) {
		snprintf(err, len, "out of memory");
		r = -ENOMEM;
		goto out;
	}
	while (got <= BENCH_BASELINE_MAX &&
	       (n = read(fd, buf + got, BENCH_BASELINE_MAX + 1 - got)) > 0)
		got += n;
	if (n < 0) {
		r = -errno;
		snprintf(err, len, "cannot read it: %s", strerror(-r));
		goto out;
	}
	if (got > BENCH_BASELINE_MAX) {
		snprintf(err, len, "it grew past %d bytes while read", BENCH_BASELINE_MAX);
		r = -EFBIG;
		goto out;
	}
	buf[got] = '\0';
	if (strlen(buf) != (size_t)got) {
		snprintf(err, len, "a NUL byte at offset %zu: not JSON", strlen(buf));
		r = -EINVAL;
		goto out;
	}
	*text = buf;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

/* A number or null (not measured), at where. */
static int
baseline_check_num(const struct jv *op, const char *key, const char *where,
		   char *err, size_t len)
{
	const struct jv *v = jv_get(op, key);

	if (v && (v->type == JV_NUMBER || v->type == JV_NULL))
		return 0;
	snprintf(err, len, "%s.%s is %s, not a number or null", where, key, type_name(v));
	return -EINVAL;
}

static int
baseline_check_suite(const struct jv *s, size_t i, char *err, size_t len)
{
	const struct jv *ops = jv_get(s, "operations"), *op, *name;
	char where[96];
	int r;

	if (!s || s->type != JV_OBJECT) {
		snprintf(err, len, "suites[%zu] is %s, not an object", i, type_name(s));
		return -EINVAL;
	}
	if (!jv_get(s, "suite") || jv_get(s, "suite")->type != JV_STRING) {
		snprintf(err, len, "suites[%zu].suite is %s, not a string", i,
			 type_name(jv_get(s, "suite")));
		return -EINVAL;
	}
	if (!ops || ops->type != JV_ARRAY) {
		snprintf(err, len, "suites[%zu].operations is %s, not an array", i,
			 type_name(ops));
		return -EINVAL;
	}
	for (size_t k = 0; k < ops->n; k++) {
		op = ops->items[k];
		snprintf(where, sizeof(where), "suites[%zu].operations[%zu]", i, k);
		if (op->type != JV_OBJECT) {
			snprintf(err, len, "%s is %s, not an object", where, type_name(op));
			return -EINVAL;
		}
		name = jv_get(op, "name");
		if (!name || name->type != JV_STRING) {
			snprintf(err, len, "%s.name is %s, not a string", where,
				 type_name(name));
			return -EINVAL;
		}
		r = baseline_check_num(op, "ring0_insns_per_op", where, err, len);
		if (r == 0)
			r = baseline_check_num(op, "ratio_to_null", where, err, len);
		if (r < 0)
			return r;
	}
	return 0;
}

int
bench_baseline_check(const struct jv *doc, char *err, size_t len)
{
	const struct jv *schema = jv_get(doc, "schema"), *suites = jv_get(doc, "suites");
	int r;

	if (!doc || doc->type != JV_OBJECT) {
		snprintf(err, len, "the document is %s, not an object", type_name(doc));
		return -EINVAL;
	}
	if (!schema || schema->type != JV_STRING) {
		snprintf(err, len, "\"schema\" is %s, not \"%s\"", type_name(schema),
			 BENCH_SCHEMA);
		return -EINVAL;
	}
	if (strcmp(schema->str, BENCH_SCHEMA)) {
		snprintf(err, len, "\"schema\" is \"%.40s\", not \"%s\"", schema->str,
			 BENCH_SCHEMA);
		return -EINVAL;
	}
	if (!suites || suites->type != JV_ARRAY) {
		snprintf(err, len, "\"suites\" is %s, not an array", type_name(suites));
		return -EINVAL;
	}
	for (size_t i = 0; i < suites->n; i++) {
		r = baseline_check_suite(suites->items[i], i, err, len);
		if (r < 0)
			return r;
	}
	return 0;
}

int
bench_baseline_load(const char *path, struct jv **doc, char *err, size_t len)
{
	char *text = NULL, why[200];
	int r;

	*doc = NULL;
	r = baseline_read(path, &text, err, len);
	if (r < 0)
		return r;
	*doc = jv_parse(text, why, sizeof(why));
	free(text);
	if (!*doc) {
		snprintf(err, len, "not JSON: %s", why);
		return -EINVAL;
	}
	r = bench_baseline_check(*doc, err, len);
	if (r < 0) {
		jv_free(*doc);
		*doc = NULL;
	}
	return r;
}
