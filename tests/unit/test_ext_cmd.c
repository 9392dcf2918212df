/*
 * `exo ext verify|dump|run` as a user calls them, on the examples clang
 * compiled (ext/, tests/ext/): exit statuses, the checker's refusal before
 * a run, and the results and helper effects of accepted programs.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <exo/ext.h>

#include "host/ext_cmd.h"

static char obj_path[512], ctx_path[64];

static int
ext(const char *verb, const char *file, const char *opt, const char *arg)
{
	char *argv[8] = { "ext", (char *)verb, obj_path };
	int argc = 3;

	snprintf(obj_path, sizeof(obj_path), "%s/ext/%s", EXO_BUILD_DIR, file);
	if (opt) {
		argv[argc++] = (char *)opt;
		argv[argc++] = (char *)arg;
	}
	if (!strcmp(verb, "run")) {
		argv[argc++] = "--ctx";
		argv[argc++] = ctx_path;
	}
	return ext_cmd(argc, argv);
}

/* The --ctx file holds the n bytes at p. */
static void
write_ctx(const void *p, size_t n)
{
	int fd;

	snprintf(ctx_path, sizeof(ctx_path), "/tmp/exo-ext-ctx-XXXXXX");
	fd = mkstemp(ctx_path);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* What the command printed on f (stdout or stderr, redirected), as a string. */
static char *
captured(FILE *f, FILE *redirected)
{
	static char buf[16384];
	size_t n;

	fflush(f);
	n = fread(buf, 1, sizeof(buf) - 1, redirected);
	buf[n] = 0;
	return buf;
}

static void
redirect(void)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
}

static void
cleanup(void)
{
	if (*ctx_path)
		unlink(ctx_path);
}

TestSuite(ext_cmd, .init = redirect, .fini = cleanup);

/* `exo ext verify`'s exit status: 0 accepted, 1 rejected, 126 unreadable. */
Test(ext_cmd, verify_says_accepted_rejected_or_unreadable)
{
	cr_expect_eq(ext("verify", "pkt_filter.o", NULL, NULL), 0);
	cr_expect_eq(ext("verify", "pkt_filter.o", "--section", "guard/packet"), 0);
	cr_expect_eq(ext("verify", "bad_pkt_unchecked.o", NULL, NULL), 1);
	cr_expect_eq(ext("verify", "bad_global.o", NULL, NULL), 126);
	cr_expect_eq(ext("verify", "no-such-file.o", NULL, NULL), 126);
	cr_expect_eq(ext("verify", "pkt_filter.o", "--section", "event/nope"), 126);
}

Test(ext_cmd, dump_works_on_every_example)
{
	static const char *const examples[] = {
		"count_syscalls.o", "syscall_add.o", "pf_appel.o", "pkt_filter.o",
		"pkt_tcp_syn.o", "irq_count.o", "thread_pkg.o", "timer_defer.o",
	};

	for (size_t k = 0; k < sizeof(examples) / sizeof(examples[0]); k++)
		cr_expect_eq(ext("dump", examples[k], NULL, NULL), 0, "%s", examples[k]);
	cr_assert(strstr(captured(stdout, cr_get_redirected_stdout()),
			 "pf_appel.o, event/pagefault read_barrier: "));
}

Test(ext_cmd, run_refuses_what_the_checker_rejects)
{
	u8 packet[64] = { 0 };

	write_ctx(packet, sizeof(packet));
	cr_expect_eq(ext("run", "bad_pkt_unchecked.o", NULL, NULL), 1);
	cr_expect(strstr(captured(stderr, cr_get_redirected_stderr()),
			 "rejected at instruction 1: pkt_bounds"));
	cr_expect_eq(strlen(captured(stdout, cr_get_redirected_stdout())), 0,
		     "nothing ran");
}

Test(ext_cmd, run_gives_the_handlers_result_and_its_context_stores)
{
	struct ext_syscall_ctx c = { .nr = 0x4000, .args = { 2, 40 } };
	char *out;

	write_ctx(&c, sizeof(c));
	cr_assert_eq(ext("run", "syscall_add.o", "--section", "event/syscall"), 0);
	out = captured(stdout, cr_get_redirected_stdout());
	cr_expect(strstr(out, "r0 = 0x1 (1)"), "%s", out);
	/* ret (offset 0x38) = 42, marked changed */
	cr_expect(strstr(out, "0030: 00  00  00  00  00  00  00  00  2a* 00"), "%s", out);
}

