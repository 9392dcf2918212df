/*
 * What the commands that boot a guest (exo run, exo bench) share: exit
 * statuses, where the built files are, and the options that configure a boot.
 */
#ifndef HOST_CLI_H
#define HOST_CLI_H

#include <getopt.h>
#include <limits.h>
#include <stdint.h>

#include "../vmm/vmm.h"

struct symtab;

#define EXIT_TIMEOUT     124
#define EXIT_CRASH       125
#define EXIT_HOST        126
#define EXIT_INTERRUPTED 130

#define DEFAULT_MEM      (64ULL << 20)

/* The directory of the exo binary: exo-kernel and programs/ are there. */
extern char cli_exe_dir[PATH_MAX / 2];
void cli_find_exe_dir(void);

/* Sizes: digits with an optional K, M or G (powers of 1024); -EINVAL, also
 * for a size that does not fit in 64 bits. */
int cli_parse_size(const char *s, uint64_t *out);

/* getopt_long values of the boot options; a command's own start at OPT_CMD. */
enum {
	OPT_MEM = 256, OPT_TIMEOUT, OPT_KERNEL, OPT_CMDLINE, OPT_STATS,
	OPT_REPORT, OPT_KVM, OPT_VERBOSE, OPT_SIGMA0, OPT_INPUT, OPT_CPUS,
	OPT_NO_JAIL, OPT_PLATFORM,
	OPT_GDB,            /* exo run only */
	OPT_GDB_WAIT,
	OPT_CMD = 300,
};

/* The boot options as struct option entries, for a command's table. */
#define CLI_BOOT_OPTIONS \
	{ "mem", required_argument, 0, OPT_MEM }, \
	{ "cpus", required_argument, 0, OPT_CPUS }, \
	{ "timeout", required_argument, 0, OPT_TIMEOUT }, \
	{ "kernel", required_argument, 0, OPT_KERNEL }, \
	{ "sigma0", required_argument, 0, OPT_SIGMA0 }, \
	{ "cmdline", required_argument, 0, OPT_CMDLINE }, \
	{ "stats", no_argument, 0, OPT_STATS }, \
	{ "report", required_argument, 0, OPT_REPORT }, \
	{ "input", required_argument, 0, OPT_INPUT }, \
	{ "kvm", required_argument, 0, OPT_KVM }, \
	{ "verbose", no_argument, 0, OPT_VERBOSE }, \
	{ "no-jail", no_argument, 0, OPT_NO_JAIL }, \
	{ "platform", required_argument, 0, OPT_PLATFORM }

/* A boot's configuration and the storage behind its strings. */
struct cli_boot {
	struct vmm_config cfg;
	char kernel[PATH_MAX];          /* exo-kernel: one CPU */
	char kernel_smp[PATH_MAX];      /* exo-kernel-smp: --cpus 2 and more */
	char sigma0[PATH_MAX];
	char cmdline[1024];
	const char *report_path;
	struct symtab *syms;            /* names in crash and timeout reports */
	struct vmm_namer namer;
	const char *platform;           /* --platform, or NULL: kvm if it opens */
};

/*
 * Append σ0 (--sigma0, default programs/sigma0) to cfg's programs, after the
 * command's own: -E2BIG (no room), -errno (cannot read it; says so).
 */
int cli_add_sigma0(const struct cli_boot *b, struct vmm_config *cfg, const char *cmd);

/* Defaults: /dev/kvm, 64M, 1 CPU, exo-kernel beside exo, console on stdout. */
void cli_boot_init(struct cli_boot *b);

/*
 * Apply boot option opt (with optarg) for command cmd ("exo run"): 0, or
 * -EINVAL after saying what is wrong, or -ENOENT if opt is not a boot option.
 */
int cli_boot_option(struct cli_boot *b, const char *cmd, int opt, const char *arg);
/* Unless --kernel named one: the uniprocessor kernel for one CPU, the SMP
 * kernel for more (guest/CMakeLists.txt builds both). */
void cli_kernel_for_cpus(const struct cli_boot *b, struct vmm_config *cfg);

/* After the options: add "verbose" to the kernel's command line if asked,
 * open --report. -errno after saying why. */
int cli_boot_ready(struct cli_boot *b, const char *cmd);
/* Close --report: 0, or -errno after saying that the report is not whole
 * (a full disk, /dev/full): the command then fails as for trace -o. */
int cli_boot_close(struct cli_boot *b, const char *cmd);

/*
 * A program built in the tree (programs/NAME beside exo) or a path (any
 * name with a '/'): sets p->path (into buf) and p->name. -ENOENT after
 * saying so if a tree program does not exist.
 */
int cli_resolve_program(struct vmm_program *p, const char *cmd, const char *arg,
			char *buf, size_t len);

/*
 * The programs of a command line: argv split at "--" into programs with their
 * arguments (none: hello). paths holds their resolved paths. -errno after
 * saying what is wrong.
 */
int cli_parse_programs(struct vmm_config *cfg, const char *cmd, int argc,
		       char **argv, char paths[][PATH_MAX]);

/* exo run (run_cmd.c). */
int run_cmd(int argc, char **argv);
/* exo COMMAND ...: dispatch to the command (commands.c); argv[0] is "exo".
 * Call cli_find_exe_dir first. */
int exo_main(int argc, char **argv);
/* "exo VERSION", with git describe's name of the tree when the build had one. */
const char *exo_version(void);

/* The exit status of a guest run (see exo.c). */
int cli_exit_status(const struct vmm_result *res);

#endif
