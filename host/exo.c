/*
 * exo: the command. One table of subcommands; each parses its own options.
 *
 * Exit status of `exo run`:
 *   0..255  the status of the last program (a program killed by a fault
 *           ends with 128 + the exception vector, as a shell reports signals)
 *   124     the guest ran past --timeout and was stopped
 *   125     the guest crashed: kernel panic, triple fault, KVM error
 *   126     host error: bad arguments or files, no usable /dev/kvm
 *   130     interrupted (SIGINT/SIGTERM)
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <exo/bootinfo.h>

#include "../vmm/vmm.h"

#define EXIT_TIMEOUT     124
#define EXIT_CRASH       125
#define EXIT_HOST        126
#define EXIT_INTERRUPTED 130

#define DEFAULT_MEM      (64ULL << 20)

static char exe_dir[PATH_MAX / 2];

static void
find_exe_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", exe_dir, sizeof(exe_dir) - 1);
	char *slash;

	if (n <= 0) {
		strcpy(exe_dir, ".");
		return;
	}
	exe_dir[n] = '\0';
	slash = strrchr(exe_dir, '/');
	if (slash)
		*slash = '\0';
}

static void
run_usage(FILE *f)
{
	fprintf(f,
"usage: exo run [options] [PROGRAM [ARGS...]] [-- PROGRAM [ARGS...]]...\n"
"\n"
"Boot exo's kernel under KVM and run the programs one after another, each in\n"
"its own address space. PROGRAM is a program built in the tree (see below) or\n"
"a path to a static x86-64 ELF executable; the default is 'hello'.\n"
"\n"
"options:\n"
"  --mem SIZE        guest memory, a multiple of 2M from 4M to 2G (default 64M)\n"
"  --timeout SECS    stop the guest after SECS seconds (default: no limit)\n"
"  --kernel PATH     kernel ELF (default: exo-kernel beside the exo binary)\n"
"  --cmdline STRING  kernel command line: 'verbose', 'ktest' (test hooks),\n"
"                    'timer=oneshot' (LAPIC timer in one-shot mode)\n"
"  --stats           at exit, print VM exits, KVM statistics and the ring-0\n"
"                    instruction count (exact on PVM hosts)\n"
"  --report FILE     write events as JSON lines to FILE (for tools and tests)\n"
"  --input FILE      console input: the guest reads the bytes of FILE ('-':\n"
"                    standard input), with an interrupt when they arrive;\n"
"                    without it nothing reads standard input\n"
"  --kvm PATH        KVM device (default /dev/kvm)\n"
"  --verbose         narrate the boot (also passes 'verbose' to the kernel)\n"
"  -h, --help        this text\n"
"\n"
"exit status: the last program's status (128+vector if a fault killed it);\n"
"124 timeout; 125 guest crash (panic, triple fault, KVM error); 126 host error\n"
"(bad input, no usable KVM); 130 interrupted.\n"
"\n"
"programs built in the tree are in %s/programs\n", exe_dir);
}

/* Sizes: digits with an optional K, M or G (powers of 1024). */
static int
parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'G': case 'g': v <<= 10; /* fall through */
	case 'M': case 'm': v <<= 10; /* fall through */
	case 'K': case 'k': v <<= 10; end++; break;
	}
	if (*end || v > (1ULL << 40))
		return -EINVAL;
	*out = v;
	return 0;
}

/* A program name from the tree, or a path (anything with a '/'). */
static int
resolve_program(struct vmm_program *p, char *arg, char *buf, size_t len)
{
	const char *base;

	if (strchr(arg, '/')) {
		p->path = arg;
	} else {
		snprintf(buf, len, "%s/programs/%s", exe_dir, arg);
		p->path = buf;
		if (access(buf, F_OK) != 0) {
			fprintf(stderr, "exo run: no program '%s' in %s/programs; run "
				"'ls %s/programs' for the list, or give a path to an "
				"ELF file\n", arg, exe_dir, exe_dir);
			return -ENOENT;
		}
	}
	base = strrchr(arg, '/');
	p->name = base ? base + 1 : arg;
	return 0;
}

/* Split argv at "--" into programs with their arguments. */
static int
parse_programs(struct vmm_config *cfg, int argc, char **argv,
	       char paths[][PATH_MAX])
{
	static char *default_argv[] = { "hello", NULL };
	int i = 0;

	if (argc == 0) {
		argc = 1;
		argv = default_argv;
	}
	while (i < argc) {
		int start = i;
		struct vmm_program *p;

		while (i < argc && strcmp(argv[i], "--") != 0)
			i++;
		if (i == start) {
			fprintf(stderr, "exo run: empty program between '--' separators\n");
			return -EINVAL;
		}
		if (cfg->nprogs == EXO_MAX_MODULES) {
			fprintf(stderr, "exo run: more than %d programs\n", EXO_MAX_MODULES);
			return -E2BIG;
		}
		p = &cfg->progs[cfg->nprogs];
		if (resolve_program(p, argv[start], paths[cfg->nprogs], PATH_MAX) < 0)
			return -ENOENT;
		p->argc = i - start;
		p->argv = argv + start;
		argv[i < argc ? i : argc] = NULL;    /* terminate this program's argv */
		cfg->nprogs++;
		i++;
	}
	return 0;
}

