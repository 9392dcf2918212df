/*
 * L4 scenarios for the test suite: `l4test CASE`. Exit status 0 means the case
 * held; otherwise the status names the first check that failed (its line
 * number, low byte) and a line on the console says what it was.
 */
#include <exo/bootinfo.h>

#include "libos.h"
#include "scenario.h"
#include "l4.h"
#include "task.h"

static u64 main_tid;

/* ---- ping-pong between two spaces ---- */

static void
echo_server(u64 arg)
{
	struct l4_msg m;
	u64 from, err;

	(void)arg;
	err = l4_wait(&m, &from);
	for (;;) {
		if (err) {
			err = l4_wait(&m, &from);
			continue;
		}
		/* Reply with every word + 1, label 2. */
		for (u32 i = 1; i <= EXO_TAG_U(m.mr[0]) && i < EXO_REG_MRS; i++)
			m.mr[i]++;
		for (u32 i = EXO_REG_MRS; i <= EXO_TAG_U(m.mr[0]); i++)
			l4_utcb()->mr[i]++;
		m.mr[0] = EXO_TAG(2, EXO_TAG_U(m.mr[0]), 0);
		err = l4_reply_wait(from, &m, &from);
	}
}

static void
case_pingpong(void)
{
	u64 server = task_spawn(echo_server, 0);

	CHECK(server);
	for (u64 i = 0; i < 2000; i++) {
		u32 u = i % 12;         /* short (fast path) and long (UTCB) messages */
		struct l4_msg m = { { EXO_TAG(1, u, 0) } };

		for (u32 k = 1; k <= u && k < EXO_REG_MRS; k++)
			m.mr[k] = i * 100 + k;
		for (u32 k = EXO_REG_MRS; k <= u; k++)
			l4_utcb()->mr[k] = i * 100 + k;
		CHECK(l4_call(server, &m) == 0);
		CHECK(EXO_TAG_LABEL(m.mr[0]) == 2 && EXO_TAG_U(m.mr[0]) == u);
		for (u32 k = 1; k <= u && k < EXO_REG_MRS; k++)
			CHECK(m.mr[k] == i * 100 + k + 1);
		for (u32 k = EXO_REG_MRS; k <= u; k++)
			CHECK(l4_utcb()->mr[k] == i * 100 + k + 1);
	}
	printf("pingpong: 2000 calls, pager served %lu text, %lu data, %lu stack faults\n",
	       pager_stats.text, pager_stats.data, pager_stats.stack);
	CHECK(pager_stats.text > 0 && pager_stats.stack > 0);
}

/* ---- a spawned task touches data, bss and stack through the pager ---- */

static u64 counter = 41;        /* .data: the child gets a copy */
static u64 zeros[1024];         /* .bss */

static void
toucher(u64 arg)
{
	struct l4_msg m = { { EXO_TAG(0, 3, 0) } };
	volatile u64 big[600];      /* two stack pages */

	big[0] = arg;
	big[599] = arg + 1;
	counter++;
	zeros[1000] = 7;
	m.mr[1] = counter;
	m.mr[2] = zeros[1000] + zeros[3];
	m.mr[3] = big[0] + big[599];
	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
}

static void
case_pager(void)
{
	struct l4_msg m;
	u64 child = task_spawn(toucher, 10), from;

	CHECK(child);
	CHECK(l4_receive(child, &m, EXO_TIMEOUT_NEVER, &from) == 0 && from == child);
	CHECK(m.mr[1] == 42 && m.mr[2] == 7 && m.mr[3] == 21);
	CHECK(counter == 41 && zeros[1000] == 0);      /* ours are untouched */
	CHECK(pager_stats.data >= 2 && pager_stats.stack >= 2);
}

/* ---- the direction flag is the user's: the kernel must not inherit it ---- */

