/*
 * Trace points: cheap macros at the kernel's crossings that write one record
 * (<exo/trace.h>) into this CPU's ring. Off (the default), a trace point is
 * a compare and a branch not taken. On, it is a TSC read, a few stores and
 * one add, with no check for room (the reader counts what it lost) and no
 * lock (one producer per ring).
 *
 *	TRACE(IDLE);                            kind only
 *	TRACE_S(SYSCALL, nr);                   kind and a16
 *	TRACE_SAB(EXCEPTION, vector, addr, ip); kind, a16, a0, a1
 *	TRACE_SWAB(SHOOTDOWN, pages, mask, root, ticks); all four
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
		t_->tsc_lo = lo_;                                             \
		t_->tsc_hi = hi_;                                             \
		__builtin_memcpy(&t_->kind, &k_, 4);                          \
		if (has16) t_->a16 = (u16)(s);                                \
		if (has32) t_->a32 = (u32)(w);                                \
		if (has0) t_->a0 = (u64)(a);                                  \
		if (has1) t_->a1 = (u64)(b);                                  \
		__asm__ volatile("addq %1, %0" : "+m"(r_->head)               \
				 : "i"(EXO_TRACE_REC_SIZE), "m"(*t_));        \
	}                                                                     \
} while (0)
#define TRACE(K)              TRACE_C_(K, 0, 0, 0, 0, 0, 0, 0, 0)
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
 *	str c                       this CPU (percpu.h: its TSS selector)
 *	movzwl head(,c,8), off      the slot: head's low 16 bits
 *	rdtsc
 *	movl %eax, recs+0(off,c,8)  tsc_lo
 *	movl %edx, recs+4(off,c,8)  tsc_hi
 *	movl $kind, recs+8(off,c,8) kind (and a16 = 0)
 *	...                         one store per field named
 *	addq $32, head(,c,8)        publish
 * where head and recs are CPU 0's less PERCPU_TR0 * 8: c * 8 is the offset
 * of this CPU's struct percpu plus that. So a trace point with one field
 * costs 11 instructions with the test and the jump back from the
 * out-of-line body: one more than with a single ring.
 */
#define TRACE_BY_TR_(field) \
	((long)__builtin_offsetof(struct percpu, ring.field) - PERCPU_TR0 * 8)
#define TRACE_ASM_(K, STORES, ...) do {                                       \
	if (__builtin_expect(trace_on, 0)) {                                  \
		u64 off_, c_;                                                 \
		__asm__ volatile(                                             \
			"str %[c]\n\t"                                        \
			"movzwl %c[pc]+%c[head](,%[c],8), %k[off]\n\t"               \
			"rdtsc\n\t"                                           \
			"movl %%eax, %c[pc]+%c[recs](%[off],%[c],8)\n\t"             \
			"movl %%edx, %c[pc]+%c[recs]+4(%[off],%[c],8)\n\t"           \
			"movl %[kind], %c[pc]+%c[recs]+8(%[off],%[c],8)\n\t"         \
			STORES                                                \
			"addq %[sz], %c[pc]+%c[head](,%[c],8)"                       \
			: [off] "=&r"(off_), [c] "=&r"(c_)                    \
			: [pc] "i"(cpus), [head] "i"(TRACE_BY_TR_(head)),                     \
			  [recs] "i"(TRACE_BY_TR_(recs)),                     \
			  [kind] "i"(EXO_TRACE_##K),                          \
			  [sz] "i"(EXO_TRACE_REC_SIZE) __VA_ARGS__            \
			: "rax", "rdx");                                      \
	}                                                                     \
} while (0)
#define TRACE_ST16_ "movw %w[s16], %c[pc]+%c[recs]+10(%[off],%[c],8)\n\t"
#define TRACE_ST32_ "movl %k[w32], %c[pc]+%c[recs]+12(%[off],%[c],8)\n\t"
#define TRACE_ST0_  "movq %[a0], %c[pc]+%c[recs]+16(%[off],%[c],8)\n\t"
#define TRACE_ST1_  "movq %[a1], %c[pc]+%c[recs]+24(%[off],%[c],8)\n\t"
#define TRACE_IN16_(s) , [s16] "r"((u16)(s))
#define TRACE_IN32_(w) , [w32] "r"((u32)(w))
#define TRACE_IN0_(a)  , [a0] "r"((u64)(a))
#define TRACE_IN1_(b)  , [a1] "r"((u64)(b))
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
