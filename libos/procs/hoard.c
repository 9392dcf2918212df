/*
 * hoard N [give]: owns N frames of its own (frame_alloc, bound and
 * written), more than a process may keep (EXOS_OWN_FRAMES), and makes its
 * one thread its REVOKE entry. The session manager asks for the excess
 * back (visible revocation). With "give" it answers: it frees what is
 * asked, checks the rest kept its contents and exits 0. Without, it
 * ignores the request: the kernel's abort protocol takes the frames at the
 * deadline, and the manager ends it and reports it to the parent.
 */
#include "exos.h"
#include "libos.h"
#include "proc_abi.h"

#define HOARD_VA   0x0000600000000000ULL
#define HOARD_MAX  64

static exo_cap_t frames[HOARD_MAX];
static u32 held;
static bool give;
static u8 entry_stack[8192] __attribute__((aligned(16)));

static u8
pattern(u32 i)
{
	return (u8)(0x5a ^ i);
}

/* rdi the upcall, rsi frames owed, rdx the deadline (<exo/exo.h>). */
static void __attribute__((noreturn))
hoard_upcall(u64 kind, u64 owed, u64 deadline)
{
	(void)deadline;
	if (kind == EXO_UPCALL_REVOKE && give) {
		u32 asked = owed < held ? (u32)owed : held;

		for (u32 i = 0; i < asked; i++)
			frame_free(frames[--held]);
		for (u32 i = 0; i < held; i++)
			if (*(volatile u8 *)(HOARD_VA + i * EXO_PAGE_SIZE) != pattern(i))
				exos_exit(3);
		printf("hoard: gave back %u frames, kept %u intact\n", asked, held);
		exos_exit(0);
	}
	if (kind == EXO_UPCALL_REVOKE)
		printf("hoard: ignores a request for %lu frames\n", owed);
	upcall_wait();          /* returns only refused */
	exos_exit(4);
}

int
main(int argc, char **argv)
{
	u32 n = argc > 1 ? (u32)atoi(argv[1]) : 0;
	long r;

	give = argc > 2 && !strcmp(argv[2], "give");
	if (n <= EXOS_OWN_FRAMES || n > HOARD_MAX || (argc > 2 && !give)) {
		printf("hoard: give N (%u < N <= %u) and, to answer revocation, "
		       "'give'; got '%s'\n", EXOS_OWN_FRAMES, HOARD_MAX,
		       argc > 1 ? argv[1] : "");
		return 2;
	}
	/* The entry first: a request made before it existed would not be
	 * delivered, and "give" would not see it. */
	r = env_entry(EXO_ENTRY_REVOKE, (u64)hoard_upcall,
		      (u64)(entry_stack + sizeof entry_stack) - 8);
	if (r < 0) {
		printf("hoard: env_entry: error %ld\n", r);
		return 1;
	}
	for (held = 0; held < n; held++) {
		long c = frame_alloc(0);

		if (c < 0 || bind((exo_cap_t)c, HOARD_VA + held * EXO_PAGE_SIZE,
				  EXO_BIND_W | EXO_BIND_NOW) < 0) {
			printf("hoard: frame %u: error %ld\n", held, c);
			return 1;
		}
		frames[held] = (exo_cap_t)c;
		memset((void *)(HOARD_VA + held * EXO_PAGE_SIZE), pattern(held), EXO_PAGE_SIZE);
	}
	printf("hoard: holds %u frames of its own%s\n", n, give ? "" : ", gives none back");
	upcall_wait();          /* as the REVOKE entry, from now on */
	return 4;
}
