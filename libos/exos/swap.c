/*
 * ExOS's side of visible revocation (exos.h, exos_swap_init): the REVOKE
 * entry thread. The kernel asks for frames (EXO_UPCALL_REVOKE): the
 * library gives back what it can remake; at the deadline the kernel takes
 * the rest itself, autosaved, and says which (EXO_UPCALL_REPOSSESS): the
 * library records where each went. The policy is vm.c's; this is the entry.
 */
#include "exos.h"

#include "libos.h"
#include "task.h"

static u8 revoke_stack[16384] __attribute__((aligned(16)));
static volatile long swap_state;        /* 0 starting, 1 registered, < 0 error */
static u32 swap_store;                  /* the store designated, once */

/* rdi the upcall, rsi and rdx its arguments (<exo/exo.h>). Upcalls
 * entered as C functions need sp = 8 mod 16 (exo.h). */
static void __attribute__((noreturn))
revoke_entry(u64 kind, u64 arg, u64 deadline)
{
	if (kind == EXO_UPCALL_REVOKE) {
		exos_vm_stats.revoke_upcalls++;
		/* Past the deadline (we ran late) the kernel has taken what was
		 * owed: a frame given back now would be one more lost for
		 * nothing. */
		if (l4_rdtsc() < deadline)
			exos_vm_give_back(arg);
	} else if (kind == EXO_UPCALL_REPOSSESS) {
		/* Counted once its pages are recorded: a thread that waits for
		 * the count (exosvm's swap case) then reads what was taken. */
		exos_vm_reap();
		__atomic_fetch_add(&exos_vm_stats.repossess_upcalls, 1, __ATOMIC_RELEASE);
	}
	upcall_wait();
	for (;;)                        /* upcall_wait returns only refused */
		;
}

static void
revoke_thread(u64 arg)
{
	(void)arg;
	swap_state = env_entry(EXO_ENTRY_REVOKE, (u64)revoke_entry,
			       (u64)(revoke_stack + sizeof(revoke_stack)) - 8);
	if (swap_state == 0)
		swap_state = 1;
	else
		return;
	upcall_wait();
	swap_state = -E_PERM;
}

long
exos_swap_init(u32 store)
{
	long r;

	if (swap_store)                 /* once per environment, as env_backing */
		return store == swap_store && swap_state == 1 ? 0 : -E_EXIST;
	if ((r = env_backing(store)) < 0)
		return r;
	swap_store = store;
	exos_vm_autosave(true);
	if (!thread_spawn(revoke_thread, 0))
		return -E_NOMEM;
	while (swap_state == 0)         /* until it registered and waits */
		l4_thread_switch(EXO_NILTHREAD);
	return swap_state < 0 ? swap_state : 0;
}