enum { OPT_MEM = 256, OPT_TIMEOUT, OPT_KERNEL, OPT_CMDLINE, OPT_STATS,
       OPT_REPORT, OPT_KVM, OPT_VERBOSE, OPT_INPUT };

static const struct option run_options[] = {
	{ "mem", required_argument, 0, OPT_MEM },
	{ "timeout", required_argument, 0, OPT_TIMEOUT },
	{ "kernel", required_argument, 0, OPT_KERNEL },
	{ "cmdline", required_argument, 0, OPT_CMDLINE },
	{ "stats", no_argument, 0, OPT_STATS },
	{ "report", required_argument, 0, OPT_REPORT },
	{ "input", required_argument, 0, OPT_INPUT },
	{ "kvm", required_argument, 0, OPT_KVM },
	{ "verbose", no_argument, 0, OPT_VERBOSE },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

static int
parse_run_option(struct vmm_config *cfg, int opt, const char **report_path,
		 char *cmdline, size_t cmdline_len)
{
	char *end;

	switch (opt) {
	case OPT_MEM:
		if (parse_size(optarg, &cfg->mem_size) < 0) {
			fprintf(stderr, "exo run: --mem '%s' is not a size; write e.g. "
				"64M or 1G\n", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_TIMEOUT:
		errno = 0;
		cfg->timeout = strtod(optarg, &end);
		if (errno || end == optarg || *end || !(cfg->timeout >= 0) ||
		    cfg->timeout > 1e6) {
			fprintf(stderr, "exo run: --timeout '%s' is not a number of seconds "
				"from 0 (no limit) to 1000000\n", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_KERNEL: cfg->kernel_path = optarg; return 0;
	case OPT_CMDLINE:
		snprintf(cmdline, cmdline_len, "%s", optarg);
		return 0;
	case OPT_STATS: cfg->stats = true; return 0;
	case OPT_REPORT: *report_path = optarg; return 0;
	case OPT_INPUT: cfg->input = optarg; return 0;
	case OPT_KVM: cfg->kvm_path = optarg; return 0;
	case OPT_VERBOSE: cfg->verbose = true; return 0;
	case 'h': run_usage(stdout); exit(0);
	}
	run_usage(stderr);
	return -EINVAL;
}

static int
exit_status(const struct vmm_result *res)
{
	switch (res->outcome) {
	case VMM_EXITED: return res->status;
	case VMM_TIMEOUT: return EXIT_TIMEOUT;
	case VMM_CRASHED: return EXIT_CRASH;
	case VMM_INTERRUPTED: return EXIT_INTERRUPTED;
	}
	return EXIT_HOST;
}

static int
cmd_run(int argc, char **argv)
{
	static char paths[EXO_MAX_MODULES][PATH_MAX];
	static char kernel[PATH_MAX], cmdline[1024];
	struct vmm_config cfg = {
		.kvm_path = "/dev/kvm", .mem_size = DEFAULT_MEM, .cmdline = cmdline,
		.console = stdout,
	};
	const char *report_path = NULL;
	struct vmm_result res = { 0 };
	struct diag d = { "" };
	int opt, r;

	snprintf(kernel, sizeof(kernel), "%s/exo-kernel", exe_dir);
	cfg.kernel_path = kernel;
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", run_options, NULL)) != -1)
		if (parse_run_option(&cfg, opt, &report_path, cmdline, sizeof(cmdline)) < 0)
			return EXIT_HOST;
	if (cfg.verbose)
		strncat(cmdline, " verbose", sizeof(cmdline) - strlen(cmdline) - 1);
	if (parse_programs(&cfg, argc - optind, argv + optind, paths) < 0)
		return EXIT_HOST;
	if (report_path) {
		cfg.report = fopen(report_path, "w");
		if (!cfg.report) {
			fprintf(stderr, "exo run: --report %s: cannot create: %s\n",
				report_path, strerror(errno));
			return EXIT_HOST;
		}
	}
	r = vmm_run(&cfg, &res, &d);
	if (r < 0)
		fprintf(stderr, "exo run: %s\n", d.msg);
	if (cfg.report)
		fclose(cfg.report);
	return r < 0 ? EXIT_HOST : exit_status(&res);
}

static const struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "run", cmd_run, "boot the kernel and run programs (exo run --help)" },
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
	fprintf(f, "\nexo COMMAND --help documents each command.\n");
}

int
main(int argc, char **argv)
{
	find_exe_dir();
	if (argc < 2) {
		usage(stderr);
		return EXIT_HOST;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "exo: unknown command '%s'\n\n", argv[1]);
	usage(stderr);
	return EXIT_HOST;
}
