/*
 * The hosted platform (hosted/): its isolation, run on any Linux (no KVM
 * needed), in a suite of its own (test_hosted) so the KVM suite does not
 * depend on it. Each test fails if the hole it tries is there.
 * EXO_PLATFORM=ptrace runs the same tests on the ptrace platform (the
 * hosted platform with its crossings by ptrace: hosted/ptrace.c).
 */
#define _GNU_SOURCE
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../hosted/ptrace_probe.h"
#include "run.h"

extern char **environ;

static struct exo_run r;

/* hosted, or ptrace where EXO_PLATFORM says so. */
static const char *
plat(void)
{
	const char *p = getenv("EXO_PLATFORM");

	return p && !strcmp(p, "ptrace") ? "ptrace" : "hosted";
}

/* escape.c: raw Linux system calls, the stub's own syscall instruction with
 * Linux's calls, binds over the stub, a task that blocks the kernel's timer
 * (without the watch in hosted/evade.c the run stalls to --timeout: 124),
 * Linux's vsyscall time(). On ptrace with the host's vsyscall page
 * executable Linux answers that one unseen (no ptrace stop exists for it):
 * the case is left out there and exo's warning at start is checked. */
Test(hosted, escape_attempts_refused)
{
	bool vsys = !strcmp(plat(), "hosted") || !ptrace_vsyscall_open();

	exo_run(&r, true, (const char *[]){ "run", "--platform", plat(), "--timeout",
					    "60", "escape", "rawlinux", "stubjump",
					    "mapstub", "blocktimer", vsys ? "vsyscall" : NULL,
					    NULL });
	cr_assert_eq(r.status, 0, "exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out, r.err);
	if (vsys)
		cr_assert(strstr(r.out, "vsyscall: Linux's time()"), "%s", r.out);
	else
		cr_assert(strstr(r.err, "vsyscall page is executable"),
			  "no warning of the vsyscall page:\n%s", r.err);
	cr_assert(strstr(r.out, "stubjump: the stub's syscall at"),
		  "the stub was not found: the jump was not tried\n%s", r.out);
	cr_assert(strstr(r.out, "blocktimer: we ran again"), "%s", r.out);
}

/* The children of pid, from /proc (ppid is field 4 of stat). */
static unsigned
children(pid_t pid, pid_t *out, unsigned max)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	unsigned n = 0;

	cr_assert_not_null(d);
	while ((e = readdir(d)) && n < max) {
		char path[300], buf[512], *p;
		FILE *f;
		int ppid;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/stat", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
		fclose(f);
		if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == pid)
			out[n++] = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return n;
}

static bool
alive(pid_t pid)
{
	char path[64], buf[512], *p;
	FILE *f;
	char state = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	if (p)
		sscanf(p + 2, "%c", &state);
	return state && state != 'Z';
}

/* SIGKILL of exo while its programs run: every stub process dies too
 * (PR_SET_PDEATHSIG), none is left behind. */
Test(hosted, no_orphans_after_sigkill)
{
	const char *argv[] = { EXO_BIN, "run", "--platform", plat(), "spin", NULL };
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	pid_t pid, kids[16];
	unsigned n = 0, left;
	int ws;

	cr_assert_eq(posix_spawn(&pid, EXO_BIN, NULL, NULL, (char **)argv, environ), 0);
	/* sigma0 and spin: two address spaces, two stubs. No time bound is
	 * assumed: it waits until they are there (the suite's watchdog). */
	while ((n = children(pid, kids, 16)) < 2)
		nanosleep(&tick, NULL);
	kill(pid, SIGKILL);
	cr_assert_eq(waitpid(pid, &ws, 0), pid);
	/* The kernel delivers the parent-death signal as the parent exits;
	 * the children may take a moment to be reaped by init. */
	for (left = n; left; nanosleep(&tick, NULL)) {
		left = 0;
		for (unsigned i = 0; i < n; i++)
			left += alive(kids[i]);
		if (left && tick.tv_sec == 0 && tick.tv_nsec < 500 * 1000 * 1000)
			tick.tv_nsec *= 2;
		else if (left)
			break;
	}
	cr_assert_eq(left, 0, "%u of %u stub processes outlived exo's SIGKILL", left, n);
}

