/*
 * exo bench vm's host side: the Linux column measured here (mprotect and a
 * SIGSEGV handler, host/bench_vm_linux.c) and the comparison table
 * (host/bench_vm.c) made from a run of known medians.
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "host/bench.h"
#include "host/bench_vm.h"
#include "tests/common/jv.h"

static void
ignore_segv(int sig)
{
	(void)sig;
}

/* Every operation but dirty measured, and SIGSEGV's action given back. */
Test(bench_vm, linux_column_measures_every_op_but_dirty)
{
	struct sigaction mine = { .sa_handler = ignore_segv }, after;
	struct bench_vm_linux lx;

	sigemptyset(&mine.sa_mask);
	cr_assert_eq(sigaction(SIGSEGV, &mine, NULL), 0);
	cr_assert_eq(bench_vm_linux(&lx, 20), 0);
	cr_assert(isnan(lx.us[VM_DIRTY]), "Linux has no dirty query");
	for (int k = VM_PROT1; k < VM_NOPS; k++)
		cr_assert(isfinite(lx.us[k]) && lx.us[k] > 0, "op %d: %f", k, lx.us[k]);
	cr_assert_eq(sigaction(SIGSEGV, NULL, &after), 0);
	cr_assert_eq(after.sa_handler, ignore_segv, "the caller's handler is back");
	signal(SIGSEGV, SIG_DFL);
}

static void
add_op(struct bench_run *r, const char *name, uint32_t median)
{
	struct bench_op *op = &r->ops[r->nops++];

	snprintf(op->name, sizeof(op->name), "%s", name);
	op->cycles.median = median;
	op->iterations = 1;
}

/* The row of operation name in the table text, or NULL. */
static const char *
row(const char *text, const char *name)
{
	char key[32];

	snprintf(key, sizeof(key), "\n  %-12s", name);
	return strstr(text, key);
}

Test(bench_vm, table_divides_by_linux_and_appel2_by_its_pages)
{
	static struct bench_run r;
	struct bench_vm_linux lx = { { NAN, 1, 1, 1, 4, 1, 0.5 }, { NAN, NAN, NAN, NAN } };
	char text[8192] = "";
	FILE *f = fmemopen(text, sizeof(text) - 1, "w");
	const char *trap, *appel2;
	double ex, l4, sp, lnx, rex, rl4, rsp;

	bench_run_init(&r, "vm", "bench-vm");
	r.res.tsc_khz = 1000000;                /* 1 GHz: 1000 cycles a microsecond */
	add_op(&r, "exos_trap", 2000);
	add_op(&r, "l4_trap", 8000);
	add_op(&r, "spin_trap", 1000);
	add_op(&r, "exos_appel2", 300000);      /* 100 pages: 3 us a page */
	bench_vm_table(f, &r, &lx);
	fclose(f);
	trap = row(text, "trap");
	appel2 = row(text, "appel2/page");
	cr_assert(trap && appel2, "%s", text);
	/* ExOS 2 us, L4 8 us, SPIN 1 us, no ring-0 off PVM, Linux 4 us. */
	cr_assert_eq(sscanf(trap, " trap %lf - %lf - %lf - %lf %lf %lf %lf", &ex, &l4, &sp,
			    &lnx, &rex, &rl4, &rsp), 7, "%.120s", trap);
	cr_assert(ex == 2 && l4 == 8 && sp == 1 && lnx == 4 && rex == 0.5 && rl4 == 2 &&
		  rsp == 0.25, "%.120s", trap);
	/* 300,000 cycles for 100 pages; Linux's figure is per page already. */
	cr_assert_eq(sscanf(appel2, " appel2/page %lf - - - - - %lf %lf", &ex, &lnx,
			    &rex), 3, "%.100s", appel2);
	cr_assert(ex == 3 && lnx == 0.5 && rex == 6, "%.100s", appel2);
	cr_assert(strstr(text, "figures not entered"), "no paper figure is quoted unchecked");
}

/* --json: Linux's column in the vm suite's object, null where not measured;
 * no such member in a run without it. */
