/*
 * Domains (SPIN's Create, Resolve, Combine; <exo/extcall.h>). A domain is
 * what an extension linked against it may use: a set of helpers and a set
 * of events. The whole of a domain is its two masks, so a DOMAIN
 * capability carries them as its object and the kernel keeps no table:
 * creating and combining make capabilities (charged to the caller's
 * table), passing one is cap_pass, and there is nothing to free.
 */
#include "ext.h"

#include <exo/error.h>
#include <exo/exo.h>
#include <exo/ext.h>
#include <exo/extcall.h>

#include "cap.h"
#include "env.h"
#include "ext_int.h"

_Static_assert(EXO_EXT_BASE_HELPERS >> EXT_HELPER_COUNT == 0 &&
	       EXO_EXT_BASE_EVENTS >> EXT_EV_COUNT == 0, "the base is what exists");

int
ext_domain_resolve(struct thread *t, u64 domain, u64 *helpers, u32 *events)
{
	struct cap *d;
	int err;

	if (domain == 0) {
		/* The base: for privileged spaces, which make the others. */
		if (!t->space->privileged)
			return -E_PERM;
		*helpers = EXO_EXT_BASE_HELPERS;
		*events = EXO_EXT_BASE_EVENTS;
		return 0;
	}
	d = cap_get(env_of(t->space), domain, EXO_CAP_DOMAIN, EXO_CAP_R, &err);
	if (!d)
		return err;
	*helpers = (u32)d->object;
	*events = (u32)(d->object >> 32);
	return 0;
}

static i64
domain_new(struct thread *t, u64 object)
{
	exo_cap_t c;
	int r = cap_new(env_of(t->space), EXO_CAP_DOMAIN, EXO_CAP_ALL, object, 0, &c);

	return r < 0 ? r : (i64)c;
}

/* Create: a privileged space names a subset of the base. */
static i64
domain_create(struct thread *t, u64 helpers, u64 events)
{
	if (!t->space->privileged)
		return -E_PERM;
	if (helpers & ~(u64)EXO_EXT_BASE_HELPERS || events & ~(u64)EXO_EXT_BASE_EVENTS)
		return -E_INVAL;
	return domain_new(t, EXO_DOMAIN_OBJECT(helpers, events));
}

/* Combine: the union of two domains the caller holds; it gains nothing
 * it could not already load against. */
static i64
domain_combine(struct thread *t, u64 a, u64 b)
{
	u64 ha, hb;
	u32 ea, eb;
	int r;

	if (!a || !b)
		return -E_BADCAP;       /* the base is no capability to combine */
	r = ext_domain_resolve(t, a, &ha, &ea);
	if (r == 0)
		r = ext_domain_resolve(t, b, &hb, &eb);
	if (r < 0)
		return r;
	return domain_new(t, EXO_DOMAIN_OBJECT(ha | hb, ea | eb));
}

i64
ext_domain(struct thread *t, u64 op, u64 a, u64 b)
{
	if (op == EXO_DOMAIN_CREATE)
		return domain_create(t, a, b);
	if (op == EXO_DOMAIN_COMBINE)
		return domain_combine(t, a, b);
	return -E_INVAL;
}
