/*
 * Capability tables: one per environment (env.h), indices handed to user
 * space with a generation (<exo/exo.h>). A capability made from another
 * (derive, pass) is its child in a derivation tree that spans environments,
 * so dropping or revoking one takes every copy made from it, wherever it went.
 */
#ifndef CORE_CAP_H
#define CORE_CAP_H

#include <exo/exo.h>
#include <exo/types.h>

#include "env.h"

/*
 * The capability c in e's table, if it names an object of type (or any type
 * for EXO_CAP_NONE) with at least rights; else NULL and *err one of
 * -E_BADCAP (no such slot, or free), -E_STALE (another generation),
 * -E_BADTYPE, -E_PERM.
 */
struct cap *cap_get(struct env *e, exo_cap_t c, u32 type, u32 rights, int *err);
/*
 * A new capability in e: a child of parent (NULL: a root). Its rights must
 * be a subset of parent's (the caller checked). -E_NOMEM: e's table is full.
 */
int cap_new(struct env *e, u32 type, u32 rights, u64 object, struct cap *parent,
	    exo_cap_t *out);
/* The user-visible name of slot c (in whichever environment holds it). */
exo_cap_t cap_name(const struct cap *c);
/* Slots by capref (env.h): c's, and the slot a nonzero ref names. */
u32 cap_ref(const struct cap *c);
struct cap *cap_deref(u32 ref);
/* The environment whose table holds c. */
struct env *cap_env(const struct cap *c);
/*
 * Free c and every capability derived from it, leaves first; each one's
 * object is released first (cap_release). Never fails.
 */
void cap_destroy(struct cap *c);
/* What dies with a capability: bindings, owned frames, slots (bind.c, ...). */
void cap_release(struct cap *c);
/* Destroy every capability of type that names object, in every environment. */
void cap_destroy_object(u32 type, u64 object);

/* For tests and self-checks: every invariant of env.h, in every table. */
bool cap_check(void);

#endif
