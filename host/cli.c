/* Shared by the commands that boot a guest: see cli.h. */
#define _GNU_SOURCE            /* dl_iterate_phdr */
#include "cli.h"
#include "symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char cli_exe_dir[PATH_MAX / 2];

void
cli_find_exe_dir(void)
{
	ssize_t n = readlink("/proc/self/exe", cli_exe_dir, sizeof(cli_exe_dir) - 1);
	char *slash;

	if (n <= 0) {
		strcpy(cli_exe_dir, ".");
		return;
	}
	cli_exe_dir[n] = '\0';
	slash = strrchr(cli_exe_dir, '/');
	if (slash)
		*slash = '\0';
}

int
cli_parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	unsigned shift = 0;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s < '0' || *s > '9')
		return -EINVAL;
	switch (*end) {
	case 'G': case 'g': shift = 30; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'K': case 'k': shift = 10; end++; break;
	}
	/* A size that does not fit in 64 bits must not wrap into a small one. */
	if (*end || v > (~0ULL >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

void
cli_boot_init(struct cli_boot *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->kernel, sizeof(b->kernel), "%s/exo-kernel", cli_exe_dir);
	snprintf(b->kernel_smp, sizeof(b->kernel_smp), "%s/exo-kernel-smp", cli_exe_dir);
	snprintf(b->sigma0, sizeof(b->sigma0), "%s/programs/sigma0", cli_exe_dir);
	b->cfg = (struct vmm_config){
		.kvm_path = "/dev/kvm", .kernel_path = b->kernel,
		.mem_size = DEFAULT_MEM, .ncpus = 1, .cmdline = b->cmdline,
		.console = stdout,
	};
}

void
cli_kernel_for_cpus(const struct cli_boot *b, struct vmm_config *cfg)
{
	if (cfg->kernel_path == b->kernel || cfg->kernel_path == b->kernel_smp)
		cfg->kernel_path = cfg->ncpus > 1 ? b->kernel_smp : b->kernel;
}

int
cli_boot_option(struct cli_boot *b, const char *cmd, int opt, const char *arg)
{
	struct vmm_config *cfg = &b->cfg;
	char *end;

	switch (opt) {
	case OPT_MEM: {
		struct diag d;

		if (cli_parse_size(arg, &cfg->mem_size) < 0) {
			fprintf(stderr, "%s: --mem '%s' is not a size; write e.g. "
				"64M or 1G\n", cmd, arg);
			return -EINVAL;
		}
		/* Here, before any file is read or the VM made. */
		if (vmm_mem_check(cfg->mem_size, &d) < 0) {
			fprintf(stderr, "%s: --mem '%s': %s\n", cmd, arg, d.msg);
			return -EINVAL;
		}
		return 0;
	}
	case OPT_CPUS: {
		unsigned long n;

		errno = 0;
		n = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || n < 1 || n > EXO_MAX_CPUS) {
			fprintf(stderr, "%s: --cpus '%s' is not a number of vCPUs from 1 "
				"to %d\n", cmd, arg, EXO_MAX_CPUS);
			return -EINVAL;
		}
		cfg->ncpus = (unsigned)n;
		cli_kernel_for_cpus(b, cfg);
		return 0;
	}
	case OPT_TIMEOUT:
		errno = 0;
		cfg->timeout = strtod(arg, &end);
		if (errno || end == arg || *end || !(cfg->timeout >= 0) ||
		    cfg->timeout > 1e6) {
			fprintf(stderr, "%s: --timeout '%s' is not a number of seconds "
				"from 0 (no limit) to 1000000\n", cmd, arg);
			return -EINVAL;
		}
		return 0;
	case OPT_KERNEL: cfg->kernel_path = arg; return 0;
	case OPT_SIGMA0:
		snprintf(b->sigma0, sizeof(b->sigma0), "%s", arg);
		return 0;
	case OPT_CMDLINE:
		snprintf(b->cmdline, sizeof(b->cmdline), "%s", arg);
		return 0;
	case OPT_STATS: cfg->stats = true; return 0;
	case OPT_REPORT: b->report_path = arg; return 0;
	case OPT_KVM: cfg->kvm_path = arg; return 0;
	case OPT_INPUT: cfg->input = arg; return 0;
	case OPT_VERBOSE: cfg->verbose = true; return 0;
	case OPT_NO_JAIL: cfg->no_jail = true; return 0;
	case OPT_PLATFORM:
		if (strcmp(arg, "kvm") && strcmp(arg, "hosted") && strcmp(arg, "ptrace")) {
			fprintf(stderr, "%s: --platform '%s': write kvm (exo's kernel in a "
				"KVM guest), hosted (in the exo process, no /dev/kvm) or "
				"ptrace (hosted, for hosts that refuse seccomp filters)\n",
				cmd, arg);
			return -EINVAL;
		}
		b->platform = arg;
		return 0;
	}
	return -ENOENT;
}

