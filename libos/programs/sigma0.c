/*
 * σ0: owns every frame the kernel does not keep for itself and hands them out
 * over IPC, once each, as L4's σ0 does. The kernel shows σ0 frame pa at
 * EXO_USER_SIGMA0_BASE + pa; σ0 passes pages on with map items, keeping the
 * root of each derivation tree, so it could flush anything it ever gave.
 *
 * Request (label EXO_LABEL_SIGMA0, u = 2): MR1 an fpage, MR2 flags. With
 * EXO_SIGMA0_ANY, any free frames of that size (at most 4 MiB); otherwise the
 * frames at the fpage's physical base. Reply: one map item with rights RWX,
 * or an empty message (label 0) when the request cannot be met.
 */
#include <exo/bootinfo.h>

#include "libos.h"
#include "l4.h"

#define MAX_FRAMES   (EXO_DIRECT_MAP_MAX / EXO_PAGE_SIZE)
#define MAX_SIZE_LOG2 22

static u64 given[MAX_FRAMES / 64];     /* one bit per frame handed out */
static u64 first, end, cursor;

static bool
range_free(u64 pa, u64 len)
{
	for (u64 p = pa; p < pa + len; p += EXO_PAGE_SIZE) {
		u64 f = p / EXO_PAGE_SIZE;

		if (given[f / 64] & 1ULL << (f % 64))
			return false;
	}
	return true;
}

static void
range_take(u64 pa, u64 len)
{
	for (u64 p = pa; p < pa + len; p += EXO_PAGE_SIZE) {
		u64 f = p / EXO_PAGE_SIZE;

		given[f / 64] |= 1ULL << (f % 64);
	}
}

/* The physical base of frames for the request, or 0 if none. */
static u64
grant_base(u64 fpage, u64 flags)
{
	u32 s = EXO_FPAGE_SIZE_LOG2(fpage);
	u64 len = 1ULL << s, pa;

	if (s < 12 || s > MAX_SIZE_LOG2)
		return 0;
	if (!(flags & EXO_SIGMA0_ANY)) {
		pa = EXO_FPAGE_BASE(fpage);
		if (pa & (len - 1) || pa < first || pa + len > end || !range_free(pa, len))
			return 0;
		return pa;
	}
	for (pa = (cursor + len - 1) & ~(len - 1); pa + len <= end; pa += len) {
		if (range_free(pa, len)) {
			cursor = pa + len;
			return pa;
		}
	}
	return 0;
}

int
main(void)
{
	const volatile struct exo_kip *kip = l4_kip();
	struct l4_msg m = { { 0 } };
	u64 from, err;

	first = cursor = kip->sigma0_first;
	end = kip->sigma0_end;
	err = l4_wait(&m, &from);
	for (;;) {
		u64 tag = m.mr[0], pa = 0;

		if (err) {
			err = l4_wait(&m, &from);
			continue;
		}
		if (EXO_TAG_LABEL(tag) == EXO_LABEL_SIGMA0 && EXO_TAG_U(tag) >= 2)
			pa = grant_base(m.mr[1], m.mr[2]);
		if (pa) {
			u32 s = EXO_FPAGE_SIZE_LOG2(m.mr[1]);

			range_take(pa, 1ULL << s);
			m.mr[0] = EXO_TAG(0, 0, 2);
			m.mr[1] = EXO_ITEM_MAP;
			m.mr[2] = EXO_FPAGE(kip->sigma0_base + pa, s, EXO_RWX);
		} else {
			m.mr[0] = EXO_TAG(0, 0, 0);
		}
		err = l4_reply_wait(from, &m, &from);
	}
}
