/* Run `exo` as a user would and read what it reports. */
#ifndef SCENARIO_RUN_H
#define SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>

struct exo_run {
	int status;             /* exit status; 1000 + signal if killed */
	char out[16384];        /* stdout: the guest console */
	char err[16384];        /* stderr: exo's own messages */
	char report[32768];     /* the --report file: one JSON object a line */
};

/* Run build/exo with args (NULL-terminated, without "exo"). With report,
 * "--report FILE" is inserted right after the subcommand (args[0]). Its
 * standard input is /dev/null. */
void exo_run(struct exo_run *r, bool report, const char *const args[]);
/* The same with standard input from in_fd (shared, so its offset shows
 * what exo read). */
void exo_run_in(struct exo_run *r, bool report, const char *const args[], int in_fd);

/* The nth (from 0) report line whose "event" is event, or NULL. */
const char *report_event(const struct exo_run *r, const char *event, int nth);
/* The value of "key" in the JSON line (strings unquoted), into val. */
bool report_field(const char *line, const char *key, char *val, size_t len);
/* Numbers are read as unsigned 64-bit; negative ones come back wrapped. */
unsigned long long report_num(const char *line, const char *key);

/* A scratch file path under /tmp, unique to this process and tag. */
void scratch_path(char *buf, size_t len, const char *tag);

struct jv;
/* Run exo CMD OPT FILE args... (OPT: the option that names the output
 * file, e.g. --json or -o) into a scratch file of tag; its parsed JSON
 * (asserted to be valid). */
struct jv *exo_run_json(struct exo_run *r, const char *cmd, const char *opt,
			const char *tag, const char *const args[]);
/* v's number, asserted to be one (what names it in the message). */
double json_num(const struct jv *v, const char *what);

/* The hypervisor vendor when this host's CPU is emulated instruction by
 * instruction (QEMU's TCG, as in scripts/nested.sh), or NULL. */
const char *cpu_emulated(void);
/* Skip the running test, with the evidence, when its judge is real time and
 * the CPU is emulated (what: the case, for the message). */
void skip_if_emulated(const char *what);

/* The platform exo boots on here, as its boot report names it ("kvm-hw",
 * "kvm-pvm", "hosted", "ptrace"): asked once per test process (platform.c). */
const char *run_platform(void);
bool platform_is(const char *name);
/* hosted or ptrace: the kernel core in the exo process, no ring 0. */
bool platform_hosted(void);
/* Skip the running test, saying why, when exo refuses --cpus n on the
 * hosted platforms (they have one CPU, ptrace always); checked by running exo, so such tests
 * run the day the platform takes more. */
void skip_unless_cpus(unsigned n);
/* Skip the running test, with why, when exo boots on a hosted platform (hosted, ptrace):
 * for tests whose whole subject is a thing it cannot have (a KVM device,
 * a vCPU for gdb, the x86 entry code, a triple fault). */
void skip_on_hosted(const char *why);

#endif
