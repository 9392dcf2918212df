/*
 * Guest scenarios: the real kernel booted under KVM by `exo run`, judged by
 * exit status and the JSON report, never by the wording of messages. Bad
 * input is judged by exit status 126 and by the message naming the input.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "run.h"

#define EXIT_TIMEOUT 124
#define EXIT_CRASH   125
#define EXIT_HOST    126
#define PROG(name)   EXO_BUILD_DIR "/programs/" name

static struct exo_run r;

static void
expect_end(const char *outcome, int status)
{
	const char *end = report_event(&r, "end", 0);
	char v[32];

	cr_assert(end, "no end event; report:\n%s\nstderr:\n%s", r.report, r.err);
	cr_assert(report_field(end, "outcome", v, sizeof(v)));
	cr_assert_str_eq(v, outcome, "outcome %s, want %s; stderr:\n%s", v, outcome, r.err);
	cr_assert_eq(report_num(end, "status"), status);
}

Test(boot, hello_prints_from_ring3_and_exits_0)
{
	const char *ev;
	char v[64];

	exo_run(&r, true, (const char *[]){ "run", "hello", "one", "two", NULL });
	cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
	cr_assert_str_eq(r.out, "hello from ring 3: hello one two\n");
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "no program_exit in:\n%s", r.report);
	cr_assert(report_field(ev, "program", v, sizeof(v)));
	cr_assert_str_eq(v, "hello");
	cr_assert_eq(report_num(ev, "status"), 0);
	expect_end("exited", 0);
}

Test(boot, default_program_is_hello)
{
	exo_run(&r, true, (const char *[]){ "run", NULL });
	cr_assert_eq(r.status, 0);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "index"), 0);
	cr_assert_str_eq(r.out, "hello from ring 3: hello\n");
}

Test(boot, exit_status_is_the_programs)
{
	exo_run(&r, true, (const char *[]){ "run", "exit", "42", NULL });
	cr_assert_eq(r.status, 42);
	exo_run(&r, true, (const char *[]){ "run", "exit", "300", NULL });
	cr_assert_eq(r.status, 300 & 0xff);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 300u);
}

Test(boot, programs_run_in_order_each_in_its_own_space)
{
	exo_run(&r, true, (const char *[]){ "run", "exit", "3", "--", "hello",
					    "--", "exit", "5", NULL });
	cr_assert_eq(r.status, 5, "last program decides; stderr:\n%s", r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 3);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 1), "index"), 1);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 2), "status"), 5);
}

Test(boot, syscalls_refuse_bad_arguments)
{
	exo_run(&r, true, (const char *[]){ "run", "syscheck", NULL });
	cr_assert_eq(r.status, 0, "syscheck failures: %d\n%s", r.status, r.out);
}

Test(boot, segment_across_page_tables_is_mapped_and_zero)
{
	exo_run(&r, true, (const char *[]){ "run", "bigbss", NULL });
	cr_assert_eq(r.status, 0, "bad pages: %d\n%s%s", r.status, r.out, r.err);
	expect_end("exited", 0);
}

/* A device's count in the stats line's "devices" object. */
static unsigned long long
device_count(const char *st, const char *name)
{
	const char *devs = strstr(st, "\"devices\":{");

	cr_assert(devs, "no devices in %s", st);
	return report_num(devs, name);
}

/*
 * Ring-0 instructions are counted where ring 0 is a vCPU's (KVM's
 * insn_emulation); on the hosted platform the kernel runs in the exo
 * process, so the report says -1 (not counted), never a made-up 0, and
 * that check alone is skipped there. The device accesses are every
 * platform's: console, event, doorbell and exit at least once each; on
 * KVM each is a port I/O exit.
 */
