/*
 * Extensions in the kernel (SPIN): loading (check, compile, map), the
 * system-call event's handlers and its dispatcher. <exo/extcall.h> is the
 * user's view; guest/ebpf/ the checker and the compiler.
 */
#ifndef CORE_EXT_H
#define CORE_EXT_H

#include <exo/types.h>

#include "thread.h"

struct cap;
struct env;

/*
 * Handlers attached to system calls, all environments together: the
 * dispatcher's one test on the system-call path (syscall.c) is that this
 * is not 0.
 */
extern u32 ext_syscall_hooks;

/* Run the handlers t's environment has for its call (rax); true if one
 * answered it (t->ctx.rax is then the result). */
bool ext_syscall_raise(struct thread *t);

i64 ext_load(struct thread *t, u64 insns, u64 n, u64 event, u64 err);
i64 ext_attach(struct thread *t, u64 ext, u64 env, u64 sysno);
i64 ext_counter(struct thread *t, u64 ext, u64 slot);

/* The root EXT capability c dies: the extension goes (cap_release). */
void ext_release(struct cap *c);
/* Environment e dies: its handlers go. */
void ext_env_destroy(struct env *e);
/* For the self-check: fn for every frame the extensions hold. */
void ext_walk_frames(void (*fn)(u64 pa, void *ctx), void *ctx);

#endif
