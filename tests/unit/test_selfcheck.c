/*
 * The kernel's self-check (guest/core/selfcheck.c) on the fake platform: a
 * world built the way the kernel builds it passes, and each structure broken
 * on purpose is found, with the kind and the object the fuzzer reports.
 */
#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/exo.h>
#include <exo/layout.h>

#include "guest/core/bind.h"
#include "guest/core/cap.h"
#include "guest/core/env.h"
#include "guest/core/frame.h"
#include "guest/core/mdb.h"
#include "guest/core/selfcheck.h"

#include "kernel_fixture.h"

#define VA      0x40000000ULL
#define VA_MAP  0x50000000ULL
#define VA_BAD  0x60000000ULL

static struct space *a, *b;
static struct thread *ta, *tb;
static exo_cap_t fa, fb;

static u64
frame_pa(struct space *s, exo_cap_t c)
{
	int err;

	return cap_get(env_of(s), c, EXO_CAP_FRAME, 0, &err)->object;
}

/*
 * Two tasks with a thread each; a frame bound now in a, one bound lazily in
 * b; a σ0 page made a root in a and mapped on to b (L4 map).
 */
static void
setup(void)
{
	u64 s0 = kernel_kip()->sigma0_first;

	fake_reset();
	fix_core_boot();
	a = fix_space(0, true);
	b = fix_space(0, false);
	ta = fix_thread(a, 100);
	tb = fix_thread(b, 100);
	fa = fix_frame(a);
	fb = fix_frame(b);
	cr_assert_eq(bind_frame(a, fa, VA, EXO_BIND_R | EXO_BIND_W | EXO_BIND_NOW), 0);
	cr_assert_eq(bind_frame(b, fb, VA, EXO_BIND_R), 0);
	cr_assert_eq(mdb_map_root(a, VA_MAP, s0, EXO_PAGE_SIZE, EXO_RWX), 0);
	cr_assert_eq(mdb_map(a, VA_MAP, b, VA_MAP, EXO_R, false), 0);
}

TestSuite(selfcheck, .init = setup);

static struct selfcheck_result
check(void)
{
	struct selfcheck_result r;

	cr_assert_eq(selfcheck_run(&r), 0, "no frame for the bitmap");
	return r;
}

static void
expect(u32 kind, u64 object)
{
	struct selfcheck_result r = check();

	cr_assert_geq(r.violations, 1, "nothing found (want kind %u)", kind);
	cr_assert_eq(r.kind, kind, "first violation kind %u object %#llx, want %u",
		     r.kind, (unsigned long long)r.object, kind);
	cr_assert_eq(r.object, object, "object %#llx, want %#llx",
		     (unsigned long long)r.object, (unsigned long long)object);
}

Test(selfcheck, a_world_the_kernel_built_passes)
{
	struct selfcheck_result r = check();

	cr_assert_eq(r.violations, 0, "kind %u object %#llx", r.kind,
		     (unsigned long long)r.object);
	cr_assert_eq(selfcheck_frames(KTEST_FR_CAPS), 2);
	cr_assert_eq(selfcheck_frames(KTEST_FR_UTCBS), 2);
	cr_assert_eq(selfcheck_frames(KTEST_FR_TABLES), 0, "the fake's take none");
	cr_assert_eq(selfcheck_frames(99), -E_INVAL);
}

/* Its bitmap goes back: the free count is the same after as before. */
Test(selfcheck, takes_no_frame_for_good)
{
	i64 before = selfcheck_frames(KTEST_FR_AVAIL);

	check();
	cr_assert_eq(selfcheck_frames(KTEST_FR_AVAIL), before);
	cr_assert_eq(check().violations, 0);
}

/* Deleting what was built leaves nothing behind to complain of. */
Test(selfcheck, passes_after_teardown)
{
	cr_assert_eq(frame_cap_free(a, fa), 0);
	thread_delete(tb);
	cr_assert_eq(check().violations, 0);
	cr_assert_eq(selfcheck_frames(KTEST_FR_CAPS), 0, "b died with its frame");
	cr_assert_eq(selfcheck_frames(KTEST_FR_UTCBS), 1);
}

