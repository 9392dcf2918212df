/*
 * The program of docs/tutorial/pager.md, "Write a pager": a client thread in
 * an address space of its own, empty at the start, whose every page fault
 * the kernel turns into an IPC to a pager thread of ours. The pager maps our
 * code into the client (shared, read and execute), fresh zero pages for its
 * stack and for a demand-zero region, one read-only page it fills with a
 * pattern, and refuses everything else: a refused fault deletes the client,
 * as a segmentation fault ends a Unix process. Exits 0 only if every check
 * held; otherwise 1, after a line naming the check.
 */
#include "l4.h"
#include "libos.h"
#include "task.h"

#define ZERO_BASE     0x100000000ULL    /* the client's demand-zero region */
#define ZERO_PAGES    4
#define PATTERN_PAGE  (ZERO_BASE + ZERO_PAGES * EXO_PAGE_SIZE)
#define PATTERN(i)    (0xfeed000000000000ULL | (i))     /* word i of that page */
#define WORDS         (EXO_PAGE_SIZE / 8)

#define CHECK(c) do { if (!(c)) check_failed(__LINE__, #c); } while (0)

extern char __image_start[], __image_rw[];     /* user.ld: text and rodata */

static u64 main_tid;
static struct {
	u64 text, stack, zero, pattern, refused;
} served;

static void
check_failed(int line, const char *what)
{
	printf("tut-pager: check failed at line %d: %s\n", line, what);
	exit(1);
}

/* ---- the pager ---- */

/* The reply that maps our page at ours to the client's page, with rights:
 * no untyped words and one typed item of two words (<exo/ipc.h>). */
static void
reply_map(struct l4_msg *m, u64 page, const void *ours, u32 rights)
{
	m->mr[0] = EXO_TAG(0, 0, 2);
	m->mr[1] = EXO_ITEM_MAP | page;                 /* where it lands */
	m->mr[2] = EXO_FPAGE((u64)ours, 12, rights);    /* what: one 4 KiB page */
}

/* Decide a fault at addr (access: EXO_R, EXO_W or EXO_X): fill m with the
 * reply and return true, or return false to refuse it. */
static bool
serve(struct l4_msg *m, u64 addr, u32 access)
{
	u64 page = EXO_PAGE_DOWN(addr), *fresh;
	bool in_zero = page >= ZERO_BASE && page < PATTERN_PAGE;
	bool in_stack = page >= TASK_STACK_TOP - EXO_PAGE_SIZE && page < TASK_STACK_TOP;

	if (page >= (u64)__image_start && page < (u64)__image_rw) {
		if (access == EXO_W)
			return false;
		served.text++;
		reply_map(m, page, (void *)page, EXO_R | EXO_X);  /* our own copy */
		return true;
	}
	/* An access the mapping would not allow is refused: mapping the page
	 * again would only fault again. */
	if (access == EXO_X || (page == PATTERN_PAGE && access == EXO_W))
		return false;
	if (!in_zero && !in_stack && page != PATTERN_PAGE)
		return false;                   /* nothing backs it */
	fresh = mem_alloc(12);                  /* a zeroed page from σ0, mapped here */
	if (!fresh)
		return false;
	if (page == PATTERN_PAGE) {
		served.pattern++;
		for (u64 i = 0; i < WORDS; i++)
			fresh[i] = PATTERN(i);
		reply_map(m, page, fresh, EXO_R);
	} else {
		if (in_zero)
			served.zero++;
		else
			served.stack++;
		reply_map(m, page, fresh, EXO_RW);
	}
	return true;
}

/* The pager thread: a fault arrives as a call from the faulting thread,
 * label EXO_LABEL_PF(access), MR1 the address, MR2 the instruction pointer.
 * The reply resumes the thread, which retries the access. */
static void
pager(u64 arg)
{
	struct l4_msg m;
	u64 client, err;

	(void)arg;
	err = l4_wait(&m, &client);
	for (;;) {
		u64 label = EXO_TAG_LABEL(m.mr[0]), addr = m.mr[1];

		if (err || !EXO_LABEL_IS_PF(label)) {
			err = l4_wait(&m, &client);     /* not a fault: ignore it */
			continue;
		}
		if (serve(&m, addr, (u32)label & EXO_RWX)) {
			err = l4_reply_wait(client, &m, &client);
			continue;
		}
		/* Refused: delete the client, then tell main where it faulted. */
		served.refused++;
		l4_thread_control(client, EXO_NILTHREAD, 0, 0, -1);
		m = (struct l4_msg){ { EXO_TAG(0, 2, 0), addr, label & EXO_RWX } };
		l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
		err = l4_wait(&m, &client);
	}
}

