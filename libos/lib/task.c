#include "task.h"

#include <exo/layout.h>

#include "libos.h"

extern char __image_start[], __image_rw[], __image_end[];

#define THREAD_STACK_S  14                      /* 16 KiB per thread here */
#define THREAD_UTCBS    (EXO_USER_STACK_TOP - 2 * EXO_USER_STACK_SIZE)

volatile struct pager_stats pager_stats;
static u64 heap_next = 0x0000200000000000ULL;
static u64 utcb_next = THREAD_UTCBS;
static u64 pager_tid;

static void *
sigma0_request(u64 fpage, u64 flags, u32 s)
{
	struct exo_utcb *u = l4_utcb();
	struct l4_msg m = { { EXO_TAG(EXO_LABEL_SIGMA0, 2, 0), fpage, flags } };
	u64 cur = __atomic_load_n(&heap_next, __ATOMIC_RELAXED), va, err;

	/* Taken before the call, by one atomic step: threads of the space,
	 * on any CPU, share the range (a refusal leaves it unused). */
	do
		va = (cur + (1ULL << s) - 1) & ~((1ULL << s) - 1);
	while (!__atomic_compare_exchange_n(&heap_next, &cur, va + (1ULL << s), false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	u->acceptor = EXO_FPAGE(va, s, EXO_RWX);
	err = l4_call(l4_kip()->sigma0, &m);
	u->acceptor = EXO_FPAGE_NIL;
	if (err || EXO_TAG_T(m.mr[0]) != 2)
		return 0;
	return (void *)va;
}

void *
mem_alloc(u32 s)
{
	return sigma0_request(EXO_FPAGE(0, s, EXO_RWX), EXO_SIGMA0_ANY, s);
}

void *
mem_alloc_at(u64 pa, u32 s)
{
	return sigma0_request(EXO_FPAGE(pa, s, EXO_RWX), 0, s);
}

void *
mem_share(u64 tid, u64 va)
{
	void *p = mem_alloc(12);
	struct l4_msg m = { { EXO_TAG(0, 0, 2), EXO_ITEM_MAP | va,
			      EXO_FPAGE((u64)p, 12, EXO_RW) } };

	return p && l4_send(tid, &m, EXO_TIMEOUT_NEVER) == 0 ? p : 0;
}

u64
mem_accept(u64 from, u64 va)
{
	struct l4_msg m;
	u64 r;

	l4_utcb()->acceptor = EXO_FPAGE(va, 12, EXO_RWX);
	r = l4_receive(from, &m, EXO_TIMEOUT_NEVER, 0);
	l4_utcb()->acceptor = EXO_FPAGE_NIL;
	return r;
}

/* Every new thread starts here and waits for its start message: fn, arg. */
static void
thread_entry(void)
{
	struct l4_msg m;
	u64 from;

	while (l4_wait(&m, &from) || EXO_TAG_U(m.mr[0]) < 2)
		;
	((void (*)(u64))m.mr[1])(m.mr[2]);
	/* Done: block for ever; the task's end reclaims the thread. */
	for (;;)
		l4_receive(l4_myself(), &m, EXO_TIMEOUT_NEVER, 0);
}

/* sp: the top of a stack; the thread starts as if called (rsp = 8 mod 16). */
static u64
thread_start(u64 tid, u64 sp, void (*fn)(u64), u64 arg)
{
	struct l4_msg m = { { EXO_TAG(0, 2, 0), (u64)fn, arg } };

	if (l4_exchange_registers(tid, EXR_RESUME | EXR_SET_SP | EXR_SET_IP, sp - 8,
				  (u64)thread_entry, 0, 0, 0) < 0 ||
	    l4_send(tid, &m, EXO_TIMEOUT_NEVER))
		return 0;
	return tid;
}

u64
thread_spawn(void (*fn)(u64), u64 arg)
{
	return thread_spawn_on(-1, fn, arg);
}

/* cpu < 0: the creator's CPU. */
u64
thread_spawn_on(int cpu, void (*fn)(u64), u64 arg)
{
	char *stack = mem_alloc(THREAD_STACK_S);
	long tid;

	if (!stack)
		return 0;
	tid = l4_thread_control(EXO_NILTHREAD, l4_myself(), EXO_NILTHREAD,
				utcb_next - EXO_PAGE_SIZE, -1);
	if (tid <= 0)
		return 0;
	utcb_next -= EXO_PAGE_SIZE;
	if (cpu >= 0 && l4_exchange_registers((u64)tid, EXR_CPU(cpu), 0, 0, 0, 0, 0) < 0) {
		/* No such CPU: the thread goes (its stack and its UTCB's place
		 * stay taken: this library never gives memory back). */
		l4_thread_control((u64)tid, EXO_NILTHREAD, EXO_NILTHREAD, 0, -1);
		return 0;
	}
	return thread_start((u64)tid, (u64)stack + (1ULL << THREAD_STACK_S), fn, arg);
}

/* The reply: our page at ours, with rights, to the faulting thread at page. */
static void
pager_map(struct l4_msg *m, u64 page, u64 ours, u32 rights)
{
	m->mr[0] = EXO_TAG(0, 0, 2);
	m->mr[1] = EXO_ITEM_MAP | page;
	m->mr[2] = EXO_FPAGE(ours, 12, rights);
}

/* A fault of a spawned task at addr: fill m with the reply, false to refuse. */
static bool
pager_serve(struct l4_msg *m, u64 addr)
{
	u64 page = EXO_PAGE_DOWN(addr);
	u8 *fresh;

	if (page >= (u64)__image_start && page < (u64)__image_rw) {
		pager_stats.text++;
		pager_map(m, page, page, EXO_R | EXO_X);
		return true;
	}
	fresh = mem_alloc(12);
	if (!fresh)
		return false;
	if (page >= (u64)__image_rw && page < (u64)__image_end) {
		pager_stats.data++;
		memcpy(fresh, (void *)page, EXO_PAGE_SIZE);
	} else if (page >= TASK_STACK_TOP - EXO_USER_STACK_SIZE && page < TASK_STACK_TOP) {
		pager_stats.stack++;
	} else {
		return false;
	}
	pager_map(m, page, (u64)fresh, EXO_RW);
	return true;
}

static void
pager_loop(u64 arg)
{
	struct l4_msg m;
	u64 from, err;

	(void)arg;
	err = l4_wait(&m, &from);
	for (;;) {
		if (err || !EXO_LABEL_IS_PF(EXO_TAG_LABEL(m.mr[0]))) {
			err = l4_wait(&m, &from);
			continue;
		}
		if (!pager_serve(&m, m.mr[1])) {
			/* An address nothing backs: the thread dies, as on a segfault. */
			pager_stats.refused++;
			l4_thread_control(from, EXO_NILTHREAD, 0, 0, -1);
			err = l4_wait(&m, &from);
			continue;
		}
		err = l4_reply_wait(from, &m, &from);
	}
}

u64
task_pager(void)
{
	if (!pager_tid)
		pager_tid = thread_spawn(pager_loop, 0);
	return pager_tid;
}

u64
task_spawn(void (*fn)(u64), u64 arg)
{
	u64 pager = task_pager();
	long tid;

	if (!pager)
		return 0;
	tid = l4_thread_control(EXO_NILTHREAD, EXO_NILTHREAD, pager, TASK_UTCB, -1);
	if (tid <= 0)
		return 0;
	return thread_start((u64)tid, TASK_STACK_TOP, fn, arg);
}
