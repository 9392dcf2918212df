/*
 * exo trace and exo stat: boot with tracing on (the kernel's "trace"
 * option), collect the rings through the VMM, and write a Chrome trace or a
 * summary (trace.h).
 */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "symbols.h"
#include "trace.h"

enum { OPT_OUTPUT = OPT_CMD, OPT_JSON };

static const struct option trace_options[] = {
	CLI_BOOT_OPTIONS,
	{ "output", required_argument, 0, OPT_OUTPUT },
	{ "json", required_argument, 0, OPT_JSON },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

static void
trace_usage(FILE *f, bool stat)
{
	if (stat)
		fprintf(f,
"usage: exo stat [options] [--json FILE] [PROGRAM [ARGS...]] [-- PROGRAM...]...\n"
"\n"
"Run the programs as exo run does, with the kernel's trace points on, and\n"
"print (on stderr) every crossing of the kernel boundary by kind with its\n"
"count and min/median/p99 TSC cycles, page faults by resolution, TLB\n"
"shootdowns, VM exits by reason and device, and the ring-0 instruction count\n"
"of the whole run (exact on PVM hosts). The guest console stays on stdout.\n"
"\n"
"  --json FILE       also write the summary as JSON (schema in docs/tracing.md)\n");
	else
		fprintf(f,
"usage: exo trace [options] [-o FILE] [PROGRAM [ARGS...]] [-- PROGRAM...]...\n"
"\n"
"Run the programs as exo run does, with the kernel's trace points on, and\n"
"write every record as a Chrome trace-event JSON file that ui.perfetto.dev\n"
"and chrome://tracing open: time in the kernel per vCPU, user time per\n"
"thread, faults, IPC and switches as instants, the VMM's exits and the trace\n"
"rings' occupancy and losses.\n"
"\n"
"  -o, --output FILE where to write it (default exo-trace.json)\n");
	fprintf(f,
"  --mem, --cpus, --timeout, --kernel, --sigma0, --cmdline, --stats,\n"
"  --report, --input, --kvm, --platform, --verbose, --no-jail\n"
"                    as for exo run\n"
"  -h, --help        this text\n"
"\n"
"exit status: as exo run (the last program's status; 124 timeout; 125 guest\n"
"crash; 126 host error, also when the output cannot be written; 130\n"
"interrupted).\n");
}

struct trace_args {
	struct cli_boot boot;
	const char *output, *json;
	bool stat;
};

/* -1: go on; else the exit status. */
static int
trace_parse(struct trace_args *a, const char *cmd, int argc, char **argv,
	    char paths[][PATH_MAX])
{
	int opt, r;

	cli_boot_init(&a->boot);
	optind = 1;
	while ((opt = getopt_long(argc, argv, a->stat ? "+h" : "+ho:", trace_options,
				  NULL)) != -1) {
		switch (opt) {
		case 'h':
			trace_usage(stdout, a->stat);
			return 0;
		case 'o':
		case OPT_OUTPUT:
			if (a->stat)
				break;
			a->output = optarg;
			continue;
		case OPT_JSON:
			if (!a->stat)
				break;
			a->json = optarg;
			continue;
		default:
			r = cli_boot_option(&a->boot, cmd, opt, optarg);
			if (r == 0)
				continue;
			if (r == -ENOENT)
				trace_usage(stderr, a->stat);
			return EXIT_HOST;
		}
		fprintf(stderr, "%s: unknown option; see %s --help\n", cmd, cmd);
		return EXIT_HOST;
	}
	if (cli_parse_programs(&a->boot.cfg, cmd, argc - optind, argv + optind, paths) < 0)
		return EXIT_HOST;
	if (cli_add_sigma0(&a->boot, &a->boot.cfg, cmd) < 0 ||
	    cli_boot_ready(&a->boot, cmd) < 0)
		return EXIT_HOST;
	strncat(a->boot.cmdline, " trace",
		sizeof(a->boot.cmdline) - strlen(a->boot.cmdline) - 1);
	return -1;
}

/* syms: the boot's (cli_boot_ready loaded them), names for instruction pointers. */
static int
trace_write_file(const char *path, const struct trace_log *l,
		 const struct vmm_result *res, const struct symtab *syms)
{
	FILE *f = fopen(path, "w");
	int r;

	if (!f) {
		fprintf(stderr, "exo trace: -o %s: cannot create: %s\n", path,
			strerror(errno));
		return -errno;
	}
	r = trace_chrome_write(f, l, res->tsc_khz, syms, exo_platform_name(res->platform));
	if (fclose(f) != 0 || r < 0) {
		fprintf(stderr, "exo trace: -o %s: could not write it whole\n", path);
		r = -EIO;
	}
	if (r == 0)
		fprintf(stderr, "exo trace: %zu records (%llu lost), %zu VM exits -> %s; "
			"open it in ui.perfetto.dev\n", l->nev,
			(unsigned long long)l->dropped, l->nexit, path);
	return r;
}

static int
trace_stat_write(const char *json, const struct trace_log *l,
		 const struct vmm_result *res)
{
	struct trace_stat s;
	FILE *f;
	int r = 0;

	trace_stat_compute(l, &s);
	trace_stat_print(stderr, &s, res);
	if (json) {
		f = fopen(json, "w");
		if (!f) {
			fprintf(stderr, "exo stat: --json %s: cannot create: %s\n", json,
				strerror(errno));
			r = -EIO;
		} else if (trace_stat_json(f, &s, res) < 0 || fclose(f) != 0) {
			fprintf(stderr, "exo stat: --json %s: could not write it whole\n",
				json);
			r = -EIO;
		}
	}
	trace_stat_free(&s);
	return r;
}

static int
trace_main(int argc, char **argv, bool stat)
{
	static char paths[EXO_MAX_MODULES][PATH_MAX];
	static struct trace_args a;
	const char *cmd = stat ? "exo stat" : "exo trace";
	struct vmm_result res = { 0 };
	struct vmm_trace_sink sink;
	struct trace_log log;
	struct diag d = { "" };
	int r, status;

	memset(&a, 0, sizeof(a));
	a.stat = stat;
	a.output = "exo-trace.json";
	r = trace_parse(&a, cmd, argc, argv, paths);
	if (r >= 0)
		return r;
	trace_log_init(&log);
	sink = trace_log_sink(&log);
	a.boot.cfg.trace = &sink;
	a.boot.cfg.insn_sample = stat;  /* exact ring-0 instructions per crossing */
	r = vmm_run(&a.boot.cfg, &res, &d);
	if (r < 0) {
		fprintf(stderr, "%s: %s\n", cmd, d.msg);
		status = EXIT_HOST;
		goto out;
	}
	fflush(stdout);
	status = cli_exit_status(&res);
	trace_log_insns(&log, &res);
	if (log.oom)
		fprintf(stderr, "%s: out of memory: some records were not kept\n", cmd);
	if (!log.nev)
		fprintf(stderr, "%s: the kernel wrote no trace records (did it boot "
			"far enough to announce its ring?)\n", cmd);
	r = stat ? trace_stat_write(a.json, &log, &res) :
		   trace_write_file(a.output, &log, &res, a.boot.syms);
	if (r < 0 && status == 0)
		status = EXIT_HOST;
out:
	trace_log_free(&log);
	if (cli_boot_close(&a.boot, cmd) < 0 && status == 0)
		status = EXIT_HOST;
	return status;
}

int
trace_cmd(int argc, char **argv)
{
	return trace_main(argc, argv, false);
}

int
stat_cmd(int argc, char **argv)
{
	return trace_main(argc, argv, true);
}
