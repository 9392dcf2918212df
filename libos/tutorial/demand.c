/*
 * The program of docs/tutorial/libos.md, "Write a library OS exception
 * handler and demand paging": the exokernel gives this program its own
 * exceptions. Its handler, called in user mode on a stack of its own, pages
 * a region in on demand (a page fault there: a frame allocated with
 * frame_alloc, bound at the address with the frame's capability, the secure
 * binding) and steps over ud2; then the faulting code resumes, without the
 * kernel. Exits 0 only if every check held; otherwise 1, after a line
 * naming the check.
 */
#include "exo.h"
#include "libos.h"

#define REGION        0x300000000000ULL  /* nothing is mapped here at the start */
#define REGION_PAGES  16
#define WORDS         (EXO_PAGE_SIZE / 8)

#define CHECK(c) do { if (!(c)) check_failed(__LINE__, #c); } while (0)

static u8 handler_stack[16384] __attribute__((aligned(16)));
static exo_cap_t frames[REGION_PAGES];  /* page i's frame: its capability */
static u64 page_faults, ud2s;

static void
check_failed(int line, const char *what)
{
	printf("tut-demand: check failed at line %d: %s\n", line, what);
	exit(1);
}

/* A page fault in the region: a fresh (zero-filled) frame, bound at the
 * page, read and write. 0 if done, else the error. */
static long
page_in(u64 addr)
{
	u64 page = addr & ~(EXO_PAGE_SIZE - 1);
	u64 i = (page - REGION) / EXO_PAGE_SIZE;
	long cap = frame_alloc(0);

	if (cap < 0)
		return cap;
	frames[i] = (exo_cap_t)cap;
	return bind(frames[i], page, EXO_BIND_R | EXO_BIND_W | EXO_BIND_NOW);
}

/*
 * Every exception of this thread comes here, with x the state at the fault
 * (<exo/exo.h>: vector, cr2, rip, ...). Returning 0 resumes at x->rip with
 * x's registers; returning nonzero declines: the thread exits, status
 * 128 + vector.
 */
static int
handler(struct exo_xframe *x)
{
	switch (x->vector) {
	case 14:                                /* #PF: cr2 is the address */
		if (x->cr2 < REGION || x->cr2 >= REGION + REGION_PAGES * EXO_PAGE_SIZE)
			return 1;               /* not our region: a real fault */
		page_faults++;
		return page_in(x->cr2) == 0 ? 0 : 1;    /* resume: the access is retried */
	case 6:                                 /* #UD */
		ud2s++;
		x->rip += 2;                    /* ud2 is two bytes: step over it */
		return 0;
	}
	return 1;
}

int
main(void)
{
	volatile u64 *region = (volatile u64 *)REGION;
	u64 a = 1, b = 2;

	CHECK(exo_handler_set(handler, handler_stack + sizeof(handler_stack)) == 0);

	/* First touch of each page: a fault, a frame, a binding; then the
	 * write lands in that frame. */
	for (u64 p = 0; p < REGION_PAGES; p++) {
		CHECK(region[p * WORDS] == 0);
		region[p * WORDS] = 100 + p;
	}
	printf("tut-demand: %lu pages touched, %lu page faults handled\n",
	       (u64)REGION_PAGES, page_faults);
	CHECK(page_faults == REGION_PAGES);

	/* Bound now: no more faults, every value where it was written. */
	for (u64 p = 0; p < REGION_PAGES; p++) {
		CHECK(region[p * WORDS] == 100 + p);
		CHECK(bind_query(REGION + p * EXO_PAGE_SIZE) == (long)frames[p]);
	}
	printf("tut-demand: read back without a fault: %lu page faults in all\n",
	       page_faults);
	CHECK(page_faults == REGION_PAGES);

	/* An invalid instruction: the handler steps over it. */
	__asm__ volatile("ud2" : "+r"(a), "+r"(b) : : "memory");
	printf("tut-demand: ud2 stepped over %lu time, registers intact\n", ud2s);
	CHECK(ud2s == 1 && a == 1 && b == 2);

	/* Freeing a frame removes its binding: the page is gone. */
	for (u64 p = 0; p < REGION_PAGES; p++)
		CHECK(frame_free(frames[p]) == 0);
	CHECK(bind_query(REGION) == -E_NOENT);
	CHECK(exo_handler_set(0, 0) == 0);
	puts("tut-demand: frames freed, bindings gone; every check held");
	return 0;
}
