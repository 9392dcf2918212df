/*
 * bench-vm, the program of `exo bench vm`: Appel and Li's virtual-memory
 * operations ("Virtual Memory Primitives for User Programs", ASPLOS 1991),
 * as the Aegis and SPIN papers measured them, in two designs on exo:
 *   exos_*  ExOS (libos/exos/): the library's page table, bindings loaded
 *           on demand by its exception handler;
 *   l4_*    a user-level pager (a thread of this space) that maps pages
 *           of its pool on faults, and flush (unmap) to protect;
 *   spin_*  SPIN's way, in-kernel extensions: ext/vm_prot.c's system
 *           call changes protection (the kernel's range interface from an
 *           extension), its page-fault handlers do appel1 and appel2, and
 *           the trap is a write to a read-only page that ext/pf_appel.c's
 *           dirty handler makes writable, all without leaving the kernel.
 * The operations:
 *   dirty      is a page dirty (ExOS only: L4 has no such query)
 *   prot1      make one writable page read-only
 *   prot100    the same for 100 pages
 *   unprot100  make 100 read-only pages writable (L4: one call to the
 *              pager, whose reply maps them writable again)
 *   trap       a protection fault handled in user mode and resumed (ExOS:
 *              the program's fault function steps over the access; L4:
 *              the fault IPC to the pager and its map reply)
 *   appel1     write a protected page; the handler unprotects it and
 *              protects another
 *   appel2     protect 100 pages, write each; the handler unprotects it
 *              (one iteration is all 100 pages: the host divides by 100)
 * The host (host/bench_vm.c) sets them beside Linux's mprotect and SIGSEGV,
 * measured on the host in the same run.
 */
#include <exo/ext.h>
#include <exo/extcall.h>

#include "bench.h"
#include "exos.h"
#include "libos.h"
#include "task.h"
#include "vm_proc.h"

#include "ext_pf_appel_dirty.h"
#include "ext_vm_appel1.h"
#include "ext_vm_appel2.h"
#include "ext_vm_protect.h"
#include "vm_ipc.h"

#define PG          EXOS_PAGE
#define NSET        100                 /* the pages of prot100 and appel */
#define NPAGES      128
#define EX_BASE     0x320000000000ULL   /* ExOS's pages: a demand-zero region */
#define EX_PROT1    (EX_BASE + 100 * PG)
#define EX_TRAP     (EX_BASE + 101 * PG)
#define EX_DIRTY    (EX_BASE + 102 * PG)
#define L4_VA       0x330000000000ULL   /* the pager maps its pool here */
#define L4_POOL_LOG 19                  /* 128 pages, naturally aligned */
#define L4_UNPROT   0x7e57              /* a label: "map [0, 100) writable" */
#define SPIN_VA     0x340000000000ULL   /* spin_trap's page */
#define SPIN_BASE   0x350000000000ULL   /* the SPIN set: NSET + 1 bound pages */
#define SPIN_PROT1  (SPIN_BASE + NSET * PG)
#define EXT_NR_PROTECT 0x4100             /* ext/vm_prot.c's system call */

enum mode { M_NONE, M_STEP, M_APPEL1, M_APPEL2 };
static volatile enum mode mode;
static u64 last, next;

/* A byte read the fault function may step over (2 bytes): 0x1ff if so. */
static u64
probe_read(u64 va)
{
	u64 v = 0x1ff;

	__asm__ volatile(".byte 0x8a, 0x07" : "+a"(v) : "D"(va) : "memory");
	return v;
}

static void
touch(u64 va, u64 n)
{
	for (u64 i = 0; i < n; i++)
		*(volatile u8 *)(va + i * PG) = 1;
}

/* ---- ExOS ---- */

static int
exos_fault(u64 va, u8 access, struct exo_xframe *x)
{
	u64 page = va & ~(PG - 1);

	(void)access;
	switch (mode) {
	case M_STEP:
		x->rip += 2;
		return 0;
	case M_APPEL1:
		if (exos_mprotect(page, 1, EXOS_PROT_RW) < 0 ||
		    exos_mprotect(last, 1, EXOS_PROT_NONE) < 0)
			return 1;
		last = page;
		return 0;
	case M_APPEL2:
		return exos_mprotect(page, 1, EXOS_PROT_RW) < 0;
	case M_NONE:
		break;
	}
	return 1;
}

