/*
 * The program of docs/tutorial/extension.md, "Write an extension": loads
 * ext/ticket.c's handler (clang's eBPF instructions, embedded by the build
 * as ext_ticket[]) into the kernel, which checks and compiles it, attaches
 * it to system call 0x4001 of this environment, takes tickets through it and
 * reads its counter; then drops it. Exits 0 only if every check held;
 * otherwise 1, after a line naming the check.
 */
#include <exo/ext.h>
#include <exo/extcall.h>

#include "exo.h"
#include "libos.h"

#include "ext_ticket.h"

#define NR_TICKET 0x4001                /* ext/ticket.c's */
#define NINSNS    (sizeof(ext_ticket) / 8)

#define CHECK(c) do { if (!(c)) check_failed(__LINE__, #c); } while (0)

static void
check_failed(int line, const char *what)
{
	printf("tut-ext: check failed at line %d: %s\n", line, what);
	exit(1);
}

/* The three calls of <exo/extcall.h>, and the one the extension answers. */
static long
ext_load(const void *insns, u64 n, u32 event, struct exo_ext_error *err)
{
	return l4_syscall5(SYS_ext_load, (long)insns, (long)n, event, (long)err, 0);
}

static long
ext_attach(exo_cap_t ext, exo_cap_t env, u32 sysno)
{
	return l4_syscall5(SYS_ext_attach, (long)ext, (long)env, sysno, 0, 0);
}

static long
ext_counter(exo_cap_t ext, u32 slot)
{
	return l4_syscall5(SYS_ext_counter, (long)ext, slot, 0, 0, 0);
}

static long
take_tickets(long n)
{
	return l4_syscall5(NR_TICKET, n, 0, 0, 0, 0);
}

int
main(void)
{
	struct exo_ext_error err = { 0 };
	long ext, env, t[4];

	printf("tut-ext: before loading, call 0x4001 returns %ld (-E_NOSYS)\n",
	       take_tickets(1));
	CHECK(take_tickets(1) == -E_NOSYS);

	ext = ext_load(ext_ticket, NINSNS, EXT_EV_SYSCALL, &err);
	if (ext == -E_REJECTED)
		printf("tut-ext: rejected at instruction %u: %s\n", err.insn, err.rule_name);
	CHECK(ext > 0);
	printf("tut-ext: the kernel checked and compiled ticket (%lu instructions)\n",
	       (u64)NINSNS);

	env = env_cap(l4_myself(), EXO_CAP_W);  /* our environment: whose calls */
	CHECK(env > 0);
	CHECK(ext_attach((exo_cap_t)ext, (exo_cap_t)env, NR_TICKET) == 0);

	t[0] = take_tickets(1);
	t[1] = take_tickets(5);
	t[2] = take_tickets(0);
	t[3] = take_tickets(1);
	printf("tut-ext: take 1, 5, 0, 1: tickets %ld, %ld, %ld, %ld\n", t[0], t[1], t[2], t[3]);
	CHECK(t[0] == 0 && t[1] == 1 && t[2] == 6 && t[3] == 6);
	printf("tut-ext: the extension's counter 0: %ld calls answered\n",
	       ext_counter((exo_cap_t)ext, 0));
	CHECK(ext_counter((exo_cap_t)ext, 0) == 4);

	/* Dropping the capability removes the extension everywhere. */
	CHECK(cap_drop((exo_cap_t)ext) == 0);
	printf("tut-ext: dropped: call 0x4001 returns %ld again\n", take_tickets(1));
	CHECK(take_tickets(1) == -E_NOSYS);
	CHECK(cap_drop((exo_cap_t)env) == 0);
	puts("tut-ext: every check held");
	return 0;
}
