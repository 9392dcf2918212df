/*
 * The extension checker: decides, before anything runs, that an eBPF
 * program for a given program type ends on every path, reads nothing it did
 * not write, touches memory only inside its context, its stack, the packet
 * bytes it proved present and helper memory it null-checked, calls only its
 * domain's helpers as their prototypes say, and never lets a kernel pointer
 * out. Portable and freestanding: built into the kernel and, for the host
 * tools and unit tests, into exo_ebpf_host.
 */
#ifndef EXO_EBPF_VERIFY_H
#define EXO_EBPF_VERIFY_H

#include <exo/bpf.h>
#include <exo/ext.h>

#define EXT_MAX_INSNS        4096    /* program size limit */

/*
 * The step budget (ext.h: EXT_STEPS_PER_INSN, EXT_KERNEL_STEPS): the kernel's
 * load call passes verify_kernel_budget(n). The host (`exo ext verify`, the
 * tests) walks up to EXT_HOST_STEPS, so that it can report how far beyond the
 * kernel's budget a program goes (verify_steps) and judge it as the kernel.
 */
#define EXT_HOST_STEPS       (1u << 17)

static inline u32
verify_kernel_budget(u32 n)
{
	u64 b = (u64)n * EXT_STEPS_PER_INSN;

	return b < EXT_KERNEL_STEPS ? (u32)b : EXT_KERNEL_STEPS;
}

/* The rules; each rejection names one (see verify_rule_name). */
enum ext_rule {
	EXT_OK = 0,
	/* structure (verify.c) */
	R_PROG_SIZE, R_OPCODE, R_RESERVED, R_BAD_REG, R_LD_IMM64, R_JUMP_RANGE,
	R_JUMP_INTO_IMM64, R_LOOP_BOUND, R_FALL_OFF_END, R_UNREACHABLE,
	R_CALL_LOCAL, R_COMPLEXITY,
	/* registers and arithmetic (verify_insn.c) */
	R_REG_UNINIT, R_R10_WRITE, R_DIV_ZERO, R_SHIFT_RANGE, R_PTR_ALU,
	R_PTR_VAR_OFF, R_PTR_COMPARE, R_NULL_CHECK,
	/* memory (verify_mem.c) */
	R_MEM_BAD_PTR, R_CTX_BOUNDS, R_CTX_FIELD, R_CTX_MISALIGNED, R_CTX_SIZE,
	R_CTX_NO_READ, R_CTX_NO_WRITE, R_STACK_BOUNDS, R_STACK_MISALIGNED,
	R_STACK_UNINIT, R_STACK_PTR_PARTIAL, R_PKT_BOUNDS, R_PKT_NO_WRITE,
	R_MEM_BOUNDS, R_PTR_LEAK, R_PTR_STORE, R_ATOMIC_TARGET,
	/* calls and exit */
	R_HELPER_DOMAIN, R_HELPER_ARG_TYPE, R_HELPER_ARG_SIZE,
	R_HELPER_ARG_UNINIT, R_EXIT_R0_UNINIT, R_EXIT_R0_PTR, R_EXIT_R0_RANGE,
	EXT_RULE_COUNT
};

/* The rule's short name ("stack_uninit"), for messages and tests. */
const char *verify_rule_name(int rule);

/* A program type: an event and whether the program is its guard. */
struct ext_prog_type {
	const char *section;            /* "event/pagefault" */
	u8 event;                       /* EXT_EV_* */
	bool guard;
	const struct ext_field *fields; /* the context's fields, ending in size 0 */
	u32 ctx_size;
	u64 helpers;                    /* bit n: helper n may be called */
	u64 ret_min, ret_max;           /* r0 at exit */
	bool pkt_writable;              /* packet bytes may be stored to */
};

/* One field of a context: bytes [off, off + size). */
enum ext_field_kind { F_NUM, F_PKT_DATA, F_PKT_END };
#define F_READ   1
#define F_WRITE  2
#define F_USER   4      /* user-visible: user code reads it back */
struct ext_field {
	u16 off, size;
	u8 kind, access;
};

/* A helper's prototype. */
enum ext_arg_kind {
	A_NONE, A_SCALAR, A_CTX,
	A_MEM_RD,       /* pointer to initialized memory the helper reads ... */
	A_MEM_WR,       /* ... or memory it writes; the size follows in A_SIZE */
	A_SIZE,         /* a scalar proven in [1, size_max] */
};
enum ext_ret_kind { RET_SCALAR, RET_MEM_OR_NULL };
struct ext_helper_proto {
	const char *name;
	u8 ret;                 /* RET_* */
	u8 args[5];             /* A_* for r1..r5 */
	u32 size_max;           /* A_SIZE's upper bound */
	u32 ret_size;           /* RET_MEM_OR_NULL: bytes of the memory */
	bool ret_user;          /* ... which user code can read back */
};

/* The program type of a section name, or NULL. */
const struct ext_prog_type *verify_type_by_section(const char *section);
const struct ext_prog_type *verify_type_by_event(int event, bool guard);
/* Helper n's prototype, or NULL if there is none. */
const struct ext_helper_proto *verify_helper(u32 n);

/* A rejection: the rule, the instruction and a sentence of detail. */
struct ext_verify_error {
	int rule;
	u32 insn;
	char msg[120];
};

/*
 * The checker's memory: a few hundred kilobytes, which the caller provides
 * (the kernel from frames, the host from malloc) so the checker allocates
 * nothing. See verify_state.h; opaque here.
 */
struct ext_verifier;
size_t verify_work_size(void);

/*
 * Check n instructions as a program of type t that may call the helpers in
 * domain (a set of helper numbers, bit n for helper n; the type narrows it
 * further), walking at most budget instructions over all paths (the kernel:
 * verify_kernel_budget(n); the host: EXT_HOST_STEPS). work is
 * verify_work_size() bytes. 0 if accepted, else -1 with *err filled in.
 */
int verify_program(const struct bpf_insn *insns, u32 n,
		   const struct ext_prog_type *t, u64 domain, u32 budget,
		   void *work, struct ext_verify_error *err);

/* The instructions the last verify_program in work walked (accepted or not). */
u32 verify_steps(const void *work);

/*
 * What the compiler may use of the checker's proof, per instruction, after
 * verify_program accepted (verify_facts fills n bytes):
 *   EXT_FACT_WALKED   some path runs it; an instruction without it is dead
 *                     (its branch is decided by the ranges) and may be
 *                     compiled as a trap or not at all;
 *   EXT_FACT_NONZERO  a division or modulo by a register that is never 0
 *                     there: the compiler may drop the zero test.
 */
#define EXT_FACT_WALKED   1
#define EXT_FACT_NONZERO  2
void verify_facts(const void *work, u32 n, u8 *facts);

#endif /* EXO_EBPF_VERIFY_H */
