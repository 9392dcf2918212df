/*
 * Trace points: cheap macros at the kernel's crossings that write one record
 * (<exo/trace.h>) into this CPU's ring. Off (the default), a trace point is
 * a compare and a jump over the record. On, it is a TSC read, a few stores and
 * one add, with no check for room (the reader counts what it lost) and no
 * lock (one producer per ring).
 *
 *	TRACE(IDLE);                            kind only
 *	TRACE_S(SYSCALL, nr);                   kind and a16
 *	TRACE_SAB(EXCEPTION, vector, addr, ip); kind, a16, a0, a1
 *	TRACE_SWAB(SHOOTDOWN, pages, mask, root, ticks); all four
 *	TRACE_KAB(PAGEFAULT, EXO_TRACE_PF_PAGER, addr, ip);
 *	                                        the same, a16 a constant: one
 *	                                        store less
 *	TRACE_K(PAGEFAULT, EXO_TRACE_PF_KILL);  kind and a constant a16
 *
 * Only the fields named are written; <exo/trace.h> lists which each kind uses.
 */
#ifndef CORE_TRACE_H
#define CORE_TRACE_H

#include <exo/trace.h>
#include <exo/types.h>

#include "percpu.h"

extern u8 trace_on;

/* This CPU's ring: in its struct percpu. */
#define TRACE_RING() (&this_cpu()->ring)

#if defined(__PIE__) || defined(__PIC__)
/*
 * The host build of the core (unit tests): the same record in C. The kernel
 * uses the assembly below, whose instruction count does not depend on what
 * the compiler makes of it.
 */
#define TRACE_C_(K, has16, s, has0, a, has1, b, has32, w) do {               \
	if (__builtin_expect(trace_on, 0)) {                                  \
		struct exo_trace_ring *r_ = TRACE_RING();                     \
		struct exo_trace_rec *t_ = (struct exo_trace_rec *)           \
			((char *)r_->recs + (u16)r_->head);                   \
		u32 lo_, hi_, k_ = EXO_TRACE_##K;                             \
		__asm__ volatile("rdtsc" : "=a"(lo_), "=d"(hi_));            \
		(void)hi_;              /* the reader unwraps the high half */ \
		t_->tsc_lo = lo_;                                             \
		t_->tsc_hi = 0;         /* a full record (<exo/trace.h>) */   \
		__builtin_memcpy(&t_->kind, &k_, 4);                          \
		if (has16) t_->a16 = (u16)(s);                                \
		if (has32) t_->a32 = (u32)(w);                                \
		if (has0) t_->a0 = (u64)(a);                                  \
		if (has1) t_->a1 = (u64)(b);                                  \
		__asm__ volatile("addq %1, %0" : "+m"(r_->head)               \
				 : "i"(EXO_TRACE_REC_SIZE), "m"(*t_));        \
	}                                                                     \
} while (0)
/* The short record (<exo/trace.h>): the thread number and tsc_lo, one store. */
#define TRACE_IPC_FAST(to) do {                                               \
	if (__builtin_expect(trace_on, 0)) {                                  \
		struct exo_trace_ring *r_ = TRACE_RING();                     \
		char *t_ = (char *)r_->recs + (u16)r_->head;                  \
		u32 lo_, hi_;                                                 \
		u64 v_;                                                       \
		__asm__ volatile("rdtsc" : "=a"(lo_), "=d"(hi_));            \
		(void)hi_;                                                    \
		v_ = (u64)lo_ << 32 | (u64)(to) >> 32;                        \
		__atomic_store_n((u64 *)(t_ + 4), v_, __ATOMIC_RELAXED);      \
		__asm__ volatile("addq %1, %0" : "+m"(r_->head)               \
				 : "i"(EXO_TRACE_REC_SIZE), "m"(*t_));        \
	}                                                                     \
} while (0)
#define TRACE(K)              TRACE_C_(K, 0, 0, 0, 0, 0, 0, 0, 0)
#define TRACE_K(K, s)         TRACE_C_(K, 1, s, 0, 0, 0, 0, 0, 0)
#define TRACE_KA(K, s, a)     TRACE_C_(K, 1, s, 1, a, 0, 0, 0, 0)
#define TRACE_KAB(K, s, a, b) TRACE_C_(K, 1, s, 1, a, 1, b, 0, 0)
#define TRACE_S(K, s)         TRACE_C_(K, 1, s, 0, 0, 0, 0, 0, 0)
#define TRACE_A(K, a)         TRACE_C_(K, 0, 0, 1, a, 0, 0, 0, 0)
#define TRACE_W(K, w)         TRACE_C_(K, 0, 0, 0, 0, 0, 0, 1, w)
#define TRACE_SA(K, s, a)     TRACE_C_(K, 1, s, 1, a, 0, 0, 0, 0)
#define TRACE_AB(K, a, b)     TRACE_C_(K, 0, 0, 1, a, 1, b, 0, 0)
#define TRACE_SAB(K, s, a, b) TRACE_C_(K, 1, s, 1, a, 1, b, 0, 0)
#define TRACE_SWAB(K, s, w, a, b) TRACE_C_(K, 1, s, 1, a, 1, b, 1, w)
#else
/*
 * The kernel: a record is, after the test of trace_on,
 *	rdtsc
 *	str %rdx                this CPU (percpu.h: its TSS selector)
 *	movzwl head(,%rdx,8), off   the slot: head's low 16 bits
 *	movq %rax, recs+0(off,%rdx,8) tsc_lo, and 0 where tsc_hi goes (the VMM's
 *				reader unwraps the high half)
 *	movl $kind, recs+8(off,%rdx,8) kind (and a16 = 0)
 *	...                     one store per field named
 *	addq $32, head(,%rdx,8) publish
 * where head and recs are CPU 0's less PERCPU_TR0 * 8 (percpu_by_tr): one
 * instruction more than with a single ring, for the str.
 * The test expects tracing on, so the record lies in line after a jump not
 * taken and nothing jumps back: on, a one-field point is 8 instructions
 * (6 more than off, where it is the compare and the taken jump over), 9
 * with the str.
 */
