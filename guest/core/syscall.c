/*
 * System-call decoding and the calls themselves. Every call validates all of
 * its arguments before it changes anything; user mistakes return -E_*.
 * Arguments are in the caller's saved registers (rdi, rsi, rdx, r10, r8),
 * the result goes to its rax.
 */
#include "syscall.h"

#include <exo/bench.h>
#include <exo/error.h>
#include <exo/hostio.h>
#include <exo/ipc.h>
#include <exo/layout.h>
#include <exo/syscall.h>

#include "../../ipc/ipc.h"
#include "../../ipc/transfer.h"
#include "bind.h"
#include "exocall.h"
#include "ext.h"
#include "irq.h"
#include "kernel.h"
#include "mdb.h"
#include "modpage.h"
#include "pct.h"
#include "platform.h"
#include "sched.h"
#include "selfcheck.h"
#include "task.h"
#include "tlb.h"
#include "trace.h"

/*
 * console_write(buf, len): write len bytes at user address buf to the console.
 * Returns len.
 *   -E_INVAL  len > EXO_CONSOLE_WRITE_MAX
 *   -E_FAULT  some byte of [buf, buf+len) is not mapped readable in user space
 */
static i64
sys_console_write(struct thread *t, u64 buf, u64 len, u64 a2, u64 a3, u64 a4)
{
	/* A write of at most one page spans at most two pages. */
	u64 pa[2], first, last, n, left = len;

	(void)a2, (void)a3, (void)a4;
	if (len > EXO_CONSOLE_WRITE_MAX)
		return -E_INVAL;
	if (len == 0)
		return 0;
	if (buf >= EXO_USER_END || len > EXO_USER_END - buf)
		return -E_FAULT;
	first = EXO_PAGE_DOWN(buf);
	last = EXO_PAGE_DOWN(buf + len - 1);
	n = (last - first) / EXO_PAGE_SIZE + 1;
	for (u64 i = 0; i < n; i++)
		if (space_lookup(t->space, first + i * EXO_PAGE_SIZE,
				      EXO_SEG_R, &pa[i]) < 0)
			return -E_FAULT;
	/* Commit point: every page checked. */
	for (u64 i = 0, off = buf - first; i < n; i++, off = 0) {
		u64 chunk = EXO_PAGE_SIZE - off;

		if (chunk > left)
			chunk = left;
		arch_host_console(pa[i] + off, chunk);
		left -= chunk;
	}
	return (i64)len;
}

/*
 * console_read(buf, len): move up to len bytes of console input that are
 * waiting into user memory at buf; never waits. The caller must be the
 * driver of the console-input line (irq_control on EXO_IRQ_CONSOLE): the
 * bytes are its to take, and it learns of new ones by the line's IPC, which
 * comes again only after a read that found nothing waiting (a read of fewer
 * bytes than asked). Returns the bytes read, 0 if none was waiting.
 *   -E_PERM   the caller is not the console line's driver
 *   -E_INVAL  len > EXO_CONSOLE_READ_MAX
 *   -E_FAULT  some byte of [buf, buf+len) is not mapped writable in user space
 */
static i64
sys_console_read(struct thread *t, u64 buf, u64 len, u64 a2, u64 a3, u64 a4)
{
	/* A read of at most one page spans at most two pages. */
	u64 pa[2], first, n, got = 0;

	(void)a2, (void)a3, (void)a4;
	if (threads[EXO_IRQ_CONSOLE].handler != t->id)
		return -E_PERM;
	if (len > EXO_CONSOLE_READ_MAX)
		return -E_INVAL;
	if (len == 0)
		return 0;
	if (buf >= EXO_USER_END || len > EXO_USER_END - buf)
		return -E_FAULT;
	first = EXO_PAGE_DOWN(buf);
	n = (EXO_PAGE_DOWN(buf + len - 1) - first) / EXO_PAGE_SIZE + 1;
	for (u64 i = 0; i < n; i++)
		if (space_lookup(t->space, first + i * EXO_PAGE_SIZE,
				      EXO_SEG_W, &pa[i]) < 0)
			return -E_FAULT;
	/* Commit point: every page checked. */
	for (; got < len; got++) {
		u64 off = buf + got - first;
		int c = arch_console_getc();

		if (c < 0)
			break;
		*(u8 *)arch_phys_to_virt(pa[off / EXO_PAGE_SIZE] +
					 off % EXO_PAGE_SIZE) = (u8)c;
	}
	return (i64)got;
}

