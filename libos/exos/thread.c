/*
 * ExOS threads (exos.h): user-level threads the library schedules on one
 * kernel thread, the carrier (the thread that called exos_thr_init),
 * preempted at the end of the environment's time slices.
 *
 * Preemption. A second kernel thread of ours is the environment's SLICE
 * entry thread on the carrier's CPU. At a slice's END upcall it stops the
 * carrier (exchange_registers HALT, which returns its rsp and rip) and, if
 * the carrier runs a user thread's own code on that thread's stack, pushes
 * the rip below the red zone and restarts the carrier at
 * thr_preempt_entry with that rsp: the carrier saves every register (and
 * the FPU/SSE state) on its own stack and switches to the next ready
 * thread; switched back to, it restores them and returns to the rip. The
 * kernel changes only rsp and rip, so nothing else of the interrupted
 * thread is lost. Then the entry thread yields the slice (slice_yield).
 * The yield must come within the save window (EXO_SLICE_SAVE_US past the
 * kernel's own way: the deadline the upcall names); the kernel aborts an
 * environment that misses it EXO_SLICE_STRIKES times in a row. Stopping
 * and moving the carrier is two more system calls, which where ring-0
 * work is emulated (nested under TCG: 150-260 µs measured) cost more than
 * the window. So the entry thread measures their cost, and when less time
 * is left at an END it only yields and preempts the carrier at the next
 * START upcall instead (no deadline there): the thread that ran on
 * through the slice's end is switched away as the next slice begins
 * (exos_thr_stats.owed_at_start).
 * It does not preempt (the preemption is deferred: `pending`) while the
 * carrier is inside the library (in_lib: the run queue and the sync
 * objects change only there), or runs off its stack (an exception handler's
 * stack: the switch would leave the handler's frames behind), or is blocked
 * in the kernel (an IPC: rip there is the system call's, not ours to move).
 * A deferred preemption happens when the library is next left.
 *
 * Blocking: a thread that waits for a mutex, a condition or a join, or
 * sleeps (exos_thr_sleep: the library's kernel wait), lets the others run;
 * when none is ready the carrier itself sleeps in the kernel until the
 * earliest sleeper is due. With nobody ready or sleeping the program is
 * deadlocked: it exits EXOS_THR_DEADLOCK.
 */
#include <exo/layout.h>

#include "exos.h"
#include "libos.h"
#include "task.h"
#include "thr_sched.h"

#define THR_STACK      16384
#define PREEMPT_ROOM   2048    /* what thr_preempt_entry and the switch need */
#define RED_ZONE       128
#define ENTRY_STACK    8192

struct thr_ctx {
	u64 sp;                         /* saved by thr_switch */
	u64 stack_lo, stack_hi;
	void (*fn)(u64);
	u64 arg;
};

static struct thr_sched sched;
static struct thr_ctx ctx[THR_MAX];
static u8 stacks[THR_MAX - 1][THR_STACK] __attribute__((aligned(16)));
static u8 entry_stack[ENTRY_STACK] __attribute__((aligned(16)));
static volatile u32 in_lib, pending;
static u64 carrier;
static u64 preempt_cost;        /* TSC ticks: the most preempt_carrier took */
static bool owed;               /* an END's preemption, for the next START */
static exo_cap_t slots[EXO_SLICE_SLOTS];
static u32 nslots;
static bool ready_up;
volatile struct exos_thr_stats exos_thr_stats;

void thr_switch(u64 *save_sp, u64 to_sp);
void thr_preempt_entry(void);
void thr_preempted(void);

/* Save the callee-saved registers on this stack and its rsp in *save_sp;
 * take to_sp's and return on that stack. */
