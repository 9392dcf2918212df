/*
 * Benchmarks: what a guest program tells the host through SYS_bench_mark, and
 * how the kernel passes it on (<exo/hostio.h>: EXO_DOORBELL_MARK, EXO_PORT_BENCH).
 *
 * SYS_bench_mark(code, rec, len):
 *   code != 0   a mark: the host samples its counters (KVM's statistics, among
 *               them insn_emulation, the exact ring-0 instruction count on PVM)
 *               at this point, tagged with code (1..EXO_BENCH_MARK_MAX).
 *   rec != 0    a result: the host reads the record struct exo_bench_result
 *               at user address rec, len bytes (EXO_BENCH_RESULT_LEN(nsamples)).
 *   0, 0, 0     nothing at all: the null system call benchmarks measure.
 * Both a mark and a result in one call: the mark is taken first.
 *
 * One measured operation, as bench/bench.c does it, with base = a mark code
 * that is a multiple of 4:
 *
 *   warm-up iterations (untimed, unmarked)
 *   mark(base | EXO_BENCH_EMPTY_BEGIN)    the empty pair: what a pair of marks
 *   mark(base | EXO_BENCH_EMPTY_END)      costs with nothing between them
 *   mark(base | EXO_BENCH_BEGIN)
 *   N iterations, each timed with rdtsc into samples[]
 *   mark(base | EXO_BENCH_END)
 *   result record (mark = base)
 *
 * An operation with an untimed preparation before each iteration (an unmap
 * needs something mapped) brackets each preparation with
 *   mark(base | EXO_BENCH_PREP)  prep  mark(base | EXO_BENCH_PREP | 1)
 * and the host leaves what lies between each such pair, and one empty pair
 * for the pair itself, out of the operation's counts.
 *
 * and the host computes, for every counter it sampled,
 *   per operation = ((END - BEGIN) - preps - (EMPTY_END - EMPTY_BEGIN)) / N,
 * where preps is the sum over the prep pairs of (their delta + the empty pair),
 * which for insn_emulation on PVM is exactly the ring-0 instructions one
 * operation ran (user instructions, rdtsc included, run natively and are
 * not counted).
 */
#ifndef EXO_BENCH_H
#define EXO_BENCH_H

#include <exo/layout.h>
#include <exo/types.h>

#define EXO_BENCH_MARK_MAX     0xffffffu   /* mark codes fit the doorbell's 24 bits */
#define EXO_BENCH_PREP         0x800000u   /* base | PREP (| 1): around a preparation */

/* The four marks of one operation: base | phase, base a nonzero multiple of 4. */
enum exo_bench_phase {
	EXO_BENCH_EMPTY_BEGIN = 0,
	EXO_BENCH_EMPTY_END   = 1,
	EXO_BENCH_BEGIN       = 2,
	EXO_BENCH_END         = 3,
	EXO_BENCH_PHASES      = 4,
};

#define EXO_BENCH_MAGIC        0x48434e42u   /* "BNCH" */
#define EXO_BENCH_NAME_MAX     32
#define EXO_BENCH_SAMPLES_MAX  65536
#define EXO_BENCH_OPS_MAX      64            /* results one boot may report */

/* flags */
#define EXO_BENCH_F_CLIPPED    0x1  /* a sample over UINT32_MAX cycles was clipped */

/*
 * A result record, in the program's memory. The host refuses it (and
 * SYS_bench_mark returns -E_INVAL) unless: magic is EXO_BENCH_MAGIC; name is
 * NUL-terminated, not empty, of [A-Za-z0-9_.-]; mark is a nonzero multiple of
 * EXO_BENCH_PHASES that the four marks above used; 1 <= nsamples <=
 * iterations; nsamples <= EXO_BENCH_SAMPLES_MAX; len covers nsamples samples;
 * and at most EXO_BENCH_OPS_MAX results came before it in this boot.
 * Only the first len bytes travel: a record need not be the full size.
 */
struct exo_bench_result {
	u32 magic;
	u32 mark;                       /* base of the operation's four marks */
	char name[EXO_BENCH_NAME_MAX];  /* the operation, e.g. "null_syscall" */
	u64 iterations;                 /* timed iterations between BEGIN and END */
	u64 warmup;                     /* untimed iterations before the marks */
	u64 loop_cycles;                /* TSC from BEGIN's return to END's call */
	u32 nsamples;                   /* entries of samples[] that follow */
	u32 flags;                      /* EXO_BENCH_F_* */
	u32 samples[EXO_BENCH_SAMPLES_MAX]; /* TSC cycles of iteration i */
};

#define EXO_BENCH_RESULT_HDR   __builtin_offsetof(struct exo_bench_result, samples)
#define EXO_BENCH_RESULT_LEN(n) (EXO_BENCH_RESULT_HDR + 4 * (u64)(n))
#define EXO_BENCH_RESULT_MIN   EXO_BENCH_RESULT_LEN(1)
#define EXO_BENCH_RESULT_MAX   sizeof(struct exo_bench_result)

_Static_assert(EXO_BENCH_RESULT_HDR == 72, "exo_bench_result header layout");

/*
 * The kernel's request at EXO_PORT_BENCH: the record as the guest-physical
 * pieces of the user's buffer, in order (a buffer that is contiguous in
 * physical memory is one piece). The host copies them out before it reads
 * anything, checks every piece against guest memory (a bad piece is a kernel
 * bug: the guest is stopped), and writes status: 0, or -E_INVAL if it refused
 * the record, which SYS_bench_mark returns.
 */
#define EXO_BENCH_CHUNKS_MAX   (EXO_BENCH_RESULT_MAX / EXO_PAGE_SIZE + 2)

struct exo_bench_chunk {
	u64 gpa;
	u64 len;
};

struct exo_bench_req {
	u64 len;                        /* bytes: the sum of the chunks */
	u32 nchunks;
	i32 status;                     /* written by the host */
	struct exo_bench_chunk chunks[EXO_BENCH_CHUNKS_MAX];
};

#endif
