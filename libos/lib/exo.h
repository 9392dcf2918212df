/*
 * The exokernel's calls as the library OS makes them (<exo/exo.h>), and the
 * library OS's own part of the exception protocol (upcall.S, exo.c).
 */
#ifndef LIBOS_EXO_H
#define LIBOS_EXO_H

#include <exo/exo.h>

#include "l4.h"

static inline long
cap_info(exo_cap_t c, struct exo_capinfo *info)
{
	return l4_syscall5(SYS_cap_info, (long)c, (long)info, 0, 0, 0);
}
static inline long
cap_derive(exo_cap_t c, u32 rights)
{
	return l4_syscall5(SYS_cap_derive, (long)c, rights, 0, 0, 0);
}
static inline long
cap_pass(exo_cap_t c, u64 tid, u32 rights)
{
	return l4_syscall5(SYS_cap_pass, (long)c, (long)tid, rights, 0, 0);
}
static inline long
cap_drop(exo_cap_t c)
{
	return l4_syscall5(SYS_cap_drop, (long)c, 0, 0, 0, 0);
}
static inline long
env_cap(u64 tid, u32 rights)
{
	return l4_syscall5(SYS_env_cap, (long)tid, rights, 0, 0, 0);
}
static inline long
frame_alloc(u32 flags)
{
	return l4_syscall5(SYS_frame_alloc, flags, 0, 0, 0, 0);
}
static inline long
frame_free(exo_cap_t c)
{
	return l4_syscall5(SYS_frame_free, (long)c, 0, 0, 0, 0);
}
static inline long
bind(exo_cap_t c, u64 va, u32 flags)
{
	return l4_syscall5(SYS_bind, (long)c, (long)va, flags, 0, 0);
}
/* Bind frame cap (a name in env's own table) at va in env (ENV cap, W). */
static inline long
bind_env(exo_cap_t env, exo_cap_t c, u64 va, u32 flags)
{
	return l4_syscall5(SYS_bind_env, (long)env, (long)c, (long)va, flags, 0);
}
static inline long
unbind(exo_cap_t c)
{
	return l4_syscall5(SYS_unbind, (long)c, 0, 0, 0, 0);
}
static inline long
bind_query(u64 va)
{
	return l4_syscall5(SYS_bind_query, (long)va, 0, 0, 0, 0);
}
static inline long
env_entry(u32 kind, u64 pc, u64 sp)
{
	return l4_syscall5(SYS_env_entry, kind, (long)pc, (long)sp, 0, 0);
}

/* An entry thread's upcall is done: the next one starts at the entry point
 * (this returns only with an error: -E_PERM, the caller is no entry thread). */
static inline long
upcall_wait(void)
{
	return l4_syscall5(SYS_upcall_wait, 0, 0, 0, 0, 0);
}
static inline long
revoke_request(exo_cap_t env, u64 count, u64 deadline_us)
{
	return l4_syscall5(SYS_revoke_request, (long)env, (long)count, (long)deadline_us,
			   0, 0);
}
/* Entries moved (low 32 bits) | entries lost to overflow << 32, or -E_*. */
static inline long
repossessed(struct exo_repossession *buf, u32 n)
{
	return l4_syscall5(SYS_repossessed, (long)buf, n, 0, 0, 0);
}
static inline long
env_backing(u32 store)
{
	return l4_syscall5(SYS_env_backing, store, 0, 0, 0, 0);
}
static inline long
backing_read(u64 block, exo_cap_t frame)
{
	return l4_syscall5(SYS_backing_read, (long)block, (long)frame, 0, 0, 0);
}
/*
 * Slices and protected control transfer (<exo/exo.h>). A successful
 * pct(.., EXO_PCT_SYNC) does not return: a transfer back starts the thread
 * at its PCT entry. Upcall handlers entered straight as C functions need
 * sp = 8 mod 16. slice_yield from a SLICE entry thread also waits for
 * the next upcall, as upcall_wait does. Slots are per CPU: slice_alloc
 * takes slots of CPU cpu's vector (< l4_kip()->ncpus), whose upcalls go to
 * the SLICE entry thread registered on that CPU (exo_slice_entry_on).
 */
static inline long
slice_alloc(u32 cpu, u32 count, u32 flags)
{
	return l4_syscall5(SYS_slice_alloc, cpu, count, flags, 0, 0);
}
/* Give count slots of our quota on CPU cpu to env (an ENV cap with W): it
 * may hold that many slots there; we that many fewer (<exo/exo.h>). */
static inline long
slice_give(exo_cap_t env, u32 cpu, u32 count)
{
	return l4_syscall5(SYS_slice_give, (long)env, cpu, count, 0, 0);
}
static inline long
slice_yield(void)
{
	return l4_syscall5(SYS_slice_yield, 0, 0, 0, 0, 0);
}
/* The target gets rdi (env), rsi (flags) and every register but rax, rcx,
 * r11: a caller that passes more sets them in assembly around the call. */
static inline long
pct(exo_cap_t env, u32 flags)
{
	return l4_syscall5(SYS_pct, (long)env, flags, 0, 0, 0);
}

/* This thread's exception frame (in its UTCB). */
static inline struct exo_xframe *
exo_xframe(void)
{
	return (struct exo_xframe *)((u8 *)l4_utcb() + EXO_UTCB_XFRAME);
}

/*
 * The library OS's exception handling (exo.c): handler(frame) runs for every
 * exception of this thread on a stack of its own; returning resumes the
 * faulting code (with the frame's registers, which the handler may change:
 * rip to skip an instruction, say), never entering the kernel. A handler
 * that returns nonzero declines: the thread exits with 128 + vector.
 */
typedef int (*exo_handler_t)(struct exo_xframe *x);
long exo_handler_set(exo_handler_t h, void *stack_top);

/* The calling thread moves to CPU cpu and becomes its environment's SLICE
 * entry thread there, at pc on stack sp (exo.c). 0 or -E_*. */
long exo_slice_entry_on(u32 cpu, u64 pc, u64 sp);

#endif