/* l4_ipc entered with DF set (std before, cld after). */
static u64
ipc_with_df(u64 to, struct l4_msg *m)
{
	register u64 r8 __asm__("r8") = m->mr[0];
	register u64 r9 __asm__("r9") = m->mr[1];
	register u64 r10 __asm__("r10") = m->mr[2];
	register u64 r12 __asm__("r12") = m->mr[3];
	register u64 r13 __asm__("r13") = m->mr[4];
	register u64 r14 __asm__("r14") = m->mr[5];
	register u64 r15 __asm__("r15") = m->mr[6];
	register u64 rbx __asm__("rbx") = m->mr[7];
	u64 rax = SYS_ipc, rdx = 0, from = to;

	/* On PVM, SYSCALL jumps to the stub page in ring 3, whose int3 enters
	 * with the user's DF: jump to the stub directly with DF set (rcx the
	 * return address). On hardware KVM the stub page is not mapped: the
	 * entry is SYSCALL itself, and the kernel's FMASK must clear DF. */
	if (l4_kip()->platform == EXO_PLATFORM_KVM_PVM)
		__asm__ volatile("std\n\t"
				 "lea 1f(%%rip), %%rcx\n\t"
				 "jmp *%[stub]\n"
				 "1:\tcld"
				 : "+a"(rax), "+D"(to), "+S"(from), "+d"(rdx),
				   "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13),
				   "+r"(r14), "+r"(r15), "+r"(rbx)
				 : [stub] "r"((u64)EXO_USER_SYSCALL_STUB)
				 : "rcx", "r11", "memory", EXO_SYSCALL_FPU_CLOBBERS);
	else
		__asm__ volatile("std\n\t"
				 "syscall\n\t"
				 "cld"
				 : "+a"(rax), "+D"(to), "+S"(from), "+d"(rdx),
				   "+r"(r8), "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13),
				   "+r"(r14), "+r"(r15), "+r"(rbx)
				 :
				 : "rcx", "r11", "memory", EXO_SYSCALL_FPU_CLOBBERS);
	m->mr[0] = r8, m->mr[1] = r9, m->mr[2] = r10, m->mr[3] = r12;
	m->mr[4] = r13, m->mr[5] = r14, m->mr[6] = r15, m->mr[7] = rbx;
	return rdx;
}

/*
 * Calls with DF=1: a long message (the general path copies MR8.. with a
 * string instruction, core/string.c), a short one (the fast path), and a
 * pager's reply is not involved. Every word must arrive as sent.
 */
static void
case_df(void)
{
	u64 server = task_spawn(echo_server, 0);

	CHECK(server);
	for (u32 u = 1; u < EXO_NMR - 1; u += 9) {
		struct l4_msg m = { { EXO_TAG(1, u, 0) } };

		for (u32 k = 1; k <= u && k < EXO_REG_MRS; k++)
			m.mr[k] = u * 1000 + k;
		for (u32 k = EXO_REG_MRS; k <= u; k++)
			l4_utcb()->mr[k] = u * 1000 + k;
		CHECK(ipc_with_df(server, &m) == 0);
		CHECK(EXO_TAG_LABEL(m.mr[0]) == 2 && EXO_TAG_U(m.mr[0]) == u);
		for (u32 k = 1; k <= u && k < EXO_REG_MRS; k++)
			CHECK(m.mr[k] == u * 1000 + k + 1);
		for (u32 k = EXO_REG_MRS; k <= u; k++)
			CHECK(l4_utcb()->mr[k] == u * 1000 + k + 1);
	}
	CHECK(l4_myself() == main_tid);       /* our UTCB survived */
}

/* ---- map chain A -> B -> C, flush in the middle ---- */

#define SHARED_VA 0x300000000ULL

/* Receive one page at SHARED_VA, report its first word, then follow orders. */
static void
chain_member(u64 next)
{
	struct l4_msg m;
	u64 from, err;
	volatile u64 *p = (u64 *)SHARED_VA;

	l4_utcb()->acceptor = EXO_FPAGE(SHARED_VA, 12, EXO_RWX);
	err = l4_wait(&m, &from);               /* from main, or from B */
	/* (case_grant: a page main no longer has arrives as an error) */
	CHECK(err == 0 || err == EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 0, 1));
	l4_utcb()->acceptor = EXO_FPAGE_NIL;
	m.mr[0] = EXO_TAG(0, 1, 0);
	m.mr[1] = *p;
	CHECK(l4_send(main_tid, &m, EXO_TIMEOUT_NEVER) == 0);
	for (;;) {
		u64 result = 0;

		CHECK(l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, &from) == 0);
		switch (m.mr[1]) {
		case 1:         /* pass the page on to next */
			m.mr[0] = EXO_TAG(0, 0, 2);
			m.mr[1] = EXO_ITEM_MAP | SHARED_VA;
			m.mr[2] = EXO_FPAGE(SHARED_VA, 12, EXO_RW);
			CHECK(l4_send(next, &m, EXO_TIMEOUT_NEVER) == 0);
			result = 1;
			break;
		case 2:         /* flush what we passed on, keep ours */
			result = (u64)l4_unmap(EXO_FPAGE(SHARED_VA, 12, EXO_RWX), 0);
			break;
		case 3:         /* read it (a fault if it is gone: the pager refuses) */
			result = *p;
			break;
		}
		m.mr[0] = EXO_TAG(0, 1, 0);
		m.mr[1] = result;
		CHECK(l4_send(main_tid, &m, EXO_TIMEOUT_NEVER) == 0);
	}
}

