/*
 * ExOS's portable process pieces on the host: a pipe's ring (pipe_ring.c),
 * the process table (proc_table.c) and exsh's pipeline parser (sh_parse.c).
 */
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include <exo/error.h>

#include "pipe_ring.h"
#include "proc_table.h"
#include "sh_parse.h"

static struct exos_ring ring;

/* 100,000 lines through the ring in uneven pieces arrive whole, in order. */
Test(exos_ring, carries_every_byte_in_order_through_wraps)
{
	static char out[800000], in[800000];
	u32 olen = 0, ilen = 0, w = 0, step = 1;

	for (int i = 0; i < 100000; i++)
		olen += (u32)sprintf(out + olen, "%d\n", i);
	exos_ring_init(&ring);
	while (ilen < olen) {
		long n = exos_ring_write(&ring, out + w, (olen - w) < step ? olen - w : step);

		cr_assert_geq(n, 0);
		w += (u32)n;
		cr_assert_leq(exos_ring_used(&ring), EXOS_RING_SIZE);
		n = exos_ring_read(&ring, in + ilen, step % 97 + 1);
		if (n < 0)
			cr_assert_eq(exos_ring_used(&ring), 0, "-1 only when empty");
		else
			ilen += (u32)n;
		step = step * 7 % 3001 + 1;
	}
	cr_assert_eq(memcmp(in, out, olen), 0);
	cr_assert_eq(exos_ring_read(&ring, in, 1), -1, "empty, not closed: block");
	exos_ring_close_write(&ring);
	cr_assert_eq(exos_ring_read(&ring, in, 1), 0, "end of file");
}

Test(exos_ring, full_ring_takes_nothing_and_end_of_file_comes_after_the_bytes)
{
	char buf[EXOS_RING_SIZE + 10];

	memset(buf, 'x', sizeof buf);
	exos_ring_init(&ring);
	cr_assert_eq(exos_ring_write(&ring, buf, sizeof buf), EXOS_RING_SIZE);
	cr_assert_eq(exos_ring_write(&ring, buf, 1), 0, "full");
	exos_ring_close_write(&ring);
	cr_assert_eq(exos_ring_read(&ring, buf, 10), 10, "closed, bytes still come");
	cr_assert_eq(exos_ring_read(&ring, buf, sizeof buf), EXOS_RING_SIZE - 10);
	cr_assert_eq(exos_ring_read(&ring, buf, 1), 0);
}

Test(exos_ring, a_closed_reader_fails_writes)
{
	exos_ring_init(&ring);
	exos_ring_close_read(&ring);
	cr_assert_eq(exos_ring_write(&ring, "a", 1), -1);
}

Test(exos_ring, one_wake_up_answers_one_wait)
{
	exos_ring_init(&ring);
	cr_assert_not(exos_ring_reader_wants_wake(&ring));
	ring.reader_waiting = 1;
	cr_assert(exos_ring_reader_wants_wake(&ring));
	cr_assert_not(exos_ring_reader_wants_wake(&ring));
	ring.writer_waiting = 1;
	cr_assert(exos_ring_writer_wants_wake(&ring));
	cr_assert_not(exos_ring_writer_wants_wake(&ring));
}

static struct exos_ptab tab;

