/*
 * `exo ext verify|dump|run`: see ext_cmd.h.
 *
 * Exit status: 0 every program accepted (verify), dumped, or run; 1 a
 * program rejected by the checker (verify, run); 126 the command could not
 * do its work (bad arguments, an unreadable or non-eBPF object, a helper
 * the host lacks).
 */
#include "ext_cmd.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "../guest/ebpf/verify.h"
#include "cli.h"
#include "ext_dump.h"
#include "ext_obj.h"
#include "ext_run.h"

#define EXIT_REJECTED 1
#define CHECK_MSG 320

static void
ext_usage(FILE *f)
{
	fprintf(f,
"usage: exo ext verify FILE.o [--section S] [--name F]\n"
"       exo ext dump FILE.o [--section S] [--name F]\n"
"       exo ext run FILE.o [--section S] [--name F] --ctx FILE [--repeat N]\n"
"\n"
"Extensions are restricted C compiled with clang -target bpf -O2 -c: each\n"
"function in a section event/E is a handler of event E, in guard/E its guard;\n"
"E is one of syscall, pagefault, thread, ipc, irq, timer, packet.\n"
"\n"
"  verify  check every program with the kernel's checker: 'SECTION NAME:\n"
"          accepted' or the first violation (instruction, rule, why)\n"
"  dump    each eBPF instruction, the number of x86-64 instructions the\n"
"          compiler makes of it and their bytes\n"
"  run     check one program for its event as the kernel does, refuse it if\n"
"          rejected, else run it compiled on the host with r1 pointing to the\n"
"          context and print r0, the bytes it changed and what its helpers\n"
"          did; the interpreter runs it too and must agree. ext_ktime reads\n"
"          the host clock, ext_trace prints, ext_counter_add and ext_store\n"
"          act on counters and slots of this run (printed after);\n"
"          ext_page_protect, ext_dirty_mark and ext_self need the kernel\n"
"\n"
"options:\n"
"  --section S   only the programs of section S\n"
"  --name F      only the program (function) F\n"
"  --ctx FILE    run: the context's bytes, at most the event's context size\n"
"                (padded with zeros to it); for packet events, the packet's\n"
"                bytes (at most 65535), which data and data_end then bound\n"
"  --repeat N    run: also time N runs of each, interpreted and compiled\n"
"  -h, --help    this text\n"
"\n"
"exit status: 0 done (all accepted); 1 a program rejected; 126 the command\n"
"could not do its work (the message says why).\n");
}

enum { OPT_SECTION = OPT_CMD, OPT_NAME, OPT_CTX, OPT_REPEAT };

static const struct option ext_options[] = {
	{ "section", required_argument, 0, OPT_SECTION },
	{ "name", required_argument, 0, OPT_NAME },
	{ "ctx", required_argument, 0, OPT_CTX },
	{ "repeat", required_argument, 0, OPT_REPEAT },
	{ "help", no_argument, 0, 'h' },
	{ 0 },
};

struct ext_args {
	const char *verb, *file, *section, *name, *ctx;
	unsigned repeat;
};

static int
parse_repeat(const char *s, unsigned *repeat)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (*end || !*s || v > 100000000) {
		fprintf(stderr, "exo ext: --repeat '%s' is not a count up to 100000000\n", s);
		return -EINVAL;
	}
	*repeat = (unsigned)v;
	return 0;
}

/* 1: help printed; 0: parsed; negative: a usage error, said. */
static int
ext_parse(int argc, char **argv, struct ext_args *a)
{
	int opt;

	a->verb = argv[0];
	optind = 1;
	while ((opt = getopt_long(argc, argv, "h", ext_options, NULL)) != -1) {
		switch (opt) {
		case 'h': ext_usage(stdout); return 1;
		case OPT_SECTION: a->section = optarg; break;
		case OPT_NAME: a->name = optarg; break;
		case OPT_CTX: a->ctx = optarg; break;
		case OPT_REPEAT:
			if (parse_repeat(optarg, &a->repeat) < 0)
				return -EINVAL;
			break;
		default: ext_usage(stderr); return -EINVAL;
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "exo ext %s: name one object file\n\n", a->verb);
		ext_usage(stderr);
		return -EINVAL;
	}
	if (strcmp(a->verb, "run") && (a->ctx || a->repeat)) {
		fprintf(stderr, "exo ext %s: --ctx and --repeat go with 'run'\n", a->verb);
		return -EINVAL;
	}
	a->file = argv[optind];
	return 0;
}

