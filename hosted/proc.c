/*
 * The processes of the hosted platform: one per address space, started
 * from the stub, driven through its read-only control pages (shared.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "hosted.h"

int
hosted_queue(struct hspace *s, const struct stub_req *r)
{
	struct stub_req *last = s->nq ? &s->q[s->nq - 1] : NULL;

	/* Runs of pages: one mmap for frames contiguous in both. */
	if (last && r->op == STUB_MMAP && last->op == STUB_MMAP && last->prot == r->prot &&
	    last->addr + last->len == r->addr && last->off + last->len == r->off) {
		last->len += r->len;
		return 0;
	}
	if (last && r->op == last->op && r->op != STUB_MMAP && r->op != STUB_CLONE &&
	    last->prot == r->prot && last->addr + last->len == r->addr) {
		last->len += r->len;
		return 0;
	}
	if (s->nq == s->capq) {
		u32 cap = s->capq ? 2 * s->capq : 64;
		struct stub_req *q = realloc(s->q, cap * sizeof(*q));

		if (!q)
			return -1;
		s->q = q, s->capq = cap;
	}
	s->q[s->nq++] = *r;
	return 0;
}

static int
futex(u32 *w, int op, u32 val, const struct timespec *ts)
{
	return (int)syscall(SYS_futex, w, op, val, ts, NULL, 0);
}

/*
 * Start the stub with the memfd and the ack eventfd in place (descriptors 3
 * and 4, nothing else open), no signal blocked or caught: posix_spawn,
 * whose child shares exo's memory until its exec (a fork copies exo's
 * page tables: a space's process was ready for its first requests in 7.1
 * ms with fork, 1.9 with vfork, 2.5 with posix_spawn, medians of 16 on
 * this loaded 2-core host). The stub itself makes sure it dies with exo
 * (PR_SET_PDEATHSIG, then its parent checked against the pid given).
 */