/* Every page writable, written (dirty) and loaded; the handler ours. */
static long
exos_setup(void)
{
	static bool region;
	long r;

	if (!region && (r = exos_region_zero(EX_BASE, NPAGES, EXOS_PROT_RW)) < 0)
		return r;
	region = true;
	mode = M_NONE;
	if ((r = exos_vm_init(exos_fault)) < 0 ||
	    (r = exos_mprotect(EX_BASE, NPAGES, EXOS_PROT_RW)) < 0)
		return r;
	touch(EX_BASE, NPAGES);
	return 0;
}

static void
exos_teardown(void)
{
	mode = M_NONE;
	exos_vm_fini();
}

static long
exos_dirty_op(void)
{
	return exos_dirty(EX_DIRTY) == 1 ? 0 : -E_INVAL;
}

static long
exos_unprot1_touch(void)
{
	long r = exos_mprotect(EX_PROT1, 1, EXOS_PROT_RW);

	touch(EX_PROT1, 1);
	return r;
}

static long
exos_prot1(void)
{
	return exos_mprotect(EX_PROT1, 1, EXOS_PROT_R);
}

static long
exos_unprot100_touch(void)
{
	long r = exos_mprotect(EX_BASE, NSET, EXOS_PROT_RW);

	touch(EX_BASE, NSET);
	return r;
}

static long
exos_prot100(void)
{
	return exos_mprotect(EX_BASE, NSET, EXOS_PROT_R);
}

static long
exos_unprot100(void)
{
	return exos_mprotect(EX_BASE, NSET, EXOS_PROT_RW);
}

static long
exos_trap_setup(void)
{
	long r = exos_setup();

	if (r == 0)
		r = exos_mprotect(EX_TRAP, 1, EXOS_PROT_NONE);
	mode = M_STEP;
	return r;
}

static long
exos_trap(void)
{
	return probe_read(EX_TRAP) == 0x1ff ? 0 : -E_INVAL;
}

/* Every page of the set protected but the last; each write faults. */
static long
exos_appel1_setup(void)
{
	long r = exos_setup();

	if (r == 0)
		r = exos_mprotect(EX_BASE, NSET - 1, EXOS_PROT_NONE);
	last = EX_BASE + (NSET - 1) * PG;
	next = 0;
	mode = M_APPEL1;
	return r;
}

static long
exos_appel1(void)
{
	u64 va = EX_BASE + next * PG;

	next = (next + 1) % NSET;
	*(volatile u8 *)va = 2;
	return last == va ? 0 : -E_INVAL;
}

static long
exos_appel2_setup(void)
{
	long r = exos_setup();

	mode = M_APPEL2;
	return r;
}

static long
exos_appel2(void)
{
	long r = exos_mprotect(EX_BASE, NSET, EXOS_PROT_NONE);

	touch(EX_BASE, NSET);
	return r;
}

/* ---- L4: a pager thread and flush ---- */

static u8 *pool;
static u64 pager_tid;

static u64
l4_pool(u64 i)
{
	return (u64)pool + i * PG;
}

/* [0, NSET) as naturally aligned fpages of the pool: 64, 32 and 4 pages. */
static const struct { u32 first, log2; } set_fpages[] = { { 0, 18 }, { 64, 17 }, { 96, 14 } };

/* The pager's reply to an unprot request: the set mapped writable again. */
static void
pager_unprot_reply(struct l4_msg *m)
{
	m->mr[0] = EXO_TAG(0, 0, 6);
	for (u32 k = 0; k < 3; k++) {
		m->mr[1 + 2 * k] = EXO_ITEM_MAP | (L4_VA + set_fpages[k].first * PG);
		m->mr[2 + 2 * k] = EXO_FPAGE(l4_pool(set_fpages[k].first),
					     set_fpages[k].log2, EXO_RW);
	}
}

/* A fault: map the page writable; appel1: protect the last one first. */
static void
pager_fault_reply(struct l4_msg *m)
{
	u64 addr = EXO_PAGE_DOWN(m->mr[1]), i = (addr - L4_VA) / PG;

	if (mode == M_APPEL1 && last != i)
		l4_unmap(EXO_FPAGE(l4_pool(last), 12, EXO_W), 0);
	last = i;
	m->mr[0] = EXO_TAG(0, 0, 2);
	m->mr[1] = EXO_ITEM_MAP | addr;
	m->mr[2] = EXO_FPAGE(l4_pool(i), 12, EXO_RW);
}