Test(bench_vm, json_carries_linux_column)
{
	static struct bench_run runs[2];
	char *text = NULL, err[128];
	size_t len;
	FILE *f = open_memstream(&text, &len);
	const struct jv *us;
	struct jv *doc;

	bench_run_init(&runs[0], "vm", "bench-vm");
	bench_run_init(&runs[1], "ipc", "bench-ipc");
	runs[0].vm_linux = malloc(sizeof(*runs[0].vm_linux));
	*runs[0].vm_linux = (struct bench_vm_linux){ { NAN, 1.5, 2, 3, 4.25, 5, 0.5 }, { NAN, NAN, NAN, NAN } };
	cr_assert_eq(bench_json_write(f, runs, 2, NULL), 0);
	fclose(f);
	doc = jv_parse(text, err, sizeof(err));
	cr_assert(doc, "%s in:\n%s", err, text);
	us = jv_path(jv_at(jv_get(doc, "suites"), 0), "linux_host", "us_per_op", NULL);
	cr_assert(us, "%s", text);
	cr_assert_eq(jv_get(us, "dirty")->type, JV_NULL);
	cr_assert_eq(jv_get(us, "prot1")->num, 1.5);
	cr_assert_eq(jv_get(us, "trap")->num, 4.25);
	cr_assert_eq(jv_get(us, "appel2")->num, 0.5);
	cr_assert_null(jv_get(jv_at(jv_get(doc, "suites"), 1), "linux_host"));
	cr_assert_eq(bench_baseline_check(doc, err, sizeof(err)), 0,
		     "a run with it is still a baseline: %s", err);
	jv_free(doc);
	free(text);
	bench_run_free(&runs[0]);
	cr_assert_null(runs[0].vm_linux);
}

/* The processes rows: ExOS's median in microseconds beside Linux's, the
 * ratio, the bandwidth from the 64 KiB write; spawn has no Linux row. */
Test(bench_vm, processes_rows_divide_by_linux)
{
	static struct bench_run r;
	struct bench_vm_linux lx = { { NAN, NAN, NAN, NAN, NAN, NAN, NAN }, { 4, 32.768, 50, NAN } };
	char text[8192] = "";
	FILE *f = fmemopen(text, sizeof(text) - 1, "w");
	const char *rtt, *fork, *spawn, *bw;
	double ex, lnx, ratio, bex, blx;

	bench_run_init(&r, "vm", "bench-vm");
	r.res.tsc_khz = 1000000;
	add_op(&r, "exos_pipe_rtt", 20000);     /* 20 us */
	add_op(&r, "exos_pipe_64k", 655360);    /* 655.36 us: 100 MB/s */
	add_op(&r, "exos_fork_wait", 100000);
	add_op(&r, "exos_spawn_wait", 90000);
	bench_vm_table(f, &r, &lx);
	fclose(f);
	rtt = strstr(text, "pipe 1-byte round trip");
	fork = strstr(text, "fork+exit+wait (+rtt)");
	spawn = strstr(text, "spawn+exit+wait");
	bw = strstr(text, "pipe bandwidth:");
	cr_assert(rtt && fork && spawn && bw, "%s", text);
	cr_assert_eq(sscanf(rtt, "pipe 1-byte round trip %lf - %lf %lf", &ex, &lnx, &ratio), 3);
	cr_assert(ex == 20 && lnx == 4 && ratio == 5, "%.80s", rtt);
	cr_assert_eq(sscanf(fork, "fork+exit+wait (+rtt) %lf - %lf %lf", &ex, &lnx, &ratio), 3);
	cr_assert(ex == 100 && lnx == 50 && ratio == 2, "%.80s", fork);
	cr_assert_eq(sscanf(spawn, "spawn+exit+wait %lf - -", &ex), 1, "%.80s", spawn);
	cr_assert_eq(sscanf(bw, "pipe bandwidth: ExOS %lf MB/s, Linux %lf MB/s", &bex, &blx), 2);
	cr_assert(bex == 100 && blx == 2000, "%.80s", bw);
}
