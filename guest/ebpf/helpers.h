/*
 * The helper table an extension is compiled or interpreted against: helper
 * id (the imm of an eBPF call) -> function. The domain the extension links
 * against decides which ids exist; the checker has already matched every call
 * with its helper's prototype, so here a helper is only an address.
 *
 * Helpers follow the System V AMD64 ABI: eBPF r1-r5 arrive in rdi, rsi, rdx,
 * rcx, r8 and r0 comes back in rax, so compiled code calls them with no
 * argument shuffling (see jit.c, the register map).
 */
#ifndef EBPF_HELPERS_H
#define EBPF_HELPERS_H

#include <exo/types.h>

typedef u64 ebpf_helper_fn(u64 r1, u64 r2, u64 r3, u64 r4, u64 r5);

struct ebpf_helpers {
	ebpf_helper_fn *const *fn;      /* fn[id]; NULL: no helper with that id */
	u32 count;                      /* ids 0 .. count-1 */
};

/* The helper with that id, or NULL. */
static inline ebpf_helper_fn *
ebpf_helper(const struct ebpf_helpers *h, i32 id)
{
	if (!h || id < 0 || (u32)id >= h->count)
		return 0;
	return h->fn[id];
}

#endif /* EBPF_HELPERS_H */
