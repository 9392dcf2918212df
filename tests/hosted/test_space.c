/*
 * The hosted platform's software translation table (hosted/space.c),
 * alone: against a plain reference under many random maps, unmaps and
 * protects (the table's deletion shifts entries back, which is easy to get
 * wrong), the pages it must refuse (page 0, the stub's range), and the
 * requests it queues for the space's process, coalesced into runs, and,
 * with several CPUs, the shootdown batch each unmap and protect joins.
 */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "guest/core/platform.h"
#include "hosted/hosted.h"

struct hosted hosted;

/* What space.c asks of proc.c: the queue, recorded; no process. */
int
hosted_queue(struct hspace *s, const struct stub_req *r)
{
	if (s->nq == s->capq) {
		s->capq = s->capq ? 2 * s->capq : 64;
		s->q = realloc(s->q, s->capq * sizeof(*s->q));
		cr_assert_not_null(s->q);
	}
	if (s->nq && r->op == STUB_MMAP && s->q[s->nq - 1].op == STUB_MMAP &&
	    s->q[s->nq - 1].addr + s->q[s->nq - 1].len == r->addr &&
	    s->q[s->nq - 1].off + s->q[s->nq - 1].len == r->off &&
	    s->q[s->nq - 1].prot == r->prot) {
		s->q[s->nq - 1].len += r->len;
		return 0;
	}
	s->q[s->nq++] = *r;
	return 0;
}

void
hosted_space_kill(struct hspace *s)
{
	(void)s;
}

/* What space.c asks of the core's shootdowns (tlb.c): recorded. */
u32 ncpus = 1;
static struct arch_space *batch_space;
static u64 batch_va[8];
static u32 batch_n;

void
tlb_batch_add(struct arch_space *s, u64 va)
{
	batch_space = s;
	if (batch_n < 8)
		batch_va[batch_n] = va;
	batch_n++;
}

static void
setup(void)
{
	memset(&hosted, 0, sizeof(hosted));
	ncpus = 1;
	batch_space = NULL;
	batch_n = 0;
	hosted.mem_size = 64ULL << 20;
	hosted.total = hosted.mem_size + (1ULL << 30);
}

TestSuite(hosted_space, .init = setup);

#define PAGES 4096
#define BASE  0x400000ULL

Test(hosted_space, random_operations_match_a_reference)
{
	static u64 ref[PAGES];          /* pa | rights, 0: unmapped */
	struct arch_space as;
	unsigned seed = 12345;

	cr_assert_eq(arch_space_create(&as), 0);
	for (int step = 0; step < 200000; step++) {
		unsigned i = (seed = seed * 1103515245 + 12345) >> 8 & (PAGES - 1);
		unsigned op = seed >> 24 & 3;
		u64 va = BASE + (u64)i * EXO_PAGE_SIZE, pa;
		u32 rights = EXO_SEG_R | (seed >> 20 & 1 ? EXO_SEG_W : 0);

		if (op == 0 || op == 1) {
			u64 frame = (u64)(seed >> 4 & 0x3fff) * EXO_PAGE_SIZE + EXO_PAGE_SIZE;
			int r = arch_space_map(&as, va, frame, EXO_PAGE_SIZE, rights);

			cr_assert_eq(r, ref[i] ? -E_INVAL : 0, "step %d: map %#llx", step,
				     (unsigned long long)va);
			if (!ref[i])
				ref[i] = frame | rights;
		} else if (op == 2) {
			int r = arch_space_unmap(&as, va, &pa);

			cr_assert_eq(r, ref[i] ? 0 : -E_FAULT, "step %d: unmap", step);
			if (ref[i])
				cr_assert_eq(pa, ref[i] & ~0xfffULL);
			ref[i] = 0;
		} else {
			int r = arch_space_protect(&as, va, rights);

			cr_assert_eq(r, ref[i] ? 0 : -E_FAULT, "step %d: protect", step);
			if (ref[i])
				ref[i] = (ref[i] & ~0xfffULL) | rights;
		}
		if (step % 1000 == 0)
			for (unsigned k = 0; k < PAGES; k++) {
				u64 v = BASE + (u64)k * EXO_PAGE_SIZE;
				int r = arch_space_lookup(&as, v + 8, 0, &pa);

				cr_assert_eq(r, ref[k] ? 0 : -E_FAULT, "step %d: page %u", step, k);
				if (ref[k])
					cr_assert_eq(pa, (ref[k] & ~0xfffULL) + 8);
			}
	}
	arch_space_destroy(&as);
}

