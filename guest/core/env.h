/*
 * Environments: an address space seen as the exokernel sees it. Every space
 * has one (envs[space->index]), unused until the space makes an exokernel
 * call. It holds the capability table (cap.c), the software TLB of its
 * bindings (bind.c), its entry points (env.c), and what revocation needs.
 *
 * An environment's tables are cleaned when its space dies (env_destroy), so
 * a new space finds its environment empty without a clearing pass at birth;
 * capability generations survive, so a stale capability stays stale, and so
 * do retired slots (cap.c): the table of that index stays that much smaller.
 */
#ifndef CORE_ENV_H
#define CORE_ENV_H

#include <exo/exo.h>
#include <exo/types.h>

#include "percpu.h"
#include "space.h"

/*
 * A capability slot. Derivation links (parent, first child, siblings) name
 * slots in any environment by capref: env index * EXO_NCAPS + slot + 1, 0 for
 * none. Invariant: a slot is live iff type != EXO_CAP_NONE, free iff
 * type == EXO_CAP_NONE without CAPF_RETIRED, retired (its generation spent:
 * never used again) iff type == EXO_CAP_NONE with it; a free or retired slot
 * has no links; a child's rights are a subset of its parent's.
 */
struct cap {
	u64 object;         /* FRAME: pa; ENV: space index; SLOT: first | n << 32; IRQ: line */
	u64 va;             /* FRAME: bound at va, 0 if not */
	u16 gen;            /* of this slot; bumped when it is freed, never 0;
			       at CAP_GEN_LAST a free retires the slot */
	u8 type;            /* enum exo_cap_type */
	u8 rights;          /* EXO_CAP_* */
	u8 flags;           /* FRAME: EXO_FRAME_*, CAPF_* */
	u8 bound;           /* FRAME: the binding's rights (EXO_BIND_R/W/X) */
	u8 pad[2];
	u32 parent, child, next, prev;
};

#define CAP_GEN_LAST    0xffff  /* the last generation a name can carry */

/* cap.flags beyond EXO_FRAME_*: kernel bookkeeping. */
#define CAPF_RETIRED    0x20    /* a free slot whose generations are spent */
#define CAPF_OWNED      0x40    /* FRAME: the root of a frame_alloc: frees it */
#define CAPF_RESERVE    0x80    /* FRAME: in the reserve, never repossessed */

/*
 * A software-TLB entry: a binding the kernel checked, by page number, direct
 * mapped. tag is va | STLB_VALID; pa_rights the frame and EXO_SEG_* rights;
 * arch the platform's ready-made translation (platform.h arch_stlb_fill) so
 * the arch layer can install it without a walk.
 */
#define STLB_VALID      0x1ull
#define STLB_LAZY       0x8ull          /* in pa_rights: not installed yet */
#define STLB_PINNED     0x10ull         /* in pa_rights: guaranteed */
struct stlb_entry {
	u64 tag;
	u64 pa_rights;
	u64 arch[2];
	u32 cap;            /* capref of the binding's capability */
	u32 pad;
};

struct env_entry {
	u64 tid;            /* the entry thread, nil: none registered */
	u64 pc, sp;
	/* For the PCT fast path (pct_fast.S), with a registered tid: */
	u32 thread_off;     /* byte offset of tid's slot in threads[] (0: nil) */
	u32 env1;           /* this environment's index + 1 (a donee link) */
};

/*
 * Revocation (revoke.c). Invariant: owed > 0 iff deadline != 0, and then the
 * environment is on the deadline list (next). repo is a ring of the last
 * EXO_REPOSSESS_MAX entries: repo_n of them, the oldest at repo_head;
 * entries pushed out before being read are counted in repo_dropped.
 */
struct env_revoke {
	u32 owed;           /* frames still owed to revocation requests */
	u32 backing;        /* the backing store, 1..EXO_BACKING_STORES; 0: none */
	u64 deadline;       /* TSC: the abort protocol starts then; 0: no request */
	struct env *next;   /* on the deadline list, sorted */
	u32 repo_head, repo_n;
	u64 repo_dropped;
	struct exo_repossession repo[EXO_REPOSSESS_MAX];
};

