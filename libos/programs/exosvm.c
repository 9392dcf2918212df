/*
 * ExOS virtual-memory scenarios for the test suite: `exosvm CASE...`, each
 * against the library (libos/exos/) in a real boot. Exit status 0 means
 * every check held; otherwise the failing check's line (low byte), and a
 * console line says which.
 */
#include "exos.h"
#include "l4.h"
#include "libos.h"
#include "scenario.h"

#define BASE      0x310000000000ULL     /* each case its own 1 GiB below */
#define CASE_VA(n) (BASE + (u64)(n) * 0x40000000ULL)
#define PG        EXOS_PAGE

/* What the program's fault function saw; step: skip the faulting access
 * (2 bytes: the probes below) instead of unprotecting. Volatile, as the
 * library's statistics: a fault changes them where the compiler sees a
 * plain store. */
static volatile struct {
	u64 calls, va;
	u8 access;
	bool step, unprotect;
} seen;

static int
on_fault(u64 va, u8 access, struct exo_xframe *x)
{
	seen.calls++;
	seen.va = va;
	seen.access = access;
	if (seen.step) {
		x->rip += 2;
		return 0;
	}
	if (seen.unprotect)
		return exos_mprotect(va & ~(PG - 1), 1, EXOS_PROT_RW) == 0 ? 0 : 1;
	return 1;
}

/* Read a byte at va (not 0xff); a skipped fault leaves the marker 0x1ff. */
static u64
probe_read(u64 va)
{
	u64 v = 0x1ff;

	__asm__ volatile(".byte 0x8a, 0x07"     /* mov (%rdi), %al */
			 : "+a"(v) : "D"(va) : "memory");
	return v == 0x1ff ? v : v & 0xff;
}

/* Write byte b at va; 1 if the write was skipped by the fault function. */
static bool
probe_write(u64 va, u8 b)
{
	u64 before = seen.calls;

	__asm__ volatile(".byte 0x88, 0x07"     /* mov %al, (%rdi) */
			 :: "a"((u64)b), "D"(va) : "memory");
	return seen.calls != before;
}

static void
start(void)
{
	seen.calls = 0;
	seen.step = seen.unprotect = false;
	exos_vm_stats = (struct exos_vm_stats){ 0 };
	CHECK(exos_vm_init(on_fault) == 0);
}

/* Demand zero: a fresh frame at the first touch, loaded read-only for a
 * read (clean), writable for a write (dirty); no fault after. */
static void
case_demand(void)
{
	u64 va = CASE_VA(0);
	volatile u8 *p = (volatile u8 *)va;

	start();
	CHECK(exos_region_zero(va, 8, EXOS_PROT_RW) == 0);
	CHECK(exos_region_zero(va + 4 * PG, 1, EXOS_PROT_R) == -E_INVAL);  /* overlap */
	CHECK(exos_dirty(va) == 0);
	CHECK(p[0] == 0 && p[100] == 0);
	CHECK(exos_vm_stats.zero_fills == 1 && exos_dirty(va) == 0);
	p[PG + 5] = 7;
	CHECK(exos_vm_stats.zero_fills == 2 && exos_dirty(va + PG) == 1);
	for (u64 i = 2; i < 8; i++)
		p[i * PG] = (u8)i;
	CHECK(exos_vm_stats.zero_fills == 8);
	for (u64 i = 2; i < 8; i++)
		CHECK(p[i * PG] == i);
	CHECK(p[PG + 5] == 7 && exos_vm_stats.zero_fills == 8);
	CHECK(seen.calls == 0 && exos_vm_stats.violations == 0);
	CHECK(bind_query(va + 3 * PG) >= 0);    /* the kernel holds a binding */
	CHECK(exos_unmap(va + 3 * PG, 1) == 0);
	CHECK(bind_query(va + 3 * PG) == -E_NOENT);
	CHECK(p[3 * PG] == 0);                  /* back zero, a fresh frame */
	CHECK(exos_vm_stats.zero_fills == 9 && p[4 * PG] == 4);
	CHECK(exos_unmap(va, 8) == 0);          /* the region goes with it */
	CHECK(exos_dirty(va) == -E_NOENT && bind_query(va + 4 * PG) == -E_NOENT);
	CHECK(exos_vm_fini() == 0);
	puts("exosvm: demand: 9 zero fills, values kept, unmapped pages fresh again");
}

