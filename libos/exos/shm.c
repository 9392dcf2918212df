/*
 * Shared-memory segments passed by capability (exos.h). A segment is its
 * frames; the creator holds their owner capabilities, a receiver copies
 * with the rights the creator chose (cap_pass: a copy can have no more
 * rights than its source, and a read-only copy cannot be passed on with
 * more or bound writable: the kernel checks both). Dropping the owner
 * capabilities kills every copy and every binding made with one.
 */
#include "exos.h"
#include "libos.h"

long
exos_shm_create(struct exos_shm *s, u32 npages)
{
	long c;

	if (!npages || npages > EXOS_SHM_PAGES)
		return -E_INVAL;
	s->npages = 0;
	for (u32 i = 0; i < npages; i++) {
		if ((c = frame_alloc(0)) < 0) {
			exos_shm_revoke(s);
			return c;
		}
		s->frame[s->npages++] = (exo_cap_t)c;
	}
	return 0;
}

/* The creator's own view, bound now (a raw binding: the creator need not
 * run the library's page table). */
long
exos_shm_bind(const struct exos_shm *s, u64 va)
{
	long r;

	for (u32 i = 0; i < s->npages; i++)
		if ((r = bind(s->frame[i], va + i * EXOS_PAGE, EXO_BIND_W | EXO_BIND_NOW)) < 0)
			return r;
	return 0;
}

/* Copies of every frame in thread tid's environment with rights; out gets
 * their names there (tell the receiver). cap_pass's errors (the copies
 * made before one fails die with the segment's revocation). */
long
exos_shm_pass(const struct exos_shm *s, u64 tid, u32 rights, struct exos_shm *out)
{
	long c;

	out->npages = 0;
	for (u32 i = 0; i < s->npages; i++) {
		if ((c = cap_pass(s->frame[i], tid, rights)) < 0)
			return c;
		out->frame[out->npages++] = (exo_cap_t)c;
	}
	return 0;
}

/* The receiver: the copies it was told of at va, through the library's
 * page table (exos_map: -E_PERM for prot beyond a copy's rights). */
long
exos_shm_map(const struct exos_shm *s, u64 va, u8 prot)
{
	long r;

	if (!s->npages || s->npages > EXOS_SHM_PAGES)
		return -E_INVAL;
	for (u32 i = 0; i < s->npages; i++)
		if ((r = exos_map(va + i * EXOS_PAGE, s->frame[i], prot)) < 0)
			return r;
	return 0;
}

/* The creator takes the segment back: frames, copies, bindings. */
long
exos_shm_revoke(struct exos_shm *s)
{
	long r = 0, e;

	for (u32 i = 0; i < s->npages; i++)
		if ((e = cap_drop(s->frame[i])) < 0 && !r)
			r = e;
	s->npages = 0;
	return r;
}
