/*
 * Capability tables and the derivation tree. Trees can be deep (a copy of a
 * copy of a copy, through many environments) and kernel stacks are small, so
 * destruction is iterative: it frees a leaf at a time, climbing back through
 * parent links.
 */
#include "cap.h"

#include <exo/error.h>

#include "kernel.h"

struct env envs[NSPACES];

struct cap *
cap_deref(u32 ref)
{
	u32 i = ref - 1;

	return ref ? &envs[i / EXO_NCAPS].caps[i % EXO_NCAPS] : 0;
}

u32
cap_ref(const struct cap *c)
{
	const struct env *e = cap_env(c);

	return (u32)(e - envs) * EXO_NCAPS + (u32)(c - e->caps) + 1;
}

struct env *
cap_env(const struct cap *c)
{
	/* envs is one array of whole env structs: divide the byte offset. */
	return &envs[((const char *)c - (const char *)envs) / sizeof(struct env)];
}

exo_cap_t
cap_name(const struct cap *c)
{
	return EXO_CAP(c - cap_env(c)->caps, c->gen);
}

struct cap *
cap_get(struct env *e, exo_cap_t c, u32 type, u32 rights, int *err)
{
	struct cap *k;

	if (c >> 32 || EXO_CAP_INDEX(c) >= EXO_NCAPS) {
		*err = -E_BADCAP;
		return 0;
	}
	k = &e->caps[EXO_CAP_INDEX(c)];
	/*
	 * An older generation of the slot is stale, and so is every
	 * generation of a retired slot (they were all issued); a free slot or
	 * a generation the slot never had is no capability at all (forged).
	 */
	if (EXO_CAP_GEN(c) && (EXO_CAP_GEN(c) < k->gen || k->flags & CAPF_RETIRED))
		*err = -E_STALE;
	else if (k->type == EXO_CAP_NONE || k->gen != EXO_CAP_GEN(c))
		*err = -E_BADCAP;
	else if (type != EXO_CAP_NONE && k->type != type)
		*err = -E_BADTYPE;
	else if ((k->rights & rights) != rights)
		*err = -E_PERM;
	else
		return k;
	return 0;
}

int
cap_new(struct env *e, u32 type, u32 rights, u64 object, struct cap *parent,
	exo_cap_t *out)
{
	struct cap *c = 0;

	if (e->ncaps == EXO_NCAPS)
		return -E_NOMEM;
	for (u32 i = 0; i < EXO_NCAPS && !c; i++)
		if (e->caps[i].type == EXO_CAP_NONE && !(e->caps[i].flags & CAPF_RETIRED))
			c = &e->caps[i];
	kassert(c && !c->child && !c->parent);
	if (!c->gen)
		c->gen = 1;
	c->type = (u8)type;
	c->rights = (u8)rights;
	c->object = object;
	c->va = 0;
	c->flags = 0;
	if (parent) {
		struct cap *first = cap_deref(parent->child);

		c->parent = cap_ref(parent);
		c->next = parent->child;
		c->prev = 0;
		if (first)
			first->prev = cap_ref(c);
		parent->child = cap_ref(c);
	}
	e->ncaps++;
	*out = cap_name(c);
	return 0;
}

/*
 * Unlink leaf c from its parent's children and free its slot. A slot at its
 * last generation is retired instead: a next one would wrap to a name
 * already issued (<exo/exo.h> promises a stale name stays stale). It stays
 * counted in ncaps, so a table of retired slots is full (-E_NOMEM) for
 * every caller's ncaps check, and cap_new never finds a slot it lacks.
 */
static void
cap_free(struct cap *c)
{
	struct cap *p = cap_deref(c->parent);
	struct cap *prev = cap_deref(c->prev), *next = cap_deref(c->next);

	kassert(!c->child);
	cap_release(c);
	if (prev)
		prev->next = c->next;
	else if (p)
		p->child = c->next;
	if (next)
		next->prev = c->prev;
	c->parent = c->next = c->prev = 0;
	c->type = EXO_CAP_NONE;
	if (c->gen == CAP_GEN_LAST) {
		c->flags = CAPF_RETIRED;
		return;
	}
	c->gen++;
	cap_env(c)->ncaps--;
}

void
cap_destroy(struct cap *c)
{
	while (c->child) {
		struct cap *leaf = cap_deref(c->child);

		while (leaf->child)
			leaf = cap_deref(leaf->child);
		cap_free(leaf);
	}
	cap_free(c);
}

void
cap_destroy_object(u32 type, u64 object)
{
	for (u32 i = 0; i < NSPACES; i++)
		for (u32 j = 0; j < EXO_NCAPS && envs[i].ncaps; j++) {
			struct cap *c = &envs[i].caps[j];

			if (c->type == type && c->object == object)
				cap_destroy(c);
		}
}

bool
cap_check(void)
{
	for (u32 i = 0; i < NSPACES; i++) {
		u32 used = 0;

		for (u32 j = 0; j < EXO_NCAPS; j++) {
			struct cap *c = &envs[i].caps[j], *p = cap_deref(c->parent);

			if (c->type == EXO_CAP_NONE) {
				if (c->parent || c->child || c->next || c->prev)
					return false;
				used += !!(c->flags & CAPF_RETIRED);
				continue;
			}
			used++;
			if (p && (p->type != c->type || (c->rights & ~p->rights)))
				return false;
			if (c->next && cap_deref(c->next)->prev != cap_ref(c))
				return false;
			if (!c->prev && p && p->child != cap_ref(c))
				return false;
		}
		if (used != envs[i].ncaps)
			return false;
	}
	return true;
}