static u64
order(u64 who, u64 what)
{
	struct l4_msg m = { { EXO_TAG(0, 1, 0), what } };
	u64 from;

	CHECK(l4_send(who, &m, EXO_TIMEOUT_NEVER) == 0);
	if (l4_receive(who, &m, EXO_TIMEOUT_US(200000), &from))
		return ~0ULL;           /* no answer: it died */
	return m.mr[1];
}

static void
case_flush(void)
{
	u64 *page = mem_alloc(12), c = task_spawn(chain_member, 0);
	u64 b = task_spawn(chain_member, c), from, d;
	struct l4_msg m = { { EXO_TAG(0, 0, 2), EXO_ITEM_MAP, EXO_FPAGE(page, 12, EXO_RW) } };

	CHECK(page && b && c);
	d = task_spawn(chain_member, 0);        /* D: a sibling of B */
	CHECK(d);
	*page = 0xabc;
	CHECK(l4_send(b, &m, EXO_TIMEOUT_NEVER) == 0);          /* A -> B */
	CHECK(l4_receive(b, &m, EXO_TIMEOUT_NEVER, &from) == 0 && m.mr[1] == 0xabc);
	m = (struct l4_msg){ { EXO_TAG(0, 0, 2), EXO_ITEM_MAP, EXO_FPAGE(page, 12, EXO_RW) } };
	CHECK(l4_send(d, &m, EXO_TIMEOUT_NEVER) == 0);          /* A -> D */
	CHECK(l4_receive(d, &m, EXO_TIMEOUT_NEVER, &from) == 0 && m.mr[1] == 0xabc);
	CHECK(order(b, 1) == 1);                                 /* B -> C */
	CHECK(l4_receive(c, &m, EXO_TIMEOUT_NEVER, &from) == 0 && m.mr[1] == 0xabc);
	*page = 0xdef;
	CHECK(order(c, 3) == 0xdef);            /* one frame, three spaces */
	CHECK(order(b, 2) == 1);                /* B flushes: exactly C's mapping */
	CHECK(order(b, 3) == 0xdef);            /* B keeps its own */
	CHECK(order(d, 3) == 0xdef);            /* the sibling is untouched */
	CHECK(*page == 0xdef);                  /* and A */
	CHECK(order(c, 3) == ~0ULL);            /* C faults: nothing backs it */
	CHECK(pager_stats.refused == 1);
	/* A flushes: B and D lose it, A keeps it. */
	CHECK(l4_unmap(EXO_FPAGE(page, 12, EXO_RWX), 0) == 2);
	CHECK(order(b, 3) == ~0ULL && order(d, 3) == ~0ULL && *page == 0xdef);
}

/* ---- grant moves the page ---- */

static void
case_grant(void)
{
	u64 *page = mem_alloc(12), b = task_spawn(chain_member, 0);
	u64 c = task_spawn(chain_member, 0), from;
	struct l4_msg m = { { EXO_TAG(0, 0, 2), EXO_ITEM_GRANT, EXO_FPAGE(page, 12, EXO_RW) } };

	CHECK(page && b && c);
	*page = 0x5a5a;
	CHECK(l4_send(b, &m, EXO_TIMEOUT_NEVER) == 0);
	CHECK(l4_receive(b, &m, EXO_TIMEOUT_NEVER, &from) == 0 && m.mr[1] == 0x5a5a);
	/* Ours is gone: mapping it again passes nothing and says so, so C
	 * never gets it. */
	CHECK(l4_unmap(EXO_FPAGE(page, 12, EXO_R), UNMAP_OWN) == 0);
	m = (struct l4_msg){ { EXO_TAG(0, 0, 2), EXO_ITEM_MAP, EXO_FPAGE(page, 12, EXO_RW) } };
	CHECK(l4_send(c, &m, EXO_TIMEOUT_NEVER) == EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 0, 0));
	CHECK(l4_receive(c, &m, EXO_TIMEOUT_US(200000), &from) != 0);   /* it faulted */
	CHECK(order(b, 3) == 0x5a5a);
}

