/*
 * Trace points in the entry code (entry.S), for the crossings the kernel
 * proper never sees: an exception delivered straight to the thread's own
 * handler, a page fault refilled from the software TLB. The record is the
 * C macros' (core/trace.h), written the same way; trap.c checks these
 * numbers against <exo/trace.h>.
 */
#ifndef ARCH_TRACE_ASM_H
#define ARCH_TRACE_ASM_H

#define TRACE_RECS	4096	/* offsetof(struct exo_trace_ring, recs) */
#define TRACE_REC_SIZE	32
#define TRACE_R_KIND	8	/* kind, and a16 above it */
#define TRACE_R_A0	16
#define TRACE_K_IPC_FAST 5
#define TRACE_IPC_FAST_MAP 1	/* its a16 (EXO_TRACE_IPC_FAST_MAP) */
#define TRACE_K_EXC_UPCALL 18
#define TRACE_K_STLB_FILL  19
#define TRACE_K_SYSCALL_FAST 20

#ifdef __ASSEMBLER__
/*
 * One full record (<exo/trace.h>: tsc_lo and a zero tsc_hi in one store),
 * of kind and a16 (both assemble-time constants, one store), on this CPU's
 * ring: str names the CPU, whose ring head is at PC_BY_TR + PC_RING (its
 * first word) scaled by the selector (percpu.h).
 * load, if given, is one instruction that puts a0 in rax. tmp is a
 * register the caller can spare; save, if given, is where rdx is kept
 * meanwhile. Clobbers rax and tmp (and rdx unless saved).
 * Off: the test and a taken jump. On: 8 to 10 instructions after the test
 * (str: one more than with a single ring).
 *
 * The entry code with trace points comes in two copies, plain and traced
 * (TRACE_COPY before each), and the arch layer points the IDT's gates and
 * vec3's table at the traced copies while tracing is on (arch_trace_set):
 * there the record is written without the test, and the plain copy has no
 * trace point at all, so tracing off costs nothing.
 */
#define TRACE_TEST	0	/* trace_copy: test trace_on (the default) */
#define TRACE_PLAIN	1	/* no record */
#define TRACE_TRACED	2	/* the record, without the test */
	.set	trace_copy, TRACE_TEST

/* The code that follows is the plain copy (no suffix) or the traced one. */
.macro TRACE_COPY suffix=
	.ifb \suffix
	.set	trace_copy, TRACE_PLAIN
	.else
	.set	trace_copy, TRACE_TRACED
	.endif
.endm

.macro TRACE_REC kind, a16, tmp, load=, save=
	.if trace_copy != TRACE_PLAIN
	.if trace_copy == TRACE_TEST
	cmpb	$0, trace_on(%rip)
	je	.Ltrace_skip\@
	.endif
	.ifnb \save
	mov	%rdx, \save
	.endif
	rdtsc
#ifdef EXO_UP
	/* One CPU: its ring is at a fixed address. */
	movzwq	cpus + PC_RING, \tmp		/* absolute: insnperf knows it */
	mov	%rax, cpus + PC_RING + TRACE_RECS(\tmp)
	movl	$(\kind | (\a16) << 16), cpus + PC_RING + TRACE_RECS + TRACE_R_KIND(\tmp)
	.ifnb \load
	\load
	mov	%rax, cpus + PC_RING + TRACE_RECS + TRACE_R_A0(\tmp)
	.endif
	addq	$TRACE_REC_SIZE, cpus + PC_RING(%rip)
#else
	str	%rdx
	movzwq	PC_BY_TR + PC_RING(,%rdx,8), \tmp
	lea	(\tmp,%rdx,8), \tmp
	mov	%rax, PC_BY_TR + PC_RING + TRACE_RECS(\tmp)
	movl	$(\kind | (\a16) << 16), PC_BY_TR + PC_RING + TRACE_RECS + TRACE_R_KIND(\tmp)
	.ifnb \load
	\load
	mov	%rax, PC_BY_TR + PC_RING + TRACE_RECS + TRACE_R_A0(\tmp)
	.endif
	addq	$TRACE_REC_SIZE, PC_BY_TR + PC_RING(,%rdx,8)
#endif
	.ifnb \save
	mov	\save, %rdx
	.endif
.Ltrace_skip\@:
	.endif
.endm
#endif

#endif
