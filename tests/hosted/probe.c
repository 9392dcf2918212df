/*
 * Whether this host lets the hosted platform be: a memfd (its physical
 * memory), a seccomp filter (every system call of a user program trapped)
 * and a mapping at the kernel interface page's address (EXO_USER_KIP, below
 * what vm.mmap_min_addr lets a process without CAP_SYS_RAWIO map). Exit 0
 * if all three work; 77 (CTest's "skipped") with the refusal said if one is
 * refused: the hosted suites then have nothing to run on (scripts/hosted-tests.sh).
 * `hosted_probe ptrace` asks for the ptrace platform instead: tracing a
 * child of its own (hosted/ptrace_probe.c, exo's own check) where hosted
 * needs the seccomp filter.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exo/layout.h>

#include "../../hosted/ptrace_probe.h"

#define SKIP 77

/* In a child: the filter stays there. 0, or the errno of the refusal. */
static int
seccomp_refused(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { 1, &allow };
	int ws;
	pid_t pid = fork();

	if (pid == 0) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			_exit(errno & 0x7f);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &ws, 0) != pid || !WIFEXITED(ws))
		return EAGAIN;
	return WEXITSTATUS(ws);
}

int
main(int argc, char **argv)
{
	int fd = memfd_create("exo-probe", MFD_CLOEXEC), err;
	bool ptrace = argc > 1 && !strcmp(argv[1], "ptrace");
	void *kip;

	if (fd < 0) {
		printf("skip: this host refuses memfd_create (%s): the hosted platform's "
		       "physical memory is a memfd\n", strerror(errno));
		return SKIP;
	}
	close(fd);
	err = ptrace ? -ptrace_probe() : 0;
	if (err) {
		printf("skip: this host does not let a process trace its children (%s: "
		       "Yama's ptrace_scope, or no CAP_SYS_PTRACE): the ptrace platform "
		       "traces every user thread\n", strerror(err));
		return SKIP;
	}
	err = ptrace ? 0 : seccomp_refused();
	if (err) {
		printf("skip: this host refuses seccomp filters (%s): the hosted platform "
		       "traps a program's system calls with one\n", strerror(err));
		return SKIP;
	}
	kip = mmap((void *)EXO_USER_KIP, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS |
		   MAP_FIXED_NOREPLACE, -1, 0);
	if (kip == MAP_FAILED) {
		printf("skip: this host refuses a mapping at %#llx (%s; vm.mmap_min_addr, "
		       "without CAP_SYS_RAWIO), where every space has the kernel interface "
		       "page: run as root or lower vm.mmap_min_addr\n",
		       (unsigned long long)EXO_USER_KIP, strerror(errno));
		return SKIP;
	}
	munmap(kip, 4096);
	return 0;
}
