/* A pipe's ring (pipe_ring.h): one writer, one reader, no lock. */
#include "pipe_ring.h"

_Static_assert(sizeof(struct exos_ring) <= EXOS_RING_PAGE, "a ring is one page");
_Static_assert((EXOS_RING_SIZE & (EXOS_RING_SIZE - 1)) == 0, "a power of two");

#define LOAD(p)      __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define STORE(p, v)  __atomic_store_n(p, v, __ATOMIC_RELEASE)

void
exos_ring_init(struct exos_ring *r)
{
	u8 *p = (u8 *)r;

	for (u32 i = 0; i < sizeof *r; i++)
		p[i] = 0;
}

u32
exos_ring_used(const struct exos_ring *r)
{
	return LOAD(&r->head) - LOAD(&r->tail);
}

/* Copy n bytes between the ring at index i (mod size) and buf. */
static void
ring_copy(u8 *ring, u32 i, u8 *buf, u32 n, bool in)
{
	for (u32 k = 0; k < n; k++) {
		u8 *slot = &ring[(i + k) & (EXOS_RING_SIZE - 1)];

		if (in)
			*slot = buf[k];
		else
			buf[k] = *slot;
	}
}

long
exos_ring_write(struct exos_ring *r, const void *buf, u32 n)
{
	u32 head = r->head, room;

	if (LOAD(&r->reader_closed))
		return -1;
	room = EXOS_RING_SIZE - (head - LOAD(&r->tail));
	if (n > room)
		n = room;
	ring_copy(r->data, head, (u8 *)buf, n, true);
	STORE(&r->head, head + n);      /* the bytes before the index */
	return n;
}

long
exos_ring_read(struct exos_ring *r, void *buf, u32 n)
{
	u32 tail = r->tail, used = LOAD(&r->head) - tail;

	if (!used) {
		/* Closed after its last write: a second look sees those bytes. */
		if (!LOAD(&r->writer_closed))
			return -1;
		used = LOAD(&r->head) - tail;
		if (!used)
			return 0;
	}
	if (n > used)
		n = used;
	ring_copy(r->data, tail, buf, n, false);
	STORE(&r->tail, tail + n);
	return n;
}

void
exos_ring_close_write(struct exos_ring *r)
{
	STORE(&r->writer_closed, 1);
}

void
exos_ring_close_read(struct exos_ring *r)
{
	STORE(&r->reader_closed, 1);
}

/* Sequentially consistent: the flag's store and the index's load on the
 * other side must not pass each other, or a wake-up is lost. */
static bool
take(u32 *flag)
{
	return __atomic_exchange_n(flag, 0, __ATOMIC_SEQ_CST) != 0;
}

bool
exos_ring_reader_wants_wake(struct exos_ring *r)
{
	return take(&r->reader_waiting);
}

bool
exos_ring_writer_wants_wake(struct exos_ring *r)
{
	return take(&r->writer_waiting);
}