/* ---- aborting a thread blocked in a page fault's IPC ---- */

#define ABORT_VA 0x600000000ULL         /* nothing backs it in our space */
static u64 abort_pager_tid;

/* The victim's pager: reports each fault to main, then replies when main
 * says so, with a page of its own, and reports the reply's error word. */
static void
abort_pager(u64 arg)
{
	u64 *page = mem_alloc(12), from;
	struct l4_msg m;

	(void)arg;
	CHECK(page);
	for (;;) {
		u64 fault;

		CHECK(l4_wait(&m, &from) == 0);
		CHECK(EXO_LABEL_IS_PF(EXO_TAG_LABEL(m.mr[0])));
		fault = m.mr[1];
		m = (struct l4_msg){ { EXO_TAG(0, 2, 0), fault, from } };
		CHECK(l4_send(main_tid, &m, EXO_TIMEOUT_NEVER) == 0);
		CHECK(l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0) == 0);   /* reply now */
		m = (struct l4_msg){ { EXO_TAG(0, 0, 2), EXO_ITEM_MAP | EXO_PAGE_DOWN(fault),
				      EXO_FPAGE((u64)page, 12, EXO_RW) } };
		m = (struct l4_msg){ { EXO_TAG(0, 1, 0), l4_reply(from, &m) } };
		CHECK(l4_send(main_tid, &m, EXO_TIMEOUT_NEVER) == 0);
	}
}

/* Waits for main's go, then writes where nothing is mapped. */
static void
abort_victim(u64 arg)
{
	struct l4_msg m;

	(void)arg;
	CHECK(l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0) == 0);
	*(volatile u64 *)ABORT_VA = 0x77;
	m = (struct l4_msg){ { EXO_TAG(0, 1, 0), *(volatile u64 *)ABORT_VA } };
	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
}

/* main's side of one fault: its report, then the order to reply, then the
 * reply's error word. */
