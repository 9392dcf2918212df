/*
 * exo bench vm's comparison (bench_vm.h): ExOS and the L4 pager as the
 * guest measured them, Linux as this host measured it in the same run, and
 * the published figures of the Aegis and SPIN papers, each design beside
 * its own monolithic baseline.
 */
#include "bench_vm.h"

#include <math.h>
#include <string.h>

#include "json.h"

#define NSET 100        /* bench/vm.c's appel2 writes 100 pages an iteration */

static const char *const vm_names[VM_NOPS] = {
	"dirty", "prot1", "prot100", "unprot100", "trap", "appel1", "appel2", "lrpc", "shmpp",
};

/*
 * The papers' figures, microseconds (appel2: per page), NAN where not
 * entered. Only a figure read from the paper's own table belongs here; none
 * could be checked against the papers' text when this table was written,
 * so none is entered and the comparison says so rather than quote numbers
 * from memory. Enter them from the tables, with the table's number:
 *   Engler, Kaashoek, O'Toole, "Exokernel: An Operating System Architecture
 *   for Application-Level Resource Management", SOSP 1995: ExOS on Aegis
 *   and Ultrix, DECstation 5000/125;
 *   Bershad et al., "Extensibility, Safety and Performance in the SPIN
 *   Operating System", SOSP 1995: SPIN and DEC OSF/1, Alpha 133 MHz.
 */
#define NONE_ENTERED { NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN }
static const struct vm_paper {
	const char *cite, *design, *baseline, *machine;
	double design_us[VM_NOPS], baseline_us[VM_NOPS];
} vm_papers[] = {
	{ "Engler et al., SOSP 1995", "Aegis/ExOS", "Ultrix", "DECstation 5000/125",
	  NONE_ENTERED, NONE_ENTERED },
	{ "Bershad et al., SOSP 1995", "SPIN", "OSF/1", "Alpha 133 MHz",
	  NONE_ENTERED, NONE_ENTERED },
};

/* The guest's prefix_name operation, or NULL. */
static const struct bench_op *
vm_find(const struct bench_run *r, const char *prefix, int k)
{
	char name[EXO_BENCH_NAME_MAX];

	snprintf(name, sizeof(name), "%s_%s", prefix, vm_names[k]);
	for (unsigned i = 0; r && i < r->nops; i++)
		if (!strcmp(r->ops[i].name, name))
			return &r->ops[i];
	return NULL;
}

/* Median microseconds of the design's operation k (appel2 per page). */
static double
vm_us(const struct bench_run *r, const char *prefix, int k)
{
	const struct bench_op *op = vm_find(r, prefix, k);

	if (!op || !r->res.tsc_khz)
		return NAN;
	return op->cycles.median * 1000.0 / (double)r->res.tsc_khz /
	       (k == VM_APPEL2 ? NSET : 1);
}

static double
vm_ring0(const struct bench_run *r, const char *prefix, int k)
{
	const struct bench_op *op = vm_find(r, prefix, k);

	if (!op || !bench_run_ring0_exact(r))
		return NAN;
	return bench_op_per_iter(op, BENCH_INSN) / (k == VM_APPEL2 ? NSET : 1);
}

static void
vm_cell(FILE *f, int width, int prec, double v)
{
	if (isnan(v))
		fprintf(f, " %*s", width, "-");
	else
		fprintf(f, " %*.*f", width, prec, v);
}

static void
vm_measured(FILE *f, const struct bench_run *r, const struct bench_vm_linux *lx)
{
	fprintf(f, "  %-12s %9s %7s %9s %7s %9s %7s %9s %9s %7s %9s\n", "operation",
		"ExOS us", "ring-0", "L4 us", "ring-0", "SPIN us", "ring-0", "Linux us",
		"ExOS/Lnx", "L4/Lnx", "SPIN/Lnx");
	for (int k = 0; k < VM_NOPS; k++) {
		double lnx = lx ? lx->us[k] : NAN;
		double ex = vm_us(r, "exos", k), l4 = vm_us(r, "l4", k);
		double sp = vm_us(r, "spin", k);

		fprintf(f, "  %-12s", k == VM_APPEL2 ? "appel2/page" : vm_names[k]);
		vm_cell(f, 9, 2, ex);
		vm_cell(f, 7, 0, vm_ring0(r, "exos", k));
		vm_cell(f, 9, 2, l4);
		vm_cell(f, 7, 0, vm_ring0(r, "l4", k));
		vm_cell(f, 9, 2, sp);
		vm_cell(f, 7, 0, vm_ring0(r, "spin", k));
		vm_cell(f, 9, 2, lnx);
		vm_cell(f, 9, 2, ex / lnx);
		vm_cell(f, 7, 2, l4 / lnx);
		vm_cell(f, 9, 2, sp / lnx);
		fputc('\n', f);
	}
	fprintf(f, "  us: median microseconds (guest: TSC cycles of bench-vm above; "
		"Linux: CLOCK_MONOTONIC on this host, mprotect and a SIGSEGV handler, "
		"the same operations, in this run); appel2 per page\n");
	fprintf(f, "  ring-0: ring-0 instructions per operation, where exact (PVM)\n");
	fprintf(f, "  -: not measured (dirty: neither L4, SPIN's extensions here nor Linux "
		"lets a program ask; ring-0 off PVM)\n");
	fprintf(f, "  prot: ExOS the library's page table and bind_protect; L4: flush; SPIN: "
		"ext/vm_prot.c's system call, the kernel's range interface from an "
		"extension; Linux: mprotect\n");
	fprintf(f, "  trap: ExOS steps over the access in the program's fault function; "
		"L4: the fault IPC and the pager's map; SPIN: a write to a read-only page "
		"made writable in the kernel by ext/pf_appel.c; Linux: SIGSEGV, stepping over\n");
	fprintf(f, "  appel: ExOS and L4 handle the fault in user mode, SPIN in the kernel "
		"(ext/vm_prot.c's appel1, appel2)\n");
	fprintf(f, "  lrpc: ExOS's LRPC round trip (lrpc.c, protected control transfer both "
		"ways); Linux: a call to a server process over two pipes\n");
	fprintf(f, "  shmpp: a ping-pong round through a shared page with another "
		"environment (ExOS: shm.c, thread_switch while waiting) or process (Linux: "
		"MAP_SHARED, sched_yield while waiting)\n");
}