Test(hosted_space, page_zero_and_the_stub_are_never_mapped)
{
	struct arch_space as;
	u64 pa, arch[2];

	cr_assert_eq(arch_space_create(&as), 0);
	cr_assert_eq(arch_space_lookup(&as, 0, 0, &pa), -E_FAULT, "page 0 on an empty table");
	cr_assert_eq(arch_space_lookup(&as, 0x10, 0, &pa), -E_FAULT);
	cr_assert_eq(arch_space_map(&as, 0, EXO_PAGE_SIZE, EXO_PAGE_SIZE, EXO_SEG_R), -E_INVAL);
	cr_assert_not(arch_space_map_page(&as, 0, EXO_PAGE_SIZE, EXO_SEG_R));
	for (u64 va = STUB_LO; va < STUB_HI; va += 0x1000000)
		cr_assert_eq(arch_space_map(&as, va, EXO_PAGE_SIZE, EXO_PAGE_SIZE,
					    EXO_SEG_R | EXO_SEG_W), -E_INVAL,
			     "stub range %#llx", (unsigned long long)va);
	cr_assert_eq(arch_space_map(&as, STUB_SLOTS, EXO_PAGE_SIZE, EXO_PAGE_SIZE,
				    EXO_SEG_R), -E_INVAL);
	cr_assert_eq(arch_space_map(&as, STUB_CTL, EXO_PAGE_SIZE, EXO_PAGE_SIZE,
				    EXO_SEG_R), -E_INVAL);
	cr_assert_not(arch_space_map_page(&as, STUB_BASE, EXO_PAGE_SIZE, EXO_SEG_R));
	cr_assert_eq(arch_stlb_fill(&as, STUB_BASE, EXO_PAGE_SIZE, EXO_SEG_R, arch), -E_INVAL);
	/* A run that ends in the stub is refused there. */
	cr_assert_eq(arch_space_map(&as, STUB_LO - EXO_PAGE_SIZE, EXO_PAGE_SIZE,
				    2 * EXO_PAGE_SIZE, EXO_SEG_R), -E_INVAL);
	/* Beside it, user pages are fine (libos's task stacks and UTCBs). */
	cr_assert_eq(arch_space_map(&as, 0x7fff90000000ULL, EXO_PAGE_SIZE, EXO_PAGE_SIZE,
				    EXO_SEG_R), 0);
	cr_assert_eq(arch_space_map(&as, EXO_USER_KIP, EXO_PAGE_SIZE, EXO_PAGE_SIZE,
				    EXO_SEG_R), 0);
	arch_space_destroy(&as);
}

Test(hosted_space, changes_queue_coalesced_requests)
{
	struct arch_space as;
	struct hspace *s;
	u64 pa;

	cr_assert_eq(arch_space_create(&as), 0);
	s = hosted_space(as.root);
	cr_assert_not_null(s);
	cr_assert_eq(arch_space_map(&as, BASE, 0x100000, 16 * EXO_PAGE_SIZE,
				    EXO_SEG_R | EXO_SEG_X), 0);
	cr_assert_eq(s->nq, 1, "16 contiguous pages: one mmap");
	cr_assert_eq(s->q[0].op, STUB_MMAP);
	cr_assert_eq(s->q[0].len, 16 * EXO_PAGE_SIZE);
	cr_assert_eq(s->q[0].off, 0x100000);
	cr_assert_eq(arch_space_unmap(&as, BASE + EXO_PAGE_SIZE, &pa), 0);
	cr_assert_eq(arch_space_protect(&as, BASE, EXO_SEG_R), 0);
	cr_assert_eq(s->nq, 3);
	cr_assert_eq(s->q[1].op, STUB_MUNMAP);
	cr_assert_eq(s->q[1].addr, BASE + EXO_PAGE_SIZE);
	cr_assert_eq(s->q[2].op, STUB_MPROTECT);
	arch_space_destroy(&as);
}

/* One CPU: the queue goes before the space's next run, nothing to batch.
 * Several: every unmap and protect joins the shootdown batch (page-aligned
 * address), and a map, which takes nothing away, does not. */
Test(hosted_space, several_cpus_batch_unmaps_and_protects)
{
	struct arch_space as;
	u64 pa;

	cr_assert_eq(arch_space_create(&as), 0);
	cr_assert_eq(arch_space_map(&as, BASE, EXO_PAGE_SIZE, 2 * EXO_PAGE_SIZE, EXO_SEG_W), 0);
	cr_assert_eq(arch_space_unmap(&as, BASE + 12, &pa), 0);
	cr_assert_eq(batch_n, 0, "one CPU: no batch");
	ncpus = 2;
	cr_assert_eq(arch_space_map(&as, BASE, EXO_PAGE_SIZE, EXO_PAGE_SIZE, EXO_SEG_W), 0);
	cr_assert_eq(batch_n, 0, "a map takes nothing away");
	cr_assert_eq(arch_space_protect(&as, BASE + EXO_PAGE_SIZE + 5, 0), 0);
	cr_assert_eq(arch_space_unmap(&as, BASE + 7, &pa), 0);
	cr_assert_eq(pa, EXO_PAGE_SIZE);
	cr_assert_eq(batch_n, 2);
	cr_assert_eq(batch_space, &as);
	cr_assert_eq(batch_va[0], BASE + EXO_PAGE_SIZE);
	cr_assert_eq(batch_va[1], BASE);
	cr_assert_eq(arch_space_unmap(&as, BASE, &pa), -E_FAULT);
	cr_assert_eq(batch_n, 2, "nothing unmapped: nothing to shoot down");
	arch_space_destroy(&as);
}
