/* eBPF instructions as text, for `exo ext dump`. */
#ifndef HOST_EXT_DISASM_H
#define HOST_EXT_DISASM_H

#include <stddef.h>

#include <exo/bpf.h>

/*
 * Instruction i of prog (n instructions) as one line of text: the RFC 9669
 * operation names in lower case, a "32" suffix for the 32-bit forms, jumps
 * with their target index ("jeq r1, 5, +3 <7>"). Returns the slots it
 * took: 2 for LD_IMM64, else 1.
 */
u32 ext_disasm(const struct bpf_insn *prog, u32 n, u32 i, char *buf, size_t len);

#endif
