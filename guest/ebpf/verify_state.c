/*
 * The checker's abstract state: registers, stack bytes and spilled slots,
 * packet ranges; and the one comparison pruning needs, "an explored state
 * covers this one".
 */
#include <stddef.h>
#include <string.h>

#include "verify_state.h"

/*
 * In the kernel memset is a byte loop of ring-0 instructions (each emulated
 * on PVM) while a structure copy is one rep movsq: zero by copying.
 */
static const struct vstate zero_state;

void
state_init(struct vstate *s)
{
	*s = zero_state;
	s->r[1].type = V_CTX;
	s->r[BPF_REG_FP].type = V_STACK;
	s->next_id = 1;
	s->pkt_ids = 1;
}

void
reg_scalar(struct vreg *r, u64 umin, u64 umax)
{
	*r = (struct vreg){ .type = V_SCALAR, .umin = umin, .umax = umax };
}

void
reg_const(struct vreg *r, u64 k)
{
	reg_scalar(r, k, k);
}

bool
reg_is_ptr(const struct vreg *r)
{
	return r->type > V_SCALAR;
}

bool
reg_is_const(const struct vreg *r)
{
	return r->type == V_SCALAR && r->umin == r->umax;
}

/*
 * Stack offsets are relative to r10, from -512 to -1; byte b of the frame is
 * offset b - 512.
 */
bool
stack_inited(const struct vstate *s, int off, int size)
{
	for (int b = off + BPF_STACK; b < off + BPF_STACK + size; b++)
		if (!(s->init[b / 8] & 1u << (b % 8)))
			return false;
	return true;
}

void
stack_mark(struct vstate *s, int off, int size)
{
	for (int b = off + BPF_STACK; b < off + BPF_STACK + size; b++)
		s->init[b / 8] |= (u8)(1u << (b % 8));
}

static void
stack_unmark(struct vstate *s, int off, int size)
{
	for (int b = off + BPF_STACK; b < off + BPF_STACK + size; b++)
		s->init[b / 8] &= (u8)~(1u << (b % 8));
}

/*
 * A store of size bytes at off (aligned, checked by the caller). A whole
 * aligned 8-byte store keeps the register's abstract value, so a spilled
 * pointer or constant comes back as it went. A narrower store over a spilled
 * pointer forgets the pointer's other bytes: they must not be read back as a
 * number, which would hand out pointer bits.
 */
void
stack_store_reg(struct vstate *s, int off, int size, const struct vreg *val)
{
	int slot = (off + BPF_STACK) / 8;
	struct vreg *sp = &s->slot[slot];

	if (size == 8) {
		*sp = val ? *val : (struct vreg){ 0 };
		if (!val)
			reg_scalar(sp, 0, ~0ull);
	} else {
		if (reg_is_ptr(sp))
			stack_unmark(s, slot * 8 - BPF_STACK, 8);
		*sp = (struct vreg){ 0 };
	}
	stack_mark(s, off, size);
}

/*
 * A load of size bytes at off: 0 with *out set, or the rule it breaks.
 */
int
stack_load(struct vstate *s, int off, int size, struct vreg *out)
{
	const struct vreg *sp = &s->slot[(off + BPF_STACK) / 8];

	if (!stack_inited(s, off, size))
		return R_STACK_UNINIT;
	if (size == 8 && sp->type != V_UNINIT) {
		*out = *sp;
		return 0;
	}
	if (reg_is_ptr(sp))
		return R_STACK_PTR_PARTIAL;
	if (sp->type == V_SCALAR && size == 8)
		*out = *sp;
	else
		reg_scalar(out, 0, size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
	return 0;
}

static void
mark_null_one(struct vreg *r, u16 id, bool is_null)
{
	if (r->type != V_MEM_OR_NULL || r->id != id)
		return;
	if (is_null)
		reg_const(r, 0);
	else
		r->type = V_MEM;
}

/* After `if (p == 0)`: every copy of p is NULL on one branch, memory on the other. */
void
state_mark_null(struct vstate *s, u16 id, bool is_null)
{
	for (int i = 0; i < BPF_NREGS; i++)
		mark_null_one(&s->r[i], id, is_null);
	for (int i = 0; i < STACK_SLOTS; i++)
		mark_null_one(&s->slot[i], id, is_null);
}

/*
 * p <= data_end holds: the bytes of every pointer sharing p's id are
 * readable below p's offset (p = data + var + off, so data + var + o + n <=
 * data_end whenever o + n <= off).
 */
void
state_pkt_learn(struct vstate *s, const struct vreg *p)
{
	if (p->off > 0 && (u32)p->off > s->pkt_range[p->id])
		s->pkt_range[p->id] = (u32)p->off;
}

static bool
reg_covers(const struct vreg *old, const struct vreg *cur)
{
	if (old->type == V_UNINIT)
		return true;    /* never read after this point, or we would have failed */
	if (old->type != cur->type)
		return false;
	if (old->type == V_SCALAR)
		return old->umin <= cur->umin && cur->umax <= old->umax;
	return old->off == cur->off && old->id == cur->id && old->size == cur->size &&
	       old->flags == cur->flags && old->umin <= cur->umin &&
	       cur->umax <= old->umax;
}

static bool
slot_covers(const struct vstate *old, const struct vstate *cur, int i)
{
	const struct vreg *o = &old->slot[i], *c = &cur->slot[i];
	u8 oi = old->init[i], ci = cur->init[i];

	if ((oi & ci) != oi)
		return false;   /* old relied on bytes cur has not written */
	if (o->type == V_UNINIT)
		return !reg_is_ptr(c) || oi == 0;       /* old read them as a number */
	if (o->type == V_SCALAR && c->type == V_UNINIT)
		return o->umin == 0 && o->umax == ~0ull;
	return reg_covers(o, c);
}

/* The same abstract state, wherever and however reached. Compared word by
 * word (the kernel has no memcmp); every field from r on is a multiple of 8. */
_Static_assert((sizeof(struct vstate) - offsetof(struct vstate, r)) % 8 == 0,
	       "state_equal compares whole words");
bool
state_equal(const struct vstate *a, const struct vstate *b)
{
	const u64 *x = (const u64 *)&a->r, *y = (const u64 *)&b->r;
	size_t words = (sizeof(*a) - offsetof(struct vstate, r)) / 8;

	for (size_t i = 0; i < words; i++)
		if (x[i] != y[i])
			return false;
	return true;
}

/*
 * Does old, whose every continuation was already walked and accepted, cover
 * cur? Then so would cur's be. The caller only asks of states whose walk is
 * done (verify.c, seen_before).
 */
bool
state_covers(const struct vstate *old, const struct vstate *cur)
{
	for (int i = 0; i < BPF_NREGS; i++)
		if (!reg_covers(&old->r[i], &cur->r[i]))
			return false;
	for (int i = 0; i < STACK_SLOTS; i++)
		if (!slot_covers(old, cur, i))
			return false;
	for (int i = 0; i < PKT_IDS; i++)
		if (old->pkt_range[i] > cur->pkt_range[i])
			return false;
	return true;
}
