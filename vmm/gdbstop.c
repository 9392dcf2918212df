/*
 * All-stop for gdb: parking the vCPUs, resuming them, and what KVM needs to
 * stop them again (KVM_SET_GUEST_DEBUG: int3 and debug registers trap to the
 * VMM, single step). See gdbstub.h.
 *
 * Software breakpoints are int3 bytes the VMM writes into guest memory; with
 * KVM_GUESTDBG_USE_SW_BP every #BP leaves KVM_RUN as KVM_EXIT_DEBUG, also
 * the guest's own int3s (on PVM exo's system call entry is one): those that
 * are not ours go back to the guest (KVM_GUESTDBG_INJECT_BP), so the
 * trapping is on only while a breakpoint is set.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include "gdbstate.h"
#include "machine.h"

#define MSR_KERNEL_GS_BASE 0xc0000102
#define CR0_PG             (1ULL << 31)
#define DR6_BS             (1ULL << 14)
#define INT3               0xcc

int64_t
gdb_now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

double
gdbstub_paused(struct gdb_stub *g)
{
	int64_t ns = __atomic_load_n(&g->paused_ns, __ATOMIC_RELAXED);
	int64_t at = __atomic_load_n(&g->stopped_at_ns, __ATOMIC_RELAXED);

	if (at)
		ns += gdb_now_ns() - at;
	return (double)ns / 1e9;
}

/* The settings of vCPU cpu: trap what gdb has set, step if it is to. */
static void
dbg_build(struct gdb_stub *g, unsigned cpu, uint32_t extra, struct kvm_guest_debug *dbg)
{
	memset(dbg, 0, sizeof(*dbg));
	if (!g->attached) {
		dbg->control = extra ? KVM_GUESTDBG_ENABLE | extra : 0;
		return;
	}
	dbg->control = KVM_GUESTDBG_ENABLE | extra;
	if (g->nsw && g->bp_by_step)
		dbg->control |= KVM_GUESTDBG_SINGLESTEP;
	else if (g->nsw)
		dbg->control |= KVM_GUESTDBG_USE_SW_BP;
	/* DR7: bit 2i+1 enables DRi globally; its R/W and LEN bits 0 mean
	 * "instruction fetch, one byte". */
	for (unsigned i = 0; i < GDB_MAX_HWBP; i++)
		if (g->hw_used[i]) {
			dbg->arch.debugreg[i] = g->hw[i];
			dbg->arch.debugreg[7] |= 1ULL << (2 * i + 1);
			dbg->control |= KVM_GUESTDBG_USE_HW_BP;
		}
	if (g->action[cpu] == GDB_STEP)
		dbg->control |= KVM_GUESTDBG_SINGLESTEP |
				(g->dbg_flags & KVM_GUESTDBG_BLOCKIRQ);
}

int
gdbstop_apply(struct gdb_stub *g)
{
	struct vmm *vm = g->vm;
	struct kvm_guest_debug dbg;

	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {
		dbg_build(g, i, 0, &dbg);
		if (ioctl(vm->kvm.vcpu_fd[i], KVM_SET_GUEST_DEBUG, &dbg) < 0)
			return -errno;
	}
	return 0;
}

static void
mark_stopped(struct gdb_stub *g)
{
	if (!__atomic_load_n(&g->stopped_at_ns, __ATOMIC_RELAXED))
		__atomic_store_n(&g->stopped_at_ns, gdb_now_ns(), __ATOMIC_RELAXED);
}

