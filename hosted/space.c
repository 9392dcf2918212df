/*
 * Address spaces of the hosted platform (platform.h arch_space_*): the
 * translation table is a hash table in exo (va -> frame | rights), and
 * every change also queues the mmap, munmap or mprotect the space's process
 * must make (hosted_queue); the queue is carried out before any thread of
 * the space runs again (hosted/loop.c), which is this platform's TLB flush.
 * A thread parked in the stub leaves only when exo releases it, so with one
 * CPU a frame an entry unmaps is out of reach from then on. With several,
 * threads of the space may be running on other CPUs: each unmap and
 * protect also joins the core's shootdown batch (tlb.h), and the
 * shootdown carries the queue out (cpu.c arch_tlb_invalidate says why that
 * is enough).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/tlb.h"
#include "hosted.h"

#define LINUX_TASK_END 0x7ffffffff000ULL   /* Linux's last user page ends here */

struct hspace *
hosted_space(u64 root)
{
	if (root == 0 || root > HSPACES_MAX || !hosted.spaces[root - 1].used)
		return NULL;
	return &hosted.spaces[root - 1];
}

static u32
slot_of(const struct hspace *s, u64 va)
{
	return (u32)((va >> 12) * 0x9e3779b97f4a7c15ULL >> 40) & (s->cap - 1);
}

/* va 0 is the table's empty key: never mapped here (va_ok refuses it). */
static u64 *
find(const struct hspace *s, u64 va)
{
	if (va == 0)
		return NULL;
	for (u32 i = slot_of(s, va);; i = (i + 1) & (s->cap - 1)) {
		if (s->keys[i] == va)
			return &s->vals[i];
		if (s->keys[i] == 0)
			return NULL;
	}
}

static int
grow(struct hspace *s)
{
	u64 *ok = s->keys, *ov = s->vals;
	u32 oc = s->cap;

	s->cap = oc ? oc * 2 : 1024;
	s->keys = calloc(s->cap, sizeof(*s->keys));
	s->vals = calloc(s->cap, sizeof(*s->vals));
	if (!s->keys || !s->vals) {
		free(s->keys), free(s->vals);
		s->keys = ok, s->vals = ov, s->cap = oc;
		return -E_NOMEM;
	}
	for (u32 i = 0; i < oc; i++) {
		u32 j = slot_of(s, ok[i]);

		if (!ok[i])
			continue;
		while (s->keys[j])
			j = (j + 1) & (s->cap - 1);
		s->keys[j] = ok[i], s->vals[j] = ov[i];
	}
	free(ok), free(ov);
	return 0;
}

static int
insert(struct hspace *s, u64 va, u64 val)
{
	u32 i;

	if ((s->n + 1) * 2 > s->cap && grow(s) < 0)
		return -E_NOMEM;
	for (i = slot_of(s, va); s->keys[i]; i = (i + 1) & (s->cap - 1))
		;
	s->keys[i] = va, s->vals[i] = val;
	s->n++;
	return 0;
}

/* Linear probing's deletion: shift back the entries the hole would hide. */
static void
erase(struct hspace *s, u64 *val)
{
	u32 i = (u32)(val - s->vals), j = i;

	for (;;) {
		j = (j + 1) & (s->cap - 1);
		if (!s->keys[j])
			break;
		u32 k = slot_of(s, s->keys[j]);
		if ((j > i && (k <= i || k > j)) || (j < i && k <= i && k > j)) {
			s->keys[i] = s->keys[j], s->vals[i] = s->vals[j];
			i = j;
		}
	}
	s->keys[i] = 0, s->vals[i] = 0;
	s->n--;
}

static u32
prot_of(u32 rights)
{
	return PROT_READ | (rights & EXO_SEG_W ? PROT_WRITE : 0) |
	       (rights & EXO_SEG_X ? PROT_EXEC : 0);
}

/* A user page this platform can map: not page 0 (the table's empty key;
 * <exo/layout.h> maps nothing below the KIP anyway), not the stub's range,
 * not past Linux's end of user memory. */
static bool
va_ok(u64 va)
{
	return va >= EXO_PAGE_SIZE && va < LINUX_TASK_END &&
	       !(va >= STUB_LO && va < STUB_HI);
}

int
arch_space_create(struct arch_space *as)
{
	*as = (struct arch_space){ 0 };
	for (unsigned i = 0; i < HSPACES_MAX; i++) {
		struct hspace *s = &hosted.spaces[i];

		if (s->used)
			continue;
		memset(s, 0, sizeof(*s));
		s->used = true;
		s->pidfd = s->ackfd = -1;
		pthread_mutex_init(&s->flush, NULL);
		if (grow(s) < 0) {
			s->used = false;
			return -E_NOMEM;
		}
		as->root = i + 1;
		return 0;
	}
	return -E_NOMEM;
}

static int
map_one(struct hspace *s, u64 va, u64 pa, u32 rights)
{
	struct stub_req r = { STUB_MMAP, prot_of(rights), va, EXO_PAGE_SIZE, pa };

	if (insert(s, va, pa | rights) < 0)
		return -E_NOMEM;
	if (hosted_queue(s, &r) < 0) {
		erase(s, find(s, va));
		return -E_NOMEM;
	}
	return 0;
}