Test(boot, stats_report_ring0_instructions)
{
	const char *st;
	char platform[32];

	exo_run(&r, true, (const char *[]){ "run", "--stats", "hello", NULL });
	cr_assert_eq(r.status, 0);
	st = report_event(&r, "stats", 0);
	cr_assert(st, "no stats event:\n%s", r.report);
	cr_assert(report_field(st, "platform", platform, sizeof(platform)));
	cr_assert_null(strstr(st, "\"first_user_s\":-"), "the first user instruction was "
		       "reached: %s", st);
	for (int i = 0; i < 4; i++) {
		const char *dev = (const char *[]){ "console", "event", "doorbell", "exit" }[i];

		cr_assert_geq(device_count(st, dev), 1, "%s: %s", dev, st);
	}
	if (!strcmp(platform, "hosted") || !strcmp(platform, "ptrace")) {
		cr_assert_eq((long long)report_num(st, "boot_ring0_insns"), -1, "%s", st);
		cr_assert_eq((long long)report_num(st, "ring0_insns"), -1, "%s", st);
		cr_log_info("ring-0 instruction counts skipped: the hosted platform has no "
			    "ring 0 to count (the kernel runs in the exo process)");
		return;
	}
	cr_assert(report_num(st, "boot_ring0_insns") > 0);
	cr_assert(report_num(st, "ring0_insns") >= report_num(st, "boot_ring0_insns"));
	cr_assert(report_num(st, "io") >= 4, "console, event, doorbell and exit exits");
}

/* A program that faults is killed and reported; the next one still runs. */
struct fault_case {
	char kind[16];
	int vector;
	int check_addr;
	unsigned long long addr;
};

ParameterizedTestParameters(fault, killed_and_next_runs)
{
	static struct fault_case cases[] = {
		{ "null", 14, 1, 0 },
		{ "kread", 14, 1, 0xffffffff80100000ULL },
		{ "kwrite", 14, 1, 0xffffffff80100000ULL },
		{ "rodata", 14, 0, 0 },
		{ "ud", 6, 0, 0 },
		{ "div", 0, 0, 0 },
		{ "gp", 13, 0, 0 },
		{ "io", 13, 0, 0 },
		{ "int3", 3, 0, 0 },
		/* DF set at the fault: the kernel must not run its C with it */
		{ "dfnull", 14, 1, 0 },
	};
	return cr_make_param_array(struct fault_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct fault_case *c, fault, killed_and_next_runs)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "crash", c->kind, "--", "hello", NULL });
	ev = report_event(&r, "program_fault", 0);
	cr_assert(ev, "%s: no program_fault; stderr:\n%s", c->kind, r.err);
	cr_assert_eq(report_num(ev, "index"), 0);
	cr_assert_eq(report_num(ev, "vector"), (unsigned)c->vector, "%s", c->kind);
	cr_assert_eq(report_num(ev, "status"), 128u + c->vector);
	cr_assert(report_num(ev, "rip") >= 0x400000 && report_num(ev, "rip") < 0x800000,
		  "rip in the program's text");
	if (c->check_addr)
		cr_assert_eq(report_num(ev, "addr"), c->addr, "%s: fault address", c->kind);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "index"), 1,
		     "the kernel went on to the next program");
	cr_assert_eq(r.status, 0);
	expect_end("exited", 0);
}

Test(fault, killed_program_status_when_last)
{
	exo_run(&r, true, (const char *[]){ "run", "crash", "null", NULL });
	cr_assert_eq(r.status, 128 + 14);
}

Test(crash, kernel_panic_reported_by_host)
{
	const char *ev;
	char v[128];

	exo_run(&r, true, (const char *[]){ "run", "--cmdline", "ktest", "ktest", "panic", NULL });
	cr_assert_eq(r.status, EXIT_CRASH, "stderr:\n%s", r.err);
	ev = report_event(&r, "crash", 0);
	cr_assert(ev, "no crash event:\n%s", r.report);
	cr_assert(report_field(ev, "kind", v, sizeof(v)));
	cr_assert_str_eq(v, "panic");
	cr_assert(report_field(ev, "message", v, sizeof(v)));
	cr_assert(strstr(v, "ktest"), "panic message: %s", v);
	/* The registers are the kernel's: rip names a kernel function (on
	 * the hosted platform the kernel's code is exo's own, named from it)
	 * and, where the kernel is a guest's, is at its link address. */
	cr_assert(report_field(ev, "where", v, sizeof(v)), "no where: %s", ev);
	cr_assert(!strncmp(v, "kernel:", 7), "rip in the kernel's code: %s", v);
	cr_assert_neq(report_num(ev, "rsp"), 0, "the kernel's stack: %s", ev);
	if (!platform_hosted())
		cr_assert(report_num(ev, "rip") >= 0xffffffff80000000ULL,
			  "registers of the kernel");
	expect_end("crashed", 0);
}