void
gdbstop_request(struct gdb_stub *g, int sig)
{
	struct vmm *vm = g->vm;

	pthread_mutex_lock(&vm->lock);
	if (!g->stopping) {
		g->stopping = true;
		g->stop_sig = sig;
		g->stop_cpu = -1;
		g->stop_kind = NULL;
		mark_stopped(g);
		vmm_kick_all(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

bool
gdbstop_all_parked(struct gdb_stub *g)
{
	unsigned started = 0;

	for (unsigned i = 0; i < g->vm->kvm.ncpus; i++)
		started += g->vm->vcpus[i].started;
	return g->stopping && g->parked >= started;
}

void
gdbstub_park(struct gdb_stub *g, struct vcpu *c)
{
	struct vmm *vm = g->vm;
	unsigned gen = g->gen;

	if (!g->stopping)
		return;
	g->parked++;
	gdbstub_wake(g);            /* maybe the last one: the reply is due */
	while (gen == g->gen && !vm->stop)
		pthread_cond_wait(&g->resume, &vm->lock);
	g->parked--;
	(void)c;
}

int
gdbstop_resume(struct gdb_stub *g)
{
	int r = gdbstop_apply(g);
	int64_t at;

	if (r < 0 && g->attached)       /* detached: resume whatever KVM says */
		return r;
	g->stopping = false;
	g->stop_cpu = -1;
	g->stop_kind = NULL;
	g->gen++;
	at = __atomic_exchange_n(&g->stopped_at_ns, 0, __ATOMIC_RELAXED);
	if (at)
		__atomic_add_fetch(&g->paused_ns, gdb_now_ns() - at, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&g->resume);
	return 0;
}

/* vCPU c stopped for gdb (lock held): the first stop is the one reported;
 * a vCPU that hits a breakpoint during another's stop hits it again once
 * resumed (rip stays at the int3), so nothing is lost. */
static void
stop_at(struct gdb_stub *g, struct vcpu *c, const char *kind)
{
	if (g->stopping && g->stop_cpu >= 0)
		return;
	if (!g->stopping)
		vmm_kick_all(g->vm);
	g->stopping = true;
	g->stop_sig = SIGTRAP;
	g->stop_cpu = (int)c->index;
	g->stop_kind = kind;
	mark_stopped(g);
}

/* Hand a #BP or #DB that is not gdb's back to the guest. */
static void
reinject(struct gdb_stub *g, struct vcpu *c, uint32_t flag)
{
	struct kvm_guest_debug dbg;

	dbg_build(g, c->index, flag, &dbg);
	if (ioctl(g->vm->kvm.vcpu_fd[c->index], KVM_SET_GUEST_DEBUG, &dbg) < 0)
		vmm_crash(g->vm, "gdb", NULL, "vCPU %u: cannot give the guest its own "
			  "%s back (KVM_SET_GUEST_DEBUG: %s)", c->index,
			  flag == KVM_GUESTDBG_INJECT_BP ? "int3" : "debug exception",
			  strerror(errno));
}

static struct gdb_space
space_of(struct gdb_stub *g, unsigned cpu)
{
	struct kvm_sregs s;

	if (ioctl(g->vm->kvm.vcpu_fd[cpu], KVM_GET_SREGS, &s) < 0)
		return (struct gdb_space){ .paging = true, .cr3 = ~0ULL };
	return (struct gdb_space){ .paging = s.cr0 & CR0_PG, .cr3 = s.cr3 };
}

/* Is the int3 at pc (in c's address space) one of gdb's? */
static bool
swbp_ours(struct gdb_stub *g, struct vcpu *c, uint64_t pc)
{
	struct gdb_phys pm = { g->vm->kvm.mem, g->vm->kvm.mem_size };
	struct gdb_space sp = space_of(g, c->index);
	uint64_t pa, left;

	if (gdbmem_translate(&pm, &sp, pc, &pa, &left) < 0)
		return false;
	for (unsigned i = 0; i < g->nsw; i++)
		if (g->sw[i].pa == pa && pm.mem[pa] == INT3)
			return true;
	return false;
}

/* bp_by_step: a step landed at pc; is a breakpoint there? */
static bool
step_at_bp(struct gdb_stub *g, uint64_t pc)
{
	for (unsigned i = 0; i < g->nsw; i++)
		if (g->sw[i].va == pc)
			return true;
	return false;
}

/* A #DB: a debug register, a step gdb asked for, or a step of bp_by_step;
 * anything else is the guest's own. */
static void
debug_db(struct gdb_stub *g, struct vcpu *c, const struct kvm_debug_exit_arch *a)
{
	bool step = a->dr6 & DR6_BS;

	if (!g->attached) {
		if (!step)      /* else a step asked for before gdb left: drop it */
			reinject(g, c, KVM_GUESTDBG_INJECT_DB);
	} else if (a->dr6 & 0xf) {
		stop_at(g, c, "hwbreak");
	} else if (step && g->action[c->index] == GDB_STEP) {
		stop_at(g, c, NULL);
	} else if (step && g->bp_by_step) {
		if (step_at_bp(g, a->pc))
			stop_at(g, c, "swbreak");
		else
			reinject(g, c, 0);      /* TF again: see gdbstop_tcg_host */
	} else {
		reinject(g, c, KVM_GUESTDBG_INJECT_DB);
	}
}

void
gdbstub_exit(struct gdb_stub *g, struct vcpu *c)
{
	if (g->bp_by_step && g->attached && g->nsw)
		reinject(g, c, 0);
}

void
gdbstub_debug_exit(struct gdb_stub *g, struct vcpu *c, struct kvm_run *run)
{
	const struct kvm_debug_exit_arch *a = &run->debug.arch;

	if (a->exception == 1) {
		debug_db(g, c, a);
	} else if (a->exception == 3) {
		if (g->attached && swbp_ours(g, c, a->pc))
			stop_at(g, c, "swbreak");
		else
			reinject(g, c, KVM_GUESTDBG_INJECT_BP);
	} else {
		vmm_crash(g->vm, "gdb", NULL, "vCPU %u: a debug exit for exception %u, "
			  "which exo never asked KVM for", c->index, a->exception);
	}
}

size_t
gdbstop_mem(struct gdb_stub *g, int cpu, uint64_t va, void *buf, size_t len,
	    bool write)
{
	struct gdb_phys pm = { g->vm->kvm.mem, g->vm->kvm.mem_size };
	struct gdb_space sp = space_of(g, (unsigned)cpu);
	uint8_t *b = buf;
	size_t n = gdbmem_access(&pm, &sp, va, buf, len, write);

	/* gdb sees and changes the bytes under its int3s, never the int3s. */
	for (unsigned i = 0; i < g->nsw; i++) {
		struct gdb_swbp *bp = &g->sw[i];

		if (bp->pa == GDB_NO_PA || bp->va < va || bp->va - va >= n)
			continue;
		if (write) {
			bp->saved = b[bp->va - va];
			pm.mem[bp->pa] = INT3;
		} else {
			b[bp->va - va] = bp->saved;
		}
	}
	return n;
}

/*
 * Under QEMU's TCG (scripts/nested.sh, QEMU 7.2) a nested guest's int3 goes
 * to the guest's own #BP handler although KVM intercepts #BP for
 * KVM_GUESTDBG_USE_SW_BP (seen: exo's kernel panicked with "breakpoint" at
 * the int3 gdb had set), and debug-register breakpoints never fire; single
 * step does trap. So there every vCPU steps while a breakpoint is set, and
 * each step's rip is compared with the breakpoints: slow (about 1 ms a step
 * in scripts/nested.sh), but it stops. TCG loses the step flag after some
 * instructions KVM emulates (seen after a mov to CR4): each step sets it
 * again. Where the guest itself loads a flags word without TF (a syscall's
 * FMASK, iretq or popf to another thread's state) the steps end until the
 * vCPU's next VM exit, which sets it again (gdbstub_exit): a breakpoint met
 * in between is missed.
 */
bool
gdbstop_tcg_host(void)
{
	unsigned a, b, c, d;
	char vendor[13];

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000u));
	memcpy(vendor, &b, 4);
	memcpy(vendor + 4, &c, 4);
	memcpy(vendor + 8, &d, 4);
	vendor[12] = '\0';
	return !strcmp(vendor, "TCGTCGTCGTCG");
}

int
gdbstop_swbp_insert(struct gdb_stub *g, uint64_t va)
{
	struct gdb_phys pm = { g->vm->kvm.mem, g->vm->kvm.mem_size };
	struct gdb_space sp = space_of(g, (unsigned)g->gcpu);
	uint64_t pa, left;
	int r;

	for (unsigned i = 0; i < g->nsw; i++)
		if (g->sw[i].va == va)
			return 0;
	if (g->nsw == GDB_MAX_SWBP)
		return -ENOSPC;
	if (gdbmem_translate(&pm, &sp, va, &pa, &left) < 0)
		return -EFAULT;
	if (g->bp_by_step) {
		g->sw[g->nsw] = (struct gdb_swbp){ .va = va, .pa = GDB_NO_PA };
	} else {
		g->sw[g->nsw] = (struct gdb_swbp){ .va = va, .pa = pa, .saved = pm.mem[pa] };
		pm.mem[pa] = INT3;
	}
	g->nsw++;
	if (g->nsw == 1 && (r = gdbstop_apply(g)) < 0) {
		gdbstop_swbp_remove(g, va);
		return r;
	}
	return 0;
}

int
gdbstop_swbp_remove(struct gdb_stub *g, uint64_t va)
{
	for (unsigned i = 0; i < g->nsw; i++) {
		if (g->sw[i].va != va)
			continue;
		if (g->sw[i].pa != GDB_NO_PA)
			g->vm->kvm.mem[g->sw[i].pa] = g->sw[i].saved;
		g->sw[i] = g->sw[--g->nsw];
		return g->nsw ? 0 : gdbstop_apply(g);
	}
	return 0;
}

int
gdbstop_hwbp_insert(struct gdb_stub *g, uint64_t va)
{
	int r;

	for (unsigned i = 0; i < GDB_MAX_HWBP; i++) {
		if (g->hw_used[i])
			continue;
		g->hw[i] = va;
		g->hw_used[i] = true;
		r = gdbstop_apply(g);
		if (r < 0)
			g->hw_used[i] = false;
		return r;
	}
	return -ENOSPC;
}

int
gdbstop_hwbp_remove(struct gdb_stub *g, uint64_t va)
{
	for (unsigned i = 0; i < GDB_MAX_HWBP; i++)
		if (g->hw_used[i] && g->hw[i] == va) {
			g->hw_used[i] = false;
			return gdbstop_apply(g);
		}
	return 0;
}

void
gdbstop_clear(struct gdb_stub *g)
{
	while (g->nsw)
		gdbstop_swbp_remove(g, g->sw[0].va);
	memset(g->hw_used, 0, sizeof(g->hw_used));
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
		g->action[i] = GDB_CONTINUE;
	g->attached = false;
	gdbstop_apply(g);           /* control 0: KVM traps nothing for us */
}

int
gdbstop_regs_get(struct gdb_stub *g, int cpu, struct gdb_cpu *c)
{
	int fd = g->vm->kvm.vcpu_fd[cpu];
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_KERNEL_GS_BASE };

	if (ioctl(fd, KVM_GET_REGS, &c->r) < 0 || ioctl(fd, KVM_GET_SREGS, &c->s) < 0)
		return -errno;
	c->kernel_gs_base = ioctl(fd, KVM_GET_MSRS, &m) == 1 ? m.e.data : 0;
	return 0;
}

int
gdbstop_regs_set(struct gdb_stub *g, int cpu, const struct gdb_cpu *c)
{
	return ioctl(g->vm->kvm.vcpu_fd[cpu], KVM_SET_REGS, &c->r) < 0 ? -errno : 0;
}
