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
#include <unistd.h>

#define EXIT_HOST 126

static struct exo_run probe;

/*
 * Each test runs in a process of its own, forked by Criterion's runner:
 * an answer is kept in a file named by the runner (its pid and start
 * time, so a later runner with the same pid never reads it), and a suite
 * asks exo once per question, not once per test.
 */
static void
cache_path(char *buf, size_t len, const char *key)
{
	char stat[512];
	unsigned long long start = 0;
	FILE *f;

	snprintf(stat, sizeof(stat), "/proc/%d/stat", (int)getppid());
	f = fopen(stat, "r");
	if (f) {
		/* Field 22, after the command's ")" (which may hold spaces). */
		if (fgets(stat, sizeof(stat), f) && strrchr(stat, ')'))
			sscanf(strrchr(stat, ')') + 2, "%*c %*s %*s %*s %*s %*s %*s %*s %*s "
			       "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu", &start);
		fclose(f);
	}
	snprintf(buf, len, "/tmp/exo-test-%d-%llu-%s", (int)getppid(), start, key);
}

static bool
cache_get(const char *key, char *val, size_t len)
{
	char path[256];
	FILE *f;
	bool got;

	cache_path(path, sizeof(path), key);
	f = fopen(path, "r");
	if (!f)
		return false;
	got = fgets(val, (int)len, f) != NULL;
	fclose(f);
	if (got)
		val[strcspn(val, "\n")] = '\0';
	return got && val[0];
}

static void
cache_put(const char *key, const char *val)
{
	char path[256], tmp[300];
	FILE *f;

	cache_path(path, sizeof(path), key);
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f)
		return;
	fprintf(f, "%s\n", val);
	if (fclose(f) == 0)
		rename(tmp, path);      /* whole or not at all, for a parallel test */
	else
		unlink(tmp);
}

const char *
run_platform(void)
{
	static char platform[32];
	const char *boot;

	if (platform[0] || cache_get("platform", platform, sizeof(platform)))
		return platform;
	exo_run(&probe, true, (const char *[]){ "run", "hello", NULL });
	boot = report_event(&probe, "boot", 0);
	cr_assert(boot && report_field(boot, "platform", platform, sizeof(platform)),
		  "exo run hello reported no platform (exit %d):\n%s\nstderr:\n%s",
		  probe.status, probe.report, probe.err);
	cache_put("platform", platform);
	return platform;
}

bool
platform_is(const char *name)
{
	return !strcmp(run_platform(), name);
}

bool
platform_hosted(void)
{
	return platform_is("hosted") || platform_is("ptrace");
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
	char cpus[16], key[32], why[512];
	const char *msg;

	if (n <= 1)
		return;
	snprintf(cpus, sizeof(cpus), "%u", n);
	snprintf(key, sizeof(key), "cpus%u", n);
	if (cache_get(key, why, sizeof(why))) {
		if (!strcmp(why, "ok"))
			return;
		cr_skip_test("%s has one CPU: `exo run --cpus %u hello` is refused here "
			     "(%s)", run_platform(), n, why);
	}
	exo_run(&refused, false, (const char *[]){ "run", "--cpus", cpus, "hello", NULL });
	if (refused.status != EXIT_HOST || !platform_hosted()) {
		cache_put(key, "ok");
		return;
	}
	/* exo says one line of its own first (the platform chosen): the
	 * refusal is the line that names --cpus. */
	msg = strstr(refused.err, "--cpus");
	first_line(why, sizeof(why), msg ? msg : refused.err);
	cache_put(key, why);
	cr_skip_test("%s has one CPU: `exo run --cpus %u hello` is refused here (%s)",
		     run_platform(), n, why);
}

void
skip_on_hosted(const char *why)
{
	if (platform_hosted())
		cr_skip_test("the %s platform (the kernel in the exo process, no KVM): %s",
			     run_platform(), why);
}