__asm__(
	"	.text\n"
	"	.globl thr_switch\n"
	"thr_switch:\n"
	"	push %rbx; push %rbp; push %r12; push %r13; push %r14; push %r15\n"
	"	mov %rsp, (%rdi)\n"
	"	mov %rsi, %rsp\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbp; pop %rbx\n"
	"	ret\n"
	/* Entered with rsp = the preempted rsp - 136, the preempted rip at
	 * (%rsp): every register of the thread is still as it was. */
	"	.globl thr_preempt_entry\n"
	"thr_preempt_entry:\n"
	"	pushfq\n"
	"	push %rax; push %rbx; push %rcx; push %rdx; push %rsi; push %rdi\n"
	"	push %rbp; push %r8; push %r9; push %r10; push %r11; push %r12\n"
	"	push %r13; push %r14; push %r15\n"
	"	mov %rsp, %rbx\n"
	"	sub $512, %rsp\n"
	"	and $-16, %rsp\n"
	"	fxsave64 (%rsp)\n"
	"	cld\n"
	"	call thr_preempted\n"
	"	fxrstor64 (%rsp)\n"
	"	mov %rbx, %rsp\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %r11; pop %r10\n"
	"	pop %r9; pop %r8; pop %rbp; pop %rdi; pop %rsi; pop %rdx\n"
	"	pop %rcx; pop %rbx; pop %rax\n"
	"	popfq\n"
	"	ret $128\n");

static inline void
crit_enter(void)
{
	in_lib = 1;
	__asm__ volatile("" ::: "memory");
}

static void run_next(u16 from);

/* Leave the library; a preemption deferred meanwhile happens now. */
static void
crit_leave(void)
{
	__asm__ volatile("" ::: "memory");
	in_lib = 0;
	__asm__ volatile("" ::: "memory");
	if (pending) {
		u16 me;

		crit_enter();
		pending = 0;
		exos_thr_stats.deferred_taken++;
		me = sched.cur;
		thr_requeue(&sched);
		run_next(me);
		in_lib = 0;
	}
}

static u64
tsc_per_us(void)
{
	u64 k = l4_kip()->tsc_khz / 1000;

	return k ? k : 1;
}

/* Nobody is ready: sleep in the kernel until the earliest sleeper is due. */
static void
idle(void)
{
	u64 at, now = l4_rdtsc();

	if (!thr_next_wake(&sched, &at)) {
		printf("exos: every thread waits and none sleeps: deadlock\n");
		exit(EXOS_THR_DEADLOCK);
	}
	exos_thr_stats.idles++;
	if (at > now)
		l4_sleep((u32)((at - now) / tsc_per_us() + 1));
	thr_wake_due(&sched, l4_rdtsc());
}

/* Called in the library, cur already requeued or blocked: run the next
 * ready thread (returns when `from` runs again). */
static void
run_next(u16 from)
{
	u16 to;

	thr_wake_due(&sched, l4_rdtsc());
	while ((to = thr_pick(&sched)) == THR_NONE)
		idle();
	if (to != from) {
		exos_thr_stats.switches++;
		thr_switch(&ctx[from].sp, ctx[to].sp);
	}
}

/* Block cur if r says so; back in the library's caller's hands. */
static void
block_if(int r)
{
	if (r == THR_BLOCKED)
		run_next(sched.cur);
}

void
thr_preempted(void)
{
	u16 me;

	crit_enter();
	exos_thr_stats.preemptions++;
	me = sched.cur;
	thr_requeue(&sched);
	run_next(me);
	crit_leave();
}

/* ---- the SLICE entry thread ---- */

/* The carrier is halted: may it be moved to thr_preempt_entry? */
static bool
preemptible(u64 sp)
{
	const struct thr_ctx *c = &ctx[sched.cur];

	if (in_lib || sched.cur == THR_NONE)
		return false;
	return sp <= c->stack_hi && sp - RED_ZONE - PREEMPT_ROOM >= c->stack_lo;
}

static void
preempt_carrier(void)
{
	u64 sp, ip, frame;
	long was = l4_exchange_registers(carrier, EXR_HALT, 0, 0, 0, &sp, &ip);

	if (was < 0 || was & EXR_WAS_HALTED)
		return;         /* gone, or someone else stopped it */
	if (was & (EXR_WAS_SENDING | EXR_WAS_RECEIVING)) {
		exos_thr_stats.in_kernel++;
	} else if (!preemptible(sp)) {
		pending = 1;
		exos_thr_stats.deferred++;
	} else {
		frame = sp - RED_ZONE - 8;
		*(u64 *)frame = ip;
		l4_exchange_registers(carrier, EXR_RESUME | EXR_SET_SP | EXR_SET_IP, frame,
				      (u64)thr_preempt_entry, 0, 0, 0);
		return;
	}
	l4_exchange_registers(carrier, EXR_RESUME, 0, 0, 0, 0, 0);
}