Test(ext_cmd, run_bounds_the_context_to_the_events)
{
	u8 big[sizeof(struct ext_syscall_ctx) + 1] = { 0 };

	write_ctx(big, sizeof(big));
	cr_expect_eq(ext("run", "syscall_add.o", "--section", "event/syscall"), 126);
	cr_expect(strstr(captured(stderr, cr_get_redirected_stderr()), "larger than"));
}

/* A UDP packet to port 5353 (pkt_filter claims it) or to 53 (it does not). */
static void
write_udp(u16 port)
{
	u8 p[14 + 20 + 8 + 6] = { 0 };

	p[12] = 0x08;                   /* IPv4 */
	p[14] = 0x45;                   /* version 4, 20-byte header */
	p[14 + 9] = 17;                 /* UDP */
	p[34 + 2] = (u8)(port >> 8);
	p[34 + 3] = (u8)port;
	write_ctx(p, sizeof(p));
}

Test(ext_cmd, run_a_packet_filter_on_packet_bytes)
{
	char *out;

	write_udp(5353);
	cr_assert_eq(ext("run", "pkt_filter.o", "--section", "event/packet"), 0);
	out = captured(stdout, cr_get_redirected_stdout());
	cr_expect(strstr(out, "r0 = 0x30 (48)"), "claims all 48 bytes: %s", out);
	/* mark (offset 0x18) = 5353 = 0x14e9 */
	cr_expect(strstr(out, "e9* 14* 00  00"), "%s", out);
	unlink(ctx_path);
	write_udp(53);
	cr_assert_eq(ext("run", "pkt_filter.o", "--section", "event/packet"), 0);
	out = captured(stdout, cr_get_redirected_stdout());
	cr_expect(strstr(out, "r0 = 0 (0)"), "not mine: %s", out);
}

Test(ext_cmd, run_shows_counters_and_store_slots)
{
	struct ext_syscall_ctx s = { .nr = 5 };
	struct ext_irq_ctx irq = { .line = 3 };
	char *out;

	write_ctx(&s, sizeof(s));
	cr_assert_eq(ext("run", "count_syscalls.o", NULL, NULL), 0);
	unlink(ctx_path);
	write_ctx(&irq, sizeof(irq));
	cr_assert_eq(ext("run", "irq_count.o", "--section", "event/irq"), 0);
	out = captured(stdout, cr_get_redirected_stdout());
	cr_expect(strstr(out, "counter 5 = 1\n"), "%s", out);
	cr_expect(strstr(out, "store 1: 0000000000000000 0000000000000000 "
			 "0000000000000000 0100000000000000 "), "%s", out);
}

Test(ext_cmd, run_refuses_helpers_that_need_the_kernel)
{
	struct ext_pagefault_ctx c = { .kind = EXT_PF_PROTECTION, .access = EXT_PF_WRITE };

	write_ctx(&c, sizeof(c));
	cr_expect_eq(ext("run", "pf_appel.o", "--name", "dirty"), 126);
	cr_expect(strstr(captured(stderr, cr_get_redirected_stderr()), "ext_dirty_mark"));
}

/* Within the host's budget, beyond the kernel's: refused, with the count. */
Test(ext_cmd, verify_and_run_judge_the_step_budget_as_the_kernel)
{
	struct ext_syscall_ctx c = { .nr = 1 };
	char *out;

	cr_expect_eq(ext("verify", "too_complex.o", NULL, NULL), 1);
	out = captured(stdout, cr_get_redirected_stdout());
	cr_expect(strstr(out, "rejected: complexity: ") &&
		  strstr(out, "instructions walked over all paths, more than the kernel's "
			 "budget of 896 for 14 instructions"), "%s", out);
	write_ctx(&c, sizeof(c));
	cr_expect_eq(ext("run", "too_complex.o", NULL, NULL), 1);
	cr_expect(strstr(captured(stderr, cr_get_redirected_stderr()), "complexity"));
	cr_expect_eq(ext("verify", "pkt_tcp_syn.o", NULL, NULL), 0);
	out = captured(stdout, cr_get_redirected_stdout());
	cr_expect(strstr(out, "walked; the kernel allows 4416)"), "%s", out);
}
