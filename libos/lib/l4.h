/*
 * The L4 interface for programs: IPC with message registers, thread and
 * space control, unmap, interrupts. Register conventions: <exo/ipc.h>.
 */
#ifndef LIBOS_L4_H
#define LIBOS_L4_H

#include <exo/ipc.h>
#include <exo/layout.h>
#include <exo/syscall.h>
#include <exo/types.h>

/* MR0 (the tag) .. MR7: the part of a message that travels in registers. */
struct l4_msg {
	u64 mr[EXO_REG_MRS];
};

static inline const volatile struct exo_kip *
l4_kip(void)
{
	return (const volatile struct exo_kip *)EXO_USER_KIP;
}

/* The running thread's UTCB: the kernel keeps its address in the GS base. */
static inline struct exo_utcb *
l4_utcb(void)
{
	struct exo_utcb *u;

	__asm__ volatile("rdgsbase %0" : "=r"(u));
	return u;
}

static inline u64
l4_myself(void)
{
	return l4_utcb()->my_tid;
}

/*
 * The IPC system call. Returns the error word (0: success, else
 * EXO_IPC_ERR(code, phase)); *from is the sender of what was received.
 * MR8.. and the acceptor are in the UTCB.
 */
static inline u64
l4_ipc(u64 to, u64 from_spec, u64 timeouts, struct l4_msg *m, u64 *from)
{
	register u64 r8 __asm__("r8") = m->mr[0];
	register u64 r9 __asm__("r9") = m->mr[1];
	register u64 r10 __asm__("r10") = m->mr[2];
	register u64 r12 __asm__("r12") = m->mr[3];
	register u64 r13 __asm__("r13") = m->mr[4];
	register u64 r14 __asm__("r14") = m->mr[5];
	register u64 r15 __asm__("r15") = m->mr[6];
	register u64 rbx __asm__("rbx") = m->mr[7];
	u64 rax = SYS_ipc, rdx = timeouts;

	__asm__ volatile("syscall"
			 : "+a"(rax), "+D"(to), "+S"(from_spec), "+d"(rdx),
			   "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13),
			   "+r"(r14), "+r"(r15), "+r"(rbx)
			 : : "rcx", "r11", "memory", EXO_SYSCALL_FPU_CLOBBERS);
	m->mr[0] = r8, m->mr[1] = r9, m->mr[2] = r10, m->mr[3] = r12;
	m->mr[4] = r13, m->mr[5] = r14, m->mr[6] = r15, m->mr[7] = rbx;
	if (from)
		*from = rax;
	return rdx;
}

static inline u64
l4_call(u64 to, struct l4_msg *m)
{
	return l4_ipc(to, to, 0, m, 0);
}

static inline u64
l4_send(u64 to, struct l4_msg *m, u32 timeout)
{
	return l4_ipc(to, EXO_NILTHREAD, EXO_TIMEOUTS(timeout, 0), m, 0);
}

/* A receive sends nothing: m is only written (cleared first, so no stale
 * words are passed in registers). */
static inline u64
l4_receive(u64 from_spec, struct l4_msg *m, u32 timeout, u64 *from)
{
	*m = (struct l4_msg){ { 0 } };
	return l4_ipc(EXO_NILTHREAD, from_spec, EXO_TIMEOUTS(0, timeout), m, from);
}

/* Sleep for us microseconds (a receive from nil, <exo/ipc.h>); an
 * exchange_registers abort ends it early (EXO_IPC_CANCELED). */
static inline u64
l4_sleep(u32 us)
{
	struct l4_msg m;

	return l4_receive(EXO_NILTHREAD, &m, EXO_TIMEOUT_US(us), 0);
}

static inline u64
l4_wait(struct l4_msg *m, u64 *from)
{
	*m = (struct l4_msg){ { 0 } };
	return l4_ipc(EXO_NILTHREAD, EXO_ANYTHREAD, 0, m, from);
}

/* Reply to `to` without blocking (zero send timeout), then wait for anyone. */
static inline u64
l4_reply_wait(u64 to, struct l4_msg *m, u64 *from)
{
	return l4_ipc(to, EXO_ANYTHREAD, EXO_TIMEOUTS(EXO_TIMEOUT_ZERO, 0), m, from);
}

static inline u64
l4_reply(u64 to, struct l4_msg *m)
{
	return l4_ipc(to, EXO_NILTHREAD, EXO_TIMEOUTS(EXO_TIMEOUT_ZERO, 0), m, 0);
}

/* Raw system call with up to five arguments (rdi, rsi, rdx, r10, r8). */
static inline long
l4_syscall5(long no, long a0, long a1, long a2, long a3, long a4)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret), "+D"(a0), "+S"(a1), "+d"(a2), "+r"(r10), "+r"(r8)
			 : "a"(no)
			 : "rcx", "r11", "r9", "memory",
			   EXO_SYSCALL_FPU_CLOBBERS);
	return ret;
}

static inline long
l4_thread_control(u64 dest, u64 space, u64 pager, u64 utcb, long prio)
{
	return l4_syscall5(SYS_thread_control, (long)dest, (long)space,
			   (long)pager, (long)utcb, prio);
}

/* Old sp and ip are returned through *sp and *ip when not NULL. */
static inline long
l4_exchange_registers(u64 dest, u64 control, u64 sp, u64 ip, u64 pager,
		      u64 *old_sp, u64 *old_ip)
{
	register long r10 __asm__("r10") = (long)ip;
	register long r8 __asm__("r8") = (long)pager;
	long ret, rdi = (long)dest, rsi = (long)control, rdx = (long)sp;

	__asm__ volatile("syscall"
			 : "=a"(ret), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8)
			 : "a"((long)SYS_exchange_registers)
			 : "rcx", "r11", "r9", "memory",
			   EXO_SYSCALL_FPU_CLOBBERS);
	if (old_sp)
		*old_sp = (u64)rdi;
	if (old_ip)
		*old_ip = (u64)rsi;
	return ret;
}

static inline long
l4_thread_switch(u64 dest)
{
	return l4_syscall5(SYS_thread_switch, (long)dest, 0, 0, 0, 0);
}

static inline long
l4_unmap(u64 fpage, u64 flags)
{
	return l4_syscall5(SYS_unmap, (long)fpage, (long)flags, 0, 0, 0);
}

static inline long
l4_irq_control(u64 irq, u64 handler)
{
	return l4_syscall5(SYS_irq_control, (long)irq, (long)handler, 0, 0, 0);
}

/*
 * Benchmark marks and results (<exo/bench.h>): code != 0 asks the host to
 * sample its counters here; rec/len hand it a struct exo_bench_result.
 * l4_bench_mark(0, 0, 0) does nothing: the null system call.
 */
static inline long
l4_bench_mark(u64 code, const void *rec, u64 len)
{
	return l4_syscall5(SYS_bench_mark, (long)code, (long)rec, (long)len, 0, 0);
}

static inline u64
l4_rdtsc(void)
{
	u32 lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (u64)hi << 32 | lo;
}

#endif
