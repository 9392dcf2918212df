/*
 * What the commands that boot a guest share (host/cli.c): the options are
 * checked before anything is loaded, and an output that cannot be written
 * whole fails the command.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include "host/cli.h"

static struct cli_boot b;

/* --report to a device that is always full: the close says so. */
Test(cli, report_to_a_full_device_fails)
{
	cli_boot_init(&b);
	cr_assert_eq(cli_boot_option(&b, "exo run", OPT_REPORT, "/dev/full"), 0);
	cr_assert_eq(cli_boot_ready(&b, "exo run"), 0);
	cr_assert_not_null(b.cfg.report);
	fprintf(b.cfg.report, "{\"event\":\"boot\"}\n");
	cr_assert_eq(cli_boot_close(&b, "exo run"), -ENOSPC);
	cr_assert_null(b.cfg.report);
}

/* ... also when the loss happened at an earlier flush, not at the close. */
Test(cli, report_error_seen_after_an_earlier_flush)
{
	cli_boot_init(&b);
	cr_assert_eq(cli_boot_option(&b, "exo run", OPT_REPORT, "/dev/full"), 0);
	cr_assert_eq(cli_boot_ready(&b, "exo run"), 0);
	fprintf(b.cfg.report, "{\"event\":\"crash\"}\n");
	cr_assert_neq(fflush(b.cfg.report), 0);
	cr_assert_lt(cli_boot_close(&b, "exo run"), 0);
}

Test(cli, report_to_a_file_closes_cleanly)
{
	char path[64];

	snprintf(path, sizeof(path), "/tmp/exo-unit-%d-report", (int)getpid());
	cli_boot_init(&b);
	cr_assert_eq(cli_boot_option(&b, "exo run", OPT_REPORT, path), 0);
	cr_assert_eq(cli_boot_ready(&b, "exo run"), 0);
	fprintf(b.cfg.report, "{\"event\":\"boot\"}\n");
	cr_assert_eq(cli_boot_close(&b, "exo run"), 0);
	cr_assert_eq(cli_boot_close(&b, "exo run"), 0, "closing twice is harmless");
	unlink(path);
}

/* Sizes: suffixes are powers of 1024; nothing wraps past 64 bits. */
Test(cli, sizes)
{
	uint64_t v;

	cr_assert_eq(cli_parse_size("64M", &v), 0);
	cr_assert_eq(v, 64ULL << 20);
	cr_assert_eq(cli_parse_size("2g", &v), 0);
	cr_assert_eq(v, 2ULL << 30);
	cr_assert_eq(cli_parse_size("4096k", &v), 0);
	cr_assert_eq(v, 4ULL << 20);
	cr_assert_eq(cli_parse_size("17179869183G", &v), 0, "2^64 - 2^30 fits");
	/* 2^64 + 2G: wrapped to 2G, a valid --mem, before. */
	cr_assert_eq(cli_parse_size("17179869186G", &v), -EINVAL);
	cr_assert_eq(cli_parse_size("18446744073709551616", &v), -EINVAL);
	for (const char *const *s = (const char *const[]){ "", "M", "-1", "+4M", " 4M",
	     "4 M", "1T", "4MB", "0x10", NULL }; *s; s++)
		cr_assert_eq(cli_parse_size(*s, &v), -EINVAL, "'%s' accepted", *s);
}

