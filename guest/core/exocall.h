/* The exokernel's system calls, for the table in syscall.c. */
#ifndef CORE_EXOCALL_H
#define CORE_EXOCALL_H

#include "syscall.h"

#define EXOCALL(name) \
	i64 sys_##name(struct thread *t, u64 a0, u64 a1, u64 a2, u64 a3, u64 a4)
EXOCALL(cap_info);
EXOCALL(cap_derive);
EXOCALL(cap_pass);
EXOCALL(cap_drop);
EXOCALL(env_cap);
EXOCALL(frame_alloc);
EXOCALL(frame_free);
EXOCALL(bind);
EXOCALL(unbind);
EXOCALL(bind_env);
EXOCALL(bind_query);
EXOCALL(env_entry);
EXOCALL(upcall_wait);
EXOCALL(slice_alloc);
EXOCALL(slice_yield);
EXOCALL(slice_give);
EXOCALL(revoke_request);
EXOCALL(repossessed);
EXOCALL(env_backing);
EXOCALL(backing_read);
EXOCALL(ext_load);
EXOCALL(ext_attach);
EXOCALL(ext_counter);
EXOCALL(ext_domain);
#undef EXOCALL

/* User memory of s, looked up in its tables (exocall.c). -E_FAULT */
int user_writable(struct space *s, u64 va, u64 len);
int user_write(struct space *s, u64 va, const void *src, u64 len);
int user_read(struct space *s, void *dst, u64 va, u64 len);

/* env.c */
i64 env_entry(struct thread *t, u64 kind, u64 pc, u64 sp);
i64 env_cap(struct thread *t, u64 tid, u64 rights);
bool upcall_exception(struct thread *t, u64 vector, u64 error, u64 addr);
u64 upcall_entry_bad(struct thread *t, u64 vector);

#endif
