/*
 * exo run --gdb with Debian's gdb in batch mode against the kernel's
 * symbols (docs/debugging.md): stop before the first instruction, break on
 * a function kmain calls, continue to it, backtrace, registers, a register
 * written and read back, stepi and step, a kernel variable, detach, and the
 * guest runs to its end with status 0. gdb's answers are judged through
 * its Python ("check NAME VALUE" lines), not by its prose.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "run.h"

extern char **environ;

/* gdb on PATH, into path; false if there is none. */
static bool
find_gdb(char *path, size_t len)
{
	const char *p = getenv("PATH");
	char dir[256];

	while (p && *p) {
		size_t n = strcspn(p, ":");

		snprintf(dir, sizeof(dir), "%.*s", (int)n, p);
		snprintf(path, len, "%s/gdb", dir[0] ? dir : ".");
		if (access(path, X_OK) == 0)
			return true;
		p += n + (p[n] == ':');
	}
	return false;
}

/* exo run --gdb 127.0.0.1:0 --gdb-wait hello, its stderr on *err_fd. */
static pid_t
start_exo(int *err_fd, const char *out)
{
	const char *argv[] = { EXO_BIN, "run", "--gdb", "127.0.0.1:0", "--gdb-wait",
			       "--timeout", "600", "hello", NULL };
	posix_spawn_file_actions_t fa;
	int fds[2];
	pid_t pid;

	cr_assert_eq(pipe(fds), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	cr_assert_eq(posix_spawn(&pid, EXO_BIN, &fa, NULL, (char **)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	*err_fd = fds[0];
	return pid;
}

/* Read exo's stderr up to the line that names the port. */
static unsigned
read_port(FILE *err, char *seen, size_t len)
{
	char line[512];
	const char *at;

	seen[0] = '\0';
	while (fgets(line, sizeof(line), err)) {
		strncat(seen, line, len - strlen(seen) - 1);
		at = strstr(line, "listening on 127.0.0.1:");
		if (at)
			return (unsigned)atoi(at + strlen("listening on 127.0.0.1:"));
	}
	cr_assert_fail("exo never said where it listens; its stderr:\n%s", seen);
	return 0;
}

static const char *const script[] = {
	"set pagination off",
	"set confirm off",
	"info threads",
	"break arch_init",
	"continue",
	"python print('check at_break %d' % (gdb.selected_frame().name() == 'arch_init'))",
	"bt",
	"python print('check caller %s' % gdb.selected_frame().older().name())",
	"info registers rip rsp eflags cs cr0 cr3 efer",
	"python print('check paging %d' % ((int(gdb.parse_and_eval('$cr0')) >> 31) & 1))",
	"python print('check long_mode %d' % ((int(gdb.parse_and_eval('$efer')) >> 10) & 1))",
	"set $exo_r11 = $r11",
	"set $r11 = 0x1234abcd",
	"python print('check reg_write %d' % (int(gdb.parse_and_eval('$r11')) == 0x1234abcd))",
	"set $r11 = $exo_r11",
	"python exo_pc = int(gdb.parse_and_eval('$pc'))",
	"stepi",
	"python print('check stepi %d' % (int(gdb.parse_and_eval('$pc')) != exo_pc))",
	"step",
	"python print('check step_in %s' % gdb.selected_frame().function().name)",
	"print kopts",
	"python print('check kopts_read %d' % (gdb.parse_and_eval('sizeof(kopts)') > 0))",
	"x/4xb &kopts",
	"delete",
	"detach",
	NULL,
};

/* The value after "check NAME " in gdb's output, or NULL. */
static const char *
check(const char *out, const char *name, char *val, size_t len)
{
	char want[64];
	const char *p;

	snprintf(want, sizeof(want), "check %s ", name);
	p = strstr(out, want);
	if (!p)
		return NULL;
	p += strlen(want);
	snprintf(val, len, "%.*s", (int)strcspn(p, "\n"), p);
	return val;
}

static int
run_gdb(const char *gdb, unsigned port, const char *cmds, const char *out)
{
	char target[64], kernel[512];
	const char *argv[] = { gdb, "-batch", "-nx", "-ex", target, "-x", cmds, kernel, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ws;

	snprintf(target, sizeof(target), "target remote 127.0.0.1:%u", port);
	snprintf(kernel, sizeof(kernel), "%s/exo-kernel", EXO_BUILD_DIR);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	cr_assert_eq(posix_spawn(&pid, gdb, &fa, NULL, (char **)argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	return WIFEXITED(ws) ? WEXITSTATUS(ws) : 1000 + WTERMSIG(ws);
}

static void
slurp_file(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f)
		fclose(f);
}

/* Break, inspect, step, read, detach: the guest then ends as without gdb. */
Test(gdb, break_step_read_detach, .timeout = 900)
{
	static char gdb_out[65536], exo_err[8192], console[4096], val[128];
	char gdb[512], cmds[256], gout[256], eout[256];
	int err_fd, ws, gs;
	FILE *err, *f;
	unsigned port;
	pid_t exo;

	if (!find_gdb(gdb, sizeof(gdb)))
		cr_skip_test("gdb is not installed (scripts/setup.sh installs Debian's gdb)");
	scratch_path(cmds, sizeof(cmds), "gdbcmds");
	scratch_path(gout, sizeof(gout), "gdbout");
	scratch_path(eout, sizeof(eout), "exoout");
	f = fopen(cmds, "w");
	cr_assert(f);
	for (int i = 0; script[i]; i++)
		fprintf(f, "%s\n", script[i]);
	fclose(f);
	exo = start_exo(&err_fd, eout);
	err = fdopen(err_fd, "r");
	port = read_port(err, exo_err, sizeof(exo_err));
	gs = run_gdb(gdb, port, cmds, gout);
	slurp_file(gout, gdb_out, sizeof(gdb_out));
	/* the rest of exo's stderr, to its end */
	size_t n = strlen(exo_err);
	while (n + 1 < sizeof(exo_err) && fgets(exo_err + n, (int)(sizeof(exo_err) - n), err))
		n = strlen(exo_err);
	fclose(err);
	cr_assert_eq(waitpid(exo, &ws, 0), exo);
	slurp_file(eout, console, sizeof(console));
	cr_assert_eq(gs, 0, "gdb failed (%d):\n%s\nexo:\n%s", gs, gdb_out, exo_err);
	cr_assert(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
		  "exo did not end with status 0 after detach (%#x):\n%s\ngdb:\n%s", ws,
		  exo_err, gdb_out);
	cr_assert(strstr(console, "hello"), "the guest ran to its end:\n%s", console);
#define CHECK(name, want) \
	cr_assert(check(gdb_out, name, val, sizeof(val)) && !strcmp(val, want), \
		  "%s: %s, not %s; gdb:\n%s\nexo:\n%s", name, \
		  check(gdb_out, name, val, sizeof(val)) ? val : "(none)", want, gdb_out, exo_err)
	CHECK("at_break", "1");
	CHECK("caller", "kmain");
	CHECK("paging", "1");
	CHECK("long_mode", "1");
	CHECK("reg_write", "1");
	CHECK("stepi", "1");
	CHECK("kopts_read", "1");
	cr_assert(check(gdb_out, "step_in", val, sizeof(val)), "step: %s", gdb_out);
}