static u64
abort_fault(u64 victim, bool abort_first)
{
	struct l4_msg m;
	u64 from;

	CHECK(l4_receive(abort_pager_tid, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	CHECK(m.mr[1] == ABORT_VA && m.mr[2] == victim);
	if (abort_first)        /* it waits for the reply: a receive phase */
		CHECK(l4_exchange_registers(victim, EXR_ABORT_RECV | EXR_HALT, 0, 0, 0, 0, 0) ==
		      EXR_WAS_RECEIVING);
	m = (struct l4_msg){ { EXO_TAG(0, 0, 0) } };
	CHECK(l4_send(abort_pager_tid, &m, EXO_TIMEOUT_NEVER) == 0);
	CHECK(l4_receive(abort_pager_tid, &m, EXO_TIMEOUT_NEVER, 0) == 0);
	return m.mr[1];
}

static void
case_abortfault(void)
{
	u64 victim, from;
	struct l4_msg m = { { EXO_TAG(0, 0, 0) } };

	abort_pager_tid = thread_spawn(abort_pager, 0);
	victim = thread_spawn(abort_victim, 0);
	CHECK(abort_pager_tid && victim);
	CHECK(l4_exchange_registers(victim, EXR_SET_PAGER, 0, 0, abort_pager_tid, 0, 0) >= 0);
	CHECK(l4_send(victim, &m, EXO_TIMEOUT_NEVER) == 0);               /* go */
	/* Aborted while it waits for the reply: the pager's reply finds it
	 * not receiving (zero send timeout), and nothing is mapped. */
	CHECK(abort_fault(victim, true) == EXO_IPC_ERR(EXO_IPC_TIMEOUT, 0));
	/* Resumed, it retries the write and faults again; this time the reply
	 * maps the page and it goes on. */
	CHECK(l4_exchange_registers(victim, EXR_RESUME, 0, 0, 0, 0, 0) == EXR_WAS_HALTED);
	CHECK(abort_fault(victim, false) == 0);
	CHECK(l4_receive(victim, &m, EXO_TIMEOUT_NEVER, &from) == 0 && m.mr[1] == 0x77);
}

/* ---- the direct switch respects priorities ---- */

static char prio_log[8];
static u32 prio_n;

/* Priority 50: answers every call, noting that it ran. */
static void
prio_server(u64 arg)
{
	struct l4_msg m;
	u64 from;

	(void)arg;
	l4_wait(&m, &from);
	for (;;) {
		prio_log[prio_n++ & 7] = 'S';
		m.mr[0] = EXO_TAG(0, 0, 0);
		l4_reply_wait(from, &m, &from);
	}
}

/* Priority 80: once main says go, notes that it ran, and waits again. */
static void
prio_middle(u64 arg)
{
	struct l4_msg m;

	(void)arg;
	for (;;) {
		l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0);
		prio_log[prio_n++ & 7] = 'M';
	}
}

/*
 * main (100) makes the middle thread (80) ready, then calls the server
 * (50): the server gets the call, but the middle thread, ready and of a
 * higher priority, runs before it (without the rule, the call switched
 * straight to the server: "SM").
 */
static void
case_priority(void)
{
	u64 srv = thread_spawn(prio_server, 0), mid = thread_spawn(prio_middle, 0);
	struct l4_msg m = { { EXO_TAG(0, 0, 0) } };

	CHECK(srv && mid);
	CHECK(l4_thread_control(srv, srv, EXO_NILTHREAD, 0, 50) == 0);
	CHECK(l4_thread_control(mid, mid, EXO_NILTHREAD, 0, 80) == 0);
	l4_sleep(2000);                         /* both block: the server waits */
	CHECK(prio_n == 0);
	CHECK(l4_send(mid, &m, EXO_TIMEOUT_ZERO) == 0);         /* ready, not run */
	CHECK(prio_n == 0);
	CHECK(l4_call(srv, &m) == 0);
	CHECK(prio_n == 2 && prio_log[0] == 'M' && prio_log[1] == 'S');
	/* With the server at the middle's priority, the call goes straight on. */
	CHECK(l4_thread_control(srv, srv, EXO_NILTHREAD, 0, 80) == 0);
	CHECK(l4_send(mid, &m, EXO_TIMEOUT_ZERO) == 0);
	m.mr[0] = EXO_TAG(0, 0, 0);
	CHECK(l4_call(srv, &m) == 0);
	CHECK(prio_n == 3 && prio_log[2] == 'S');        /* and main, 100, before M */
	l4_sleep(2000);
	CHECK(prio_n == 4 && prio_log[3] == 'M');
}

/* ---- ids unique in time ---- */

static void
idle_thread(u64 arg)
{
	(void)arg;
}

static void
case_dead(void)
{
	struct l4_msg m = { { EXO_TAG(0, 0, 0) } };
	u64 t = thread_spawn(idle_thread, 0), t2, err;

	CHECK(t);
	CHECK(l4_thread_control(t, EXO_NILTHREAD, 0, 0, -1) == 0);      /* delete */
	err = l4_send(t, &m, EXO_TIMEOUT_NEVER);
	CHECK(err == EXO_IPC_ERR(EXO_IPC_NOPARTNER, 0));
	t2 = thread_spawn(idle_thread, 0);      /* likely the same number */
	CHECK(t2 && t2 != t);
	if (EXO_TID_NO(t2) == EXO_TID_NO(t))
		CHECK(EXO_TID_VERSION(t2) != EXO_TID_VERSION(t));
	err = l4_send(t, &m, EXO_TIMEOUT_ZERO);
	CHECK(err == EXO_IPC_ERR(EXO_IPC_NOPARTNER, 0));
	err = l4_receive(t, &m, EXO_TIMEOUT_ZERO, 0);
	CHECK(err == EXO_IPC_ERR(EXO_IPC_NOPARTNER, 1));
	CHECK(l4_send(EXO_TID(9999, 1), &m, EXO_TIMEOUT_ZERO) == EXO_IPC_ERR(EXO_IPC_NOPARTNER, 0));
	CHECK(l4_send(EXO_NILTHREAD, &m, 0) == 0);      /* no send phase at all */
}

/* ---- open and closed receive ---- */

static void
sender(u64 label)
{
	struct l4_msg m = { { EXO_TAG(label, 0, 0) } };

	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
}

static void
case_openclosed(void)
{
	u64 a = thread_spawn(sender, 1), b = thread_spawn(sender, 2), from;
	struct l4_msg m;

	CHECK(a && b);
	l4_thread_switch(EXO_NILTHREAD);        /* let both block sending to us */
	l4_thread_switch(EXO_NILTHREAD);
	CHECK(l4_receive(b, &m, EXO_TIMEOUT_NEVER, &from) == 0);   /* closed: b first */
	CHECK(from == b && EXO_TAG_LABEL(m.mr[0]) == 2);
	CHECK(l4_receive(b, &m, EXO_TIMEOUT_ZERO, &from) == EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1));
	CHECK(l4_wait(&m, &from) == 0 && from == a && EXO_TAG_LABEL(m.mr[0]) == 1);
}