Test(crash, triple_fault_reported_with_registers)
{
	const char *ev;
	char v[64];

	skip_on_hosted("a triple fault is a CPU's, and the kernel there has no CPU tables "
		       "to lose (KTEST_TRIPLEFAULT is refused)");
	exo_run(&r, true, (const char *[]){ "run", "--cmdline", "ktest", "ktest", "triple", NULL });
	cr_assert_eq(r.status, EXIT_CRASH, "stderr:\n%s", r.err);
	ev = report_event(&r, "crash", 0);
	cr_assert(ev && report_field(ev, "kind", v, sizeof(v)));
	cr_assert_str_eq(v, "triple_fault");
	cr_assert(report_field(ev, "cr3", v, sizeof(v)));
}

Test(crash, ktest_needs_boot_option)
{
	exo_run(&r, true, (const char *[]){ "run", "ktest", "panic", NULL });
	cr_assert_eq(r.status, 1, "refused with -E_NOSYS, program exits 1");
	expect_end("exited", 1);
}

Test(timeout, guest_past_timeout_is_stopped)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "0.5", "spin", NULL });
	cr_assert_eq(r.status, EXIT_TIMEOUT, "stderr:\n%s", r.err);
	expect_end("timeout", 0);
}

/* A timer of a microsecond fires as it is armed: the run still stops (it ran
 * for ever when the timer was armed before the signal path could kick a vCPU). */
Test(timeout, the_shortest_timeout_stops_the_guest)
{
	for (int i = 0; i < 5; i++) {
		exo_run(&r, true, (const char *[]){ "run", "--timeout", "0.000001", "spin",
						    NULL });
		cr_assert_eq(r.status, EXIT_TIMEOUT, "try %d: exit %d; stderr:\n%s", i,
			     r.status, r.err);
		expect_end("timeout", 0);
	}
}

/*
 * Interrupts: the LAPIC timer and the console-input line, through the
 * kernel's ktest hooks. `ktest timer US MAX N` exits 0 if each of N waits
 * took US..MAX-1 microseconds (3 if not); `ktest getc TEXT` exits 0 if the
 * console input was TEXT.
 */
struct timer_case {
	char cmdline[32];
	char us[12], max[12], count[4];
};

ParameterizedTestParameters(irq, timer_fires_on_time)
{
	/* 0 us: the interrupt is already pending when the kernel halts. */
	static struct timer_case cases[] = {
		{ "ktest", "0", "50000", "3" },
		{ "ktest", "2000", "52000", "5" },
		{ "ktest timer=oneshot", "0", "50000", "3" },
		{ "ktest timer=oneshot", "2000", "52000", "5" },
	};
	return cr_make_param_array(struct timer_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct timer_case *c, irq, timer_fires_on_time)
{
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "20", "--cmdline",
					    c->cmdline, "ktest", "timer", c->us, c->max,
					    c->count, NULL });
	cr_assert_eq(r.status, 0, "%s, %s us: exit %d (3: a wait outside %s..%s us)\n%s%s",
		     c->cmdline, c->us, r.status, c->us, c->max, r.out, r.err);
	expect_end("exited", 0);
}

static double
report_seconds(const char *line, const char *key)
{
	char v[64];

	cr_assert(line && report_field(line, key, v, sizeof(v)), "no %s", key);
	return strtod(v, NULL);
}

/*
 * The kernel's idea of a microsecond (TSC and tsc_khz) is the host's: a
 * 300 ms timer makes a run of 300 ms and some, not half or twice that.
 */