/*
 * σ0 goes last, after the command's programs, so their report indexes stay
 * theirs; the kernel starts it first.
 */
int
cli_add_sigma0(const struct cli_boot *b, struct vmm_config *cfg, const char *cmd)
{
	static char *argv[] = { "sigma0", NULL };

	if (cfg->nprogs == EXO_MAX_MODULES) {
		fprintf(stderr, "%s: more than %d programs with sigma0\n", cmd,
			EXO_MAX_MODULES - 1);
		return -E2BIG;
	}
	if (access(b->sigma0, R_OK) != 0) {
		int err = errno;

		fprintf(stderr, "%s: sigma0 %s: %s; build the tree (make) or give "
			"--sigma0 FILE\n", cmd, b->sigma0, strerror(err));
		return -err;
	}
	cfg->progs[cfg->nprogs++] = (struct vmm_program){
		.path = b->sigma0, .name = "sigma0", .argc = 1, .argv = argv,
		.sigma0 = true,
	};
	return 0;
}

static int
first_object(struct dl_phdr_info *info, size_t size, void *bias)
{
	(void)size;
	*(uint64_t *)bias = info->dlpi_addr;
	return 1;               /* the first object is the program itself */
}

/* How far above its link addresses exo itself was loaded (a PIE). */
static uint64_t
cli_load_bias(void)
{
	uint64_t bias = 0;

	dl_iterate_phdr(first_object, &bias);
	return bias;
}

static bool
cli_namer(const void *ctx, uint64_t addr, char *buf, size_t len)
{
	char line[96];
	bool named = symtab_name(ctx, addr, buf, len);
	size_t n = strlen(buf);

	if (named && symtab_line(ctx, addr, line, sizeof(line)) && n + 4 < len)
		snprintf(buf + n, len - n, " (%s)", line);
	return named;
}

/* The kernel's and the programs' function symbols, loaded now: the vCPU
 * threads that name addresses open no files. Without them, numbers. */
static void
cli_load_symbols(struct cli_boot *b)
{
	char warm[8];

	if (symtab_new(&b->syms) < 0)
		return;
	if (exo_platform_in_process(b->cfg.platform)) {
		/* The kernel core is compiled into exo there: its code runs at
		 * exo's own addresses (names only: srclines takes no bias). */
		symtab_add_file_at(b->syms, "/proc/self/exe", "kernel", cli_load_bias());
	} else {
		symtab_add_file(b->syms, b->cfg.kernel_path, "kernel");
		/* Lines for the kernel only: its addresses are its own, while
		 * the programs' overlap and one table could name another's. */
		symtab_add_lines(b->syms, b->cfg.kernel_path);
	}
	for (unsigned i = 0; i < b->cfg.nprogs; i++)
		symtab_add_file(b->syms, b->cfg.progs[i].path, b->cfg.progs[i].name);
	symtab_name(b->syms, 0, warm, sizeof(warm));       /* sorts it, here */
	b->namer = (struct vmm_namer){ .name = cli_namer, .ctx = b->syms };
	b->cfg.namer = &b->namer;
}

/*
 * --platform, or kvm where the KVM device is and hosted where there is
 * none. The hosted platform is said in one line (the kvm path prints as
 * before). A device that is there but refuses (permissions), or one named
 * with --kvm, stays kvm: its error says what to fix.
 */
