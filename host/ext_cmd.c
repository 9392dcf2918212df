/*
 * exo ext: extensions on the host. `exo ext verify FILE.o` runs the
 * kernel's checker (guest/ebpf/, built for the host as exo_ebpf_host) on
 * every program of an object, or those of one section, and says "accepted"
 * or where and why not.
 *
 * Exit status: 0 every program accepted; 1 a program rejected; 126 the
 * command could not check (bad arguments, unreadable or non-eBPF object).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ext_obj.h"
#include "guest/ebpf/verify.h"

#define EXIT_REJECTED 1

static void
ext_usage(FILE *f)
{
	fprintf(f,
"usage: exo ext verify [--section S] FILE.o\n"
"\n"
"Check the eBPF programs of FILE.o (compiled with clang -target bpf -O2 -c)\n"
"with the kernel's checker, for the program type their section names:\n"
"event/E is a handler of event E, guard/E its guard; E is one of syscall,\n"
"pagefault, thread, ipc, irq, timer, packet. Prints, per program,\n"
"'SECTION NAME: accepted' or the first violation: instruction index, rule\n"
"and why.\n"
"\n"
"options:\n"
"  --section S   only the programs of section S\n"
"  -h, --help    this text\n"
"\n"
"exit status: 0 all accepted, 1 a program rejected, 126 the object could not\n"
"be read (the message says why).\n");
}

/* Print one instruction as the checker saw it, for the rejection message. */
static void
print_insn(const struct bpf_insn *in)
{
	printf("    insn: code 0x%02x dst r%d src r%d off %d imm %d\n", in->code,
	       BPF_DST(in), BPF_SRC(in), in->off, in->imm);
}

static int
verify_one(const char *path, const struct ext_obj_prog *p, void *work)
{
	const struct ext_prog_type *t = verify_type_by_section(p->section);
	struct ext_verify_error e;

	if (!t) {
		printf("%s: %s %s: rejected: section '%s' is no event; use "
		       "event/E or guard/E with E one of syscall, pagefault, thread, "
		       "ipc, irq, timer, packet\n", path, p->section, p->name, p->section);
		return EXIT_REJECTED;
	}
	if (verify_program(p->insns, p->n, t, ~0ull, work, &e) == 0) {
		printf("%s %s: accepted (%u instructions)\n", p->section, p->name, p->n);
		return 0;
	}
	printf("%s: %s %s: rejected at instruction %u: %s: %s\n", path, p->section,
	       p->name, e.insn, verify_rule_name(e.rule), e.msg);
	if (e.insn < p->n)
		print_insn(&p->insns[e.insn]);
	return EXIT_REJECTED;
}

static int
ext_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "section", required_argument, 0, 's' },
		{ "help", no_argument, 0, 'h' },
		{ 0 },
	};
	const char *section = NULL;
	static struct ext_obj o;
	char err[512];
	void *work;
	int opt, status = 0, found = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (opt == 'h') {
			ext_usage(stdout);
			return 0;
		}
		if (opt != 's') {
			ext_usage(stderr);
			return EXIT_HOST;
		}
		section = optarg;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "exo ext verify: give one object file\n\n");
		ext_usage(stderr);
		return EXIT_HOST;
	}
	if (ext_obj_read(argv[optind], &o, err, sizeof(err)) < 0) {
		fprintf(stderr, "exo ext verify: %s\n", err);
		return EXIT_HOST;
	}
	work = malloc(verify_work_size());
	if (!work) {
		fprintf(stderr, "exo ext verify: out of memory for the checker\n");
		ext_obj_free(&o);
		return EXIT_HOST;
	}
	for (unsigned i = 0; i < o.nprogs; i++) {
		if (section && strcmp(section, o.progs[i].section))
			continue;
		found++;
		if (verify_one(argv[optind], &o.progs[i], work))
			status = EXIT_REJECTED;
	}
	if (!found) {
		fprintf(stderr, "exo ext verify: %s has no section '%s'\n", argv[optind],
			section);
		status = EXIT_HOST;
	}
	free(work);
	ext_obj_free(&o);
	return status;
}

int
ext_cmd(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		ext_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_HOST : 0;
	}
	if (!strcmp(argv[1], "verify"))
		return ext_verify(argc - 1, argv + 1);
	fprintf(stderr, "exo ext: unknown subcommand '%s'\n\n", argv[1]);
	ext_usage(stderr);
	return EXIT_HOST;
}