/*
 * KTEST_TIMER(us): the deadline is rounded up to a whole TSC tick, so the
 * result is never below us if the timer keeps its promise.
 */
static i64
ktest_timer(u64 us)
{
	u64 t0, seen = irq_log.timer;

	if (us > KTEST_TIMER_MAX_US)
		return -E_INVAL;
	if (!kernel_tsc_khz)
		return -E_NOSYS;
	t0 = arch_now();
	arch_timer_arm(t0 + (us * kernel_tsc_khz + 999) / 1000);
	while (irq_log.timer == seen)
		arch_idle();
	return (i64)((irq_log.timer_now - t0) * 1000 / kernel_tsc_khz);
}

/* KTEST_GETC: a read that finds nothing re-arms the input interrupt. */
static i64
ktest_getc(void)
{
	for (;;) {
		u64 seen = irq_log.line[EXO_IRQ_CONSOLE];
		int c = arch_console_getc();

		if (c >= 0)
			return c;
		while (irq_log.line[EXO_IRQ_CONSOLE] == seen)
			arch_idle();
	}
}

/*
 * ktest(op, arg): kernel self-test hooks for the test suite (<exo/syscall.h>).
 *   -E_NOSYS  the kernel was not booted with the "ktest" option;
 *             KTEST_TIMER: the TSC rate is unknown
 *   -E_INVAL  unknown op; KTEST_TIMER: arg above KTEST_TIMER_MAX_US
 *   KTEST_FASTPATH: -E_INVAL if the platform has no fast entry for arg
 *   KTEST_SELFCHECK: -E_NOMEM if no frame is free for its bitmap
 *   KTEST_FRAMES: -E_INVAL for an unknown what
 * KTEST_TRACE and KTEST_BIND_DIGEST never fail.
 */
static i64
ktest_shootdown(u64 what)
{
	const struct tlb_shootdown_rec *r = tlb_last();

	switch (what) {
	case KTEST_SD_COUNT:
		return (i64)r->seq;
	case KTEST_SD_ACK:
		return (i64)r->ack_tsc;
	case KTEST_SD_TARGETS:
		return (i64)r->targets;
	case KTEST_SD_PAGES:
		return r->npages == TLB_ALL ? 0 : (i64)r->npages;
	}
	return -E_INVAL;
}

/* KTEST_SELFCHECK: the count in rax, the first violation in rdi and rsi. */
static i64
ktest_selfcheck(struct thread *t)
{
	struct selfcheck_result r;
	int err = selfcheck_run(&r);

	if (err < 0)
		return err;
	t->ctx.rdi = r.kind;
	t->ctx.rsi = r.object;
	return (i64)r.violations;
}

static i64
sys_ktest(struct thread *t, u64 op, u64 arg, u64 a2, u64 a3, u64 a4)
{
	(void)t, (void)a2, (void)a3, (void)a4;
	if (!kopts.ktest)
		return -E_NOSYS;
	switch (op) {
	case KTEST_PANIC:
		panic("ktest: panic requested by a user program");
	case KTEST_TRIPLEFAULT:
		arch_ktest_triple_fault();
	case KTEST_TIMER:
		return ktest_timer(arg);
	case KTEST_GETC:
		return ktest_getc();
	case KTEST_TRACE:
		return trace_set(arg != 0);
	case KTEST_FASTPATH:
		return arch_ktest_fastpath((u32)(arg & (KTEST_FAST_ON - 1)),
					   arg & KTEST_FAST_ON);
	case KTEST_BIND_DIGEST:
		return (i64)bind_digest(t->space, arg != 0);
	case KTEST_SHOOTDOWN:
		return ktest_shootdown(arg);
	case KTEST_SELFCHECK:
		return ktest_selfcheck(t);
	case KTEST_FRAMES:
		return arg >> 32 ? -E_INVAL : selfcheck_frames((u32)arg);
	}
	return -E_INVAL;
}

