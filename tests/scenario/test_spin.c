/*
 * SPIN's extensions in a real boot: libos/programs/spintest runs one case
 * and exits 0 only if every check held (the failing check's line
 * otherwise); each case loads clang-compiled or hand-made eBPF through
 * ext_load. Judged by the exit status and the report, with the console
 * lines the cases print as a second witness.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <string.h>

#include "jv.h"
#include "run.h"

static struct exo_run r;

struct spin_case {
	char name[16];
	char says[72];          /* a line the case prints when it held */
};

ParameterizedTestParameters(spin, case_holds)
{
	static struct spin_case cases[] = {
		{ "accept", "syscall_add accepted (9 instructions)" },
		{ "reject", "rejected at 1: ctx_bounds" },
		{ "syscall", "0x4000 answered by the extension" },
		{ "count", "counted 7 null calls" },
		{ "confined", "saw only the environment it was attached to" },
		{ "forged", "forged, stale and weak capabilities refused" },
		/* The page-fault event: ext/pf_appel.c's dirty handler. */
		{ "appel", "resolved 4 write faults in the kernel, dirty bits 0x8d" },
		{ "appelperm", "upgrades beyond a binding's capability refused" },
		{ "appelenv", "page-fault handler saw only the environments it was" },
		{ "vmprot", "protection lowered and raised in a range by an extension's" },
		{ "guard", "guards ran before their handlers: 3 of 8 calls counted" },
		/* The thread and IPC events: ext/thread_pkg.c. */
		{ "threads", "and each thread leave its CPU and come back" },
		{ "irq", "timer interrupts, 10 delivered" },
		{ "timer", "a 20000 us sleep deferred once by the timer event" },
		{ "domain", "the child loaded against the union only" },
	};
	return cr_make_param_array(struct spin_case, cases, sizeof(cases) / sizeof(cases[0]));
}

ParameterizedTest(struct spin_case *c, spin, case_holds)
{
	const char *ev;

	exo_run(&r, true, (const char *[]){ "run", "--timeout", "60", "spintest", c->name,
					    NULL });
	cr_assert_eq(r.status, 0, "spintest %s: exit %d (the failing check's line)\n%s%s",
		     c->name, r.status, r.out, r.err);
	ev = report_event(&r, "program_exit", 0);
	cr_assert(ev, "%s: no program_exit:\n%s", c->name, r.report);
	cr_assert_eq(report_num(ev, "status"), 0);
	cr_assert(strstr(r.out, c->says), "%s: no \"%s\" in:\n%s", c->name, c->says, r.out);
}

/* The same for the thread event: raised on CPU 1 by a sleeper while the
 * handler is attached and dropped. */
Test(spin, thread_handler_removal_races_raises_on_two_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "120", "--cpus", "2",
					    "spintest", "threadrace", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "20 removals raced the thread events"), "%s", r.out);
}

/* A removal racing raises on the other CPU (issue 13's attack list). */
Test(spin, removal_races_a_raise_on_two_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "120", "--cpus", "2",
					    "spintest", "race", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "none else"), "%s", r.out);
}

/* The same for the page-fault event: a removal racing write faults on the
 * other CPU. */
Test(spin, pagefault_removal_races_faults_on_two_cpus)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "120", "--cpus", "2",
					    "spintest", "pfrace", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert(strstr(r.out, "upcalled, none else"), "%s", r.out);
}

/*
 * Every case in one boot on 2 CPUs (the SMP kernel: removals shoot the
 * window down on the other CPU), ending with noleak: frames all given
 * back, the kernel's self-check clean.
 */
Test(spin, all_cases_in_one_boot_then_selfcheck)
{
	skip_unless_cpus(2);
	exo_run(&r, true, (const char *[]){ "run", "--timeout", "120", "--cpus", "2",
					    "--cmdline", "ktest", "spintest", "accept", "reject",
					    "syscall", "count", "confined", "forged", "syscall",
					    "race", "appel", "appelperm", "appelenv", "guard",
					    "pfrace", "noleak", NULL });
	cr_assert_eq(r.status, 0, "exit %d\n%s%s", r.status, r.out, r.err);
	cr_assert_eq(report_num(report_event(&r, "program_exit", 0), "status"), 0, "%s",
		     r.report);
	cr_assert(strstr(r.out, "self-check clean"), "%s", r.out);
}