static void
cli_choose_platform(struct cli_boot *b, const char *cmd)
{
	int fd;

	if (b->platform) {
		b->cfg.platform = !strcmp(b->platform, "hosted") ? EXO_PLATFORM_HOSTED :
				  !strcmp(b->platform, "ptrace") ? EXO_PLATFORM_PTRACE : 0;
		if (b->cfg.platform)
			fprintf(stderr, "%s: platform %s (--platform %s)\n", cmd,
				b->platform, b->platform);
		return;
	}
	if (strcmp(b->cfg.kvm_path, "/dev/kvm"))
		return;
	fd = open(b->cfg.kvm_path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		close(fd);
	if (fd >= 0 || (errno != ENOENT && errno != ENODEV && errno != ENXIO))
		return;
	fprintf(stderr, "%s: platform hosted (%s: %s; --platform kvm to insist)\n",
		cmd, b->cfg.kvm_path, strerror(errno));
	b->cfg.platform = EXO_PLATFORM_HOSTED;
}

int
cli_boot_ready(struct cli_boot *b, const char *cmd)
{
	cli_choose_platform(b, cmd);
	cli_load_symbols(b);
	if (b->cfg.verbose)
		strncat(b->cmdline, " verbose", sizeof(b->cmdline) - strlen(b->cmdline) - 1);
	if (b->report_path) {
		b->cfg.report = fopen(b->report_path, "w");
		if (!b->cfg.report) {
			int err = errno;

			fprintf(stderr, "%s: --report %s: cannot create: %s\n", cmd,
				b->report_path, strerror(err));
			return -err;
		}
	}
	return 0;
}

int
cli_boot_close(struct cli_boot *b, const char *cmd)
{
	FILE *f = b->cfg.report;
	int err = 0;

	b->cfg.namer = NULL;
	symtab_free(b->syms);
	b->syms = NULL;
	if (!f)
		return 0;
	b->cfg.report = NULL;
	/* A write that failed earlier leaves only the error flag, not errno. */
	if (fflush(f) != 0)
		err = errno;
	if (ferror(f) && !err)
		err = EIO;
	if (fclose(f) != 0 && !err)
		err = errno;
	if (!err)
		return 0;
	fprintf(stderr, "%s: --report %s: could not write it whole: %s; give a file "
		"on a disk with room\n", cmd, b->report_path,
		err == EIO ? "a write failed" : strerror(err));
	return -err;
}

int
cli_resolve_program(struct vmm_program *p, const char *cmd, const char *arg,
		    char *buf, size_t len)
{
	const char *base;

	if (strchr(arg, '/')) {
		p->path = arg;
	} else {
		snprintf(buf, len, "%s/programs/%s", cli_exe_dir, arg);
		p->path = buf;
		if (access(buf, F_OK) != 0) {
			fprintf(stderr, "%s: no program '%s' in %s/programs; run "
				"'ls %s/programs' for the list, or give a path to an "
				"ELF file\n", cmd, arg, cli_exe_dir, cli_exe_dir);
			return -ENOENT;
		}
	}
	base = strrchr(arg, '/');
	p->name = base ? base + 1 : arg;
	return 0;
}

int
cli_exit_status(const struct vmm_result *res)
{
	switch (res->outcome) {
	case VMM_EXITED: return res->status;
	case VMM_TIMEOUT: return EXIT_TIMEOUT;
	case VMM_CRASHED: return EXIT_CRASH;
	case VMM_INTERRUPTED: return EXIT_INTERRUPTED;
	}
	return EXIT_HOST;
}

/* Split argv at "--" into programs with their arguments. */
int
cli_parse_programs(struct vmm_config *cfg, const char *cmd, int argc, char **argv,
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
			fprintf(stderr, "%s: empty program between '--' separators\n", cmd);
			return -EINVAL;
		}
		if (cfg->nprogs == EXO_MAX_MODULES) {
			fprintf(stderr, "%s: more than %d programs\n", cmd, EXO_MAX_MODULES);
			return -E2BIG;
		}
		p = &cfg->progs[cfg->nprogs];
		if (cli_resolve_program(p, cmd, argv[start], paths[cfg->nprogs],
					PATH_MAX) < 0)
			return -ENOENT;
		p->argc = i - start;
		p->argv = argv + start;
		argv[i < argc ? i : argc] = NULL;    /* terminate this program's argv */
		cfg->nprogs++;
		i++;
	}
	return 0;
}