/*
 * The kernel's verdict on p, for the program type its section names: 0
 * accepted, else EXIT_REJECTED; msg says which and, on acceptance or a
 * complexity rejection, how many instructions the checker walked. The
 * walk goes up to the host's budget so that a program beyond the kernel's
 * is told by how much.
 */
static int
check_prog(const struct ext_obj_prog *p, void *work, char *msg, size_t len)
{
	const struct ext_prog_type *t = verify_type_by_section(p->section);
	u32 budget = verify_kernel_budget(p->n), walked;
	struct ext_verify_error e;
	int n;

	if (!t) {
		snprintf(msg, len, "%s %s: rejected: section '%s' is no event; use event/E "
			 "or guard/E with E one of syscall, pagefault, thread, ipc, irq, "
			 "timer, packet", p->section, p->name, p->section);
		return EXIT_REJECTED;
	}
	if (verify_program(p->insns, p->n, t, ~0ull, EXT_HOST_STEPS, work, &e) == 0) {
		walked = verify_steps(work);
		if (walked <= budget) {
			snprintf(msg, len, "%s %s: accepted (%u instructions, %u walked; the "
				 "kernel allows %u)", p->section, p->name, p->n, walked, budget);
			return 0;
		}
		snprintf(msg, len, "%s %s: rejected: complexity: %u instructions walked over "
			 "all paths, more than the kernel's budget of %u for %u instructions "
			 "(%u each, at most %u): fewer branches or shorter loops", p->section,
			 p->name, walked, budget, p->n, EXT_STEPS_PER_INSN, EXT_KERNEL_STEPS);
		return EXIT_REJECTED;
	}
	n = snprintf(msg, len, "%s %s: rejected at instruction %u: %s: %s", p->section,
		     p->name, e.insn, verify_rule_name(e.rule), e.msg);
	if (e.insn < p->n && n > 0 && (size_t)n < len) {
		const struct bpf_insn *in = &p->insns[e.insn];

		snprintf(msg + n, len - (size_t)n, "\n    insn: code 0x%02x dst r%d src r%d "
			 "off %d imm %d", in->code, BPF_DST(in), BPF_SRC(in), in->off, in->imm);
	}
	return EXIT_REJECTED;
}

static bool
selected(const struct ext_args *a, const struct ext_obj_prog *p)
{
	return (!a->section || !strcmp(a->section, p->section)) &&
	       (!a->name || !strcmp(a->name, p->name));
}

/* Read the object and make sure the selection names a program of it. */
static int
open_obj(const struct ext_args *a, struct ext_obj *o)
{
	char err[512];
	unsigned found = 0;

	if (ext_obj_read(a->file, o, err, sizeof(err)) < 0) {
		fprintf(stderr, "exo ext %s: %s\n", a->verb, err);
		return -EINVAL;
	}
	for (unsigned i = 0; i < o->nprogs; i++)
		found += selected(a, &o->progs[i]);
	if (!found) {
		ext_obj_find(o, a->section, a->name, err, sizeof(err));
		fprintf(stderr, "exo ext %s: %s\n", a->verb, err);
		ext_obj_free(o);
		return -ENOENT;
	}
	return 0;
}

static int
cmd_verify(const struct ext_args *a, struct ext_obj *o)
{
	char msg[CHECK_MSG];
	void *work = malloc(verify_work_size());
	int status = 0;

	if (!work) {
		fprintf(stderr, "exo ext verify: out of memory for the checker\n");
		return EXIT_HOST;
	}
	for (unsigned i = 0; i < o->nprogs; i++) {
		const struct ext_obj_prog *p = &o->progs[i];

		if (!selected(a, p))
			continue;
		if (check_prog(p, work, msg, sizeof(msg)) == 0) {
			printf("%s\n", msg);
			continue;
		}
		printf("%s: %s\n", a->file, msg);
		status = EXIT_REJECTED;
	}
	free(work);
	return status;
}

static int
cmd_dump(const struct ext_args *a, struct ext_obj *o)
{
	for (unsigned i = 0; i < o->nprogs; i++)
		if (selected(a, &o->progs[i]) && ext_dump_prog(stdout, a->file, &o->progs[i]) < 0)
			return EXIT_HOST;
	return 0;
}

