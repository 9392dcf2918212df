/*
 * The checker's abstract state: what is known of every register and stack
 * byte at one instruction on one path. Internal to guest/ebpf/.
 */
#ifndef EXO_EBPF_VERIFY_STATE_H
#define EXO_EBPF_VERIFY_STATE_H

#include "verify.h"

/*
 * What a register (or a spilled stack slot) holds. Pointers carry a
 * constant offset `off` and, for packet and helper memory, a variable part
 * in [umin, umax] added from bounded scalars; scalars carry [umin, umax].
 */
enum vtype {
	V_UNINIT = 0,
	V_SCALAR,
	V_CTX,          /* the context + off */
	V_STACK,        /* r10 + off (off < 0) */
	V_PKT,          /* packet data + var + off; readable up to pkt_range[id] */
	V_PKT_END,      /* data_end */
	V_MEM,          /* helper memory of `size` bytes + var + off */
	V_MEM_OR_NULL,  /* the same, not yet compared with 0 */
};

#define VF_USER      2  /* V_MEM: user-visible */

struct vreg {
	u8 type;
	u8 flags;
	u16 id;         /* V_PKT: range index; V_MEM*: null-check identity */
	i32 off;
	u32 size;       /* V_MEM*: bytes */
	u32 pad;
	u64 umin, umax; /* scalar value, or a pointer's variable part */
};

#define STACK_SLOTS  (BPF_STACK / 8)
#define PKT_IDS      8          /* distinct variable packet offsets per path */

struct vstate {
	u32 pc;
	u32 from;                       /* the jump that led here, for loop reports */
	u16 next_id;                    /* ids handed out on this path */
	u16 pkt_ids;                    /* pkt ids in use (0 is data + const) */
	u32 pad;
	struct vreg r[BPF_NREGS];       /* from here on: what state_equal compares */
	u8 init[BPF_STACK / 8];         /* bit per stack byte: written */
	struct vreg slot[STACK_SLOTS];  /* a register spilled whole, or V_UNINIT */
	u32 pkt_range[PKT_IDS];         /* bytes below which PKT id's offsets read */
};

#define PENDING_MAX  64         /* branches waiting on the depth-first walk */
#define SEEN_MAX     96         /* explored states kept for pruning */

/* Everything the checker uses, in the caller's memory. */
struct ext_verifier {
	const struct bpf_insn *insns;
	u32 n;
	const struct ext_prog_type *type;
	u64 helpers;                    /* domain & type */
	struct ext_verify_error *err;
	u32 steps, budget;              /* walked so far; the most allowed */
	struct vstate cur;
	u32 npending;
	struct vstate pending[PENDING_MAX];
	u32 nseen;
	struct vstate seen[SEEN_MAX];
	int16_t seen_next[SEEN_MAX];        /* chain of states seen at one pc */
	u16 seen_depth[SEEN_MAX];       /* npending when it was recorded */
	u8 seen_done[SEEN_MAX];         /* all its continuations walked */
	u16 reach[EXT_MAX_INSNS];       /* the reachability pass's work list */
	int16_t seen_head[EXT_MAX_INSNS];   /* -1 or the first state seen at pc */
	u8 flags[EXT_MAX_INSNS];        /* structural facts (verify.c) */
};

#define IF_TARGET    1          /* some jump lands here: a join point */
#define IF_IMM64_HI  2          /* the second half of an LD_IMM64 */
#define IF_REACHED   4
#define IF_WALKED    8          /* a path ran it */
#define IF_DIV_REG   16         /* a division or modulo by a register ... */
#define IF_MAY_ZERO  32         /* ... which may be 0 on some path */

/* Report a violation at instruction pc; returns -1 for the caller to pass on. */
int verify_fail(struct ext_verifier *v, u32 pc, int rule, const char *fmt, ...);

/* State (verify_state.c). */
void state_init(struct vstate *s);
bool state_covers(const struct vstate *old, const struct vstate *cur);
bool state_equal(const struct vstate *a, const struct vstate *b);
void reg_scalar(struct vreg *r, u64 umin, u64 umax);
void reg_const(struct vreg *r, u64 k);
bool reg_is_ptr(const struct vreg *r);
bool reg_is_const(const struct vreg *r);
bool stack_inited(const struct vstate *s, int off, int size);
void stack_mark(struct vstate *s, int off, int size);
void stack_store_reg(struct vstate *s, int off, int size, const struct vreg *val);
int stack_load(struct vstate *s, int off, int size, struct vreg *out);
void state_mark_null(struct vstate *s, u16 id, bool is_null);
void state_pkt_learn(struct vstate *s, const struct vreg *p);

/* Instructions (verify_insn.c, verify_mem.c, verify_call.c). */
int insn_alu(struct ext_verifier *v, const struct bpf_insn *in);
int insn_jump(struct ext_verifier *v, const struct bpf_insn *in, u32 *next);
int insn_load(struct ext_verifier *v, const struct bpf_insn *in);
int insn_store(struct ext_verifier *v, const struct bpf_insn *in);
int insn_atomic(struct ext_verifier *v, const struct bpf_insn *in);
int insn_call(struct ext_verifier *v, const struct bpf_insn *in);
int insn_exit(struct ext_verifier *v, const struct bpf_insn *in);
int mem_check(struct ext_verifier *v, const struct vreg *p, int off, int size,
	      bool write, const struct vreg *val, const struct ext_field **field);
int push_branch(struct ext_verifier *v, const struct vstate *s);

#endif /* EXO_EBPF_VERIFY_STATE_H */