/* mprotect: a write to a read-only page reaches the program's function,
 * which unprotects it; the write then lands. Ranges too; reads of a
 * read-only page never reach it. */
static void
case_mprotect(void)
{
	u64 va = CASE_VA(1);
	volatile u8 *p = (volatile u8 *)va;

	start();
	CHECK(exos_region_zero(va, 4, EXOS_PROT_RW) == 0);
	for (u64 i = 0; i < 4; i++)
		p[i * PG] = (u8)(10 + i);
	CHECK(exos_mprotect(va + PG, 1, EXOS_PROT_R) == 0);
	CHECK(p[PG] == 11 && seen.calls == 0);          /* reading is allowed */
	seen.unprotect = true;
	p[PG] = 21;
	CHECK(seen.calls == 1 && seen.va == va + PG && seen.access == EXOS_ACCESS_W);
	CHECK(p[PG] == 21);
	/* A range, and PROT_NONE: reads reach the function as well. */
	CHECK(exos_mprotect(va, 4, EXOS_PROT_R) == 0);
	p[3 * PG] = 33;
	p[0] = 30;
	CHECK(seen.calls == 3 && p[0] == 30 && p[3 * PG] == 33 && p[2 * PG] == 12);
	CHECK(exos_mprotect(va + 2 * PG, 1, EXOS_PROT_NONE) == 0);
	seen.unprotect = false;
	seen.step = true;
	CHECK(probe_read(va + 2 * PG) == 0x1ff);
	CHECK(seen.calls == 4 && seen.access == EXOS_ACCESS_R);
	CHECK(probe_write(va + 2 * PG, 99));
	CHECK(exos_mprotect(va + 2 * PG, 1, EXOS_PROT_R) == 0);
	CHECK(probe_read(va + 2 * PG) == 12);            /* the write never landed */
	/* Not the library's: refused, nothing changed. */
	CHECK(exos_mprotect(va + 3 * PG, 2, EXOS_PROT_R) == -E_NOENT);
	CHECK(exos_mprotect(va, 1, 0x1) == -E_INVAL);
	CHECK(exos_unmap(va, 4) == 0);
	CHECK(exos_vm_fini() == 0);
	puts("exosvm: mprotect: writes to read-only pages reached the program, reads did not");
}

/* Dirty bits the library keeps: a read leaves a page clean, a write dirties
 * it; after exos_clean the next write faults again and dirties it again. */
static void
case_dirty(void)
{
	u64 va = CASE_VA(2), loads;
	volatile u8 *p = (volatile u8 *)va;

	start();
	CHECK(exos_region_zero(va, 2, EXOS_PROT_RW) == 0);
	CHECK(p[0] == 0 && p[PG] == 0);
	CHECK(exos_dirty(va) == 0 && exos_dirty(va + PG) == 0);
	loads = exos_vm_stats.loads;
	p[PG] = 1;
	CHECK(exos_vm_stats.loads == loads + 1);        /* R -> RW: one fault */
	CHECK(exos_dirty(va) == 0 && exos_dirty(va + PG) == 1);
	p[PG] = 2;
	CHECK(exos_vm_stats.loads == loads + 1);        /* writable now */
	CHECK(exos_clean(va + PG) == 0 && exos_dirty(va + PG) == 0);
	CHECK(p[PG] == 2 && exos_dirty(va + PG) == 0);
	p[PG] = 3;
	CHECK(exos_dirty(va + PG) == 1 && p[PG] == 3);
	CHECK(exos_dirty(CASE_VA(9)) == -E_NOENT && exos_clean(CASE_VA(9)) == -E_NOENT);
	CHECK(exos_unmap(va, 2) == 0);
	CHECK(exos_vm_fini() == 0);
	puts("exosvm: dirty: reads clean, writes dirty, clean re-arms the write fault");
}

static u16
frame_of(u64 va)
{
	const struct exos_pt *pt = exos_vm_table();

	return exos_pt_find((struct exos_pt *)pt, va)->frame;
}