#ifdef EXO_UP
/* The uniprocessor kernel: CPU 0's ring at a fixed address, no str. */
#define TRACE_STR_  ""
#define TRACE_HIX_  ""
#define TRACE_RIX_  "(%[off])"
#define TRACE_BIAS_ 0
#else
#define TRACE_STR_  "str %%rdx\n\t"
#define TRACE_HIX_  "(,%%rdx,8)"
#define TRACE_RIX_  "(%[off],%%rdx,8)"
#define TRACE_BIAS_ (PERCPU_TR0 * 8)
#endif
#define TRACE_BY_TR_(field) \
	((long)__builtin_offsetof(struct percpu, ring.field) - TRACE_BIAS_)
/* A record: kind K with a16 = s stored in one store (s a constant), then
 * STORES, the fields' stores, with their inputs. */
#define TRACE_KIND_(K, s) ((EXO_TRACE_##K) | (s) << 16)
#define TRACE_ASMK_(K, s, STORES, ...) do {                                   \
	if (__builtin_expect(trace_on, 1)) {                                  \
		u64 off_;                                                     \
		__asm__ volatile(                                             \
			"rdtsc\n\t"                                           \
			TRACE_STR_                                       \
			"movzwl %c[pc]+%c[head]" TRACE_HIX_ ", %k[off]\n\t"       \
			"movq %%rax, %c[pc]+%c[recs]" TRACE_RIX_ "\n\t"     \
			"movl %[kind], %c[pc]+%c[recs]+8" TRACE_RIX_ "\n\t" \
			STORES                                                \
			"addq %[sz], %c[pc]+%c[head]" TRACE_HIX_ ""               \
			: [off] "=&r"(off_)                                   \
			: [pc] "i"(cpus), [head] "i"(TRACE_BY_TR_(head)),     \
			  [recs] "i"(TRACE_BY_TR_(recs)),                     \
			  [kind] "i"(TRACE_KIND_(K, s)),                      \
			  [sz] "i"(EXO_TRACE_REC_SIZE) __VA_ARGS__            \
			: "rax", "rdx");                                      \
	}                                                                     \
} while (0)
#define TRACE_ASM_(K, STORES, ...) TRACE_ASMK_(K, 0, STORES, __VA_ARGS__)
/*
 * The short record (<exo/trace.h>) of the IPC fast path: 5 instructions
 * after the test, 3 of them memory accesses (a full one-field record: 6
 * and 5). shld leaves rax = tsc_lo << 32 | the thread number, which the
 * store at byte 4 lays down as the number, then tsc_lo.
 */
