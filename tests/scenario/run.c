#include "run.h"

#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jv.h"

extern char **environ;

void
scratch_path(char *buf, size_t len, const char *tag)
{
	snprintf(buf, len, "/tmp/exo-test-%d-%s", (int)getpid(), tag);
}

struct jv *
exo_run_json(struct exo_run *r, const char *cmd, const char *opt, const char *tag,
	     const char *const args[])
{
	char path[256], err[256];
	const char *argv[32];
	struct jv *v;
	int n = 0;

	scratch_path(path, sizeof(path), tag);
	unlink(path);
	argv[n++] = cmd;
	argv[n++] = opt;
	argv[n++] = path;
	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	exo_run(r, false, argv);
	v = jv_parse_file(path, err, sizeof(err));
	cr_assert_not_null(v, "exo %s (exit %d) wrote no valid JSON: %s\nstderr:\n%s",
			   cmd, r->status, err, r->err);
	unlink(path);
	return v;
}

double
json_num(const struct jv *v, const char *what)
{
	cr_assert(v && v->type == JV_NUMBER, "%s is not a number", what);
	return v->num;
}

static void
slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;

	if (f) {
		n = fread(buf, 1, len - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	unlink(path);
}

/*
 * A guest that never ends must fail its test, not hang the suite. The bound
 * is no measure of speed: it is far beyond any scenario on any host (the
 * slowest take seconds on PVM and a minute in a nested guest under TCG), and
 * EXO_TEST_WATCHDOG (seconds) changes it.
 */
static bool exo_hung;

static int
watchdog_seconds(void)
{
	const char *e = getenv("EXO_TEST_WATCHDOG");
	int s = e ? atoi(e) : 0;

	return s > 0 ? s : 900;
}

/* Wait for exo (pid); past the watchdog, SIGTERM (exo then reports the
 * vCPUs and stops), and SIGKILL 30 s later. */
static int
exo_wait(pid_t pid, const char *const argv[])
{
	struct timespec tick = { 0, 20 * 1000 * 1000 };
	long limit = watchdog_seconds() * 50L, waited = 0;
	int ws;

	exo_hung = false;
	for (;;) {
		pid_t w = waitpid(pid, &ws, WNOHANG);

		cr_assert(w >= 0, "waitpid: %s", strerror(errno));
		if (w == pid)
			return ws;
		if (waited == limit) {
			fprintf(stderr, "scenario: exo %s still running after %d s: SIGTERM\n",
				argv[1], watchdog_seconds());
			exo_hung = true;
			kill(pid, SIGTERM);
		} else if (waited == limit + 30 * 50) {
			kill(pid, SIGKILL);
		}
		nanosleep(&tick, NULL);
		waited++;
	}
}

/*
 * EXO_PLATFORM=kvm|hosted|ptrace: the commands that boot the kernel get
 * --platform with it (unset: exo's own choice).
 */
static bool
platform_takes(const char *cmd)
{
	static const char *const boots[] = { "run", "bench", "trace", "stat", "fuzz",
					     NULL };

	if (!getenv("EXO_PLATFORM"))
		return false;
	for (int i = 0; boots[i]; i++)
		if (!strcmp(cmd, boots[i]))
			return true;
	return false;
}

void
exo_run(struct exo_run *r, bool report, const char *const args[])
{
	exo_run_in(r, report, args, -1);
}

void
exo_run_in(struct exo_run *r, bool report, const char *const args[], int in_fd)
{
	char out[256], err[256], rep[256];
	const char *argv[64];
	posix_spawn_file_actions_t fa;
	int n = 0, ws;
	pid_t pid;

	scratch_path(out, sizeof(out), "out");
	scratch_path(err, sizeof(err), "err");
	scratch_path(rep, sizeof(rep), "report");
	unlink(rep);
	argv[n++] = EXO_BIN;
	for (int i = 0; args[i]; i++) {
		cr_assert(n < 60, "too many arguments");
		argv[n++] = args[i];
		if (i == 0 && report) {
			argv[n++] = "--report";
			argv[n++] = rep;
		}
		if (i == 0 && platform_takes(args[0])) {
			argv[n++] = "--platform";
			argv[n++] = getenv("EXO_PLATFORM");
		}
	}
	argv[n] = NULL;
	posix_spawn_file_actions_init(&fa);
	if (in_fd >= 0)
		posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	else
		posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_addopen(&fa, 2, err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	cr_assert_eq(posix_spawn(&pid, EXO_BIN, &fa, NULL, (char **)argv, environ), 0,
		     "cannot start %s", EXO_BIN);
	posix_spawn_file_actions_destroy(&fa);
	ws = exo_wait(pid, argv);
	r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1000 + WTERMSIG(ws);
	slurp(out, r->out, sizeof(r->out));
	slurp(err, r->err, sizeof(r->err));
	slurp(rep, r->report, sizeof(r->report));
	cr_assert(!exo_hung,
		  "exo %s did not end within %d s (a hung guest; EXO_TEST_WATCHDOG "
		  "sets the bound): stopped with SIGTERM\nstderr:\n%s", args[0],
		  watchdog_seconds(), r->err);
}

const char *
report_event(const struct exo_run *r, const char *event, int nth)
{
	char want[128];
	const char *line = r->report;

	snprintf(want, sizeof(want), "{\"event\":\"%s\"", event);
	while (line && *line) {
		if (!strncmp(line, want, strlen(want)) && nth-- == 0)
			return line;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return NULL;
}

bool
report_field(const char *line, const char *key, char *val, size_t len)
{
	char want[128];
	const char *end = strchr(line, '\n'), *p;
	size_t n = 0;

	snprintf(want, sizeof(want), "\"%s\":", key);
	p = strstr(line, want);
	if (!p || (end && p > end))
		return false;
	p += strlen(want);
	if (*p == '"') {
		for (p++; *p && *p != '"' && n + 1 < len; p++)
			val[n++] = *p == '\\' && p[1] ? *++p : *p;
	} else {
		while (*p && *p != ',' && *p != '}' && n + 1 < len)
			val[n++] = *p++;
	}
	val[n] = '\0';
	return true;
}

unsigned long long
report_num(const char *line, const char *key)
{
	char v[64];

	cr_assert(line, "no such report line (looking for %s)", key);
	cr_assert(report_field(line, key, v, sizeof(v)), "no field %s in %s", key, line);
	return strtoull(v, NULL, 0);
}

const char *
cpu_emulated(void)
{
	static char vendor[13];
	unsigned a, b, c, d;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000u));
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &c, 4);
	memcpy(vendor + 8, &d, 4);
	vendor[12] = '\0';
	return strcmp(vendor, "TCGTCGTCGTCG") ? NULL : vendor;
}

void
skip_if_emulated(const char *what)
{
	const char *v = cpu_emulated();

	if (v)
		cr_skip_test("%s judges proportions of real time, and this host's CPU is "
			     "emulated (CPUID hypervisor '%s': QEMU's TCG), so its vCPUs' time "
			     "is no measure", what, v);
}
