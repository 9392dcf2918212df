/*
 * exsh: runs a pipeline of ExOS processes from its command line,
 *   exo run exsh 'gen 100000 | filter | count'
 * Each command is a process (an environment) running one of the program
 * images embedded in exsh; consecutive ones are joined by pipes; exsh waits
 * for them all. It prints how every process that did not exit 0 ended,
 * and exits with the last command's status (128 + vector if it was killed,
 * 125 if the kernel aborted it for not answering revocation).
 */
#include "exos.h"
#include "libos.h"
#include "proc_table.h"
#include "sh_parse.h"

#include "exsh_images.h"

#define NIMAGES (sizeof exsh_images / sizeof exsh_images[0])

static struct exos_pipeline pl;
static char line[EXOS_SH_LINE];

static bool
known(const char *name)
{
	for (u32 i = 0; i < NIMAGES; i++)
		if (!strcmp(exsh_images[i].name, name))
			return true;
	return false;
}

static void
say_known(void)
{
	printf("exsh: the programs it knows:");
	for (u32 i = 0; i < NIMAGES; i++)
		printf(" %s", exsh_images[i].name);
	printf("\n");
}

/* argv[1..] joined by blanks: exo run passes the words as it got them. */
static bool
join(int argc, char **argv)
{
	u64 at = 0;

	for (int i = 1; i < argc; i++) {
		u64 n = strlen(argv[i]);

		if (at + n + 1 >= sizeof line)
			return false;
		memcpy(line + at, argv[i], n);
		at += n;
		line[at++] = i + 1 < argc ? ' ' : 0;
	}
	return true;
}

/* exsh's status for a process's: its exit code; 125 if the kernel
 * aborted it (as exo run reports an aborted environment); else 128 +
 * the vector that killed it. */
static int
exit_status(u32 st)
{
	if (!EXOS_STATUS_KILLED(st))
		return (int)EXOS_STATUS_CODE(st);
	if (EXOS_STATUS_CODE(st) == EXOS_VECTOR_ABORT)
		return 125;
	return 128 + (int)EXOS_STATUS_CODE(st);
}

/* Start every command, joined by pipes: how many started. */
static u32
start_all(long *pids)
{
	int in = -1;

	for (u32 i = 0; i < pl.ncmds; i++) {
		int out = -1;
		long r;

		if (i + 1 < pl.ncmds && (out = (int)exos_pipe()) < 0) {
			printf("exsh: no pipe for '%s' (error %d)\n", pl.cmds[i].argv[0], out);
			return i;
		}
		r = exos_spawn(pl.cmds[i].argv[0], pl.cmds[i].argc, pl.cmds[i].argv, in, out);
		if (r < 0) {
			printf("exsh: cannot start '%s': error %ld%s\n", pl.cmds[i].argv[0], r,
			       r == -E_NOMEM ? " (no process slot, frame or capability left)" : "");
			return i;
		}
		pids[i] = r;
		in = out;
	}
	return pl.ncmds;
}

int
main(int argc, char **argv)
{
	const char *why;
	u32 at, started;
	long pids[EXOS_SH_STAGES], r;
	int status = 0;

	if (argc < 2 || !join(argc, argv)) {
		printf("exsh: give a pipeline of up to %u bytes, e.g. exo run exsh "
		       "'gen 10 | count'\n", EXOS_SH_LINE - 1);
		return 2;
	}
	if (exos_sh_parse(line, &pl, &why, &at) < 0) {
		printf("exsh: malformed pipeline: %s, at column %u of '%s'\n", why, at + 1, line);
		return 2;
	}
	for (u32 i = 0; i < pl.ncmds; i++)
		if (!known(pl.cmds[i].argv[0])) {
			printf("exsh: %s: no such program\n", pl.cmds[i].argv[0]);
			say_known();
			return 127;
		}
	if ((r = exos_mgr_init(exsh_images, NIMAGES)) < 0) {
		printf("exsh: cannot start the process manager: error %ld\n", r);
		return 1;
	}
	started = start_all(pids);
	for (u32 n = 0; n < started; n++) {
		struct exos_wait w;
		char how[128];

		if ((r = exos_wait(0, &w)) < 0)
			break;
		exos_status_str(&w, how, sizeof how);
		if (w.status)
			printf("exsh: %s (pid %u): %s\n", w.name, w.pid, how);
		if (w.pid == (u32)pids[pl.ncmds - 1] && started == pl.ncmds)
			status = exit_status(w.status);
	}
	return started == pl.ncmds ? status : 1;
}