/* ---- timeouts ---- */

static void
case_timeouts(void)
{
	struct l4_msg m = { { 0 } };
	u64 t = thread_spawn(idle_thread, 0), t0, us, khz = l4_kip()->tsc_khz;

	CHECK(t);
	CHECK(l4_send(t, &m, EXO_TIMEOUT_ZERO) == EXO_IPC_ERR(EXO_IPC_TIMEOUT, 0));
	CHECK(l4_receive(t, &m, EXO_TIMEOUT_ZERO, 0) == EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1));
	t0 = l4_rdtsc();
	CHECK(l4_receive(EXO_ANYTHREAD, &m, EXO_TIMEOUT_US(20000), 0) ==
	      EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1));
	us = (l4_rdtsc() - t0) * 1000 / khz;
	CHECK(us >= 20000 && us < 2000000);
	t0 = l4_rdtsc();
	CHECK(l4_send(t, &m, EXO_TIMEOUT_US(5000)) == EXO_IPC_ERR(EXO_IPC_TIMEOUT, 0));
	us = (l4_rdtsc() - t0) * 1000 / khz;
	CHECK(us >= 5000 && us < 2000000);
	printf("timeouts: 20 ms receive took %lu us\n", us);
	/* A receive from nil with a timeout is a sleep (X.2). */
	t0 = l4_rdtsc();
	CHECK(l4_receive(EXO_NILTHREAD, &m, EXO_TIMEOUT_US(20000), 0) ==
	      EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1));
	us = (l4_rdtsc() - t0) * 1000 / khz;
	CHECK(us >= 20000 && us < 2000000);
	CHECK(l4_sleep(1000) == EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1));
	/* Never and zero: no receive phase at all. */
	CHECK(l4_ipc(EXO_NILTHREAD, EXO_NILTHREAD, EXO_TIMEOUTS(0, EXO_TIMEOUT_ZERO), &m, 0) == 0);
	CHECK(l4_ipc(EXO_NILTHREAD, EXO_NILTHREAD, 0, &m, 0) == 0);
	printf("timeouts: 20 ms sleep (receive from nil) took %lu us\n", us);
}

/* ---- interrupts as IPC ---- */

static void
case_irq(void)
{
	u64 irq = EXO_IRQ_TID(EXO_IRQ_TIMER), from, t0, us;
	struct l4_msg m;

	/*
	 * The tick starts inside irq_control: its n-th interrupt is due n
	 * periods later or after. Read the clock before the call, not after:
	 * the first tick may be due before a slow host returns from it.
	 */
	t0 = l4_rdtsc();
	CHECK(l4_irq_control(irq, l4_myself()) == 0);
	for (int i = 0; i < 20; i++) {
		CHECK(l4_receive(irq, &m, EXO_TIMEOUT_US(1000000), &from) == 0);
		CHECK(from == irq && EXO_TAG_LABEL(m.mr[0]) == EXO_LABEL_INTERRUPT);
		m.mr[0] = 0;
		CHECK(l4_send(irq, &m, EXO_TIMEOUT_ZERO) == 0);        /* ack */
	}
	us = (l4_rdtsc() - t0) * 1000 / l4_kip()->tsc_khz;
	CHECK(us >= 20 * EXO_TIMER_IRQ_US);
	CHECK(l4_irq_control(irq, EXO_NILTHREAD) == 0);
	/* Detached: no more interrupts. */
	CHECK(l4_receive(irq, &m, EXO_TIMEOUT_US(5000), &from) == EXO_IPC_ERR(EXO_IPC_TIMEOUT, 1));
	printf("irq: 20 timer interrupts in %lu us\n", us);
}