Test(irq, timer_agrees_with_the_wall_clock)
{
	const char *st;
	double wall, user;

	exo_run(&r, true, (const char *[]){ "run", "--stats", "--timeout", "20",
					    "--cmdline", "ktest", "ktest", "timer", "300000",
					    "1300000", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	/* From the first user instruction: the boot's own time depends on the
	 * host (0.002 s on PVM, 0.4 s in a nested guest under TCG). Not early,
	 * and not off by the factor a wrong TSC frequency would make. */
	st = report_event(&r, "stats", 0);
	wall = report_seconds(st, "wall_s");
	user = report_seconds(st, "first_user_s");
	cr_assert(user >= 0 && user < wall, "first_user_s %.3f of %.3f s", user, wall);
	cr_assert(wall - user >= 0.3 && wall - user < 0.6,
		  "a 300 ms timer took %.3f s after the first user instruction", wall - user);
}

static const char *
input_file(const char *text)
{
	static char path[256];
	FILE *f;

	scratch_path(path, sizeof(path), "input");
	f = fopen(path, "w");
	cr_assert(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void
expect_input_read(unsigned long long bytes)
{
	const char *st = report_event(&r, "stats", 0);

	cr_assert_eq(r.status, 0, "exit %d (3: other bytes)\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(st, "input_bytes"), bytes);
	cr_assert(report_num(st, "input_irqs") >= 1, "no input interrupt was sent");
	expect_end("exited", 0);
}

Test(irq, console_input_arrives_in_order)
{
	const char *path = input_file("xyz");

	exo_run(&r, true, (const char *[]){ "run", "--stats", "--timeout", "20",
					    "--input", path, "--cmdline", "ktest",
					    "ktest", "getc", "xyz", NULL });
	unlink(path);
	expect_input_read(3);
}

Test(irq, console_input_from_stdin)
{
	const char *path = input_file("xyz");
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0);
	exo_run_in(&r, true, (const char *[]){ "run", "--stats", "--timeout", "20",
					       "--input", "-", "--cmdline", "ktest",
					       "ktest", "getc", "xyz", NULL }, fd);
	close(fd);
	unlink(path);
	expect_input_read(3);
}

/*
 * Writes text into a FIFO after delay_ms, then keeps it open until exo has
 * ended (release) or hold_ms have passed, whichever comes first.
 */
struct fifo_writer {
	char path[256];
	const char *text;
	int delay_ms, hold_ms;
	int release[2];
};

/*
 * Wait for exo to open the FIFO (an open for writing fails with ENXIO while
 * no reader has it), unless exo ends first: it may fail to start (no
 * /dev/kvm) and never open it, or open and close it at once. A blocking
 * open would then wait for ever.
 */
static int
fifo_open_writer(struct fifo_writer *w, struct pollfd *release)
{
	int fd;

	while ((fd = open(w->path, O_WRONLY | O_NONBLOCK)) < 0 && errno == ENXIO)
		if (poll(release, 1, 5) != 0)
			return -1;          /* exo has ended */
	if (fd >= 0)
		fcntl(fd, F_SETFL, 0);  /* the write may wait for room */
	return fd;
}

static void *
fifo_write(void *arg)
{
	struct fifo_writer *w = arg;
	struct pollfd p = { .fd = w->release[0], .events = POLLIN };
	int fd = fifo_open_writer(w, &p);

	if (fd < 0)
		return NULL;
	/* exo may end before the delay is over: then no reader is left, and
	 * the write fails with EPIPE (SIGPIPE is ignored, see run_with_fifo). */
	if (poll(&p, 1, w->delay_ms) == 0 &&
	    write(fd, w->text, strlen(w->text)) < 0 && errno != EPIPE)
		perror("fifo write");
	poll(&p, 1, w->hold_ms);
	close(fd);
	return NULL;
}

/* Run ktest getc w->text with input from a FIFO that w writes: how long
 * exo ran. Asserts (after the writer has finished) that exo started. */
static double
run_with_fifo(struct fifo_writer *w)
{
	struct timespec t0, t1;
	pthread_t th;

	/* A write after exo ended must fail, not kill the test worker. */
	signal(SIGPIPE, SIG_IGN);
	scratch_path(w->path, sizeof(w->path), "fifo");
	unlink(w->path);
	cr_assert_eq(mkfifo(w->path, 0600), 0);
	cr_assert_eq(pipe(w->release), 0);
	cr_assert_eq(pthread_create(&th, NULL, fifo_write, w), 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	exo_run(&r, true, (const char *[]){ "run", "--stats", "--timeout", "20",
					    "--input", w->path, "--cmdline", "ktest",
					    "ktest", "getc", w->text, NULL });
	clock_gettime(CLOCK_MONOTONIC, &t1);
	/* Release the writer before any assertion: it must not outlive the test. */
	if (write(w->release[1], "", 1) != 1)
		perror("release the fifo writer");
	pthread_join(th, NULL);
	close(w->release[0]);
	close(w->release[1]);
	unlink(w->path);
	cr_assert_neq(r.status, EXIT_HOST, "exo could not start the guest (exit 126):\n%s",
		      r.err);
	return (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
}

/* The bytes come while the kernel is halted in ring 0: the interrupt wakes it. */
Test(irq, late_input_wakes_the_idle_kernel)
{
	struct fifo_writer w = { .text = "xyz", .delay_ms = 300 };

	cr_assert(run_with_fifo(&w) >= 0.3);
	expect_input_read(3);
}

/* The guest ends while its input is still open: exo does not wait for it.
 * The writer holds the FIFO open until exo has returned (hold_ms -1), so an
 * exo that waited for the input's end would stop only at --timeout (124);
 * no bound on the time, which a slow host would overrun. */
Test(irq, run_ends_with_input_still_open)
{
	struct fifo_writer w = { .text = "xyz", .hold_ms = -1 };

	run_with_fifo(&w);
	cr_assert_neq(r.status, 124, "exo waited for the input to end:\n%s", r.err);
	expect_input_read(3);
}

Test(irq, without_input_nothing_reads_stdin)
{
	const char *path = input_file("abc");
	int fd = open(path, O_RDONLY);

	cr_assert(fd >= 0);
	exo_run_in(&r, true, (const char *[]){ "run", "hello", NULL }, fd);
	cr_assert_eq(r.status, 0);
	/* A guest waiting for input that never comes idles until --timeout. */
	exo_run_in(&r, true, (const char *[]){ "run", "--timeout", "0.5", "--cmdline",
					       "ktest", "ktest", "getc", "a", NULL }, fd);
	cr_assert_eq(r.status, EXIT_TIMEOUT, "exit %d\n%s", r.status, r.err);
	expect_end("timeout", 0);
	cr_assert_eq(lseek(fd, 0, SEEK_CUR), 0, "exo read its standard input");
	close(fd);
	unlink(path);
}

/* Bad input: exit 126, and the message names what was wrong. */
static void
expect_host_error(const char *needle)
{
	cr_assert_eq(r.status, EXIT_HOST, "exit %d; stderr:\n%s", r.status, r.err);
	cr_assert(strstr(r.err, needle), "stderr does not name '%s':\n%s", needle, r.err);
	cr_assert_str_eq(r.out, "", "nothing ran");
}

Test(badinput, no_kvm_device)
{
	const char *boot;
	char platform[32];

	exo_run(&r, true, (const char *[]){ "run", "--kvm", "/nonexistent/kvm", NULL });
	/* --platform hosted (EXO_PLATFORM) opens no device: it boots. */
	boot = report_event(&r, "boot", 0);
	if (boot && report_field(boot, "platform", platform, sizeof(platform)) &&
	    (!strcmp(platform, "hosted") || !strcmp(platform, "ptrace")))
		cr_skip_test("the run booted on a hosted platform, which opens no KVM "
			     "device, so it has no error for a missing one");
	expect_host_error("/nonexistent/kvm");
	cr_assert(strstr(r.err, "does not exist"));
}

Test(badinput, kvm_permission_denied)
{
	pid_t pid;
	int ws;

	skip_on_hosted("it opens no KVM device, so it has no error for a refused one");
	if (geteuid() != 0)
		cr_skip_test("needs root to drop to an unprivileged user");
	pid = fork();
	cr_assert(pid >= 0);
	if (pid == 0) {
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(99);
		exo_run(&r, false, (const char *[]){ "run", NULL });
		_exit(r.status == EXIT_HOST && strstr(r.err, "permission denied") ? 0 : 1);
	}
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	cr_assert(WIFEXITED(ws));
	if (WEXITSTATUS(ws) == 99)
		cr_skip_test("cannot switch to uid 65534");
	cr_assert_eq(WEXITSTATUS(ws), 0, "exo as nobody: not a clear permission error");
}

Test(badinput, missing_program)
{
	exo_run(&r, false, (const char *[]){ "run", "/nonexistent/prog", NULL });
	expect_host_error("/nonexistent/prog");
	exo_run(&r, false, (const char *[]){ "run", "nosuchprogram", NULL });
	expect_host_error("nosuchprogram");
}

Test(badinput, missing_input_file)
{
	exo_run(&r, false, (const char *[]){ "run", "--input", "/nonexistent/input",
					     "hello", NULL });
	expect_host_error("/nonexistent/input");
	exo_run(&r, false, (const char *[]){ "run", "--input", "/", "hello", NULL });
	expect_host_error("--input /");
}

Test(badinput, missing_kernel)
{
	exo_run(&r, false, (const char *[]){ "run", "--kernel", "/nonexistent/kernel", NULL });
	expect_host_error("/nonexistent/kernel");
}

Test(badinput, kernel_not_elf)
{
	exo_run(&r, false, (const char *[]){ "run", "--kernel", EXO_BUILD_DIR "/CMakeCache.txt", NULL });
	expect_host_error("not an ELF file");
}

Test(badinput, user_program_as_kernel)
{
	exo_run(&r, false, (const char *[]){ "run", "--kernel", PROG("hello"), NULL });
	expect_host_error(PROG("hello"));
}

/* Write a copy of hello, changed by patch, and return its path. */
static const char *
patched_hello(void (*patch)(unsigned char *buf, size_t *len), const char *tag)
{
	static char path[256];
	unsigned char *buf = malloc(1 << 20);
	size_t len;
	FILE *f = fopen(PROG("hello"), "rb");

	cr_assert(f && buf);
	len = fread(buf, 1, 1 << 20, f);
	fclose(f);
	patch(buf, &len);
	scratch_path(path, sizeof(path), tag);
	f = fopen(path, "wb");
	cr_assert(f);
	fwrite(buf, 1, len, f);
	fclose(f);
	free(buf);
	return path;
}

static void
patch_class32(unsigned char *b, size_t *len)
{
	(void)len;
	b[EI_CLASS] = ELFCLASS32;
}

static void
patch_machine(unsigned char *b, size_t *len)
{
	(void)len;
	((Elf64_Ehdr *)b)->e_machine = EM_AARCH64;
}

static void
patch_truncate(unsigned char *b, size_t *len)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + eh->e_phoff);

	*len = ph[0].p_offset + ph[0].p_filesz - 16;   /* cut into the text */
}

static Elf64_Phdr *
load_header(unsigned char *b, int n)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)b;
	Elf64_Phdr *ph = (Elf64_Phdr *)(b + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && n-- == 0)
			return &ph[i];
	cr_assert_fail("hello has too few PT_LOAD segments");
	return NULL;
}

static void
patch_low_segment(unsigned char *b, size_t *len)
{
	(void)len;
	load_header(b, 0)->p_vaddr = 0x1000;
}

static void
patch_overlap(unsigned char *b, size_t *len)
{
	(void)len;
	load_header(b, 1)->p_vaddr = load_header(b, 0)->p_vaddr;
}

Test(badinput, malformed_programs)
{
	static const struct {
		void (*patch)(unsigned char *, size_t *);
		const char *tag, *needle;
	} cases[] = {
		{ patch_class32, "class32", "64-bit" },
		{ patch_machine, "machine", "x86-64" },
		{ patch_truncate, "trunc", "truncated" },
		{ patch_low_segment, "low", "outside" },
		{ patch_overlap, "overlap", "overlap" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *path = patched_hello(cases[i].patch, cases[i].tag);

		exo_run(&r, false, (const char *[]){ "run", path, NULL });
		expect_host_error(cases[i].needle);
		cr_assert(strstr(r.err, path), "message names %s:\n%s", path, r.err);
		unlink(path);
	}
}

/* A report that cannot be written is an error, as for exo trace -o. */
Test(badinput, report_to_a_full_device)
{
	const char *args[] = { "run", "--report", "/dev/full", "hello", NULL };

	exo_run(&r, false, args);
	cr_assert_eq(r.status, EXIT_HOST, "exit %d; stderr:\n%s", r.status, r.err);
	cr_assert(strstr(r.err, "--report /dev/full"), "stderr:\n%s", r.err);
}

/* A FIFO as program or kernel is refused at once; open() waited for a
 * writer for ever, outside --timeout. */
Test(badinput, fifo_as_program_or_kernel)
{
	char fifo[256];

	scratch_path(fifo, sizeof(fifo), "prog-fifo");
	unlink(fifo);
	cr_assert_eq(mkfifo(fifo, 0600), 0);
	exo_run(&r, false, (const char *[]){ "run", "--timeout", "5", fifo, NULL });
	expect_host_error("not a regular file (a FIFO)");
	exo_run(&r, false, (const char *[]){ "run", "--timeout", "5", "--kernel", fifo,
					     NULL });
	expect_host_error("not a regular file (a FIFO)");
	unlink(fifo);
}

Test(badinput, text_file_as_program)
{
	exo_run(&r, false, (const char *[]){ "run", EXO_BUILD_DIR "/CMakeCache.txt", NULL });
	expect_host_error("not an ELF file");
}

Test(badinput, memory_sizes)
{
	static const char *bad[] = { "abc", "-1", "3M", "2M", "64G", "12Q" };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		exo_run(&r, false, (const char *[]){ "run", "--mem", bad[i], NULL });
		cr_assert_eq(r.status, EXIT_HOST, "--mem %s: exit %d", bad[i], r.status);
		cr_assert(strstr(r.err, "--mem"), "--mem %s: message:\n%s", bad[i], r.err);
	}
	exo_run(&r, false, (const char *[]){ "run", "--mem", "4M", NULL });
	cr_assert_eq(r.status, 0, "4M is enough for hello:\n%s", r.err);
}

Test(badinput, bad_timeout_and_options)
{
	exo_run(&r, false, (const char *[]){ "run", "--timeout", "-1", NULL });
	expect_host_error("--timeout");
	exo_run(&r, false, (const char *[]){ "run", "--no-such-option", NULL });
	cr_assert_eq(r.status, EXIT_HOST);
	exo_run(&r, false, (const char *[]){ "frobnicate", NULL });
	expect_host_error("frobnicate");
}

Test(badinput, arguments_too_long)
{
	static char big[6000];

	memset(big, 'x', sizeof(big) - 1);
	exo_run(&r, false, (const char *[]){ "run", "hello", big, NULL });
	expect_host_error("arguments too long");
}

Test(help, documents_commands_and_options)
{
	exo_run(&r, false, (const char *[]){ "--help", NULL });
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "run"));
	exo_run(&r, false, (const char *[]){ "run", "--help", NULL });
	cr_assert_eq(r.status, 0);
	for (const char *const *o = (const char *const[]){ "--mem", "--timeout",
	     "--kernel", "--stats", "--verbose", "--report", "--input", NULL }; *o; o++)
		cr_assert(strstr(r.out, *o), "run --help lacks %s", *o);
}
