/*
 * The VMM's backing store (vmm/backing.c), the way hostdev.c serves it:
 * saves and reads by guest-physical address, and every bad request refused
 * with a status, nothing changed, nothing crashed.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "vmm/backing.h"

#define PAGE 4096u
#define MEM  (16 * PAGE)

static struct backing b;
static uint8_t *mem;

static void
setup(void)
{
	memset(&b, 0, sizeof(b));
	mem = calloc(1, MEM);
	cr_assert_not_null(mem);
}

static void
teardown(void)
{
	backing_free(&b);
	free(mem);
}

TestSuite(backing, .init = setup, .fini = teardown);

static struct exo_backing_req
req(uint32_t op, uint32_t store, uint64_t block, uint64_t gpa)
{
	struct exo_backing_req r = { .op = op, .store = store, .block = block,
				     .gpa = gpa, .status = 0xdead };

	backing_serve(&b, &r, mem, MEM);
	return r;
}

Test(backing, save_then_read_back)
{
	struct exo_backing_req r;

	memset(mem + 2 * PAGE, 0xab, PAGE);
	memset(mem + 3 * PAGE, 0xcd, PAGE);
	r = req(EXO_BACKING_SAVE, 1, 99, 2 * PAGE);
	cr_assert_eq(r.status, EXO_BACKING_OK);
	cr_assert_eq(r.block, 0);
	r = req(EXO_BACKING_SAVE, 1, 0, 3 * PAGE);
	cr_assert_eq(r.status, EXO_BACKING_OK);
	cr_assert_eq(r.block, 1);
	memset(mem + 2 * PAGE, 0, 2 * PAGE);
	cr_assert_eq(req(EXO_BACKING_READ, 1, 1, 5 * PAGE).status, EXO_BACKING_OK);
	cr_assert_eq(req(EXO_BACKING_READ, 1, 0, 6 * PAGE).status, EXO_BACKING_OK);
	for (unsigned i = 0; i < PAGE; i++) {
		cr_assert_eq(mem[5 * PAGE + i], 0xcd);
		cr_assert_eq(mem[6 * PAGE + i], 0xab);
	}
	/* Stores are apart. */
	cr_assert_eq(req(EXO_BACKING_READ, 2, 0, 6 * PAGE).status, EXO_BACKING_ENOENT);
	cr_assert_eq(b.saves, 2);
	cr_assert_eq(b.reads, 2);
}

Test(backing, bad_requests_are_refused)
{
	memset(mem, 0x11, MEM);
	cr_assert_eq(req(EXO_BACKING_SAVE, 1, 0, 0).status, EXO_BACKING_OK);
	cr_assert_eq(req(0, 1, 0, 0).status, EXO_BACKING_EINVAL);
	cr_assert_eq(req(99, 1, 0, 0).status, EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_SAVE, 0, 0, 0).status, EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_SAVE, EXO_BACKING_STORES + 1, 0, 0).status,
		     EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_SAVE, ~0u, 0, 0).status, EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_SAVE, 1, 0, 100).status, EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_SAVE, 1, 0, MEM).status, EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_SAVE, 1, 0, ~0ULL & ~0xfffULL).status,
		     EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_READ, 1, 0, MEM - PAGE + 8).status,
		     EXO_BACKING_EINVAL);
	cr_assert_eq(req(EXO_BACKING_READ, 1, 1, 0).status, EXO_BACKING_ENOENT);
	cr_assert_eq(req(EXO_BACKING_READ, 1, ~0ULL, 0).status, EXO_BACKING_ENOENT);
	cr_assert_eq(b.saves, 1, "refused saves stored nothing");
	cr_assert_eq(b.stores[1].n, 1);
}

Test(backing, drop_forgets_a_store)
{
	cr_assert_eq(req(EXO_BACKING_SAVE, 3, 0, PAGE).status, EXO_BACKING_OK);
	cr_assert_eq(req(EXO_BACKING_SAVE, 4, 0, PAGE).status, EXO_BACKING_OK);
	cr_assert_eq(req(EXO_BACKING_DROP, 3, 0, 0).status, EXO_BACKING_OK);
	cr_assert_eq(req(EXO_BACKING_READ, 3, 0, PAGE).status, EXO_BACKING_ENOENT);
	cr_assert_eq(req(EXO_BACKING_READ, 4, 0, PAGE).status, EXO_BACKING_OK);
	cr_assert_eq(req(EXO_BACKING_SAVE, 3, 0, PAGE).block, 0, "numbers restart");
}

Test(backing, a_full_store_refuses_more)
{
	for (unsigned i = 0; i < EXO_BACKING_BLOCKS; i++)
		cr_assert_eq(req(EXO_BACKING_SAVE, 2, 0, PAGE).status, EXO_BACKING_OK);
	cr_assert_eq(req(EXO_BACKING_SAVE, 2, 0, PAGE).status, EXO_BACKING_EFULL);
	cr_assert_eq(req(EXO_BACKING_SAVE, 1, 0, PAGE).status, EXO_BACKING_OK);
	cr_assert_eq(req(EXO_BACKING_READ, 2, EXO_BACKING_BLOCKS - 1, 0).status,
		     EXO_BACKING_OK);
}
