/*
 * The JSON baseline reader: tests/common/jv.c's parser on any text, and
 * exo bench --baseline's loader, schema check and judge (host/bench_check.c)
 * on any document, against two runs whose operations have the names a real
 * baseline uses. The input is the file's bytes, handed over by path (a
 * memfd), as --baseline is.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../host/bench.h"
#include "../tests/common/jv.h"
#include "fuzz.h"

static const char *const op_names[] = { "null_syscall", "ipc_call_reply", "bind" };

static void
make_runs(struct bench_run runs[2])
{
	bench_run_init(&runs[0], "ipc", "bench-ipc");
	bench_run_init(&runs[1], "exo", "bench-exo");
	for (int i = 0; i < 2; i++) {
		runs[i].res.platform = EXO_PLATFORM_KVM_PVM;
		runs[i].nops = sizeof(op_names) / sizeof(op_names[0]);
		for (unsigned k = 0; k < runs[i].nops; k++) {
			struct bench_op *op = &runs[i].ops[k];

			strcpy(op->name, op_names[k]);
			op->iterations = 100;
			op->have[BENCH_INSN] = true;
			op->loop[BENCH_INSN] = 20000;
			op->ratio_to_null = 1.5;
		}
	}
}

static void
parse_text(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), err[256];
	struct jv *v;

	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = 0;
	v = jv_parse(text, err, sizeof(err));
	jv_free(v);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct bench_run runs[2];
	static FILE *null;
	static int fd = -1;
	char path[64], err[256];
	struct jv *doc;

	if (!null && !(null = fopen("/dev/null", "w")))
		abort();
	if (fd < 0 && (fd = memfd_create("baseline", 0)) < 0)
		abort();
	parse_text(data, size);
	if (ftruncate(fd, 0) < 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	make_runs(runs);
	if (bench_baseline_load(path, &doc, err, sizeof(err)) == 0) {
		bench_check(null, path, doc, runs, 2, 0.02, 0.5);
		jv_free(doc);
	}
	return 0;
}
