/*
 * What the platform exo boots on can and cannot do, asked of exo itself at
 * run time: the boot report's "platform", and whether `exo run --cpus N` is
 * refused. Tests skip what the platform lacks from these answers, never from
 * a list of names, so a check comes back the day the platform gains it.
 */
#include "run.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#define EXIT_HOST 126

static struct exo_run probe;

const char *
run_platform(void)
{
	static char platform[32];
	const char *boot;

	if (platform[0])
		return platform;
	exo_run(&probe, true, (const char *[]){ "run", "hello", NULL });
	boot = report_event(&probe, "boot", 0);
	cr_assert(boot && report_field(boot, "platform", platform, sizeof(platform)),
		  "exo run hello reported no platform (exit %d):\n%s\nstderr:\n%s",
		  probe.status, probe.report, probe.err);
	return platform;
}

bool
platform_is(const char *name)
{
	return !strcmp(run_platform(), name);
}

/* The first line of s, for a one-line reason. */
static void
first_line(char *buf, size_t len, const char *s)
{
	const char *nl = strchr(s, '\n');
	size_t n = nl ? (size_t)(nl - s) : strlen(s);

	snprintf(buf, len, "%.*s", (int)n, s);
}

void
skip_unless_cpus(unsigned n)
{
	static struct exo_run refused;
	char cpus[16], why[512];
	const char *msg;

	if (n <= 1)
		return;
	snprintf(cpus, sizeof(cpus), "%u", n);
	exo_run(&refused, false, (const char *[]){ "run", "--cpus", cpus, "hello", NULL });
	if (refused.status != EXIT_HOST || !platform_is("hosted"))
		return;
	/* exo says one line of its own first (the platform chosen): the
	 * refusal is the line that names --cpus. */
	msg = strstr(refused.err, "--cpus");
	first_line(why, sizeof(why), msg ? msg : refused.err);
	cr_skip_test("hosted has one CPU: `exo run --cpus %u hello` is refused here (%s)",
		     n, why);
}

void
skip_on_hosted(const char *why)
{
	if (platform_is("hosted"))
		cr_skip_test("the hosted platform (the kernel in the exo process, no KVM): %s",
			     why);
}