/*
 * Each raise is a trace record and exo stat counts them by event: in
 * spintest guard, the counting handler ran for the three calls its guard
 * let through and handled none; the page-fault handler ran once and
 * resolved the fault (the other raises, guard said no, ran no handler).
 */
Test(spin, stat_counts_raises_handler_runs_and_results)
{
	struct jv *doc = exo_run_json(&r, "stat", "--json", "spinstat",
				      (const char *[]){ "spintest", "guard", NULL });
	const struct jv *ext;
	double lost;

	cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s", r.status, r.err);
	lost = json_num(jv_get(doc, "dropped"), "dropped");
	if (lost != 0) {
		jv_free(doc);
		cr_skip_test("%.0f trace records lost: these counts need them all", lost);
	}
	ext = jv_get(doc, "extensions");
	cr_assert(ext, "no extensions in the stat document");
	cr_assert_eq(json_num(jv_path(ext, "syscall", "handler_runs", NULL), "runs"), 3);
	cr_assert_eq(json_num(jv_path(ext, "syscall", "handled", NULL), "handled"), 0);
	/* Every call while it was attached was raised: 5 null, 3 0x4000, the
	 * counter reads, the drop. */
	cr_assert_geq(json_num(jv_path(ext, "syscall", "raises", NULL), "raises"), 11);
	cr_assert_eq(json_num(jv_path(ext, "pagefault", "handler_runs", NULL), "pf runs"), 1);
	cr_assert_eq(json_num(jv_path(ext, "pagefault", "handled", NULL), "pf handled"), 1);
	cr_assert_eq(json_num(jv_path(doc, "page_faults", "extension", NULL), "pf ext"), 1);
	jv_free(doc);
}

/*
 * An operation's VM exits, less those of the host's own interrupts (which
 * land in an operation in proportion to its length: a load is milliseconds
 * long). Without the exits by reason (no tracefs) a load is not judged.
 */
static void
no_exits_of_its_own(const struct jv *op, const char *name, double exits)
{
	static const char *const host_irq[] = { "intr", "EXTERNAL_INTERRUPT",
						"external_interrupt" };
	const struct jv *by = jv_get(op, "exits_by_reason_per_op"), *v;

	if (by && by->type == JV_OBJECT) {
		for (size_t k = 0; k < sizeof(host_irq) / sizeof(host_irq[0]); k++)
			if ((v = jv_get(by, host_irq[k])) && v->type == JV_NUMBER)
				exits -= v->num;
	} else if (!strncmp(name, "ext_load", 8)) {
		return;
	}
	cr_assert_lt(exits, 0.5, "%s: %g VM exits per op of its own", name, exits);
}

/*
 * exo bench spin measures every operation (each iteration checks its own
 * result: call 0x4000 answers 42, a write fault is resolved or the program
 * fails), and on hardware KVM none of them costs a VM exit: extensions run
 * in the guest's ring 0.
 */
Test(spin, bench_spin_measures_every_operation)
{
	static const char *const names[] = { "null_syscall", "null_syscall_counted",
					     "null_syscall_guard_no", "ext_syscall_add",
					     "ext_syscall_add_guarded", "stlb_fill", "pf_appel",
					     "pf_upcall_rebind", "null_syscall_guards_8",
					     "ext_load_drop", "ext_load_100", "ext_load_1000" };
	struct jv *doc = exo_run_json(&r, "bench", "--json", "benchspin",
				      (const char *[]){ "spin", "--iterations", "50", NULL });
	const struct jv *suite = jv_at(jv_get(doc, "suites"), 0), *ops, *op, *plat;
	size_t n = 0;

	cr_assert_eq(r.status, 0, "exit %d; stderr:\n%s%s", r.status, r.out, r.err);
	plat = jv_get(suite, "platform");
	cr_assert_str_eq(jv_get(suite, "suite")->str, "spin");
	ops = jv_get(suite, "operations");
	for (size_t i = 0; (op = jv_at(ops, i)); i++, n++) {
		const struct jv *exits = jv_path(op, "kvm_per_op", "exits", NULL);

		cr_assert_str_eq(jv_get(op, "name")->str, names[i]);
		cr_assert_eq(json_num(jv_get(op, "samples"), "samples"), 50);
		if (plat && plat->type == JV_STRING && !strcmp(plat->str, "kvm-hw") && exits &&
		    exits->type == JV_NUMBER)
			no_exits_of_its_own(op, names[i], exits->num);
	}
	cr_assert_eq(n, sizeof(names) / sizeof(names[0]));
	jv_free(doc);
}