/* At most max bytes of the file at path, in a new buffer. */
static int
read_file_max(const char *path, size_t max, const char *what, u8 **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	int r = 0;

	*buf = malloc(max + 1);
	if (!f || !*buf) {
		r = f ? -ENOMEM : -errno;
		fprintf(stderr, "exo ext run: --ctx %s: %s\n", path, strerror(-r));
		goto out;
	}
	*len = fread(*buf, 1, max + 1, f);
	if (ferror(f) || *len > max) {
		r = ferror(f) ? -EIO : -EFBIG;
		if (r == -EIO)
			fprintf(stderr, "exo ext run: --ctx %s: read error\n", path);
		else
			fprintf(stderr, "exo ext run: --ctx %s is larger than %s (%zu bytes)\n",
				path, what, max);
	}
out:
	if (f)
		fclose(f);
	if (r < 0) {
		free(*buf);
		*buf = NULL;
	}
	return r;
}

/*
 * The run's input for type t from the --ctx file: the context padded to
 * t's size, or for packet events the packet (the context's pointers are
 * the run's to set, never the user's).
 */
static int
make_input(const char *path, const struct ext_prog_type *t, struct ext_run_input *in)
{
	bool packet = t->event == EXT_EV_PACKET;
	u8 *bytes, *ctx = calloc(1, t->ctx_size);
	size_t len = 0;
	int r;

	if (!ctx)
		return -ENOMEM;
	r = read_file_max(path, packet ? EXT_PACKET_MAX : t->ctx_size,
			  packet ? "a packet" : "the event's context", &bytes, &len);
	if (r < 0) {
		free(ctx);
		return r;
	}
	if (packet) {
		((struct ext_packet_ctx *)ctx)->len = (u32)len;
		in->pkt = bytes;
		in->pkt_len = len;
	} else {
		memcpy(ctx, bytes, len);
		free(bytes);
	}
	in->ctx = ctx;
	in->ctx_size = t->ctx_size;
	return 0;
}

/* Check p as the kernel would, then run it compiled with the checker's facts. */
static int
run_prog(const struct ext_args *a, const struct ext_obj_prog *p)
{
	struct ext_run_input in = { .repeat = a->repeat };
	char msg[CHECK_MSG];
	void *work = malloc(verify_work_size());
	u8 *facts = malloc(p->n ? p->n : 1);
	int status = EXIT_HOST;
	u64 r0;

	if (!work || !facts) {
		fprintf(stderr, "exo ext run: out of memory for the checker\n");
		goto out;
	}
	status = check_prog(p, work, msg, sizeof(msg));
	if (status) {
		fprintf(stderr, "exo ext run: %s: %s\n", a->file, msg);
		goto out;
	}
	verify_facts(work, p->n, facts);
	in.facts = facts;
	status = EXIT_HOST;
	if (make_input(a->ctx, verify_type_by_section(p->section), &in) < 0)
		goto out;
	status = ext_run_checked(stdout, a->file, p, &in, &r0) < 0 ? EXIT_HOST : 0;
	free((void *)in.ctx);
	free((void *)in.pkt);
out:
	free(facts);
	free(work);
	return status;
}

static int
cmd_run(const struct ext_args *a, struct ext_obj *o)
{
	char err[512];
	const struct ext_obj_prog *p;

	if (!a->ctx) {
		fprintf(stderr, "exo ext run: give the context bytes with --ctx FILE\n");
		return EXIT_HOST;
	}
	p = ext_obj_find(o, a->section, a->name, err, sizeof(err));
	if (!p) {
		fprintf(stderr, "exo ext run: %s\n", err);
		return EXIT_HOST;
	}
	return run_prog(a, p);
}

static const struct {
	const char *name;
	int (*fn)(const struct ext_args *a, struct ext_obj *o);
} ext_verbs[] = {
	{ "verify", cmd_verify },
	{ "dump", cmd_dump },
	{ "run", cmd_run },
};

static int
run_verb(int (*fn)(const struct ext_args *, struct ext_obj *), int argc, char **argv)
{
	static struct ext_obj o;        /* 4 KiB of program slots: not on the stack */
	struct ext_args a = { 0 };
	int r = ext_parse(argc, argv, &a);

	if (r)
		return r < 0 ? EXIT_HOST : 0;
	if (open_obj(&a, &o) < 0)
		return EXIT_HOST;
	r = fn(&a, &o);
	ext_obj_free(&o);
	return r;
}

int
ext_cmd(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		ext_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_HOST : 0;
	}
	for (size_t i = 0; i < sizeof(ext_verbs) / sizeof(ext_verbs[0]); i++)
		if (!strcmp(argv[1], ext_verbs[i].name))
			return run_verb(ext_verbs[i].fn, argc - 1, argv + 1);
	fprintf(stderr, "exo ext: unknown command '%s'\n\n", argv[1]);
	ext_usage(stderr);
	return EXIT_HOST;
}