/* How the END upcalls were answered (what the kernel strikes is the
 * deadline it named, rdx). */
static void
note_answer(u64 t0, u64 t1, u64 deadline)
{
	volatile struct exos_thr_stats *s = &exos_thr_stats;
	u64 spare = deadline > t0 ? deadline - t0 : 0;

	if (t1 > deadline)
		s->late++;
	if (t0 > deadline) {
		s->late_arrivals++;
		if (t0 - deadline > s->max_arrival_late_tsc)
			s->max_arrival_late_tsc = t0 - deadline;
	}
	if (t1 - t0 > s->max_answer_tsc)
		s->max_answer_tsc = t1 - t0;
	if (spare > s->max_spare_tsc)
		s->max_spare_tsc = spare;
	if (s->slice_ends == 1 || spare < s->min_spare_tsc)
		s->min_spare_tsc = spare;
}

static void __attribute__((used))
slice_upcall(u64 up, u64 slot, u64 deadline)
{
	u64 t0 = l4_rdtsc(), t1;

	(void)slot;
	if (up == EXO_UPCALL_SLICE_END) {
		exos_thr_stats.slice_ends++;
		if (t0 + 2 * preempt_cost < deadline) {   /* 2: its noise */
			preempt_carrier();
			t1 = l4_rdtsc();
			if (t1 - t0 > preempt_cost)
				preempt_cost = t1 - t0;
		} else {
			owed = true;
			t1 = l4_rdtsc();
		}
		note_answer(t0, t1, deadline);
		slice_yield();
	} else {
		if (up == EXO_UPCALL_SLICE_START && owed) {
			owed = false;
			exos_thr_stats.owed_at_start++;
			preempt_carrier();
		}
		upcall_wait();
	}
	printf("exos: the slice entry came back\n");
	exit(EXOS_THR_DEADLOCK);
}

/* The entry thread's first run: register, then wait for upcalls. */
static void
entry_thread(u64 cpu)
{
	u64 top = (u64)entry_stack + ENTRY_STACK - 8;   /* as if called */
	u64 t0;

	if (exo_slice_entry_on((u32)cpu, (u64)slice_upcall, top) < 0) {
		exos_thr_stats.entry_failed = 1;
		return;
	}
	/* What a preemption's two calls cost here (the carrier waits for
	 * ready_up: ours to stop and resume). */
	t0 = l4_rdtsc();
	l4_exchange_registers(carrier, EXR_HALT, 0, 0, 0, 0, 0);
	l4_exchange_registers(carrier, EXR_RESUME, 0, 0, 0, 0, 0);
	preempt_cost = l4_rdtsc() - t0;
	ready_up = true;
	upcall_wait();
}

/*
 * Slots: of the vector's EXO_SLICE_SLOTS, every (16 / slices)th, so that
 * each is a slice of its own and ends with an END upcall (adjacent slots
 * would be one slice). The others, allocated on the way, are dropped.
 */
static long
take_slots(u32 cpu, u32 slices)
{
	exo_cap_t got[EXO_SLICE_SLOTS];
	u32 n = 0, every = EXO_SLICE_SLOTS / slices, kept = 0;
	long c;

	while (n < EXO_SLICE_SLOTS && (c = slice_alloc(cpu, 1, 0)) >= 0)
		got[n++] = (exo_cap_t)c;
	for (u32 i = 0; i < n; i++) {
		if (i % every == 0 && kept < slices)
			slots[kept++] = got[i];
		else
			cap_drop(got[i]);
	}
	nslots = kept;
	return kept ? (long)kept : -E_NOMEM;
}

void
exos_thr_fini(void)
{
	while (nslots)
		cap_drop(slots[--nslots]);
}

/*
 * exos_thr_init(slices): the caller becomes thread 0 and the carrier of
 * every thread; slices (1, 2, 4 or 8) of its CPU's vector are the
 * environment's, each ending in a preemption. 0 (also again), or
 *   -E_INVAL   slices not one of those, or the caller is not on its
 *              initial stack (thread 0's stack must be known)
 *   -E_NOMEM   no slots free, or no entry thread
 *   (slice_alloc's and env_entry's errors)
 */
