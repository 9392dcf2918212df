/*
 * The library OS's side of exception upcalls: the handler runs in C on its
 * own stack, and the faulting code resumes without the kernel (upcall.S).
 */
#include "exo.h"

#include "libos.h"

/* The registers upcall.S saved, lowest address first. */
struct exo_gprs {
	u64 r15, r14, r13, r12, r11, r10, r9, r8, rbp, rdi, rsi, rdx, rcx, rbx, rax;
};

void exo_upcall_entry(void);
u64 exo_upcall_dispatch(struct exo_xframe *x, struct exo_gprs *g);

static exo_handler_t handler;

/* The red zone below the faulting rsp stays untouched. */
#define RED_ZONE 128

u64
exo_upcall_dispatch(struct exo_xframe *x, struct exo_gprs *g)
{
	u64 *back;

	if (x->vector == 14)
		g->rax = x->rax;        /* rax arrived holding cr2 */
	if (!handler || handler(x) != 0) {
		/* Say what ended the task: the status alone (128 + vector) does not. */
		printf("exo: thread %#lx: exception %lu at rip %#lx (address %#lx, "
		       "error %#lx) %s: the task exits %d\n", l4_myself(), x->vector,
		       x->rip, x->cr2, x->error, handler ? "declined by its handler" :
		       "with no handler", 128 + (int)x->vector);
		exit(128 + (int)x->vector);
	}
	back = (u64 *)(x->rsp - RED_ZONE - 3 * sizeof(u64));
	back[0] = g->rax;
	back[1] = x->rflags;
	back[2] = x->rip;
	x->vector = 0;                  /* the frame is free: we are done with it */
	return (u64)back;
}

long
exo_handler_set(exo_handler_t h, void *stack_top)
{
	handler = h;
	return env_entry(EXO_ENTRY_EXCEPTION, h ? (u64)exo_upcall_entry : 0,
			 (u64)stack_top);
}

/*
 * The calling thread becomes its environment's SLICE entry thread for CPU
 * cpu (<exo/exo.h>: a SLICE entry is its CPU's): its home moves there
 * first, then it registers pc and sp. An environment that holds slots on
 * several CPUs calls this from one thread per CPU, each with its own sp.
 *   -E_INVAL   no such CPU, or pc or sp not a user address
 */
long
exo_slice_entry_on(u32 cpu, u64 pc, u64 sp)
{
	long r;

	if (cpu >= l4_kip()->ncpus)
		return -E_INVAL;
	r = l4_exchange_registers(l4_myself(), EXR_CPU(cpu), 0, 0, 0, 0, 0);
	if (r < 0)
		return r;
	return env_entry(EXO_ENTRY_SLICE, pc, sp);
}
