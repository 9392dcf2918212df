/*
 * exo bench --baseline (host/bench_baseline.c, host/bench_check.c): a file
 * that is not a bench document is refused with what is wrong, by its place;
 * a FIFO, a device or a huge file is refused before it is read; and the
 * comparison never trusts a value's type, even in a document nobody checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "host/bench.h"
#include "tests/common/jv.h"

static char path[64];
static char err[256];

static void
setup(void)
{
	snprintf(path, sizeof(path), "/tmp/exo-unit-%d-baseline", (int)getpid());
	unlink(path);
	err[0] = '\0';
}

static void
teardown(void)
{
	unlink(path);
}

TestSuite(bench_baseline, .init = setup, .fini = teardown, .timeout = 20);

static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* text is refused, and the message contains want. */
static void
expect_refused(const char *text, const char *want)
{
	struct jv *doc = (struct jv *)1;

	write_file(text);
	cr_assert_lt(bench_baseline_load(path, &doc, err, sizeof(err)), 0,
		     "accepted: %s", text);
	cr_assert_null(doc);
	cr_assert(strstr(err, want), "for %s: message \"%s\" does not say \"%s\"",
		  text, err, want);
}

#define HEAD "{\"schema\":\"exo-bench/1\",\"suites\":"

/* What the attacker gave exo bench (a crash in strcmp) and kin. */
Test(bench_baseline, values_of_the_wrong_type)
{
	expect_refused("null", "the document is null, not an object");
	expect_refused("[]", "the document is an array");
	expect_refused("{}", "\"schema\" is missing");
	expect_refused("{\"suites\":[{\"suite\":1}]}", "\"schema\" is missing");
	expect_refused("{\"schema\":\"exo-bench/2\",\"suites\":[]}",
		       "\"schema\" is \"exo-bench/2\", not \"exo-bench/1\"");
	expect_refused("{\"schema\":1,\"suites\":[]}", "\"schema\" is a number");
	expect_refused(HEAD "{}}", "\"suites\" is an object, not an array");
	expect_refused(HEAD "[null]}", "suites[0] is null, not an object");
	expect_refused(HEAD "[{\"suite\":1}]}", "suites[0].suite is a number, not a string");
	expect_refused(HEAD "[{\"suite\":\"ipc\"}]}",
		       "suites[0].operations is missing, not an array");
	expect_refused(HEAD "[{\"suite\":\"ipc\",\"operations\":[7]}]}",
		       "suites[0].operations[0] is a number, not an object");
	expect_refused(HEAD "[{\"suite\":\"ipc\",\"operations\":[{\"name\":7}]}]}",
		       "suites[0].operations[0].name is a number, not a string");
	expect_refused(HEAD "[{\"suite\":\"ipc\",\"operations\":[{\"name\":\"a\","
		       "\"ring0_insns_per_op\":\"9\",\"ratio_to_null\":1}]}]}",
		       "suites[0].operations[0].ring0_insns_per_op is a string");
	expect_refused(HEAD "[{\"suite\":\"ipc\",\"operations\":[{\"name\":\"a\","
		       "\"ring0_insns_per_op\":9}]}]}",
		       "operations[0].ratio_to_null is missing");
}

Test(bench_baseline, not_json)
{
	expect_refused("", "not JSON");
	expect_refused("{\"schema\":", "not JSON");
	expect_refused("{} x", "not JSON");
}