/* Copy on write: two pages share one frame; a write to either separates
 * them, the other keeps the old byte; the last sharer keeps the frame. */
static void
case_cow(void)
{
	u64 a = CASE_VA(3), b = a + 16 * PG, c = a + 32 * PG;
	volatile u8 *pa = (volatile u8 *)a, *pb = (volatile u8 *)b, *pc = (volatile u8 *)c;
	const struct exos_pt *pt = exos_vm_table();

	start();
	CHECK(exos_region_zero(a, 1, EXOS_PROT_RW) == 0);
	pa[0] = 0xaa;
	CHECK(exos_cow(b, a, 1) == 0);
	CHECK(exos_cow(b, a, 1) == -E_EXIST);
	CHECK(frame_of(a) == frame_of(b) && pt->frames[frame_of(a)].refs == 2);
	CHECK(pb[0] == 0xaa && pa[0] == 0xaa && exos_vm_stats.copies == 0);
	pb[0] = 0xbb;                           /* the copy's side writes */
	CHECK(exos_vm_stats.copies == 1 && pb[0] == 0xbb && pa[0] == 0xaa);
	CHECK(frame_of(a) != frame_of(b));
	pa[1] = 0xcc;                           /* a is alone now: no copy */
	CHECK(exos_vm_stats.copies == 1 && exos_vm_stats.unshares == 1);
	CHECK(pa[1] == 0xcc && pb[1] == 0);
	/* The owner's side writes first this time. */
	CHECK(exos_cow(c, a, 1) == 0 && pc[0] == 0xaa);
	pa[0] = 0xdd;
	CHECK(exos_vm_stats.copies == 2 && pa[0] == 0xdd && pc[0] == 0xaa && pc[1] == 0xcc);
	pc[0] = 0xee;                           /* c holds the old frame alone */
	CHECK(exos_vm_stats.copies == 2 && exos_vm_stats.unshares == 2 && pc[0] == 0xee);
	CHECK(exos_unmap(a, 1) == 0 && exos_unmap(b, 1) == 0 && exos_unmap(c, 1) == 0);
	CHECK(exos_vm_fini() == 0);
	puts("exosvm: cow: shared until written, each side kept its own bytes");
}

/* Capabilities the environment never received, or not frames, or without
 * the rights asked: refused, and no page appears. */
static void
case_refuse(void)
{
	u64 va = CASE_VA(4);
	long f = frame_alloc(0), stale = frame_alloc(0), ro, env;

	start();
	CHECK(f > 0 && stale > 0);
	CHECK(exos_map(va, EXO_CAP(EXO_NCAPS - 3, 0x7777), EXOS_PROT_R) == -E_BADCAP);
	CHECK(frame_free((exo_cap_t)stale) == 0);
	CHECK(exos_map(va, (exo_cap_t)stale, EXOS_PROT_R) == -E_STALE);
	CHECK((env = env_cap(l4_myself(), EXO_CAP_X)) > 0);
	CHECK(exos_map(va, (exo_cap_t)env, EXOS_PROT_R) == -E_BADTYPE);
	CHECK((ro = cap_derive((exo_cap_t)f, EXO_CAP_R)) > 0);
	CHECK(exos_map(va, (exo_cap_t)ro, EXOS_PROT_RW) == -E_PERM);
	CHECK(exos_dirty(va) == -E_NOENT);
	/* Nothing of the library's there: a touch is the program's to judge. */
	seen.step = true;
	CHECK(probe_read(va) == 0x1ff && exos_vm_stats.foreign == 1);
	/* The read-only copy maps read-only; a write is a violation. */
	CHECK(exos_map(va, (exo_cap_t)ro, EXOS_PROT_R) == 0);
	CHECK(exos_map(va + PG, (exo_cap_t)ro, EXOS_PROT_R) == -E_EXIST);
	CHECK(probe_read(va) == 0 && exos_vm_stats.loads == 1);
	CHECK(probe_write(va, 1) && exos_vm_stats.violations == 1);
	CHECK(exos_unmap(va, 1) == 0);
	CHECK(frame_free((exo_cap_t)f) == 0);   /* the library left ours alone */
	CHECK(cap_drop((exo_cap_t)env) == 0);
	CHECK(exos_vm_fini() == 0);
	puts("exosvm: refuse: forged, stale, wrong type, too few rights: refused");
}

