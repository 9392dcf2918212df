/*
 * The host's JSON writer (host/json.c), read back by the tests' own reader
 * (tests/common/jv.c), which is checked here too.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host/json.h"
#include "tests/common/jv.h"

static char *text;
static size_t textlen;
static FILE *mem;
static struct json j;

static void
open_text(void)
{
	free(text);
	text = NULL;
	mem = open_memstream(&text, &textlen);
	cr_assert_not_null(mem);
	json_begin(&j, mem);
}

/* End the document and close the stream: json_end's result. */
static int
close_text(void)
{
	int r = json_end(&j);

	fclose(mem);
	return r;
}

static void
teardown(void)
{
	free(text);
	text = NULL;
}

TestSuite(json, .init = open_text, .fini = teardown);
TestSuite(jv);

Test(json, nested_document)
{
	json_object(&j);
	json_key(&j, "n");
	json_u64(&j, 18446744073709551615ULL);
	json_key(&j, "neg");
	json_i64(&j, -42);
	json_key(&j, "xs");
	json_array(&j);
	json_double(&j, 0.5);
	json_bool(&j, true);
	json_null(&j);
	json_object(&j);
	json_close(&j);
	json_array(&j);
	json_close(&j);
	json_close(&j);
	json_key(&j, "s");
	json_string(&j, "a");
	json_close(&j);
	cr_assert_eq(close_text(), 0);
	cr_assert_str_eq(text, "{\"n\":18446744073709551615,\"neg\":-42,"
			 "\"xs\":[0.5,true,null,{},[]],\"s\":\"a\"}\n");
}

Test(json, strings_are_escaped)
{
	char err[128];
	struct jv *v;

	json_array(&j);
	json_string(&j, "quote\" backslash\\ nl\n tab\t bell\a del\x7f hi\xe9");
	json_close(&j);
	cr_assert_eq(close_text(), 0);
	cr_assert_str_eq(text, "[\"quote\\\" backslash\\\\ nl\\n tab\\t bell\\u0007"
			 " del\\u007f hi\\u00e9\"]\n");
	v = jv_parse(text, err, sizeof(err));
	cr_assert_not_null(v, "%s", err);
	cr_assert_str_eq(jv_at(v, 0)->str,
			 "quote\" backslash\\ nl\n tab\t bell\a del\x7f hi\xe9");
	jv_free(v);
}

Test(json, doubles)
{
	char err[128];
	struct jv *v;

	json_array(&j);
	json_double(&j, 129.0);
	json_double(&j, 1.0 / 3);
	json_double(&j, -2.5e-300);
	json_double(&j, 1e300);
	json_double(&j, NAN);
	json_double(&j, INFINITY);
	json_double(&j, -INFINITY);
	json_close(&j);
	cr_assert_eq(close_text(), 0);
	v = jv_parse(text, err, sizeof(err));
	cr_assert_not_null(v, "%s in %s", err, text);
	cr_assert(strncmp(text, "[129,", 5) == 0, "a whole number has no point: %s", text);
	cr_assert_float_eq(jv_at(v, 1)->num, 1.0 / 3, 1e-14);
	cr_assert_float_eq(jv_at(v, 2)->num, -2.5e-300, 1e-310);
	cr_assert_float_eq(jv_at(v, 3)->num, 1e300, 1e286);
	for (int i = 4; i < 7; i++)
		cr_assert_eq(jv_at(v, (size_t)i)->type, JV_NULL, "not finite: null");
	jv_free(v);
}

Test(json, value_where_key_is_due)
{
	json_object(&j);
	json_u64(&j, 1);
	json_close(&j);
	cr_assert_eq(close_text(), -EINVAL);
}

Test(json, key_outside_object)
{
	json_array(&j);
	json_key(&j, "k");
	json_close(&j);
	cr_assert_eq(close_text(), -EINVAL);
}

Test(json, key_without_value)
{
	json_object(&j);
	json_key(&j, "k");
	json_close(&j);
	cr_assert_eq(close_text(), -EINVAL);
}

Test(json, unbalanced)
{
	json_object(&j);
	cr_assert_eq(close_text(), -EINVAL, "unclosed");
	open_text();
	json_array(&j);
	json_close(&j);
	json_close(&j);
	cr_assert_eq(close_text(), -EINVAL, "closed twice");
}

Test(json, one_value_per_document)
{
	json_u64(&j, 1);
	json_u64(&j, 2);
	cr_assert_eq(close_text(), -EINVAL);
	open_text();
	cr_assert_eq(close_text(), -EINVAL, "empty document");
}

Test(json, too_deep)
{
	for (int i = 0; i <= JSON_DEPTH_MAX; i++)
		json_array(&j);
	for (int i = 0; i <= JSON_DEPTH_MAX; i++)
		json_close(&j);
	cr_assert_eq(close_text(), -EINVAL);
	open_text();
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		json_array(&j);
	for (int i = 0; i < JSON_DEPTH_MAX; i++)
		json_close(&j);
	cr_assert_eq(close_text(), 0, "exactly JSON_DEPTH_MAX levels");
}

/* The reader: it must refuse what is not JSON, or the tests prove nothing. */

Test(jv, accepts)
{
	static const char *ok[] = {
		"0", "-0", "1.5e3", "-12E-2", "true", "null", "\"\"", "[]", "{}",
		" { \"a\" : [ 1 , { \"b\" : null } ] } ", "\"\\u0041\\/\"",
	};
	char err[128];

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		struct jv *v = jv_parse(ok[i], err, sizeof(err));

		cr_assert_not_null(v, "refused %s: %s", ok[i], err);
		jv_free(v);
	}
}

Test(jv, refuses)
{
	static const char *bad[] = {
		"", "01", "1.", ".5", "+1", "1e", "tru", "nul", "[1,]", "{\"a\":1,}",
		"{a:1}", "{\"a\" 1}", "[1 2]", "\"open", "\"tab\t\"", "\"\\x\"",
		"1 2", "[", "{\"a\":", "nan", "inf",
	};
	char err[128];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct jv *v = jv_parse(bad[i], err, sizeof(err));

		cr_assert_null(v, "accepted '%s'", bad[i]);
		cr_assert(err[0], "no reason for refusing '%s'", bad[i]);
	}
}

Test(jv, lookups)
{
	char err[128];
	struct jv *v = jv_parse("{\"a\":{\"b\":[10,20]},\"c\":\"x\"}", err, sizeof(err));

	cr_assert_not_null(v, "%s", err);
	cr_assert_eq(jv_at(jv_path(v, "a", "b", NULL), 1)->num, 20);
	cr_assert_null(jv_at(jv_path(v, "a", "b", NULL), 2));
	cr_assert_null(jv_path(v, "a", "nope", NULL));
	cr_assert_null(jv_get(jv_get(v, "c"), "x"), "a string has no members");
	cr_assert_str_eq(jv_get(v, "c")->str, "x");
	jv_free(v);
}