Test(bench_baseline, a_document_exo_bench_writes_is_accepted)
{
	static struct bench_run run;
	struct jv *doc = NULL;
	FILE *f;

	bench_run_init(&run, "ipc", "bench-ipc");
	run.ran = true;
	run.nops = 1;
	snprintf(run.ops[0].name, sizeof(run.ops[0].name), "null_syscall");
	run.ops[0].ratio_to_null = 1;
	f = fopen(path, "w");
	cr_assert_not_null(f);
	cr_assert_eq(bench_json_write(f, &run, 1, NULL), 0);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(bench_baseline_load(path, &doc, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(doc);
	jv_free(doc);
	bench_run_free(&run);
}

Test(bench_baseline, the_committed_baseline_is_accepted)
{
	struct jv *doc = NULL;

	cr_assert_eq(bench_baseline_load(EXO_SOURCE_DIR "/bench/baseline-pvm.json", &doc,
					 err, sizeof(err)), 0, "%s", err);
	jv_free(doc);
}

/* A FIFO would block in open() and a device never end: neither is read. */
Test(bench_baseline, only_regular_files)
{
	struct jv *doc;

	cr_assert_eq(mkfifo(path, 0600), 0);
	cr_assert_eq(bench_baseline_load(path, &doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
	cr_assert_eq(bench_baseline_load("/dev/zero", &doc, err, sizeof(err)), -EINVAL);
	cr_assert(strstr(err, "not a regular file"), "%s", err);
	cr_assert_lt(bench_baseline_load("/nonexistent/b.json", &doc, err, sizeof(err)), 0);
	cr_assert(strstr(err, "No such file"), "%s", err);
}

/* A file over the limit is refused by its size, without reading it. */
Test(bench_baseline, bounded_size)
{
	struct jv *doc;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	cr_assert_geq(fd, 0);
	cr_assert_eq(ftruncate(fd, (off_t)BENCH_BASELINE_MAX + 1), 0);
	close(fd);
	cr_assert_eq(bench_baseline_load(path, &doc, err, sizeof(err)), -EFBIG);
	cr_assert(strstr(err, "more than a bench file can be"), "%s", err);
}

/* bench_check itself on an unchecked document: no crash, nothing judged. */
Test(bench_baseline, check_never_trusts_types)
{
	static struct bench_run run;
	static const char *const docs[] = {
		"null", "[]", "{\"suites\":[{\"suite\":1}]}",
		"{\"suites\":[{\"suite\":\"ipc\",\"operations\":[{\"name\":7}]}]}",
		"{\"suites\":[{\"suite\":\"ipc\",\"operations\":[7,null]}]}",
	};
	FILE *out = tmpfile();

	cr_assert_not_null(out);
	bench_run_init(&run, "ipc", "bench-ipc");
	run.ran = true;
	run.nops = 1;
	snprintf(run.ops[0].name, sizeof(run.ops[0].name), "null_syscall");
	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct jv *doc = jv_parse(docs[i], err, sizeof(err));

		cr_assert_not_null(doc, "%s", err);
		cr_assert_eq(bench_check(out, "x.json", doc, &run, 1, 0.02, 0.5), 0,
			     "%s", docs[i]);
		jv_free(doc);
	}
	fclose(out);
	bench_run_free(&run);
}

/*
 * A suite the baseline measured on another platform is not compared (a PVM
 * baseline's ratios judged a hosted run: 10 "regressions"); the same
 * numbers on the same platform are, and a doubled ratio is one.
 */
Test(bench_baseline, other_platform_not_compared)
{
	static struct bench_run run;
	static const char doc_text[] =
		"{\"suites\":[{\"suite\":\"ipc\",\"platform\":\"%s\",\"operations\":["
		"{\"name\":\"null_syscall\",\"ratio_to_null\":1},"
		"{\"name\":\"ipc_call_reply\",\"ratio_to_null\":1}]}]}";
	char text[512], line[4096];
	FILE *out = tmpfile();
	struct jv *doc;

	cr_assert_not_null(out);
	bench_run_init(&run, "ipc", "bench-ipc");
	run.ran = true;
	run.res.platform = EXO_PLATFORM_HOSTED;
	run.nops = 2;
	snprintf(run.ops[0].name, sizeof(run.ops[0].name), "null_syscall");
	snprintf(run.ops[1].name, sizeof(run.ops[1].name), "ipc_call_reply");
	run.ops[0].ratio_to_null = 1;
	run.ops[1].ratio_to_null = 2;
	snprintf(text, sizeof(text), doc_text, "kvm-pvm");
	cr_assert_not_null(doc = jv_parse(text, err, sizeof(err)), "%s", err);
	cr_assert_eq(bench_check(out, "x.json", doc, &run, 1, 0.02, 0.5), 0);
	jv_free(doc);
	rewind(out);
	cr_assert_not_null(fgets(line, sizeof(line), out));
	cr_assert_not_null(fgets(line, sizeof(line), out));
	cr_assert(strstr(line, "not compared: the baseline was measured on kvm-pvm, this "
			 "run is on hosted"), "%s", line);
	snprintf(text, sizeof(text), doc_text, "hosted");
	cr_assert_not_null(doc = jv_parse(text, err, sizeof(err)), "%s", err);
	cr_assert_eq(bench_check(out, "x.json", doc, &run, 1, 0.02, 0.5), 1,
		     "the same platform: x null 2 against 1 is a regression");
	jv_free(doc);
	fclose(out);
	bench_run_free(&run);
}