/* Is target a thread of caller's own task? */
static bool
same_task(const struct thread *caller, const struct thread *target)
{
	return task_root(caller->space) == task_root(target->space);
}

/* Create a thread for thread_control: see <exo/syscall.h>. */
static i64
thread_control_create(struct thread *t, u64 space_tid, u64 pager, u64 utcb,
		      i64 prio)
{
	struct space *s;
	struct thread *n, *sp = 0;
	int r;

	if (prio > PRIO_MAX || (pager != EXO_NILTHREAD && !thread_lookup(pager)))
		return -E_INVAL;
	if (space_tid != EXO_NILTHREAD) {
		sp = thread_lookup(space_tid);
		if (!sp || EXO_TID_NO(space_tid) < THREAD_FIRST)
			return -E_NOENT;
		if (!same_task(t, sp))
			return -E_PERM;
		s = sp->space;
	} else {
		r = space_create(t->space, &s);
		if (r < 0)
			return r;
	}
	r = thread_create(s, utcb, pager, prio < 0 ? PRIO_DEFAULT : (u32)prio, &n);
	if (r < 0) {
		if (!sp)
			space_destroy(s);
		return r;
	}
	return (i64)n->id;
}

/*
 * thread_control(dest, space, pager, utcb, prio): create, delete or modify a
 * thread (<exo/syscall.h>). Returns the new id, or 0.
 *   -E_PERM   the caller's space is not privileged, or dest/space belongs
 *             to another task
 *   -E_NOENT  dest or space names no live thread
 *   -E_INVAL  bad utcb (unaligned, not user, already mapped), prio > 255,
 *             pager not a live thread, or deleting the last thread of a
 *             task's root space (use exit)
 *   -E_NOMEM  no thread number, space or frame left
 */
static i64
sys_thread_control(struct thread *t, u64 dest, u64 space, u64 pager, u64 utcb,
		   u64 prio)
{
	struct thread *d;

	if (!t->space->privileged)
		return -E_PERM;
	if (dest == EXO_NILTHREAD)
		return thread_control_create(t, space, pager, utcb, (i64)prio);
	d = thread_lookup(dest);
	if (!d || EXO_TID_NO(dest) < THREAD_FIRST)
		return -E_NOENT;
	if (!same_task(t, d))
		return -E_PERM;
	if (space == EXO_NILTHREAD) {
		if (d->space->nthreads == 1 && !d->space->parent)
			return -E_INVAL;
		thread_delete(d);
		return 0;
	}
	if (space != dest)
		return -E_INVAL;
	if ((pager != EXO_NILTHREAD && !thread_lookup(pager)) ||
	    ((i64)prio >= 0 && prio > PRIO_MAX))
		return -E_INVAL;
	if (pager != EXO_NILTHREAD)
		d->pager = d->utcb->pager = pager;
	if ((i64)prio >= 0 && prio != d->prio) {
		sched_dequeue(d);
		d->prio = (u32)prio;
		if (d->state == TS_READY)
			sched_ready(d);
	}
	return 0;
}

/*
 * exchange_registers(dest, control, sp, ip, pager): read and change another
 * thread of the caller's space (or, for a privileged caller, of its task).
 * Returns the old state bits (EXR_WAS_*), old sp in rdi, old ip in rsi.
 *   -E_NOENT  dest names no live thread
 *   -E_PERM   dest is not the caller's to change
 *   -E_INVAL  unknown control bits, HALT with RESUME, or a new ip/sp outside
 *             user space, or pager not a live thread, or a home CPU (EXR_CPU)
 *             that is not online
 * A thread running on another CPU is made to enter the kernel first, so
 * its registers are saved (smp_evict); a new home takes effect at once for a
 * thread that does not run, else when its CPU next schedules.
 */