static pid_t
spawn_stub(struct hspace *s, char *off)
{
	char parent[32], *argv[] = { "exo-stub", off, parent, NULL }, *envp[] = { NULL };
	/* Above the targets first: a dup2 onto itself would keep close-on-exec. */
	int mem = fcntl(hosted.memfd, F_DUPFD_CLOEXEC, 16);
	int ack = fcntl(s->ackfd, F_DUPFD_CLOEXEC, 16);
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, all;
	pid_t pid = -1;

	snprintf(parent, sizeof(parent), "%x", (unsigned)getpid());
	sigemptyset(&none);
	sigfillset(&all);
	if (mem >= 0 && ack >= 0 && posix_spawn_file_actions_init(&fa) == 0) {
		if (posix_spawnattr_init(&at) == 0) {
			if (posix_spawn_file_actions_adddup2(&fa, mem, STUB_FD_MEM) == 0 &&
			    posix_spawn_file_actions_adddup2(&fa, ack, STUB_FD_ACK) == 0 &&
			    posix_spawn_file_actions_addclosefrom_np(&fa, STUB_FD_ACK + 1) == 0 &&
			    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
							  POSIX_SPAWN_SETSIGDEF) == 0 &&
			    posix_spawnattr_setsigmask(&at, &none) == 0 &&
			    posix_spawnattr_setsigdefault(&at, &all) == 0 &&
			    posix_spawn(&pid, hosted.stub_path, &fa, &at, argv, envp) != 0)
				pid = -1;
			posix_spawnattr_destroy(&at);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	if (mem >= 0)
		close(mem);
	if (ack >= 0)
		close(ack);
	if (pid > 0)
		hosted_cores_stub(pid);
	return pid;
}

static int
start(struct hspace *s)
{
	pid_t pid;
	char off[32];

	s->ctl_pa = hosted_priv_run(STUB_CTL_PAGES);
	if (!s->ctl_pa)
		return -1;
	s->ctl = (struct stub_ctl *)(hosted.mem + s->ctl_pa);
	memset(s->ctl, 0, sizeof(*s->ctl));
	s->ctl->one = 1, s->ctl->two = 2;
	s->ctl->ptrace = hosted.ptrace;
	s->ctl->spin = hosted.spin;
	for (u32 i = 0; i < STUB_SLOTS_MAX; i++)
		s->ctl->altstack[i] = (struct stub_stack){
			.sp = STUB_SLOTS + (u64)i * STUB_SLOT_SIZE + STUB_SLOT_SIZE - STUB_SLOT_STACK,
			.size = STUB_SLOT_STACK };
	if (hosted_filters(s->ctl) < 0)
		return -1;
	s->ackfd = eventfd(0, EFD_CLOEXEC);
	if (s->ackfd < 0)
		return -1;
	snprintf(off, sizeof(off), "%llx", (unsigned long long)s->ctl_pa);
	pid = spawn_stub(s, off);
	if (pid < 0)
		return -1;
	s->pid = pid;
	s->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	return s->pidfd < 0 ? -1 : 0;
}

/* One batch: write it, wake the control thread, wait for its ack. */
static int
batch(struct hspace *s, const struct stub_req *r, u32 n)
{
	struct pollfd pf[2] = { { s->ackfd, POLLIN, 0 }, { s->pidfd, POLLIN, 0 } };
	u64 ack = 0;

	memcpy(s->ctl->req, r, n * sizeof(*r));
	s->ctl->n = n;
	__atomic_store_n(&s->ctl->seq, ++s->seq, __ATOMIC_RELEASE);
	futex(&s->ctl->seq, FUTEX_WAKE, 1, NULL);
	while (poll(pf, 2, -1) < 0)
		if (errno != EINTR)
			return -1;
	if (!(pf[0].revents & POLLIN) || read(s->ackfd, &ack, 8) != 8 || ack != 1)
		return -1;
	return 0;
}

static int
flush_locked(struct hspace *s)
{
	u32 done = 0;

	if (!s->pid && start(s) < 0)
		return -1;
	while (done < s->nq) {
		u32 n = s->nq - done < STUB_REQ_MAX ? s->nq - done : STUB_REQ_MAX;

		if (batch(s, s->q + done, n) < 0)
			return -1;
		done += n;
	}
	s->nq = 0;
	return 0;
}

int
hosted_flush(struct hspace *s)
{
	int r;

	pthread_mutex_lock(&s->flush);
	r = flush_locked(s);
	pthread_mutex_unlock(&s->flush);
	return r;
}


int
hosted_thread_ready(struct hspace *s, u32 slot)
{
	u64 top;
	struct stub_req r[3];

	if (s->slot_pa[slot])
		return 0;
	s->slot_pa[slot] = hosted_priv_alloc();
	if (!s->slot_pa[slot])
		return -1;
	memset(hosted.mem + s->slot_pa[slot], 0, EXO_PAGE_SIZE);
	s->seen[slot] = 0;
	top = STUB_SLOTS + (u64)slot * STUB_SLOT_SIZE;
	r[0] = (struct stub_req){ STUB_MMAP, PROT_READ | PROT_WRITE, top, EXO_PAGE_SIZE,
				  s->slot_pa[slot] };
	r[1] = (struct stub_req){ STUB_ANON, PROT_READ | PROT_WRITE, top + STUB_SLOT_SIZE - STUB_SLOT_STACK,
				  STUB_SLOT_STACK, 0 };
	r[2] = (struct stub_req){ STUB_CLONE, 0, 0, 0, slot };
	for (int i = 0; i < 3; i++)
		if (hosted_queue(s, &r[i]) < 0)
			return -1;
	if (hosted_flush(s) < 0)
		return -1;
	/* Parked at stub_first (ptrace: in stub_traced_start): its START
	 * entry; on ptrace exo then attaches to it, before it runs. */
	if (hosted_wait_entry(s, slot, 0, 0) != 0)
		return -1;
	if (hosted.ptrace) {
		volatile struct stub_regs *p = (struct stub_regs *)(hosted.mem + s->slot_pa[slot]);

		return hosted_ptrace_attach(s, slot, (pid_t)p->tid);
	}
	return 0;
}

/* Wait for slot's next entry (its count differs from seen): 0, or -1 if the
 * process died meanwhile, or 1 at the deadline (TSC, 0: none), or 2 at an
 * IPI (WAIT_IPI). The wait is this CPU's (cpu.c): on the entry word and
 * the CPU's IPI word at once. */
int
hosted_wait_entry(struct hspace *s, u32 slot, u64 deadline, unsigned how)
{
	volatile struct stub_regs *p = (struct stub_regs *)(hosted.mem + s->slot_pa[slot]);
	struct hcpu *h = hosted_cpu();
	struct hosted_evade ev = { 0 };
	int r;
	/* Watch the word first, for as long as sleeping and being woken
	 * costs (hosted.spin): an entry that soon is taken without either. */
	u64 watch = hosted.spin ? arch_now() + hosted.spin : 0;

	for (;;) {
		u32 e = __atomic_load_n(&p->entry, __ATOMIC_ACQUIRE);
		u64 end, now = 0;

		if (e != s->seen[slot]) {
			s->seen[slot] = e;
			return 0;
		}
		if (how & WAIT_IRQ && __atomic_load_n(&hosted.irq, __ATOMIC_ACQUIRE))
			return 1;
		/* The request bits too: an IPI taken by a wait without
		 * WAIT_IPI left them for this one. */
		if (how & WAIT_IPI && (hosted_ipi_take(h) ||
				       __atomic_load_n(&this_cpu()->req, __ATOMIC_ACQUIRE)))
			return 2;
		if (deadline || watch) {
			now = arch_now();
			if (deadline && now >= deadline)
				return 1;
			if (now < watch) {
				if (watch - now > hosted.spin - hosted.spin / 8)
					__builtin_ia32_pause();
				else    /* the core to the thread, if it waits */
					sched_yield();
				continue;
			}
			watch = 0;
		}
		end = hosted_mono_ns() + HOSTED_POLL_NS;
		if (deadline) {
			u64 ns = (deadline - now) * 1000000 / hosted.tsc_khz;

			if (ns < HOSTED_POLL_NS)
				end = end - HOSTED_POLL_NS + ns;
		}
		hosted_check_stop();
		/* Without WAIT_IPI an IPI must not end every sleep early: it
		 * is taken, its request bits left for the next wait with
		 * WAIT_IPI or smp_poll. */
		if (!(how & WAIT_IPI))
			hosted_ipi_take(h);
		/* A bounded wait: a process that died, --timeout or a signal
		 * is noticed. asleep is set before the futex checks the word:
		 * the stub bumps the word, then looks at asleep (stub.c cross),
		 * so it either wakes us or we see its entry. */
		__atomic_store_n(&p->asleep, 1, __ATOMIC_SEQ_CST);
		r = hosted_cpu_wait(h, (u32 *)&p->entry, e, end);
		__atomic_store_n(&p->asleep, 0, __ATOMIC_RELAXED);
		if (r == -ETIMEDOUT) {
			struct pollfd pf = { s->pidfd, POLLIN, 0 };

			if (poll(&pf, 1, 0) == 1)
				return -1;
			/* It keeps the timer out: its process ends, as its own
			 * doing (the core then ends its task). */
			if (how & WAIT_SIGNALLED && hosted_evading(s, slot, &ev))
				kill(s->pid, SIGKILL);
		}
	}
}

void
hosted_space_kill(struct hspace *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGKILL);
		if (hosted.ptrace)
			hosted_ptrace_reap(s);
		waitpid(s->pid, NULL, 0);
	}
	if (s->pidfd >= 0)
		close(s->pidfd);
	if (s->ackfd >= 0)
		close(s->ackfd);
	for (u32 i = 0; i < STUB_SLOTS_MAX; i++)
		if (s->slot_pa[i])
			hosted_priv_free(s->slot_pa[i]);
	/* The control pages are dropped: hosted_priv_run never reuses. */
	s->pid = 0;
	s->pidfd = s->ackfd = -1;
	s->ctl_pa = 0;
	s->ctl = NULL;
	memset(s->slot_pa, 0, sizeof(s->slot_pa));
}
