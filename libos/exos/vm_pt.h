/*
 * ExOS's page table: the library's own record of the environment's memory,
 * kept in the library's memory, never the kernel's. The kernel knows only
 * bindings (frame capability -> address, with rights); which page should
 * be there, with which protection, whether it was written, and who shares
 * its frame is this table's. Portable: no system call here (vm.c makes
 * them), so the unit tests run it on the host.
 *
 * Three tables:
 *   pages    virtual page -> struct exos_pte, open addressing (linear
 *            probing, deletion by backward shift) on the page number;
 *   frames   one record per frame the table references, indexed by the
 *            slot index of the frame's capability (EXO_CAP_INDEX, so at most
 *            EXO_NCAPS): which capability owns it, how many pages map it;
 *   regions  demand-zero ranges: a page of one with no entry gets a fresh
 *            frame on its first touch.
 *
 * Rights are the binding's (EXO_BIND_R, EXO_BIND_W); W implies R. A page's
 * prot is what the program allows; loaded is what the kernel's binding
 * allows now (0: not bound). The library keeps loaded <= what the page's
 * state permits (exos_pte_rights), and that is how it tracks writes: a
 * writable page that is clean is loaded read-only, so its first write
 * faults to the library, which marks it dirty and loads it writable.
 */
#ifndef EXOS_VM_PT_H
#define EXOS_VM_PT_H

#include <exo/exo.h>
#include <exo/types.h>

#define EXOS_PAGE        4096ULL
#define EXOS_PT_SLOTS    1024           /* power of two; at most 3/4 used */
#define EXOS_PT_MAX      (EXOS_PT_SLOTS / 4 * 3)
#define EXOS_REGIONS     16

#define EXOS_PROT_NONE   0u
#define EXOS_PROT_R      EXO_BIND_R
#define EXOS_PROT_RW     (EXO_BIND_R | EXO_BIND_W)

/* Page flags. */
#define EXOS_PTE_DIRTY     0x1u         /* written since it was last cleaned */
#define EXOS_PTE_ACCESSED  0x2u         /* loaded for an access since cleared */
#define EXOS_PTE_COW       0x4u         /* shares its frame: copy on a write */
#define EXOS_PTE_ZERO      0x8u         /* still zero since its demand-zero fill:
					   the frame can go, a fill remakes it */

/* An access, from a page fault's error code: bit 1 is a write. */
#define EXOS_ACCESS_R    EXO_BIND_R
#define EXOS_ACCESS_W    (EXO_BIND_R | EXO_BIND_W)

struct exos_pte {
	u64 va;                 /* the page; 0: a free slot */
	exo_cap_t cap;          /* the capability bound at va (the frame's owner
				   or a copy of it); 0: no frame (demand zero,
				   or saved: block) */
	u64 block;              /* cap 0: the backing-store block + 1 holding the
				   page (the kernel took the frame); 0: none */
	u16 frame;              /* frames[] index, when cap is not 0 */
	u8 prot;                /* EXOS_PROT_*: what the program allows */
	u8 loaded;              /* the kernel binding's rights now; 0: not bound */
	u8 flags;               /* EXOS_PTE_* */
};

struct exos_frame {
	exo_cap_t owner;        /* the capability frame_free takes; 0: unused */
	u32 refs;               /* pages mapping the frame */
	bool owned;             /* the library allocated it (frees it at refs 0) */
};

struct exos_region {
	u64 start, end;         /* [start, end); end 0: a free record */
	u8 prot;
};

struct exos_pt {
	struct exos_pte pages[EXOS_PT_SLOTS];
	u32 used;
	struct exos_frame frames[EXO_NCAPS];
	struct exos_region regions[EXOS_REGIONS];
};

/* What a fault at a page calls for (exos_pt_plan). */
enum exos_plan {
	EXOS_PLAN_LOAD = 1,     /* bind the page's frame with exos_pte_rights */
	EXOS_PLAN_ZERO,         /* a fresh frame first (demand zero), then load */
	EXOS_PLAN_SWAPIN,       /* a fresh frame read from block, then load */
	EXOS_PLAN_COPY,         /* COW write, frame shared: copy it, then load */
	EXOS_PLAN_UNSHARE,      /* COW write, the last sharer: keep it, load W */
	EXOS_PLAN_VIOLATION,    /* the program's protection forbids the access */
	EXOS_PLAN_FOREIGN,      /* not the library's memory */
};

void exos_pt_init(struct exos_pt *pt);
/* The entry of page va (any address in it), or NULL. */
struct exos_pte *exos_pt_find(struct exos_pt *pt, u64 va);
/* A new entry for page va, zeroed but for va; NULL if va has one already,
 * the table is full (EXOS_PT_MAX) or va is page 0. */
struct exos_pte *exos_pt_insert(struct exos_pt *pt, u64 va);
/* Remove page va's entry: 0 or -E_NOENT. */
int exos_pt_remove(struct exos_pt *pt, u64 va);

/* A demand-zero region of npages at va: 0, -E_INVAL (unaligned, empty,
 * wraps, or overlaps another region), -E_NOMEM (no free record). */
int exos_region_add(struct exos_pt *pt, u64 va, u64 npages, u8 prot);
const struct exos_region *exos_region_find(const struct exos_pt *pt, u64 va);
/* Forget the regions wholly inside [va, end); how many there were. */
u32 exos_region_remove(struct exos_pt *pt, u64 va, u64 end);

/*
 * Frame records. exos_frame_ref records that one more page maps the frame
 * whose owning capability is owner (a new record: owned says whether the
 * library frees it); it returns the record's index or -E_INVAL (owner 0, or
 * another owner in that slot). exos_frame_unref returns the pages left.
 */
int exos_frame_ref(struct exos_pt *pt, exo_cap_t owner, bool owned);
u32 exos_frame_unref(struct exos_pt *pt, u16 frame);

/* The rights to load page e with for an access (0: a load, no access):
 * R if the program allows it; W too only if the program allows writes,
 * the frame is not shared COW, and the page is dirty or being written. */
u8 exos_pte_rights(const struct exos_pte *e, u8 access);
/* Record that e was loaded for access with rights: accessed, and dirty on
 * a write. */
void exos_pte_loaded(struct exos_pte *e, u8 rights, u8 access);

/* What a fault at va for access (EXOS_ACCESS_*) calls for. */
enum exos_plan exos_pt_plan(const struct exos_pt *pt, u64 va, u8 access);

/*
 * The kernel took frame record f's frame (the abort protocol): every page
 * that mapped it loses its binding and its capability (dead now), and keeps
 * block (the backing-store block + 1 the frame was saved to) to be read back
 * on its next fault; block 0 (not saved) removes the pages: they are no
 * longer the library's. Frees the record. Returns the pages changed.
 */
u32 exos_pt_frame_taken(struct exos_pt *pt, u16 f, u64 block);

/*
 * Replacement: the next page, after *hand (a slot index, advanced), whose
 * frame the library may give back without losing anything: its own frame,
 * mapped by that page only, still zero since its fill. NULL if none.
 */
struct exos_pte *exos_pt_victim(struct exos_pt *pt, u32 *hand);

#endif