static void
vm_pager(u64 arg)
{
	struct l4_msg m;
	u64 from;

	(void)arg;
	l4_wait(&m, &from);
	for (;;) {
		if (m.mr[0] >> 16 == L4_UNPROT)
			pager_unprot_reply(&m);
		else
			pager_fault_reply(&m);
		l4_reply_wait(from, &m, &from);
	}
}

static long
l4_setup(void)
{
	if (!pool && !(pool = mem_alloc(L4_POOL_LOG)))
		return -E_NOMEM;
	if ((u64)pool & ((1ULL << L4_POOL_LOG) - 1))
		return -E_INVAL;                /* the fpages need it aligned */
	if (!pager_tid && !(pager_tid = thread_spawn(vm_pager, 0)))
		return -E_NOMEM;
	if (l4_exchange_registers(l4_myself(), EXR_SET_PAGER, 0, 0, pager_tid, 0, 0) < 0)
		return -E_INVAL;
	mode = M_NONE;
	touch(L4_VA, NPAGES);                   /* every page mapped writable */
	return 0;
}

static void
l4_teardown(void)
{
	mode = M_NONE;
	l4_exchange_registers(l4_myself(), EXR_SET_PAGER, 0, 0, EXO_NILTHREAD, 0, 0);
}

static long
l4_touch1(void)
{
	touch(L4_VA + 100 * PG, 1);
	return 0;
}

static long
l4_prot1(void)
{
	return l4_unmap(EXO_FPAGE(l4_pool(100), 12, EXO_W), 0) == 1 ? 0 : -E_FAULT;
}

static long
l4_touch_set(void)
{
	touch(L4_VA, NSET);
	return 0;
}

static long
l4_prot100(void)
{
	long n = 0;

	for (u32 k = 0; k < 3; k++)
		n += l4_unmap(EXO_FPAGE(l4_pool(set_fpages[k].first), set_fpages[k].log2,
					EXO_W), 0);
	return n == NSET ? 0 : -E_FAULT;
}

static long
l4_unprot100(void)
{
	struct l4_msg m = { { EXO_TAG(L4_UNPROT, 0, 0) } };
	u64 r;

	l4_utcb()->acceptor = EXO_FPAGE(L4_VA, L4_POOL_LOG, EXO_RWX);
	r = l4_call(pager_tid, &m);
	l4_utcb()->acceptor = EXO_FPAGE_NIL;
	return r ? -E_FAULT : 0;
}

/* The trap page unmapped (untimed) before each fault. */
static long
l4_unmap_trap(void)
{
	return l4_unmap(EXO_FPAGE(l4_pool(101), 12, EXO_RWX), 0) == 1 ? 0 : -E_FAULT;
}

static long
l4_trap(void)
{
	return *(volatile u8 *)(L4_VA + 101 * PG) == 1 ? 0 : -E_INVAL;
}

static long
l4_appel1_setup(void)
{
	long r = l4_setup();

	if (r == 0)
		r = l4_prot100();               /* then the last one writable */
	touch(L4_VA + (NSET - 1) * PG, 1);
	last = NSET - 1;
	next = 0;
	mode = M_APPEL1;
	return r;
}

static long
l4_appel1(void)
{
	u64 i = next;

	next = (next + 1) % NSET;
	*(volatile u8 *)(L4_VA + i * PG) = 2;
	return last == i ? 0 : -E_INVAL;
}

static long
l4_appel2_setup(void)
{
	long r = l4_setup();

	mode = M_APPEL2;
	return r;
}

static long
l4_appel2(void)
{
	long r = l4_prot100();

	touch(L4_VA, NSET);
	return r;
}

/* ---- SPIN: ext/pf_appel.c's dirty handler in the kernel ---- */

static exo_cap_t spin_frame, spin_ext, spin_env;

/* The extension attached to our page faults; the frame bound read-only.
 * The library's handler is there to decline: a fault the extension left
 * to the upcall ends the program, not the measurement. */
