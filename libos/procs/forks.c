/*
 * forks N [PROG ARG...]: forks N children one after another. Each child
 * checks that it sees the parent's memory as it was at the fork, writes
 * its own copy (copy on write: the parent must not see it) and exits with
 * its number; the parent waits for each and checks the status and that
 * its own memory kept its values. With PROG, one more child execs it and
 * the parent reports that child's status.
 */
#include "exos.h"
#include "libos.h"
#include "proc_table.h"

static volatile u64 word = 1000;        /* in the data segment: shared, then copied */

static void
child(u32 i)
{
	u64 stack_word = word;          /* the stack is copy-on-write too */

	if (stack_word != 1000 + i)
		exos_exit(200);
	word = 7777;
	exos_exit(word == 7777 ? (int)(i % 100) : 201);
}

static int
run_prog(int argc, char **argv)
{
	u32 status;
	long pid = exos_fork(), r;

	if (pid == 0) {
		r = exos_exec(argv[0], (u32)argc, argv);
		printf("forks: child cannot become %s: error %ld\n", argv[0], r);
		exos_exit(1);
	}
	if (pid < 0 || exos_waitpid((u32)pid, &status) != pid) {
		printf("forks: fork for %s failed: error %ld\n", argv[0], pid);
		return 1;
	}
	printf("forks: child %ld ran %s: %s %u\n", pid, argv[0],
	       EXOS_STATUS_KILLED(status) ? "killed by" : "exit", EXOS_STATUS_CODE(status));
	return 0;
}

int
main(int argc, char **argv)
{
	u32 n = argc > 1 ? (u32)atoi(argv[1]) : 3;

	for (u32 i = 0; i < n; i++) {
		u32 status = ~0u;
		long pid, got;

		word = 1000 + i;
		pid = exos_fork();
		if (pid == 0)
			child(i);
		got = pid > 0 ? exos_waitpid((u32)pid, &status) : pid;
		if (pid < 0 || got != pid || status != i % 100 || word != 1000 + i) {
			printf("forks: child %u: fork %ld, wait %ld, status %#x, parent's word %lu\n",
			       i, pid, got, status, (unsigned long)word);
			return 1;
		}
	}
	printf("forks: %u children, each saw the parent's memory and wrote its own copy; "
	       "every status came back\n", n);
	return argc > 2 ? run_prog(argc - 2, argv + 2) : 0;
}