/* ---- swapping: revocation takes frames, the program loses nothing ---- */

#define SWAP_PAGES  8           /* 0..3 written, 4..7 only read (still zero) */
#define WORDS       (PG / 8)

static u64
pattern(u64 i, u64 w)
{
	return 0x5eed000000000000ULL | i << 32 | (w * 0x9e3779b1u & 0xffffffffu);
}

static bool
page_holds(u64 va, u64 i)
{
	for (u64 w = 0; w < WORDS; w++)
		if (((volatile u64 *)va)[w] != (i < SWAP_PAGES / 2 ? pattern(i, w) : 0))
			return false;
	return true;
}

/*
 * We ask our own environment for 6 frames. The library's REVOKE entry
 * gives back still-zero ones (4 here, if it runs before the deadline); it
 * cannot save the written ones, so the kernel takes the rest at the
 * deadline, autosaved, and the REPOSSESS upcall records their blocks.
 * However the host's timing falls, every frame asked for was given back or
 * taken, and every page reads back as it was: the taken ones from the
 * store, the given-back ones by a fresh fill.
 */
static void
case_swap(void)
{
	u64 va = CASE_VA(5), t0, khz = l4_kip()->tsc_khz, given, taken;
	long env = env_cap(l4_myself(), EXO_CAP_W);

	start();
	CHECK(env > 0);
	CHECK(exos_swap_init(3) == 0);
	CHECK(exos_swap_init(3) == 0 && exos_swap_init(2) == -E_EXIST);
	CHECK(exos_region_zero(va, SWAP_PAGES, EXOS_PROT_RW) == 0);
	for (u64 i = 0; i < SWAP_PAGES; i++)
		for (u64 w = 0; w < WORDS; w++)
			if (i < SWAP_PAGES / 2)
				((volatile u64 *)(va + i * PG))[w] = pattern(i, w);
			else
				CHECK(((volatile u64 *)(va + i * PG))[w] == 0);
	CHECK(exos_vm_stats.zero_fills == SWAP_PAGES);
	t0 = l4_rdtsc();
	CHECK(revoke_request((exo_cap_t)env, 6, 20000) == 0);
	while (!exos_vm_stats.repossess_upcalls && l4_rdtsc() - t0 < 10000 * khz)
		l4_thread_switch(EXO_NILTHREAD);
	given = exos_vm_stats.given_back;
	taken = exos_vm_stats.repossessed;
	printf("exosvm: swap: %lu revoke upcall(s), %lu given back, %lu repossessed "
	       "after %lu ms\n", exos_vm_stats.revoke_upcalls, given, taken,
	       (l4_rdtsc() - t0) / khz);
	CHECK(exos_vm_stats.revoke_upcalls == 1 && exos_vm_stats.repossess_upcalls == 1);
	CHECK(given <= SWAP_PAGES / 2 && taken >= 2 && taken <= 6 && given + taken >= 6);
	for (u64 i = 0; i < SWAP_PAGES; i++)
		CHECK(page_holds(va + i * PG, i));
	CHECK(exos_vm_stats.swapins == taken);
	CHECK(exos_vm_stats.zero_fills == SWAP_PAGES + given);
	for (u64 i = 0; i < SWAP_PAGES / 2; i++)
		CHECK(exos_dirty(va + i * PG) == 1);
	CHECK(exos_unmap(va, SWAP_PAGES) == 0);
	CHECK(cap_drop((exo_cap_t)env) == 0);
	CHECK(exos_vm_fini() == 0);
	printf("exosvm: swap: %lu given back, %lu taken and read back: nothing lost\n",
	       given, taken);
}

static const struct scenario_case cases[] = {
	{ "demand", case_demand },
	{ "mprotect", case_mprotect },
	{ "dirty", case_dirty },
	{ "cow", case_cow },
	{ "refuse", case_refuse },
	{ "swap", case_swap },
};

int
main(int argc, char **argv)
{
	return scenario_main("exosvm", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