struct env {
	struct cap caps[EXO_NCAPS];
	struct stlb_entry stlb[EXO_STLB_ENTRIES];
	struct env_entry entry[EXO_ENTRY_LAST + 1];
	u32 ncaps;          /* slots in use or retired (cap.c cap_free) */
	u32 frames;         /* frames it owns (CAPF_OWNED) */
	u32 reserve;        /* of those, in the reserve */
	u32 stlb_live;      /* valid software-TLB entries */
	u64 stlb_hits, stlb_misses;
	struct env_revoke rv;
	u32 index;          /* its place in envs[] (= its space's), set with the space */
	u32 rv_taken;       /* frames the abort protocol took from it, in all
			       (cap_info); beside index, in the padding that
			       ends the struct, so its size stays ENV_SIZE */
};

extern struct env envs[NSPACES];

/*
 * Entry slots. Slot k <= EXO_ENTRY_LAST is env->entry[k], the kinds; the
 * SLICE kind is per CPU (<exo/exo.h>): CPU 0's is entry[EXO_ENTRY_SLICE],
 * CPU c's (c >= 1) slot EXO_ENTRY_LAST + c, kept in c's table (struct
 * env_cpu) so struct env's layout, which the fast paths know, is the same
 * in both kernels. upcall.c delivers to and holds upcalls for any slot
 * alike.
 */
#define ENV_SLOTS       (EXO_ENTRY_LAST + NCPUS_BUILT)
/* The slots this boot can use (its CPUs'): a constant with one CPU. */
#define ENV_SLOTS_UP    (UP_KERNEL ? ENV_SLOTS : EXO_ENTRY_LAST + ncpus)

/* Upcalls held back for one entry slot, oldest first (upcall.c). a1 of
 * every upcall fits in 32 bits: a slot, or a count of frames. */
#define UPCALL_HELD 4
struct upcall_held {
	u32 n;
	struct { u64 a2; u32 a1, up; } q[UPCALL_HELD];
};

/* What an environment's overruns on one CPU cost it there (slice.c). */
struct slice_due {
	u64 debt;           /* TSC ticks its next slice is shorter by */
	u64 late;           /* TSC of the deadline it missed, 0 if it yielded since */
	u32 strikes;        /* overruns in a row */
	u32 unannounced;    /* slice ends in a row with no SLICE entry to tell */
};

/*
 * What an environment keeps on CPU c >= 1: its SLICE entry there, the
 * upcalls held for it, its dues there. CPU c's table (cpus[c].env_here,
 * one per environment index) is made of fresh frames when the CPUs come
 * up (env_cpus_init), so only CPUs that exist take memory; CPU 0's are
 * in struct env, upcall.c's and slice.c's own tables.
 */
struct env_cpu {
	struct env_entry slice;
	struct upcall_held held;
	struct slice_due due;
};
/* Give CPUs 1 .. ncpus - 1 their tables (at boot); -E_NOMEM. */
int env_cpus_init(void);

static inline u32
env_slice_slot(u32 cpu)
{
	return cpu ? EXO_ENTRY_LAST + cpu : EXO_ENTRY_SLICE;
}

/* The CPU whose SLICE entry slot k is, or -1 (another kind). */
static inline int
env_slot_cpu(u32 k)
{
	return k == EXO_ENTRY_SLICE ? 0 : k > EXO_ENTRY_LAST ? (int)(k - EXO_ENTRY_LAST) : -1;
}

static inline struct env_entry *
env_slot(struct env *e, u32 k)
{
	if (k <= EXO_ENTRY_LAST)
		return &e->entry[k];
	return &cpus[k - EXO_ENTRY_LAST].env_here[e->index].slice;
}

static inline struct env *
env_of(const struct space *s)
{
	return &envs[s->index];
}

static inline struct space *
env_space(const struct env *e)
{
	return space_at((u32)(e - envs));
}

/* The exception frame in t's UTCB (<exo/exo.h>), as the kernel sees it. */
#define thread_xframe(t) \
	((struct exo_xframe *)((u8 *)(t)->utcb + EXO_UTCB_XFRAME))

/* The space s dies: drop every capability it holds, empty its tables. */
void env_destroy(struct space *s);

#endif