static bool
vm_paper_entered(const struct vm_paper *p)
{
	for (int k = 0; k < VM_NOPS; k++)
		if (!isnan(p->design_us[k]) || !isnan(p->baseline_us[k]))
			return true;
	return false;
}

/* A paper's design and its baseline, their ratio beside ExOS/Linux. */
static void
vm_paper(FILE *f, const struct vm_paper *p, const struct bench_run *r,
	 const struct bench_vm_linux *lx)
{
	fprintf(f, "  %s: %s vs %s, %s", p->cite, p->design, p->baseline, p->machine);
	if (!vm_paper_entered(p)) {
		fprintf(f, ": figures not entered (none checked against the paper's "
			"table yet: host/bench_vm.c)\n");
		return;
	}
	fprintf(f, "\n    %-12s %10s %10s %8s %10s\n", "operation", p->design, p->baseline,
		"ratio", "ExOS/Lnx");
	for (int k = 0; k < VM_NOPS; k++) {
		fprintf(f, "    %-12s", vm_names[k]);
		vm_cell(f, 10, 1, p->design_us[k]);
		vm_cell(f, 10, 1, p->baseline_us[k]);
		vm_cell(f, 8, 2, p->design_us[k] / p->baseline_us[k]);
		vm_cell(f, 10, 2, vm_us(r, "exos", k) / (lx ? lx->us[k] : NAN));
		fputc('\n', f);
	}
}

static const char *const proc_names[VM_PROC_NOPS] = {
	"exos_pipe_rtt", "exos_pipe_64k", "exos_fork_wait", "exos_spawn_wait",
};

static const struct bench_op *
proc_find(const struct bench_run *r, int k)
{
	for (unsigned i = 0; r && i < r->nops; i++)
		if (!strcmp(r->ops[i].name, proc_names[k]))
			return &r->ops[i];
	return NULL;
}

/* ExOS's processes beside two Linux processes doing the same. */
static void
vm_processes(FILE *f, const struct bench_run *r, const struct bench_vm_linux *lx)
{
	static const char *const label[VM_PROC_NOPS] = {
		"pipe 1-byte round trip", "pipe 64 KiB write", "fork+exit+wait (+rtt)",
		"spawn+exit+wait",
	};

	fprintf(f, "  %-24s %10s %8s %10s %9s\n", "processes", "ExOS us", "ring-0",
		"Linux us", "ExOS/Lnx");
	for (int k = 0; k < VM_PROC_NOPS; k++) {
		const struct bench_op *op = proc_find(r, k);
		double ex = op && r->res.tsc_khz ?
			op->cycles.median * 1000.0 / (double)r->res.tsc_khz : NAN;
		double lnx = lx ? lx->proc_us[k] : NAN;

		fprintf(f, "  %-24s", label[k]);
		vm_cell(f, 10, 2, ex);
		vm_cell(f, 8, 0, op && bench_run_ring0_exact(r) ?
			bench_op_per_iter(op, BENCH_INSN) : NAN);
		vm_cell(f, 10, 2, lnx);
		vm_cell(f, 9, 2, ex / lnx);
		fputc('\n', f);
	}
	if (!isnan(lx ? lx->proc_us[VM_PIPE_64K] : NAN) && proc_find(r, VM_PIPE_64K) &&
	    r->res.tsc_khz)
		fprintf(f, "  pipe bandwidth: ExOS %.1f MB/s, Linux %.1f MB/s\n",
			65536.0 / (proc_find(r, VM_PIPE_64K)->cycles.median * 1000.0 /
				   (double)r->res.tsc_khz),
			65536.0 / lx->proc_us[VM_PIPE_64K]);
	fprintf(f, "  ExOS: bench-vm is the session's manager; pipes run between it and "
		"a process (cat echoes, sink drains and checks every byte); fork: forker "
		"forks a child that exits and waits for it on each byte the manager sends "
		"(so one pipe round trip more); spawn: exitn, no Linux row (no such call). "
		"Linux: two processes, pipe(2), fork/_exit/waitpid\n");
}

void
bench_vm_table(FILE *f, const struct bench_run *r, const struct bench_vm_linux *lx)
{
	fprintf(f, "exo bench vm: the designs side by side\n");
	vm_measured(f, r, lx);
	vm_processes(f, r, lx);
	fprintf(f, "  the papers' figures (reference, microseconds, on their machines):\n");
	for (size_t i = 0; i < sizeof(vm_papers) / sizeof(vm_papers[0]); i++)
		vm_paper(f, &vm_papers[i], r, lx);
}

void
bench_vm_json(struct json *j, const struct bench_vm_linux *lx)
{
	json_object(j);
	json_key(j, "us_per_op");
	json_object(j);
	for (int k = 0; k < VM_NOPS; k++) {
		json_key(j, vm_names[k]);
		json_double(j, lx->us[k]);
	}
	json_close(j);
	json_key(j, "processes_us");
	json_object(j);
	for (int k = 0; k < VM_PROC_NOPS; k++) {
		json_key(j, proc_names[k] + strlen("exos_"));
		json_double(j, lx->proc_us[k]);
	}
	json_close(j);
	json_close(j);
}