int
arch_space_map(struct arch_space *as, u64 va, u64 pa, u64 len, u32 rights)
{
	struct hspace *s = hosted_space(as->root);

	if (!s || (va | pa | len) & (EXO_PAGE_SIZE - 1) || len == 0 ||
	    va >= EXO_USER_END || len > EXO_USER_END - va || pa >= hosted.total ||
	    len > hosted.total - pa)
		return -E_INVAL;
	for (; len; len -= EXO_PAGE_SIZE, va += EXO_PAGE_SIZE, pa += EXO_PAGE_SIZE) {
		if (!va_ok(va) || find(s, va))
			return -E_INVAL;
		if (map_one(s, va, pa, rights) < 0)
			return -E_NOMEM;
	}
	return 0;
}

bool
arch_space_map_page(struct arch_space *as, u64 va, u64 pa, u32 rights)
{
	struct hspace *s = hosted_space(as->root);

	if (!s || !va_ok(va) || find(s, va) || pa >= hosted.total)
		return false;
	return map_one(s, va, pa, rights) == 0;
}

int
arch_space_lookup(const struct arch_space *as, u64 va, u32 need, u64 *pa)
{
	struct hspace *s = hosted_space(as->root);
	u64 *v;

	if (!s || va >= EXO_USER_END)
		return -E_FAULT;
	v = find(s, EXO_PAGE_DOWN(va));
	if (!v || ((u32)(*v & 7) & need) != need)
		return -E_FAULT;
	*pa = (*v & ~(EXO_PAGE_SIZE - 1)) | (va & (EXO_PAGE_SIZE - 1));
	return 0;
}

bool
arch_space_range_free(const struct arch_space *as, u64 va, u64 len)
{
	struct hspace *s = hosted_space(as->root);

	for (u64 off = 0; s && off < len; off += EXO_PAGE_SIZE)
		if (find(s, va + off))
			return false;
	return true;
}

/* A translation went or lost rights: other CPUs may run threads of the
 * space now (one CPU: the queue goes before its next run, no batch). */
static void
stale(struct arch_space *as, u64 va)
{
	if (ncpus > 1)
		tlb_batch_add(as, EXO_PAGE_DOWN(va));
}

int
arch_space_unmap(struct arch_space *as, u64 va, u64 *pa)
{
	struct hspace *s = hosted_space(as->root);
	u64 *v;
	struct stub_req r = { STUB_MUNMAP, 0, EXO_PAGE_DOWN(va), EXO_PAGE_SIZE, 0 };

	if (!s || va >= EXO_USER_END || !(v = find(s, EXO_PAGE_DOWN(va))))
		return -E_FAULT;
	if (hosted_queue(s, &r) < 0)
		return -E_FAULT;        /* not unmapped: nothing changed */
	*pa = *v & ~(EXO_PAGE_SIZE - 1);
	erase(s, v);
	stale(as, va);
	return 0;
}

int
arch_space_protect(struct arch_space *as, u64 va, u32 rights)
{
	struct hspace *s = hosted_space(as->root);
	u64 *v;
	struct stub_req r = { STUB_MPROTECT, prot_of(rights), EXO_PAGE_DOWN(va),
			      EXO_PAGE_SIZE, 0 };

	if (!s || va >= EXO_USER_END || !(v = find(s, EXO_PAGE_DOWN(va))))
		return -E_FAULT;
	if (hosted_queue(s, &r) < 0)
		return -E_FAULT;
	*v = (*v & ~7ULL) | rights;
	stale(as, va);
	return 0;
}

void
arch_space_destroy(struct arch_space *as)
{
	struct hspace *s = hosted_space(as->root);

	if (s) {
		hosted_space_kill(s);
		free(s->keys), free(s->vals), free(s->q);
		s->used = false;
	}
	*as = (struct arch_space){ 0 };
}

/* The tables live in exo's memory: they take no frame. */
void
arch_space_frames(const struct arch_space *as, void (*fn)(u64 pa, void *ctx), void *ctx)
{
	(void)as, (void)fn, (void)ctx;
}

void
arch_space_walk(const struct arch_space *as, void (*fn)(u64, u64, u32, void *), void *ctx)
{
	struct hspace *s = hosted_space(as->root);

	for (u32 i = 0; s && i < s->cap; i++)
		if (s->keys[i])
			fn(s->keys[i], s->vals[i] & ~(EXO_PAGE_SIZE - 1),
			   (u32)(s->vals[i] & 7) | EXO_SEG_R, ctx);
}

/* The software TLB: nothing to prepare; arch holds the translation. A
 * page this platform cannot map (the stub's) is refused here, where the
 * binding is made, not when it would be installed. */
int
arch_stlb_fill(struct arch_space *as, u64 va, u64 pa, u32 rights, u64 arch[2])
{
	if (!va_ok(EXO_PAGE_DOWN(va)))
		return -E_INVAL;
	arch[0] = va | as->root << 48;
	arch[1] = pa | rights;
	return 0;
}

bool
arch_stlb_present(const u64 arch[2])
{
	struct hspace *s = hosted_space(arch[0] >> 48);

	return s && find(s, arch[0] & ((1ULL << 48) - 1));
}

void
arch_stlb_install(const u64 arch[2])
{
	struct arch_space as = { .root = arch[0] >> 48 };

	arch_space_map(&as, arch[0] & ((1ULL << 48) - 1), arch[1] & ~0xfffULL,
		       EXO_PAGE_SIZE, (u32)(arch[1] & 7));
}
