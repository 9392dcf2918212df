/*
 * What the commands that boot a guest share (host/cli.c): the options are
 * checked before anything is loaded, and an output that cannot be written
 * whole fails the command.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

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