static i64
sys_exchange_registers(struct thread *t, u64 dest, u64 control, u64 sp, u64 ip,
		       u64 pager)
{
	struct thread *d = thread_lookup(dest);
	u64 old;

	if (!d || EXO_TID_NO(dest) < THREAD_FIRST)
		return -E_NOENT;
	if (d->space != t->space && !(t->space->privileged && same_task(t, d)))
		return -E_PERM;
	if (control & ~(0xffULL | 0xffULL << 32) ||
	    (!(control & EXR_SET_CPU) && control >> 32) ||
	    (control & EXR_SET_CPU && EXR_CPU_OF(control) >= ncpus) ||
	    (control & EXR_HALT && control & EXR_RESUME) ||
	    (control & EXR_SET_SP && sp >= EXO_USER_END) ||
	    (control & EXR_SET_IP && ip >= EXO_USER_END) ||
	    (control & EXR_SET_PAGER && pager != EXO_NILTHREAD && !thread_lookup(pager)))
		return -E_INVAL;
	smp_evict(d);
	old = (d->state == TS_HALTED || d->flags & TF_HALT ? EXR_WAS_HALTED : 0) |
	      (d->state == TS_SENDING || d->state == TS_SEND_FAULT ? EXR_WAS_SENDING : 0) |
	      (d->state == TS_RECEIVING || d->state == TS_RECV_FAULT ? EXR_WAS_RECEIVING : 0);
	t->ctx.rdi = d->ctx.rsp;
	t->ctx.rsi = d->ctx.rip;
	/* Commit point. */
	ipc_cancel(d, control & EXR_ABORT_SEND, control & EXR_ABORT_RECV);
	if (control & EXR_SET_SP)
		d->ctx.rsp = sp;
	if (control & EXR_SET_IP)
		d->ctx.rip = ip;
	if (control & EXR_SET_PAGER)
		d->pager = d->utcb->pager = pager;
	if (control & EXR_HALT) {
		d->flags |= TF_HALT;
		sched_dequeue(d);
	}
	if (control & EXR_SET_CPU)
		sched_set_cpu(d, EXR_CPU_OF(control));
	if (control & EXR_RESUME) {
		d->flags &= ~TF_HALT;
		if (d->state == TS_HALTED)
			d->state = TS_READY;
		if (d->state == TS_READY)
			sched_ready(d);
	}
	return (i64)old;
}

/*
 * unmap(fpage, flags): take the fpage's rights away from every mapping
 * derived from the caller's pages in it (EXO_R: unmap them), and with
 * UNMAP_OWN from the caller's own too. Returns the mappings changed.
 *   -E_INVAL  malformed fpage (size below 4 KiB, unaligned, not user),
 *             unknown flags, or no rights given
 */
static i64
sys_unmap(struct thread *t, u64 fpage, u64 flags, u64 a2, u64 a3, u64 a4)
{
	u32 rights = EXO_FPAGE_RIGHTS(fpage);
	u64 base;
	u32 s = fpage_decode(fpage, &base);

	(void)a2, (void)a3, (void)a4;
	if (flags & ~(u64)UNMAP_OWN || !rights || !s)
		return -E_INVAL;
	/* A task's module pages it has not touched yet are its own too: they
	 * come in to be flushed (or lost, with no memory to bring them in). */
	if (flags & UNMAP_OWN && t->space->mod)
		modpage_fault_range(t->space, base, 1ULL << s);
	return (i64)mdb_flush(t->space, base, 1ULL << s, rights, flags & UNMAP_OWN);
}