Test(selfcheck, finds_a_frame_owned_and_free)
{
	u64 pa = frame_pa(a, fa);

	frame_free(pa);         /* the capability still owns it */
	expect(SC_FRAME_TWICE, pa);
}

Test(selfcheck, finds_a_frame_owned_twice)
{
	u64 pa = frame_pa(a, fa);
	int err;

	cap_get(env_of(b), fb, 0, 0, &err)->object = pa;
	expect(SC_FRAME_TWICE, pa);
}

Test(selfcheck, finds_a_lost_frame)
{
	cr_assert_neq(frame_alloc(), 0);        /* and nobody keeps it */
	expect(SC_FRAME_LEAK, 1);
}

Test(selfcheck, finds_a_cycle_in_the_free_list)
{
	u64 pa = frame_alloc();

	frame_free(pa);
	frame_free(pa);
	expect(SC_FRAME_TWICE, pa);
}

Test(selfcheck, finds_a_translation_to_a_free_frame)
{
	u64 pa = frame_alloc(), spare = frame_alloc();

	/* The check's own bitmap takes a frame: the spare, freed last. */
	frame_free(pa);
	frame_free(spare);
	cr_assert_eq(arch_space_map(&b->pt, VA_BAD, pa, EXO_PAGE_SIZE, EXO_SEG_R), 0);
	expect(SC_FRAME_TWICE, pa);
}

Test(selfcheck, finds_a_translation_nothing_explains)
{
	cr_assert_eq(arch_space_map(&b->pt, VA_BAD, frame_pa(a, fa), EXO_PAGE_SIZE,
				    EXO_SEG_R), 0);
	expect(SC_PTE_STRAY, VA_BAD);
}

Test(selfcheck, finds_a_binding_wider_than_its_rights)
{
	u64 pa;

	/* b's lazy binding is read-only: a writable translation is no binding. */
	cr_assert_eq(arch_space_map(&b->pt, VA, frame_pa(b, fb), EXO_PAGE_SIZE,
				    EXO_SEG_R | EXO_SEG_W), 0);
	expect(SC_PTE_STRAY, VA);
	cr_assert_eq(arch_space_unmap(&b->pt, VA, &pa), 0);
}

Test(selfcheck, finds_a_node_its_tables_lost)
{
	u64 pa;

	cr_assert_eq(arch_space_unmap(&b->pt, VA_MAP, &pa), 0);
	expect(SC_MDB, 0);
}

Test(selfcheck, finds_a_software_tlb_entry_for_another_frame)
{
	struct stlb_entry *ent = &env_of(b)->stlb[(VA >> 12) & (EXO_STLB_ENTRIES - 1)];

	cr_assert(ent->tag & STLB_VALID);
	ent->pa_rights += EXO_PAGE_SIZE;
	expect(SC_STLB, (u64)b->index << 16 | ((VA >> 12) & (EXO_STLB_ENTRIES - 1)));
}

Test(selfcheck, finds_a_wrong_frame_count)
{
	env_of(a)->frames++;
	expect(SC_CAP, a->index);
}

Test(selfcheck, finds_a_thread_on_two_queues)
{
	/* tb is ready (on the ready queue); link it on ta's send queue too. */
	cr_assert_eq(tb->state, TS_READY);
	cr_assert_not_null(tb->rnext);
	ta->sendq = tb;
	tb->qprev = tb;
	tb->qnext = 0;
	expect(SC_QUEUE, tb->id);
}

Test(selfcheck, finds_a_cycle_in_a_ready_queue)
{
	struct thread *t = fix_thread(a, 100);

	/* The queue at 100 holds ta, tb, t: make t point back to tb, whose
	 * rprev is ta: t's is the link found broken. */
	cr_assert_eq(t->rnext, ta);
	t->rnext = tb;
	expect(SC_QUEUE, t->id);
}

Test(selfcheck, finds_a_timeout_on_a_ready_thread)
{
	tb->wakeup = 5;
	tb->tnext = 0;
	cpus[0].sched.timeouts = tb;
	expect(SC_QUEUE, tb->id);
}
