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

/* exo run --gdb 127.0.0.1:0 --gdb-wait --timeout 600 ARGS, its stderr on
 * *err_fd. */
static pid_t
start_exo(const char *const args[], int *err_fd, const char *out)
{
	const char *argv[16] = { EXO_BIN, "run", "--gdb", "127.0.0.1:0", "--gdb-wait",
				 "--timeout", "600" };
	posix_spawn_file_actions_t fa;
	int fds[2], n = 7;
	pid_t pid;

	for (int i = 0; args[i] && n < 15; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
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

static const char *const boot_script[] = {
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
run_gdb(const char *gdb, unsigned port, const char *cmds, const char *kname,
	const char *out)
{
	char target[64], kernel[512];
	const char *argv[] = { gdb, "-batch", "-nx", "-ex", target, "-x", cmds, kernel, NULL };
	posix_spawn_file_actions_t fa;
	pid_t pid;
	int ws;

	snprintf(target, sizeof(target), "target remote 127.0.0.1:%u", port);
	snprintf(kernel, sizeof(kernel), "%s/%s", EXO_BUILD_DIR, kname);
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

/* One session: exo with args, gdb with script against kernel. */
struct session {
	char gdb_out[65536], exo_err[8192], console[4096];
	int gdb_status, exo_status;        /* 1000 + signal if killed */
};

static void
session_run(struct session *ss, const char *const args[], const char *const script[],
	    const char *kernel)
{
	char gdb[512], cmds[256], gout[256], eout[256];
	int err_fd, ws;
	FILE *err, *f;
	unsigned port;
	size_t n;
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
	exo = start_exo(args, &err_fd, eout);
	err = fdopen(err_fd, "r");
	port = read_port(err, ss->exo_err, sizeof(ss->exo_err));
	ss->gdb_status = run_gdb(gdb, port, cmds, kernel, gout);
	slurp_file(gout, ss->gdb_out, sizeof(ss->gdb_out));
	/* the rest of exo's stderr, to its end */
	n = strlen(ss->exo_err);
	while (n + 1 < sizeof(ss->exo_err) &&
	       fgets(ss->exo_err + n, (int)(sizeof(ss->exo_err) - n), err))
		n = strlen(ss->exo_err);
	fclose(err);
	cr_assert_eq(waitpid(exo, &ws, 0), exo);
	ss->exo_status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 1000 + WTERMSIG(ws);
	slurp_file(eout, ss->console, sizeof(ss->console));
}

#define CHECK(ss, name, want) do { \
	char val_[128]; \
	cr_assert(check((ss)->gdb_out, name, val_, sizeof(val_)) && !strcmp(val_, want), \
		  "%s: %s, not %s; gdb:\n%s\nexo:\n%s", name, \
		  check((ss)->gdb_out, name, val_, sizeof(val_)) ? val_ : "(none)", want, \
		  (ss)->gdb_out, (ss)->exo_err); \
} while (0)

/* Break, inspect, step, read, detach: the guest then ends as without gdb. */
Test(gdb, break_step_read_detach, .timeout = 900)
{
	static struct session ss;
	static const char *const args[] = { "hello", NULL };
	char val[128];

	skip_on_hosted("--gdb drives a vCPU, and it has none (exo refuses --gdb there)");

	session_run(&ss, args, boot_script, "exo-kernel");
	cr_assert_eq(ss.gdb_status, 0, "gdb failed (%d):\n%s\nexo:\n%s", ss.gdb_status,
		     ss.gdb_out, ss.exo_err);
	cr_assert_eq(ss.exo_status, 0, "exo did not end with status 0 after detach:\n%s\n"
		     "gdb:\n%s", ss.exo_err, ss.gdb_out);
	cr_assert(strstr(ss.console, "hello"), "the guest ran to its end:\n%s", ss.console);
	CHECK(&ss, "at_break", "1");
	CHECK(&ss, "caller", "kmain");
	CHECK(&ss, "paging", "1");
	CHECK(&ss, "long_mode", "1");
	CHECK(&ss, "reg_write", "1");
	CHECK(&ss, "stepi", "1");
	CHECK(&ss, "kopts_read", "1");
	cr_assert(check(ss.gdb_out, "step_in", val, sizeof(val)), "step: %s", ss.gdb_out);
}

/* Two vCPUs: the second appears as thread 2 when the kernel starts it and
 * stops all at its breakpoint; Ctrl-C stops both (the guest spins for ever,
 * so any delay before it does); kill ends the run with 130. */
static const char *const smp_script[] = {
	"set pagination off",
	"break ap_main",
	"continue",
	"python print('check threads %d' % len(gdb.selected_inferior().threads()))",
	"python print('check stopped_thread %d' % gdb.selected_thread().num)",
	"info threads",
	"delete",
	"python gdb.events.stop.connect(lambda e: print('check stop_signal %s' % "
	"getattr(e, 'stop_signal', 'none')))",
	"python import threading",
	"python threading.Timer(1, lambda: gdb.post_event(lambda: gdb.execute('interrupt'))).start()",
	"continue",
	"python print('check after_interrupt %d' % len(gdb.selected_inferior().threads()))",
	"thread apply all bt 1",
	"kill",
	NULL,
};

Test(gdb, two_vcpus_threads_interrupt_kill, .timeout = 900)
{
	static struct session ss;
	static const char *const args[] = { "--cpus", "2", "spin", NULL };

	skip_on_hosted("--gdb drives a vCPU, and it has none (exo refuses --gdb there)");

	session_run(&ss, args, smp_script, "exo-kernel-smp");
	cr_assert_eq(ss.exo_status, 130, "exo: %d, not 130 (killed from gdb):\n%s\ngdb:\n%s",
		     ss.exo_status, ss.exo_err, ss.gdb_out);
	CHECK(&ss, "threads", "2");
	CHECK(&ss, "stopped_thread", "2");
	CHECK(&ss, "after_interrupt", "2");
	CHECK(&ss, "stop_signal", "SIGINT");
}