/*
 * irq_control(irq, handler): handler receives interrupt thread irq's
 * messages (nil detaches). Privileged.
 *   -E_PERM   the caller's space is not privileged
 *   -E_INVAL, -E_FAULT  see ipc_irq_control
 */
static i64
sys_irq_control(struct thread *t, u64 irq, u64 handler, u64 a2, u64 a3, u64 a4)
{
	(void)a2, (void)a3, (void)a4;
	if (!t->space->privileged)
		return -E_PERM;
	return ipc_irq_control(t, irq, handler);
}

/* One CPU, one request in flight (per-CPU with SMP), as for the console. */
static struct exo_bench_req bench_req;

/*
 * Describe the user buffer [rec, rec+len) in bench_req as guest-physical
 * pieces, physically adjacent pages joined. The caller has checked that the
 * range is user space and len <= EXO_BENCH_RESULT_MAX. -E_FAULT if a page is
 * not mapped readable; bench_req is then half written, which nobody sees.
 */
static int
bench_req_build(struct thread *t, u64 rec, u64 len)
{
	struct exo_bench_chunk *c = bench_req.chunks;
	u64 va = rec, left = len;
	u32 n = 0;

	while (left) {
		u64 pa, piece = EXO_PAGE_SIZE - (va & (EXO_PAGE_SIZE - 1));

		if (piece > left)
			piece = left;
		if (space_lookup(t->space, va, EXO_SEG_R, &pa) < 0)
			return -E_FAULT;
		if (n && c[n - 1].gpa + c[n - 1].len == pa) {
			c[n - 1].len += piece;
		} else {
			/* Invariant: len bytes span at most EXO_BENCH_CHUNKS_MAX pages. */
			kassert(n < EXO_BENCH_CHUNKS_MAX);
			c[n++] = (struct exo_bench_chunk){ .gpa = pa, .len = piece };
		}
		va += piece;
		left -= piece;
	}
	bench_req.len = len;
	bench_req.nchunks = n;
	bench_req.status = 0;
	return 0;
}

/*
 * bench_mark(code, rec, len): benchmark marks and results (<exo/bench.h>).
 * code != 0: the host samples its counters now, tagged with code.
 * rec != 0: the host reads the result record at user [rec, rec+len).
 * All three zero: returns at once, touching nothing: the null system call.
 * Returns 0.
 *   -E_INVAL  code > EXO_BENCH_MARK_MAX; len != 0 without rec; rec with len
 *             below EXO_BENCH_RESULT_MIN or above EXO_BENCH_RESULT_MAX;
 *             the host refused the record (the mark, if any, was taken)
 *   -E_FAULT  some byte of [rec, rec+len) is not mapped readable in user space
 * Any other error reaches the host with nothing: no mark, no record.
 */
static i64
sys_bench_mark(struct thread *t, u64 code, u64 rec, u64 len, u64 a3, u64 a4)
{
	int r;

	(void)a3, (void)a4;
	if (code > EXO_BENCH_MARK_MAX)
		return -E_INVAL;
	if (!rec) {
		if (len)
			return -E_INVAL;
		if (code)
			arch_host_doorbell(EXO_DOORBELL(EXO_DOORBELL_MARK, code));
		return 0;
	}
	if (len < EXO_BENCH_RESULT_MIN || len > EXO_BENCH_RESULT_MAX)
		return -E_INVAL;
	if (rec >= EXO_USER_END || len > EXO_USER_END - rec)
		return -E_FAULT;
	r = bench_req_build(t, rec, len);
	if (r < 0)
		return r;
	/* Commit point: every page checked. */
	if (code)
		arch_host_doorbell(EXO_DOORBELL(EXO_DOORBELL_MARK, code));
	arch_host_bench(&bench_req);
	return bench_req.status == 0 ? 0 : -E_INVAL;
}