static long
spin_setup(void)
{
	long c, r;

	if (!spin_env && (c = env_cap(l4_myself(), EXO_CAP_W)) > 0)
		spin_env = (exo_cap_t)c;
	if (!spin_frame && (c = frame_alloc(0)) > 0)
		spin_frame = (exo_cap_t)c;
	if (!spin_env || !spin_frame)
		return -E_NOMEM;
	/* Once bound writable and written: the host populates the frame. */
	if ((r = bind(spin_frame, SPIN_VA, EXO_BIND_W | EXO_BIND_NOW)) < 0)
		return r;
	*(volatile u8 *)SPIN_VA = 1;
	if ((r = unbind(spin_frame)) < 0)
		return r;
	c = l4_syscall5(SYS_ext_load, (long)ext_pf_appel_dirty,
			(long)(sizeof(ext_pf_appel_dirty) / 8), EXT_EV_PAGEFAULT, 0, 0);
	if (c < 0)
		return c;
	spin_ext = (exo_cap_t)c;
	r = l4_syscall5(SYS_ext_attach, (long)spin_ext, (long)spin_env,
			EXO_EXT_AT_PAGEFAULT, 0, 0);
	return r < 0 ? r : exos_vm_init(0);
}

static void
spin_teardown(void)
{
	exos_vm_fini();
	if (spin_ext)
		cap_drop(spin_ext);
	spin_ext = 0;
	unbind(spin_frame);
}

/* Before each trap, untimed: the page read-only again. */
static long
spin_protect(void)
{
	unbind(spin_frame);                     /* -E_NOENT the first time */
	return bind(spin_frame, SPIN_VA, EXO_BIND_R | EXO_BIND_NOW);
}

static long
spin_trap(void)
{
	*(volatile u8 *)SPIN_VA = 2;
	return 0;
}

/* ---- SPIN: ext/vm_prot.c, protection and appel in the kernel ---- */

static exo_cap_t set_frame[NSET + 1], set_ext, set_appel;

static long
ext_install(const void *insns, u64 n, u32 event, u32 point, exo_cap_t *cap)
{
	long c = l4_syscall5(SYS_ext_load, (long)insns, (long)n, event, 0, 0);

	if (c < 0)
		return c;
	*cap = (exo_cap_t)c;
	return l4_syscall5(SYS_ext_attach, (long)c, (long)spin_env, point, 0, 0);
}

/* The extension's system call: bindings of [va, va + n pages) get prot. */
static long
spin_protect_range(u64 va, u64 n, u64 prot)
{
	return l4_syscall5(EXT_NR_PROTECT, (long)va, (long)n, (long)prot, 0, 0);
}

/* NSET + 1 frames bound writable and written; the system call attached,
 * and an appel handler when one is given. */
static long
set_setup_with(const void *appel, u64 n)
{
	long c, r;

	if (!spin_env && (c = env_cap(l4_myself(), EXO_CAP_W)) > 0)
		spin_env = (exo_cap_t)c;
	if (!spin_env)
		return -E_NOMEM;
	for (u32 i = 0; i <= NSET; i++) {
		if (!set_frame[i] && (c = frame_alloc(0)) > 0)
			set_frame[i] = (exo_cap_t)c;
		if (!set_frame[i])
			return -E_NOMEM;
		r = bind(set_frame[i], SPIN_BASE + i * PG, EXO_BIND_W | EXO_BIND_NOW);
		if (r < 0)
			return r;
	}
	touch(SPIN_BASE, NSET + 1);
	r = ext_install(ext_vm_protect, sizeof(ext_vm_protect) / 8, EXT_EV_SYSCALL,
			EXT_NR_PROTECT, &set_ext);
	if (r == 0 && appel)
		r = ext_install(appel, n, EXT_EV_PAGEFAULT, EXO_EXT_AT_PAGEFAULT, &set_appel);
	return r < 0 ? r : exos_vm_init(0);
}

static long
set_setup(void)
{
	return set_setup_with(0, 0);
}

static void
set_teardown(void)
{
	exos_vm_fini();
	if (set_ext)
		cap_drop(set_ext);
	if (set_appel)
		cap_drop(set_appel);
	set_ext = set_appel = 0;
	for (u32 i = 0; i <= NSET; i++)
		unbind(set_frame[i]);
}

static long
spin_unprot1_touch(void)
{
	long r = spin_protect_range(SPIN_PROT1, 1, EXT_PF_READ | EXT_PF_WRITE);

	touch(SPIN_PROT1, 1);
	return r == 1 ? 0 : -E_INVAL;
}

static long
spin_prot1(void)
{
	return spin_protect_range(SPIN_PROT1, 1, EXT_PF_READ) == 1 ? 0 : -E_INVAL;
}

static long
spin_unprot100_touch(void)
{
	long r = spin_protect_range(SPIN_BASE, NSET, EXT_PF_READ | EXT_PF_WRITE);

	touch(SPIN_BASE, NSET);
	return r == NSET ? 0 : -E_INVAL;
}