#define TRACE_IPC_FAST(to) do {                                               \
	if (__builtin_expect(trace_on, 1)) {                                  \
		u64 off_;                                                     \
		__asm__ volatile(                                             \
			"rdtsc\n\t"                                           \
			"shld $32, %[tid], %%rax\n\t"                        \
			TRACE_STR_                                            \
			"movzwl %c[pc]+%c[head]" TRACE_HIX_ ", %k[off]\n\t"   \
			"movq %%rax, %c[pc]+%c[recs]+4" TRACE_RIX_ "\n\t"    \
			"addq %[sz], %c[pc]+%c[head]" TRACE_HIX_ ""            \
			: [off] "=&r"(off_)                                   \
			: [tid] "r"((u64)(to)), [pc] "i"(cpus),               \
			  [head] "i"(TRACE_BY_TR_(head)),                     \
			  [recs] "i"(TRACE_BY_TR_(recs)),                     \
			  [sz] "i"(EXO_TRACE_REC_SIZE)                        \
			: "rax", "rdx");                                      \
	}                                                                     \
} while (0)
#define TRACE_ST16_ "movw %w[s16], %c[pc]+%c[recs]+10" TRACE_RIX_ "\n\t"
#define TRACE_ST32_ "movl %k[w32], %c[pc]+%c[recs]+12" TRACE_RIX_ "\n\t"
#define TRACE_ST0_  "movq %[a0], %c[pc]+%c[recs]+16" TRACE_RIX_ "\n\t"
#define TRACE_ST1_  "movq %[a1], %c[pc]+%c[recs]+24" TRACE_RIX_ "\n\t"
#define TRACE_IN16_(s) , [s16] "r"((u16)(s))
#define TRACE_IN32_(w) , [w32] "r"((u32)(w))
#define TRACE_IN0_(a)  , [a0] "r"((u64)(a))
#define TRACE_IN1_(b)  , [a1] "r"((u64)(b))
#define TRACE_K(K, s)         TRACE_ASMK_(K, s, "")
#define TRACE_KA(K, s, a)     TRACE_ASMK_(K, s, TRACE_ST0_, TRACE_IN0_(a))
#define TRACE_KAB(K, s, a, b) TRACE_ASMK_(K, s, TRACE_ST0_ TRACE_ST1_,          \
					  TRACE_IN0_(a) TRACE_IN1_(b))
#define TRACE(K)              TRACE_ASM_(K, "")
#define TRACE_S(K, s)         TRACE_ASM_(K, TRACE_ST16_, TRACE_IN16_(s))
#define TRACE_A(K, a)         TRACE_ASM_(K, TRACE_ST0_, TRACE_IN0_(a))
#define TRACE_W(K, w)         TRACE_ASM_(K, TRACE_ST32_, TRACE_IN32_(w))
#define TRACE_SA(K, s, a)     TRACE_ASM_(K, TRACE_ST16_ TRACE_ST0_,             \
					 TRACE_IN16_(s) TRACE_IN0_(a))
#define TRACE_AB(K, a, b)     TRACE_ASM_(K, TRACE_ST0_ TRACE_ST1_,              \
					 TRACE_IN0_(a) TRACE_IN1_(b))
#define TRACE_SAB(K, s, a, b) TRACE_ASM_(K, TRACE_ST16_ TRACE_ST0_ TRACE_ST1_,  \
					 TRACE_IN16_(s) TRACE_IN0_(a) TRACE_IN1_(b))
#define TRACE_SWAB(K, s, w, a, b)                                              \
	TRACE_ASM_(K, TRACE_ST16_ TRACE_ST32_ TRACE_ST0_ TRACE_ST1_,           \
		   TRACE_IN16_(s) TRACE_IN32_(w) TRACE_IN0_(a) TRACE_IN1_(b))
#endif

/*
 * Set up the rings; with "trace" on the command line, turn tracing on and
 * announce the boot CPU's ring to the VMM.
 */
void trace_init(const char *cmdline, u64 tsc_khz);
/* An application processor announces its ring (if tracing is on). */
void trace_announce(void);
/* KTEST_TRACE: tracing on or off from now; returns the previous setting. */
bool trace_set(bool on);

#endif