Test(exos_ptab, exit_and_kill_statuses_reach_the_parent_once)
{
	u32 pid = 0;
	long a, b, c;

	exos_ptab_init(&tab);
	a = exos_ptab_alloc(&tab, 0, "gen");
	b = exos_ptab_alloc(&tab, 0, "a-name-longer-than-sixteen");
	c = exos_ptab_alloc(&tab, (u32)a, "count");
	cr_assert(a > 0 && b > a && c > b, "pids grow");
	cr_assert_str_eq(exos_ptab_get(&tab, (u32)b)->name, "a-name-longer-t");
	cr_assert_eq(exos_ptab_run(&tab, (u32)a, 0x1234, "gen"), 0);
	cr_assert_eq(exos_ptab_by_tid(&tab, 0x1234)->pid, (u32)a);
	cr_assert_eq(exos_ptab_reap(&tab, 0, &pid, 0), -E_AGAIN, "children run");
	cr_assert_eq(exos_ptab_killed(&tab, (u32)b, 14, 0xdead000, 0x401000), 0);
	cr_assert_eq(exos_ptab_exited(&tab, (u32)b, 0), -E_INVAL, "the first end stands");
	cr_assert_null(exos_ptab_by_tid(&tab, 0x1234 + 1));
	pid = 0;
	cr_assert_eq(exos_ptab_reap(&tab, 0, &pid, 0), EXOS_KILLED | 14);
	cr_assert_eq(pid, (u32)b);
	cr_assert_eq(exos_ptab_exited(&tab, (u32)a, 300), 0);
	pid = (u32)a;
	cr_assert_eq(exos_ptab_reap(&tab, 0, &pid, 0), 300 & 0xff);
	pid = 0;
	cr_assert_eq(exos_ptab_reap(&tab, 0, &pid, 0), -E_NOENT, "c is a's, not ours");
	cr_assert_eq(exos_ptab_exited(&tab, (u32)c, 7), 0);
	pid = 0;
	cr_assert_eq(exos_ptab_reap(&tab, (u32)a, &pid, 0), 7, "an orphan's slot still answers");
}

Test(exos_ptab, a_full_table_refuses_and_pids_are_never_reused)
{
	u32 pid = 0;
	long first = 0, p;

	exos_ptab_init(&tab);
	for (int i = 0; i < EXOS_NPROC; i++) {
		p = exos_ptab_alloc(&tab, 0, "x");
		cr_assert_gt(p, 0);
		if (!first)
			first = p;
	}
	cr_assert_eq(exos_ptab_alloc(&tab, 0, "x"), -E_NOMEM);
	cr_assert_eq(exos_ptab_exited(&tab, (u32)first, 0), 0);
	cr_assert_eq(exos_ptab_reap(&tab, 0, &pid, 0), 0);
	p = exos_ptab_alloc(&tab, 0, "x");
	cr_assert_eq(p, EXOS_NPROC + 1, "the freed slot, a new pid");
	cr_assert_null(exos_ptab_get(&tab, (u32)first));
}

static struct exos_pipeline pl;
static const char *why;
static u32 at;

Test(exos_sh, parses_a_pipeline)
{
	cr_assert_eq(exos_sh_parse("  gen 100000 |filter|  count\t", &pl, &why, &at), 0);
	cr_assert_eq(pl.ncmds, 3);
	cr_assert_eq(pl.cmds[0].argc, 2);
	cr_assert_str_eq(pl.cmds[0].argv[0], "gen");
	cr_assert_str_eq(pl.cmds[0].argv[1], "100000");
	cr_assert_null(pl.cmds[0].argv[2]);
	cr_assert_str_eq(pl.cmds[1].argv[0], "filter");
	cr_assert_eq(pl.cmds[1].argc, 1);
	cr_assert_str_eq(pl.cmds[2].argv[0], "count");
	cr_assert_null(pl.cmds[2].argv[1]);
}

static void
refused(const char *line, const char *msg, u32 where)
{
	cr_assert_eq(exos_sh_parse(line, &pl, &why, &at), -E_INVAL, "%s", line);
	cr_assert_str_eq(why, msg, "%s", line);
	cr_assert_eq(at, where, "%s: at %u", line, at);
}

Test(exos_sh, refuses_malformed_pipelines_saying_where)
{
	static char longline[EXOS_SH_LINE + 10];

	refused("", "no command", 0);
	refused("   ", "no command", 3);
	refused("| count", "a '|' with no command before it", 0);
	refused("gen || count", "a '|' with no command before it", 5);
	refused("gen |", "a '|' with no command after it", 5);
	refused("a|b|c|d|e|f|g|h|i", "more commands than a pipeline holds (8)", 15);
	refused("a 1 2 3 4 5 6 7 8", "more words than a command holds (8)", 16);
	memset(longline, 'a', sizeof longline - 1);
	refused(longline, "the command line is too long", EXOS_SH_LINE - 1);
}

Test(exos_sh, a_line_that_just_fits_parses)
{
	static char line[EXOS_SH_LINE];

	memset(line, 'a', sizeof line - 1);
	cr_assert_eq(exos_sh_parse(line, &pl, &why, &at), 0);
	cr_assert_eq(strlen(pl.cmds[0].argv[0]), EXOS_SH_LINE - 1);
}