/* --mem is checked as it is parsed: the range, in the message. */
Test(cli, mem_range_checked_at_the_option)
{
	static const char *const bad[] = { "0", "1", "3M", "2M", "5M", "2050M", "3G",
					   "1099511627776" };
	static const char *const good[] = { "4M", "6M", "64M", "2G", "2048M" };

	cli_boot_init(&b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(cli_boot_option(&b, "exo run", OPT_MEM, bad[i]), -EINVAL,
			     "--mem %s accepted", bad[i]);
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		cr_assert_eq(cli_boot_option(&b, "exo run", OPT_MEM, good[i]), 0,
			     "--mem %s refused", good[i]);
}

/* --cpus: the range the kernel is built for (EXO_MAX_CPUS). */
Test(cli, cpus_range)
{
	char n[16];

	cli_boot_init(&b);
	snprintf(n, sizeof(n), "%d", EXO_MAX_CPUS);
	cr_assert_eq(cli_boot_option(&b, "exo run", OPT_CPUS, n), 0);
	snprintf(n, sizeof(n), "%d", EXO_MAX_CPUS + 1);
	cr_assert_eq(cli_boot_option(&b, "exo run", OPT_CPUS, n), -EINVAL);
	cr_assert_eq(cli_boot_option(&b, "exo run", OPT_CPUS, "0"), -EINVAL);
}

/* vmm_run itself checks its configuration before it opens any file. */
Test(cli, vmm_run_checks_numbers_first)
{
	struct vmm_result res;
	struct diag d = { "" };

	cli_boot_init(&b);
	b.cfg.kernel_path = "/nonexistent/kernel";
	b.cfg.kvm_path = "/nonexistent/kvm";
	b.cfg.mem_size = 0;
	cr_assert_eq(vmm_run(&b.cfg, &res, &d), -EINVAL);
	cr_assert(strstr(d.msg, "from 4M to 2048M"), "%s", d.msg);
	b.cfg.mem_size = 64 << 20;
	b.cfg.ncpus = EXO_MAX_CPUS + 1;
	cr_assert_eq(vmm_run(&b.cfg, &res, &d), -EINVAL);
	cr_assert(strstr(d.msg, "vCPUs"), "%s", d.msg);
}

/* The whole command, its output captured. */

static char out[16384], err[16384];

static void
slurp(FILE *f, char *buf, size_t len)
{
	size_t n = fread(buf, 1, len - 1, f);

	buf[n] = '\0';
}

static int
exo(const char *const *args)
{
	char *argv[16];
	int argc = 0, r;

	argv[argc++] = "exo";
	while (*args && argc < 15)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	r = exo_main(argc, argv);
	fflush(stdout);
	fflush(stderr);
	slurp(cr_get_redirected_stdout(), out, sizeof(out));
	slurp(cr_get_redirected_stderr(), err, sizeof(err));
	return r;
}

static void
redirect(void)
{
	cr_redirect_stdout();
	cr_redirect_stderr();
}

/* --mem 0 is refused before the kernel file is even opened. */
Test(exo_cmd, options_checked_before_files, .init = redirect)
{
	cr_assert_eq(exo((const char *[]){ "run", "--kernel", "/nonexistent/kernel",
					   "--mem", "0", NULL }), EXIT_HOST);
	cr_assert(strstr(err, "exo run: --mem '0'") && strstr(err, "from 4M to 2048M"),
		  "%s", err);
	cr_assert_null(strstr(err, "/nonexistent"), "a file was read first: %s", err);
}

/* getopt's messages name the command as the user typed it. */
Test(exo_cmd, getopt_names_the_command, .init = redirect)
{
	cr_assert_eq(exo((const char *[]){ "run", "--no-such-option", NULL }), EXIT_HOST);
	cr_assert_eq(strncmp(err, "exo run: ", 9), 0, "%s", err);
	cr_assert_eq(exo((const char *[]){ "bench", "--mem", NULL }), EXIT_HOST);
	cr_assert(strstr(err, "exo bench: option '--mem' requires an argument"), "%s", err);
}

/* The help states the limits the checks hold, from the same constants. */
Test(exo_cmd, help_states_the_checked_ranges, .init = redirect)
{
	char want[64];

	cr_assert_eq(exo((const char *[]){ "run", "--help", NULL }), 0);
	snprintf(want, sizeof(want), "vCPUs, 1 to %d", EXO_MAX_CPUS);
	cr_assert(strstr(out, want), "help lacks \"%s\":\n%s", want, out);
	cr_assert(strstr(out, "multiple of 2M from 4M to 2048M"), "%s", out);
}

/* exo help COMMAND prints what exo COMMAND --help prints, for every command
 * the top-level usage lists, with the same status. */
Test(exo_cmd, help_command_is_the_commands_own_help, .init = redirect)
{
	static char listing[16384], want[16384];
	unsigned n = 0;

	cr_assert_eq(exo((const char *[]){ "help", NULL }), 0);
	memcpy(listing, out, sizeof(listing));
	/* The command lines of the listing: two spaces, the name, spaces. */
	for (char *l = strstr(listing, "commands:\n"); l && (l = strchr(l, '\n')); ) {
		char name[16];
		int status;

		l++;
		if (strncmp(l, "  ", 2) || sscanf(l + 2, "%15[a-z] ", name) != 1)
			continue;
		status = exo((const char *[]){ name, "--help", NULL });
		cr_assert(strlen(out) > 0, "exo %s --help printed nothing", name);
		memcpy(want, out, sizeof(want));
		cr_assert_eq(exo((const char *[]){ "help", name, NULL }), status);
		cr_assert_str_eq(out, want, "exo help %s differs from exo %s --help", name, name);
		n++;
	}
	cr_assert_geq(n, 6, "only %u commands found in:\n%s", n, listing);
	cr_assert_eq(exo((const char *[]){ "help", "no-such-command", NULL }), EXIT_HOST);
	cr_assert(strstr(err, "exo help: unknown command 'no-such-command'"), "%s", err);
}

/* exo --version: one line naming exo and the CMake project's version. */
Test(exo_cmd, version_names_the_project_version, .init = redirect)
{
	cr_assert_eq(exo((const char *[]){ "--version", NULL }), 0);
	cr_assert_eq(strncmp(out, "exo " EXO_PROJECT_VERSION, strlen("exo " EXO_PROJECT_VERSION)), 0,
		     "%s", out);
	cr_assert_eq(strchr(out, '\n'), out + strlen(out) - 1, "not one line: %s", out);
	cr_assert_eq(strncmp(out, exo_version(), strlen(exo_version())), 0, "%s", out);
}
