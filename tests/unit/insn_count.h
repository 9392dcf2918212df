/*
 * What the kernel would pay on PVM, where every ring-0 instruction is
 * emulated and so costs about the same: exact x86 instruction counts of host
 * code, for the cost tests (the compiler's, the checker's). The host build
 * is not the kernel build (flags differ a little), so the counts are close
 * to the kernel's, not equal.
 */
#ifndef TESTS_INSN_COUNT_H
#define TESTS_INSN_COUNT_H

typedef void counted_fn(void *arg);

/*
 * Instructions fn(arg) executes, in a forked child stepped one instruction
 * at a time by ptrace; -1 if ptrace is refused.
 */
long count_insns(counted_fn *fn, void *arg);

#endif