/*
 * Console input to a driver thread: the test suite boots with --input and
 * CONSOLE_TEXT in the file. Until it drives the line, console_read is
 * refused; then it reads what is waiting, and whenever a read finds nothing
 * (fewer bytes than asked) it waits for the line's IPC and acknowledges it.
 */
#define CONSOLE_TEXT "exo console input\n"

static void
case_console(void)
{
	u64 irq = EXO_IRQ_TID(EXO_IRQ_CONSOLE), from;
	char buf[64];
	long n, got = 0, want = sizeof(CONSOLE_TEXT) - 1;
	struct l4_msg m;

	CHECK(console_read(buf, sizeof(buf)) == -E_PERM);
	CHECK(l4_irq_control(irq, l4_myself()) == 0);
	CHECK(console_read(buf, EXO_CONSOLE_READ_MAX + 1) == -E_INVAL);
	CHECK(console_read((void *)0x1000, 1) == -E_FAULT);
	CHECK(console_read((void *)l4_kip(), 1) == -E_FAULT);       /* read-only */
	CHECK(console_read(buf, 0) == 0);
	for (int rounds = 0; got < want; rounds++) {
		CHECK(rounds < 100);
		n = console_read(buf + got, sizeof(buf) - got);
		CHECK(n >= 0 && got + n <= want);
		got += n;
		if (got == want || n == (long)sizeof(buf) - got)
			continue;
		/* Nothing more waiting: the next bytes come with an interrupt. */
		CHECK(l4_receive(irq, &m, EXO_TIMEOUT_US(5000000), &from) == 0);
		CHECK(from == irq && EXO_TAG_LABEL(m.mr[0]) == EXO_LABEL_INTERRUPT);
		m.mr[0] = 0;
		CHECK(l4_send(irq, &m, EXO_TIMEOUT_ZERO) == 0);        /* ack */
	}
	for (long i = 0; i < want; i++)
		CHECK(buf[i] == CONSOLE_TEXT[i]);
	CHECK(l4_irq_control(irq, EXO_NILTHREAD) == 0);
	CHECK(console_read(buf, sizeof(buf)) == -E_PERM);
	printf("console: read %ld bytes as the driver\n", got);
}

/* ---- a hostile task: bad fpages, ids, windows; no memory it does not have ---- */

static void
hostile(u64 arg)
{
	struct l4_msg m;
	u64 err;
	int bad = 0;

	(void)arg;
	/* Unprivileged: no thread control, no interrupts. */
	bad |= l4_thread_control(EXO_NILTHREAD, EXO_NILTHREAD, 0, 0x500000, -1) != -E_PERM;
	bad |= (l4_irq_control(EXO_IRQ_TID(1), l4_myself()) != -E_PERM) << 1;
	/* Bad fpages in unmap. */
	bad |= (l4_unmap(EXO_FPAGE(0x1000, 5, EXO_RWX), 0) != -E_INVAL) << 2;
	bad |= (l4_unmap(EXO_FPAGE(0x1000, 13, EXO_RWX), 0) != -E_INVAL) << 3;
	bad |= (l4_unmap(EXO_FPAGE(0x1000, 12, EXO_RWX), 0x80) != -E_INVAL) << 4;
	/* Map the kernel's pages, and memory nobody gave us, to main: nothing,
	 * and the first item not ours is named (<exo/ipc.h>, EXO_IPC_NOTMINE). */
	m = (struct l4_msg){ { EXO_TAG(0, 0, 6), EXO_ITEM_MAP, EXO_FPAGE(EXO_USER_KIP, 12, EXO_RWX),
		EXO_ITEM_MAP, EXO_FPAGE(0x5000000, 16, EXO_RWX),
		EXO_ITEM_MAP, EXO_FPAGE(TASK_UTCB, 12, EXO_RWX) } };
	err = l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
	bad |= (err != EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 0, 0)) << 5;
	m = (struct l4_msg){ { EXO_TAG(0, 0, 2), EXO_ITEM_MAP, EXO_FPAGE(0x5000000, 16, EXO_RWX) } };
	err = l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
	bad |= (err != EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 0, 0)) << 10;
	/* A malformed item: size 4 KiB at an odd base. */
	m = (struct l4_msg){ { EXO_TAG(0, 0, 2), EXO_ITEM_MAP, EXO_FPAGE(0x1000, 11, EXO_RWX) } };
	err = l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
	bad |= (err != EXO_IPC_ERR(EXO_IPC_OVERFLOW, 0)) << 6;
	/* Ids: nil, any, garbage, an interrupt thread that is not ours to ack. */
	m.mr[0] = 0;
	bad |= (l4_send(~0ULL - 5, &m, EXO_TIMEOUT_ZERO) != EXO_IPC_ERR(EXO_IPC_NOPARTNER, 0)) << 7;
	bad |= (l4_send(EXO_IRQ_TID(EXO_IRQ_TIMER), &m, EXO_TIMEOUT_ZERO) !=
		EXO_IPC_ERR(EXO_IPC_NOPARTNER, 0)) << 8;
	bad |= (l4_exchange_registers(main_tid, EXR_HALT, 0, 0, 0, 0, 0) != -E_PERM) << 9;
	m = (struct l4_msg){ { EXO_TAG(0, 1, 0), (u64)bad } };
	l4_send(main_tid, &m, EXO_TIMEOUT_NEVER);
}