static long
spin_prot100(void)
{
	return spin_protect_range(SPIN_BASE, NSET, EXT_PF_READ) == NSET ? 0 : -E_INVAL;
}

static long
spin_unprot100(void)
{
	return spin_protect_range(SPIN_BASE, NSET, EXT_PF_READ | EXT_PF_WRITE) == NSET ?
	       0 : -E_INVAL;
}

/* appel1: all protected, then a write to the last makes it the one
 * writable page (the handler's store remembers it). */
static long
spin_appel1_setup(void)
{
	long r = set_setup_with(ext_vm_appel1, sizeof(ext_vm_appel1) / 8);

	if (r == 0)
		r = spin_prot100();
	touch(SPIN_BASE + (NSET - 1) * PG, 1);
	next = 0;
	return r;
}

/* Untimed, before each: the handler unprotected the page last written. */
static long
spin_appel1_check(void)
{
	u64 want = SPIN_BASE + (next ? next - 1 : NSET - 1) * PG;

	long w = l4_syscall5(SYS_ext_counter, (long)set_appel, EXO_EXT_STORE_WORD(0), 0, 0, 0);

	return (u64)w == want ? 0 : -E_INVAL;
}

static long
spin_appel1(void)
{
	u64 va = SPIN_BASE + next * PG;

	next = (next + 1) % NSET;
	*(volatile u8 *)va = 2;
	return 0;
}

static long
spin_appel2_setup(void)
{
	return set_setup_with(ext_vm_appel2, sizeof(ext_vm_appel2) / 8);
}

static long
spin_appel2(void)
{
	long r = spin_prot100();

	touch(SPIN_BASE, NSET);
	return r;
}

static const struct bench_op ops[] = {
	BENCH_NULL_SYSCALL,
	{ "exos_dirty", exos_setup, exos_dirty_op, exos_teardown, 0, 0 },
	{ "exos_prot1", exos_setup, exos_prot1, exos_teardown, exos_unprot1_touch, 0 },
	{ "exos_prot100", exos_setup, exos_prot100, exos_teardown, exos_unprot100_touch, 0 },
	{ "exos_unprot100", exos_setup, exos_unprot100, exos_teardown, exos_prot100, 0 },
	{ "exos_trap", exos_trap_setup, exos_trap, exos_teardown, 0, 0 },
	{ "exos_appel1", exos_appel1_setup, exos_appel1, exos_teardown, 0, 0 },
	{ "exos_appel2", exos_appel2_setup, exos_appel2, exos_teardown, 0, 0 },
	{ "l4_prot1", l4_setup, l4_prot1, l4_teardown, l4_touch1, 0 },
	{ "l4_prot100", l4_setup, l4_prot100, l4_teardown, l4_touch_set, 0 },
	{ "l4_unprot100", l4_setup, l4_unprot100, l4_teardown, l4_prot100, 0 },
	{ "l4_trap", l4_setup, l4_trap, l4_teardown, l4_unmap_trap, 0 },
	{ "l4_appel1", l4_appel1_setup, l4_appel1, l4_teardown, 0, 0 },
	{ "l4_appel2", l4_appel2_setup, l4_appel2, l4_teardown, 0, 0 },
	{ "spin_prot1", set_setup, spin_prot1, set_teardown, spin_unprot1_touch, 0 },
	{ "spin_prot100", set_setup, spin_prot100, set_teardown, spin_unprot100_touch, 0 },
	{ "spin_unprot100", set_setup, spin_unprot100, set_teardown, spin_prot100, 0 },
	{ "spin_trap", spin_setup, spin_trap, spin_teardown, spin_protect, 0 },
	{ "spin_appel1", spin_appel1_setup, spin_appel1, set_teardown, spin_appel1_check, 0 },
	{ "spin_appel2", spin_appel2_setup, spin_appel2, set_teardown, 0, 0 },
	{ "exos_lrpc", vm_lrpc_setup, vm_lrpc, 0, 0, 0 },
	{ "exos_shmpp", vm_shmpp_setup, vm_shmpp, 0, 0, 0 },
};

#define NVM  (sizeof(ops) / sizeof(ops[0]))

int
main(int argc, char **argv)
{
	static struct bench_op all[NVM + VM_PROC_NOPS];

	memcpy(all, ops, sizeof ops);
	memcpy(all + NVM, vm_proc_ops, sizeof vm_proc_ops);
	return bench_main(all, NVM + VM_PROC_NOPS, argc, argv);
}