static const syscall_fn syscalls[SYS_NR] = {
	[SYS_console_write]      = sys_console_write,
	[SYS_ktest]              = sys_ktest,
	[SYS_thread_control]     = sys_thread_control,
	[SYS_exchange_registers] = sys_exchange_registers,
	[SYS_unmap]              = sys_unmap,
	[SYS_irq_control]        = sys_irq_control,
	[SYS_bench_mark]         = sys_bench_mark,
	[SYS_console_read]       = sys_console_read,
	[SYS_cap_info]           = sys_cap_info,
	[SYS_cap_derive]         = sys_cap_derive,
	[SYS_cap_pass]           = sys_cap_pass,
	[SYS_cap_drop]           = sys_cap_drop,
	[SYS_env_cap]            = sys_env_cap,
	[SYS_frame_alloc]        = sys_frame_alloc,
	[SYS_frame_free]         = sys_frame_free,
	[SYS_bind]               = sys_bind,
	[SYS_unbind]             = sys_unbind,
	[SYS_bind_query]         = sys_bind_query,
	[SYS_env_entry]          = sys_env_entry,
	[SYS_upcall_wait]        = sys_upcall_wait,
	[SYS_slice_alloc]        = sys_slice_alloc,
	[SYS_slice_yield]        = sys_slice_yield,
	[SYS_revoke_request]     = sys_revoke_request,
	[SYS_repossessed]        = sys_repossessed,
	[SYS_env_backing]        = sys_env_backing,
	[SYS_backing_read]       = sys_backing_read,
	[SYS_slice_give]         = sys_slice_give,
	[SYS_ext_load]           = sys_ext_load,
	[SYS_ext_attach]         = sys_ext_attach,
	[SYS_ext_counter]        = sys_ext_counter,
	[SYS_ext_domain]         = sys_ext_domain,
	[SYS_bind_env]           = sys_bind_env,
	[SYS_bind_protect]       = sys_bind_protect,
};

/*
 * The calls that decide what runs next are handled apart from the table:
 *   exit(status): the task ends; ipc: <exo/ipc.h>; pct: pct.c;
 *   thread_switch(dest): give the CPU to dest if it is ready, else to the
 *   next thread of the caller's priority.
 */
static inline __attribute__((always_inline)) struct thread *
dispatch_builtin(struct thread *t)
{
	u64 no = t->ctx.rax;

	switch (no) {
	case SYS_exit:
		task_exit(t, (i64)t->ctx.rdi);
		return 0;
	case SYS_ipc:
		return ipc_syscall(t);
	case SYS_pct:
		return pct_syscall(t);
	case SYS_thread_switch:
		t->ctx.rax = 0;
		sched_yield_to(thread_lookup(t->ctx.rdi));
		return 0;
	}
	if (no >= SYS_NR || !syscalls[no]) {
		t->ctx.rax = (u64)-E_NOSYS;
		return t;
	}
	t->ctx.rax = (u64)syscalls[no](t, t->ctx.rdi, t->ctx.rsi, t->ctx.rdx,
					t->ctx.r10, t->ctx.r8);
	return t;
}

/* SPIN's system-call event (ext.c): the handlers first, then the kernel's
 * own code unless one answered. Out of line, so the path without handlers
 * keeps nothing live across a call it does not make. */
static __attribute__((noinline, cold)) struct thread *
dispatch_raise(struct thread *t)
{
	if (ext_syscall_raise(t))
		return t;
	return dispatch_builtin(t);
}

/*
 * With no handler attached anywhere, the event costs two instructions: a
 * compare with memory and a branch not taken (where every ring-0
 * instruction is emulated, the load-test-branch the compiler would write
 * is one more).
 */
struct thread *
syscall_dispatch(struct thread *t)
{
#if defined(__x86_64__)
	__asm__ goto("cmpl $0, %0\n\tjne %l[raise]" : : "m"(ext_syscall_hooks) : "cc"
		     : raise);
	return dispatch_builtin(t);
raise:
	return dispatch_raise(t);
#else
	if (__builtin_expect(ext_syscall_hooks != 0, 0))
		return dispatch_raise(t);
	return dispatch_builtin(t);
#endif
}
