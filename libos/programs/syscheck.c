/*
 * syscheck: the system-call layer refuses bad arguments with the documented
 * errors and writes nothing when it refuses. Exit status = failed checks.
 */
#include <exo/bootinfo.h>
#include <exo/layout.h>

#include "libos.h"

#define RFLAGS_DF (1UL << 10)
#define RFLAGS_NT (1UL << 14)

static int failures;

/*
 * A system call made with a flag set that the kernel must not inherit (DF)
 * or pass back into privileged state (NT). Returns the call's result; the
 * flag is cleared again right after.
 */
static long
flagged_call(unsigned long flag, const char *buf)
{
	long ret;

	__asm__ volatile("pushfq; orq %[f], (%%rsp); popfq; syscall; cld;"
			 "pushfq; andq %[nf], (%%rsp); popfq"
			 : "=a"(ret)
			 : "a"((long)SYS_console_write), "D"(buf), "S"(3L),
			   [f] "r"(flag), [nf] "r"(~flag)
			 : "rcx", "r11", "memory", "cc");
	return ret;
}

static void
expect(const char *what, long got, long want)
{
	if (got != want) {
		printf("syscheck: %s: got %ld, want %ld\n", what, got, want);
		failures++;
	}
}

int
main(void)
{
	static char page_pair[2 * EXO_PAGE_SIZE] __attribute__((aligned(4096)));
	char *edge = page_pair + EXO_PAGE_SIZE - 3;

	expect("NULL buffer", console_write(0, 1), -E_FAULT);
	expect("kernel buffer", console_write((void *)(EXO_KERNEL_BASE + 0x100000), 16),
	       -E_FAULT);
	expect("unmapped buffer", console_write((void *)0x10000000, 8), -E_FAULT);
	expect("wrapping length", console_write((void *)0x400000, (size_t)-1 - 0x1000),
	       -E_INVAL);
	expect("end past user space",
	       console_write((void *)(EXO_USER_END - 8), 16), -E_FAULT);
	expect("runs into unmapped page",
	       console_write((void *)(EXO_USER_ARGS + EXO_PAGE_SIZE - 4), 8), -E_FAULT);
	expect("too long", console_write(page_pair, EXO_CONSOLE_WRITE_MAX + 1), -E_INVAL);
	expect("zero length", console_write(0, 0), 0);
	memcpy(edge, "ok\n", 3);
	memcpy(page_pair, "ok\n", 3);
	expect("across two pages", console_write(edge, 3), 3);
	expect("unknown call", sys_call3(SYS_NR, 0, 0, 0), -E_NOSYS);
	expect("negative call", sys_call3(-1, 0, 0, 0), -E_NOSYS);
	expect("ktest without boot option", ktest(KTEST_PANIC, 0), -E_NOSYS);
	expect("timer ktest without boot option", ktest(KTEST_TIMER, 1), -E_NOSYS);
	expect("call with DF set", flagged_call(RFLAGS_DF, page_pair), 3);
	expect("call with NT set", flagged_call(RFLAGS_NT, page_pair), 3);
	printf("syscheck: %d failure(s)\n", failures);
	return failures;
}
