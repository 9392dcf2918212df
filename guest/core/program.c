#include "program.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "kernel.h"

static struct {
	const struct exo_bootinfo *bi;
	u32 index;             /* module running now */
	u32 last_status;       /* exit status of the last program that ended */
	bool first_entered;    /* the first user instruction has been reached */
	struct arch_space space;
} run;

static struct exo_event ev;

const struct arch_space *
program_space(void)
{
	return &run.space;
}

/* Segments must be page-aligned user ranges inside guest memory. */
static bool
segment_ok(const struct exo_segment *g, u64 mem_size)
{
	if ((g->vaddr | g->paddr | g->len) & (EXO_PAGE_SIZE - 1) || g->len == 0)
		return false;
	if (g->vaddr < EXO_USER_MIN || g->vaddr + g->len > EXO_USER_END ||
	    g->vaddr + g->len < g->vaddr)
		return false;
	return g->paddr + g->len <= mem_size && g->paddr + g->len > g->paddr;
}

int
program_map(struct arch_space *s, const struct exo_module *m, u64 mem_size)
{
	if (m->nsegs > EXO_MAX_SEGMENTS)
		return -E_NOEXEC;
	for (u32 i = 0; i < m->nsegs; i++)
		if (!segment_ok(&m->segs[i], mem_size))
			return -E_NOEXEC;
	for (u32 i = 0; i < m->nsegs; i++) {
		const struct exo_segment *g = &m->segs[i];
		int r = arch_space_map(s, g->vaddr, g->paddr, g->len, g->flags);

		if (r < 0)
			return r == -E_INVAL ? -E_NOEXEC : r;
	}
	return 0;
}

/* Every field the host reads for these kinds is written: no stale values. */
static void
program_report(u32 kind, i64 status, u64 vector, u64 error, u64 addr, u64 rip)
{
	ev.kind = kind;
	ev.module = run.index;
	ev.status = status;
	ev.vector = vector;
	ev.error = error;
	ev.addr = addr;
	ev.rip = rip;
	arch_host_event(&ev);
}

/* Start module i, or the next one that can start; exit the VM after the last. */
__attribute__((noreturn)) static void
program_start(u32 i)
{
	const struct exo_bootinfo *bi = run.bi;

	for (; i < bi->nmodules; i++) {
		const struct exo_module *m = &bi->modules[i];
		int r;

		run.index = i;
		r = arch_space_create(&run.space);
		if (r == 0)
			r = program_map(&run.space, m, bi->mem_size);
		if (r < 0) {
			arch_space_destroy(&run.space);
			run.last_status = 127;
			program_report(EXO_EV_PROGRAM_ERROR, r, 0, 0, 0, 0);
			continue;
		}
		if (!run.first_entered) {
			run.first_entered = true;
			arch_host_doorbell(EXO_DOORBELL_FIRST_USER);
		}
		arch_user_start(&run.space, m->entry, m->stack_top, m->argc, m->argv);
	}
	arch_host_exit(run.last_status);
}

void
program_run_all(const struct exo_bootinfo *bi)
{
	run.bi = bi;
	program_start(0);
}

void
program_exit(i64 status)
{
	arch_space_destroy(&run.space);
	run.last_status = (u32)status & 0xff;
	program_report(EXO_EV_PROGRAM_EXIT, status, 0, 0, 0, 0);
	program_start(run.index + 1);
}

void
program_kill(u64 vector, u64 error, u64 addr, u64 rip)
{
	arch_space_destroy(&run.space);
	run.last_status = PROGRAM_KILLED_STATUS(vector);
	program_report(EXO_EV_PROGRAM_FAULT, run.last_status, vector, error, addr, rip);
	program_start(run.index + 1);
}
