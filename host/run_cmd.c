/* exo run: boot the kernel with programs and run them to the end. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exo/bootinfo.h>

#include "cli.h"

static void
run_usage(FILE *f)
{
	fprintf(f,
"usage: exo run [options] [PROGRAM [ARGS...]] [-- PROGRAM [ARGS...]]...\n"
"\n"
"Boot exo's kernel under KVM and run the programs one after another, each as\n"
"a task of its own (a privileged address space and a first thread), beside\n"
"sigma0, which owns the free memory. PROGRAM is a program built in the tree\n"
"(see below) or a path to a static x86-64 ELF executable; the default is\n"
"'hello'.\n"
"\n"
"options:\n"
"  --mem SIZE        guest memory, a multiple of %lluM from %lluM to %lluM\n"
"                    (default %lluM)\n"
"  --cpus N          vCPUs, 1 to %d (default 1); more than the host has still work\n"
"  --timeout SECS    stop the guest after SECS seconds (default: no limit)\n"
"  --kernel PATH     kernel ELF (default: exo-kernel beside the exo binary,\n"
"                    exo-kernel-smp with --cpus 2 or more)\n"
"  --sigma0 PATH     sigma0 ELF (default: programs/sigma0 beside the exo binary)\n"
"  --cmdline STRING  kernel command line: 'verbose', 'ktest' (test hooks),\n"
"                    'timer=oneshot' (LAPIC timer in one-shot mode)\n"
"  --stats           at exit, print VM exits, KVM statistics and the ring-0\n"
"                    instruction count (exact on PVM hosts)\n"
"  --report FILE     write events as JSON lines to FILE (for tools and tests)\n"
"  --input FILE      console input: the guest reads the bytes of FILE ('-':\n"
"                    standard input), with an interrupt when they arrive;\n"
"                    without it nothing reads standard input\n"
"  --kvm PATH        KVM device (default /dev/kvm)\n"
"  --platform P      kvm: the kernel in a KVM guest; hosted: the kernel in\n"
"                    this process, each address space a process of exo-stub\n"
"                    (no /dev/kvm needed; 1 to 4 CPUs); ptrace: hosted with\n"
"                    its crossings by ptrace, for hosts that refuse seccomp\n"
"                    filters. Default: kvm, or hosted where there is no\n"
"                    /dev/kvm (said on stderr)\n"
"  --verbose         narrate the boot (also passes 'verbose' to the kernel)\n"
"  --no-jail         run the VMM's threads without their seccomp filter\n"
"                    (for debugging: docs/architecture.md, \"The jail\")\n"
"  --gdb [HOST:]PORT serve GDB's remote protocol on PORT (HOST: default\n"
"                    127.0.0.1; PORT 0: any free port, exo says which);\n"
"                    --timeout counts only the time the guest runs\n"
"  --gdb-wait        with --gdb: stop before the kernel's first instruction\n"
"                    until gdb continues (docs/debugging.md)\n"
"  --step-boot       single-step vCPU 0 from the kernel's first instruction to\n"
"                    the first user instruction: the boot's ring-0 instructions,\n"
"                    exactly, and the functions that took most (slow: a VM exit\n"
"                    per instruction)\n"
"  -h, --help        this text\n"
"\n"
"exit status: the last program's status (128+vector if a fault killed it,\n"
"124 if all its threads blocked for ever); 124 timeout; 125 guest crash (panic, triple fault, KVM error); 126 host error\n"
"(bad input, no usable KVM); 130 interrupted.\n"
"\n"
"programs built in the tree are in %s/programs\n", VMM_MEM_ALIGN >> 20,
	VMM_MEM_MIN >> 20, VMM_MEM_MAX >> 20, DEFAULT_MEM >> 20, EXO_MAX_CPUS, cli_exe_dir);
}

enum { OPT_STEP_BOOT = OPT_CMD };

static const struct option run_options[] = {
	CLI_BOOT_OPTIONS,
	{ "step-boot", no_argument, 0, OPT_STEP_BOOT },
	{ "gdb", required_argument, 0, OPT_GDB },
	{ "gdb-wait", no_argument, 0, OPT_GDB_WAIT },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

int
run_cmd(int argc, char **argv)
{
	static char paths[EXO_MAX_MODULES][PATH_MAX];
	static struct cli_boot b;
	struct vmm_result res = { 0 };
	struct diag d = { "" };
	int opt, r, status;

	cli_boot_init(&b);
	optind = 1;
	while ((opt = getopt_long(argc, argv, "+h", run_options, NULL)) != -1) {
		if (opt == 'h') {
			run_usage(stdout);
			return 0;
		}
		if (opt == OPT_STEP_BOOT) {
			b.cfg.step_boot = true;
			continue;
		}
		if (opt == OPT_GDB || opt == OPT_GDB_WAIT) {
			b.cfg.gdb = opt == OPT_GDB ? optarg : b.cfg.gdb;
			b.cfg.gdb_wait |= opt == OPT_GDB_WAIT;
			continue;
		}
		r = cli_boot_option(&b, "exo run", opt, optarg);
		if (r == -ENOENT)
			run_usage(stderr);
		if (r < 0)
			return EXIT_HOST;
	}
	if (b.cfg.gdb_wait && !b.cfg.gdb) {
		fprintf(stderr, "exo run: --gdb-wait waits for a debugger: give --gdb "
			"[HOST:]PORT too, e.g. --gdb 1234 --gdb-wait\n");
		return EXIT_HOST;
	}
	if (b.cfg.step_boot && b.cfg.gdb) {
		fprintf(stderr, "exo run: --step-boot and --gdb both drive the vCPU's "
			"debug controls: give one of them\n");
		return EXIT_HOST;
	}
	if (cli_parse_programs(&b.cfg, "exo run", argc - optind, argv + optind, paths) < 0 ||
	    cli_add_sigma0(&b, &b.cfg, "exo run") < 0)
		return EXIT_HOST;
	if (cli_boot_ready(&b, "exo run") < 0)
		return EXIT_HOST;
	r = vmm_run(&b.cfg, &res, &d);
	if (r < 0)
		fprintf(stderr, "exo run: %s\n", d.msg);
	status = r < 0 ? EXIT_HOST : cli_exit_status(&res);
	if (cli_boot_close(&b, "exo run") < 0 && status == 0)
		status = EXIT_HOST;
	return status;
}