long
exos_thr_init(u32 slices)
{
	u64 sp = (u64)__builtin_frame_address(0);
	long r;

	if (carrier)
		return 0;
	if (!slices || slices > 8 || EXO_SLICE_SLOTS % slices ||
	    sp >= EXO_USER_STACK_TOP || sp < EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE)
		return -E_INVAL;
	r = l4_exchange_registers(l4_myself(), EXR_CPU(0), 0, 0, 0, 0, 0);
	if (r < 0)
		return r;
	thr_sched_init(&sched);
	ctx[0].stack_lo = EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE;
	ctx[0].stack_hi = EXO_USER_STACK_TOP;
	carrier = l4_myself();
	if (!thread_spawn_on(0, entry_thread, 0))
		return -E_NOMEM;
	while (!ready_up && !exos_thr_stats.entry_failed)
		l4_thread_switch(EXO_NILTHREAD);
	if (exos_thr_stats.entry_failed)
		return -E_NOMEM;
	r = take_slots(0, slices);
	return r < 0 ? r : 0;
}

/* A new thread's first instructions (thr_switch's ret; rsp = 8 mod 16). */
static void __attribute__((noreturn))
thr_first(void)
{
	struct thr_ctx *c = &ctx[sched.cur];

	crit_leave();
	c->fn(c->arg);
	exos_thr_exit();
}

long
exos_thr_create(void (*fn)(u64), u64 arg)
{
	u16 t;
	u64 *sp;

	crit_enter();
	t = thr_new(&sched);
	if (t == THR_NONE) {
		crit_leave();
		return -E_NOMEM;
	}
	ctx[t].fn = fn;
	ctx[t].arg = arg;
	ctx[t].stack_lo = (u64)stacks[t - 1];
	ctx[t].stack_hi = (u64)stacks[t - 1] + THR_STACK;
	sp = (u64 *)ctx[t].stack_hi;
	*--sp = 0;                      /* thr_first's rsp: 8 mod 16 */
	*--sp = (u64)thr_first;
	for (int k = 0; k < 6; k++)     /* rbx rbp r12..r15 for thr_switch */
		*--sp = 0;
	ctx[t].sp = (u64)sp;
	crit_leave();
	return t;
}

void
exos_thr_yield(void)
{
	u16 me;

	crit_enter();
	me = sched.cur;
	thr_requeue(&sched);
	run_next(me);
	crit_leave();
}

void
exos_thr_exit(void)
{
	if (sched.cur == 0)
		exit(0);
	crit_enter();
	thr_exit(&sched);
	run_next(sched.cur);
	for (;;)
		;               /* a done thread is never switched back to */
}

long
exos_thr_join(long t)
{
	int r;

	crit_enter();
	while ((r = thr_join(&sched, (u16)t)) == THR_BLOCKED)
		run_next(sched.cur);
	crit_leave();
	return r < 0 ? r : 0;
}

long
exos_thr_self(void)
{
	return sched.cur;
}

void
exos_thr_sleep(u32 us)
{
	crit_enter();
	block_if(thr_sleep_until(&sched, l4_rdtsc() + (u64)us * tsc_per_us()));
	crit_leave();
}

void
exos_mutex_init(struct exos_mutex *m)
{
	thr_mutex_init(&m->m);
}

long
exos_mutex_lock(struct exos_mutex *m)
{
	int r;

	crit_enter();
	r = thr_mutex_lock(&sched, &m->m);
	block_if(r);
	crit_leave();
	return r < 0 ? r : 0;
}

long
exos_mutex_unlock(struct exos_mutex *m)
{
	int r;

	crit_enter();
	r = thr_mutex_unlock(&sched, &m->m);
	crit_leave();
	return r;
}

void
exos_cond_init(struct exos_cond *c)
{
	thr_cond_init(&c->c);
}

long
exos_cond_wait(struct exos_cond *c, struct exos_mutex *m)
{
	int r;

	crit_enter();
	r = thr_cond_wait(&sched, &c->c, &m->m);
	block_if(r);
	crit_leave();
	return r < 0 ? r : 0;
}

void
exos_cond_signal(struct exos_cond *c)
{
	crit_enter();
	thr_cond_signal(&sched, &c->c);
	crit_leave();
}

void
exos_cond_broadcast(struct exos_cond *c)
{
	crit_enter();
	thr_cond_broadcast(&sched, &c->c);
	crit_leave();
}