/* ---- the client ---- */

/*
 * The client runs our code in its own space, where nothing is mapped at
 * first, not even this function: its first instruction fetch is a fault.
 * Page-aligned and flattened (every call in it inlined), it runs from one
 * text page and one stack page, so the pager's counts are exact.
 */
__attribute__((aligned(4096), flatten, noreturn)) static void
client(void)
{
	volatile u64 *zero = (volatile u64 *)ZERO_BASE;
	volatile u64 *pattern = (volatile u64 *)PATTERN_PAGE;
	struct l4_msg m;
	u64 parent, zeros = 0, patterned = 0;

	l4_wait(&m, &parent);                   /* main's "go": it is the sender */
	for (u64 p = 0; p < ZERO_PAGES; p++) {
		volatile u64 *w = zero + p * WORDS;

		if (w[0] == 0 && w[WORDS - 1] == 0) {   /* the read faults it in */
			w[0] = p + 1;                   /* a write, no fault: it is RW */
			zeros += w[0] == p + 1;
		}
	}
	for (u64 i = 0; i < WORDS; i++)
		patterned += pattern[i] == PATTERN(i);
	m = (struct l4_msg){ { EXO_TAG(0, 2, 0), zeros, patterned } };
	l4_call(parent, &m);                    /* report; wait for main's reply */
	pattern[0] = 0;                         /* the pager refuses: we die here */
	for (;;)
		;
}

/* A thread in a new address space, served by pager_tid, starting at
 * client() with its stack at TASK_STACK_TOP (libos/lib/task.h). */
static u64
client_start(u64 pager_tid)
{
	long tid = l4_thread_control(EXO_NILTHREAD, EXO_NILTHREAD, pager_tid,
				     TASK_UTCB, -1);

	if (tid <= 0)
		return 0;
	/* rsp = 8 mod 16, as if client() had been called */
	if (l4_exchange_registers((u64)tid, EXR_RESUME | EXR_SET_SP | EXR_SET_IP,
				  TASK_STACK_TOP - 8, (u64)client, 0, 0, 0) < 0)
		return 0;
	return (u64)tid;
}

int
main(void)
{
	struct l4_msg m = { { EXO_TAG(0, 0, 0) } };
	u64 pager_tid, client_tid, from;

	main_tid = l4_myself();
	pager_tid = thread_spawn(pager, 0);     /* a thread of ours, in our space */
	CHECK(pager_tid);
	client_tid = client_start(pager_tid);
	CHECK(client_tid);
	CHECK(l4_send(client_tid, &m, EXO_TIMEOUT_NEVER) == 0);           /* go */

	CHECK(l4_receive(client_tid, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	printf("tut-pager: the client read %lu demand-zero pages as zeros and wrote them\n",
	       m.mr[1]);
	CHECK(m.mr[1] == ZERO_PAGES);
	printf("tut-pager: it read %lu of %lu words of the pattern page as the pager wrote them\n",
	       m.mr[2], (u64)WORDS);
	CHECK(m.mr[2] == WORDS);

	m = (struct l4_msg){ { EXO_TAG(0, 0, 0) } };
	CHECK(l4_reply(client_tid, &m) == 0);   /* go on: write the pattern page */
	CHECK(l4_receive(pager_tid, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	printf("tut-pager: its write at %#lx was refused and the client deleted\n",
	       m.mr[1]);
	CHECK(m.mr[1] == PATTERN_PAGE && m.mr[2] == EXO_W);
	CHECK(l4_send(client_tid, &m, EXO_TIMEOUT_ZERO) != 0);  /* no such thread */

	printf("tut-pager: faults served: %lu text, %lu stack, %lu zero, %lu pattern, %lu refused\n",
	       served.text, served.stack, served.zero, served.pattern, served.refused);
	CHECK(served.text == 1 && served.stack == 1 && served.zero == ZERO_PAGES &&
	      served.pattern == 1 && served.refused == 1);
	puts("tut-pager: every check held");
	return 0;
}
