/*
 * exo's subcommands: one table, walked by one loop. Each command gets its
 * own argv with argv[0] "exo COMMAND", so getopt's messages name it.
 */
#include "cli.h"

#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "ext_cmd.h"
#include "fuzz.h"
#include "trace.h"

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", run_cmd, "boot the kernel and run programs (exo run --help)" },
	{ "bench", bench_cmd, "measure system calls and IPC (exo bench --help)" },
	{ "trace", trace_cmd, "run programs and write a Perfetto trace (exo trace --help)" },
	{ "stat", stat_cmd, "run programs and summarise every crossing (exo stat --help)" },
	{ "ext", ext_cmd, "extensions on the host: verify, dump, run (exo ext --help)" },
	{ "fuzz", fuzz_cmd, "fuzz the system calls, with kernel self-checks (exo fuzz --help)" },
};

static void
usage(FILE *f)
{
	fprintf(f, "usage: exo COMMAND [options] [args]\n\n"
		"exo runs its own x86-64 kernel under KVM: an exokernel, L4-style IPC and\n"
		"SPIN-style extensions in one small system you can trace and measure.\n\n"
		"commands:\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nexo COMMAND --help, or exo help COMMAND, documents each command;\n"
		"exo --version names this build.\n");
}

static const struct command *
command_named(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(name, commands[i].name))
			return &commands[i];
	return NULL;
}

/* Run c as the user typed it: argv[0] "exo NAME", so getopt's messages and
 * every usage text name it. */
static int
command_run(const struct command *c, int argc, char **argv)
{
	static char name[64];

	snprintf(name, sizeof(name), "exo %s", c->name);
	argv[0] = name;
	return c->fn(argc, argv);
}

/* exo help COMMAND: the command's own --help, so the two cannot differ. */
static int
help_cmd(const char *name)
{
	const struct command *c = command_named(name);
	char *argv[] = { NULL, "--help", NULL };

	if (!c) {
		fprintf(stderr, "exo help: unknown command '%s'\n\n", name);
		usage(stderr);
		return EXIT_HOST;
	}
	return command_run(c, 2, argv);
}

int
exo_main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		usage(stderr);
		return EXIT_HOST;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("%s\n", exo_version());
		return 0;
	}
	if (!strcmp(argv[1], "help") && argc == 3)
		return help_cmd(argv[2]);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	c = command_named(argv[1]);
	if (c)
		return command_run(c, argc - 1, argv + 1);
	fprintf(stderr, "exo: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_HOST;
}