static void
case_hostile(void)
{
	u64 h = task_spawn(hostile, 0), from;
	struct l4_msg m;
	struct exo_utcb *u = l4_utcb();

	CHECK(h);
	u->acceptor = EXO_FPAGE(0x40000000, 30, EXO_RWX);       /* a wide window */
	/* Items it does not have fail the IPC for both sides, naming the item. */
	CHECK(l4_receive(h, &m, EXO_TIMEOUT_NEVER, &from) ==
	      EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 0, 1));
	CHECK(l4_receive(h, &m, EXO_TIMEOUT_NEVER, &from) ==
	      EXO_IPC_ERR_AT(EXO_IPC_NOTMINE, 0, 1));
	/* A malformed item fails the IPC for both sides. */
	CHECK(l4_receive(h, &m, EXO_TIMEOUT_NEVER, &from) == EXO_IPC_ERR(EXO_IPC_OVERFLOW, 1));
	u->acceptor = EXO_FPAGE_NIL;
	CHECK(l4_receive(h, &m, EXO_TIMEOUT_NEVER, &from) == 0);
	if (m.mr[1])
		printf("hostile: failed checks %#lx\n", m.mr[1]);
	CHECK(m.mr[1] == 0);
	/* Nothing landed in the window: touching it would kill us, so ask the
	 * kernel: unmapping the window changes no mapping. */
	CHECK(l4_unmap(EXO_FPAGE(0x40000000, 30, EXO_RWX), UNMAP_OWN) == 0);
}

/* ---- every thread blocked for ever ---- */

static void
case_deadlock(void)
{
	struct l4_msg m;

	l4_receive(l4_myself(), &m, EXO_TIMEOUT_NEVER, 0);
	scenario_fail(__LINE__, "a receive from myself returned");
}

static void
syscall_loop(u64 arg)
{
	(void)arg;
	for (;;)
		console_write(0, 0);
}

static void
call_loop(u64 server)
{
	for (;;) {
		struct l4_msg m = { { EXO_TAG(1, 1, 0) } };

		l4_call(server, &m);
	}
}

/*
 * A thread of main's priority that enters the kernel in a tight loop must
 * not keep main's timeout (and the end of its own slice) from coming: on a
 * PVM host the timer's interrupt never gets in between such entries, so the
 * kernel polls the clock on its way out. Both the general path (a system
 * call) and the IPC fast path (calls to a server in another space).
 */
static void
case_starve(void)
{
	scenario_sleep_beside(syscall_loop, 0, "a system-call loop");
	scenario_sleep_beside(call_loop, task_spawn(echo_server, 0), "a fast-path IPC loop");
}

static const struct scenario_case cases[] = {
	{ "pingpong", case_pingpong },
	{ "pager", case_pager },
	{ "df", case_df },
	{ "flush", case_flush },
	{ "grant", case_grant },
	{ "abortfault", case_abortfault },
	{ "priority", case_priority },
	{ "dead", case_dead },
	{ "openclosed", case_openclosed },
	{ "timeouts", case_timeouts },
	{ "irq", case_irq },
	{ "console", case_console },
	{ "hostile", case_hostile },
	{ "deadlock", case_deadlock },
	{ "starve", case_starve },
};

int
main(int argc, char **argv)
{
	main_tid = l4_myself();
	return scenario_main("l4test", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