/* The platform is said, and hello runs and ends as on kvm. */
Test(hosted, hello)
{
	exo_run(&r, true, (const char *[]){ "run", "--platform", plat(), "hello", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
	cr_assert(strstr(r.out, "hello from ring 3"), "stdout:\n%s", r.out);
	cr_assert(strstr(r.err, plat()), "stderr:\n%s", r.err);
}

/*
 * In this test's process (Criterion forks one per test), and so in the exo
 * it starts: a /dev of its own without kvm (a mount namespace; a tmpfs
 * holding null, zero and urandom, moved over /dev), as in a container
 * given no KVM. false where the host does not let it be made.
 */
static bool
hide_kvm(void)
{
	static const char *const keep[] = { "null", "zero", "urandom" };
	char dir[] = "/tmp/exo-nokvm-XXXXXX", dev[64], node[96];

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    !mkdtemp(dir) || mount("nodev", dir, "tmpfs", 0, "mode=755") < 0)
		return false;
	for (unsigned i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		int fd;

		snprintf(dev, sizeof(dev), "/dev/%s", keep[i]);
		snprintf(node, sizeof(node), "%s/%s", dir, keep[i]);
		fd = open(node, O_CREAT | O_WRONLY, 0666);
		if (fd < 0 || close(fd) < 0 || mount(dev, node, NULL, MS_BIND, NULL) < 0)
			return false;
	}
	if (mount(dir, "/dev", NULL, MS_MOVE, NULL) < 0)
		return false;
	rmdir(dir);
	return true;
}

/* With no /dev/kvm the default platform is hosted, said in one line with
 * the reason, and hello runs there: a container or a CI runner without
 * KVM. */
Test(hosted, no_kvm_device_defaults_to_hosted)
{
	if (!hide_kvm())
		cr_skip_test("cannot make a mount namespace here (%s): needs root", strerror(errno));
	cr_assert_eq(access("/dev/kvm", F_OK), -1, "/dev/kvm still there");
	cr_assert_eq(access("/dev/null", W_OK), 0, "/dev/null lost");
	unsetenv("EXO_PLATFORM");       /* exo's own choice */
	exo_run(&r, true, (const char *[]){ "run", "hello", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s", r.status, r.err);
	cr_assert(strstr(r.out, "hello from ring 3"), "stdout:\n%s", r.out);
	cr_assert(strstr(r.err, "platform hosted (/dev/kvm: No such file or directory"),
		  "stderr:\n%s", r.err);
}

/* In this test's process (Criterion forks one per test), and so in the exo
 * it starts: ptrace(2) fails with EPERM, as under a container's profile. */
static void
refuse_ptrace(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ptrace, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(f) / sizeof(f[0]), f };

	cr_assert_eq(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
	cr_assert_eq(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog), 0,
		     "seccomp: %s", strerror(errno));
}

/* A host that refuses ptrace: --platform ptrace says so, and what to use
 * instead, before it boots anything (exit 126: the host's refusal). */
Test(hosted, ptrace_refused_said_clearly)
{
	refuse_ptrace();
	exo_run(&r, false, (const char *[]){ "run", "--platform", "ptrace", "hello", NULL });
	cr_assert_eq(r.status, 126, "exit %d\nstdout:\n%s\nstderr:\n%s", r.status, r.out,
		     r.err);
	cr_assert(strstr(r.err, "does not let exo trace"), "stderr:\n%s", r.err);
	cr_assert(strstr(r.err, "--platform hosted"), "stderr:\n%s", r.err);
	cr_assert_null(strstr(r.out, "hello from ring 3"), "it ran:\n%s", r.out);
}
