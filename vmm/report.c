/*
 * What a run tells its users. Every event is one JSON object on one line of
 * the --report file ({"event":"...", ...}), for tests and tools; the same
 * events are sentences on stderr for people.
 */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>

#include <exo/exo.h>
#include <exo/vectors.h>

#include "machine.h"

static const char *const vector_names[EXO_NVECTORS] = EXO_VECTOR_NAMES;

static const char *const outcome_names[] = {
	[VMM_EXITED] = "exited", [VMM_TIMEOUT] = "timeout",
	[VMM_CRASHED] = "crashed", [VMM_INTERRUPTED] = "interrupted",
};

static const char *const exit_names[EXIT_REASONS] = {
	[KVM_EXIT_UNKNOWN] = "unknown", [KVM_EXIT_EXCEPTION] = "exception",
	[KVM_EXIT_IO] = "io", [KVM_EXIT_HYPERCALL] = "hypercall",
	[KVM_EXIT_DEBUG] = "debug", [KVM_EXIT_HLT] = "hlt", [KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open", [KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_FAIL_ENTRY] = "fail_entry", [KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_INTERNAL_ERROR] = "internal_error",
	[KVM_EXIT_SYSTEM_EVENT] = "system_event",
};

const char *
report_vector_name(uint64_t v)
{
	return v < EXO_NVECTORS ? vector_names[v] : "?";
}

static const char *
platform_name(uint32_t p)
{
	return exo_platform_name(p);
}

/* A JSON string of at most max bytes of s (which need not be terminated). */
void
report_json_str(FILE *f, const char *s, size_t max)
{
	fputc('"', f);
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static const char *const reg_names[] = {
	"r15", "r14", "r13", "r12", "r11", "r10", "r9", "r8", "rbp", "rdi", "rsi",
	"rdx", "rcx", "rbx", "rax", "vector", "error", "rip", "cs", "rflags", "rsp",
	"ss", "cr2", "cr3",
};
_Static_assert(sizeof(reg_names) / sizeof(reg_names[0]) ==
	       sizeof(struct exo_regs) / 8, "a name for every register");

void
report_regs_json(FILE *f, const struct exo_regs *r)
{
	const uint64_t *v = (const uint64_t *)r;

	fputc('{', f);
	for (size_t i = 0; i < sizeof(*r) / 8; i++)
		fprintf(f, "%s\"%s\":\"%#llx\"", i ? "," : "", reg_names[i],
			(unsigned long long)v[i]);
	fputc('}', f);
}

void
report_regs_text(FILE *f, const struct exo_regs *r)
{
	const uint64_t *v = (const uint64_t *)r;

	for (size_t i = 0; i < sizeof(*r) / 8; i++)
		fprintf(f, "  %-6s %016llx%s", reg_names[i], (unsigned long long)v[i],
			i % 4 == 3 ? "\n" : "");
}

static bool
report_name(struct vmm *vm, uint64_t addr, char *buf, size_t len)
{
	const struct vmm_namer *n = vm->cfg->namer;

	if (n)
		return n->name(n->ctx, addr, buf, len);
	snprintf(buf, len, "%#llx", (unsigned long long)addr);
	return false;
}

/* ,"where":"kernel:function+0xoff" (the namer's name of rip, or its hex). */
void
report_where_json(struct vmm *vm, FILE *f, const struct exo_regs *r)
{
	char name[160];

	report_name(vm, r->rip, name, sizeof(name));
	fputs(",\"where\":", f);
	report_json_str(f, name, sizeof(name));
}

/* Return addresses are not told from other words that point into the
 * kernel's text (the kernel keeps no frame pointers: each would cost a
 * ring-0 instruction on PVM); so many are shown, from rsp up, marked "?". */
#define WHERE_STACK_BYTES 2048
#define WHERE_FRAMES      12

void
report_where(struct vmm *vm, FILE *f, const char *indent, const struct exo_regs *r)
{
	char name[160];
	bool kernel = (r->cs & 3) == 0 && r->rip >= EXO_KERNEL_BASE;
	unsigned shown = 0;

	report_name(vm, r->rip, name, sizeof(name));
	fprintf(f, "%srip %s (ring %llu)\n", indent, name, (unsigned long long)(r->cs & 3));
	if (!kernel || r->rsp < EXO_KERNEL_BASE || (r->rsp & 7))
		return;
	uint64_t gpa = r->rsp - EXO_KERNEL_BASE;
	uint64_t len = WHERE_STACK_BYTES - (gpa & (WHERE_STACK_BYTES - 1));
	const uint64_t *w = vmm_guest_ptr(vm, gpa, len);

	for (uint64_t i = 0; w && i < len / 8 && shown < WHERE_FRAMES; i++) {
		if (w[i] < EXO_KERNEL_BASE || !report_name(vm, w[i], name, sizeof(name)))
			continue;
		fprintf(f, "%s  ? %s (stack +%#llx)\n", indent, name, (unsigned long long)(i * 8));
		shown++;
	}
}

#define MSR_TSC          0x10
#define MSR_TSC_DEADLINE 0x6e0
#define APIC_ISR         0x100
#define APIC_IRR         0x200
#define APIC_LVT_TIMER   0x320

void
report_capture(struct vmm *vm, struct vcpu *c)
{
	int fd = vm->kvm.vcpu_fd[c->index];
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[2];
	} m = { .h.nmsrs = 2, .e = { { .index = MSR_TSC }, { .index = MSR_TSC_DEADLINE } } };

	report_kvm_regs(vm, &c->last);
	c->have_last = true;
	if (ioctl(fd, KVM_GET_LAPIC, &c->apic) < 0 || ioctl(fd, KVM_GET_MSRS, &m) != 2)
		return;
	c->tsc = m.e[0].data;
	c->tsc_deadline = m.e[1].data;
	c->have_apic = true;
}

static uint32_t
apic_reg(const struct kvm_lapic_state *a, unsigned off)
{
	uint32_t v;

	memcpy(&v, a->regs + off, sizeof(v));
	return v;
}

/* The vectors set in a 256-bit APIC register (ISR, IRR): "none" or "236 239". */
static void
apic_vectors(FILE *f, const struct kvm_lapic_state *a, unsigned base)
{
	bool any = false;

	for (unsigned v = 0; v < 256; v++)
		if (apic_reg(a, base + (v / 32) * 16) >> (v % 32) & 1) {
			fprintf(f, " %u", v);
			any = true;
		}
	if (!any)
		fputs(" none", f);
}

/* The timer as the vCPU's APIC had it when the run was stopped. */
static void
report_timer(struct vmm *vm, FILE *f, const char *indent, const struct vcpu *c)
{
	uint32_t lvt = apic_reg(&c->apic, APIC_LVT_TIMER);
	uint64_t khz = vm->result.tsc_khz;

	fprintf(f, "%sAPIC timer: vector %u%s, mode %s; TSC deadline ", indent, lvt & 0xff,
		lvt >> 16 & 1 ? " (masked)" : "",
		(const char *[]){ "one-shot", "periodic", "TSC-deadline", "?" }[lvt >> 17 & 3]);
	if (!c->tsc_deadline)
		fputs("not armed", f);
	else if (c->tsc_deadline <= c->tsc)
		fprintf(f, "passed %llu cycles ago", (unsigned long long)(c->tsc - c->tsc_deadline));
	else if (khz)
		fprintf(f, "in %.1f us", (double)(c->tsc_deadline - c->tsc) * 1000.0 / (double)khz);
	else
		fprintf(f, "in %llu cycles", (unsigned long long)(c->tsc_deadline - c->tsc));
	fputs("; in service:", f);
	apic_vectors(f, &c->apic, APIC_ISR);
	fputs("; requested:", f);
	apic_vectors(f, &c->apic, APIC_IRR);
	fputc('\n', f);
}

/* The vCPU's registers in exo's order (vector/error unknown: zero). */
void
report_kvm_regs(struct vmm *vm, struct exo_regs *r)
{
	struct kvm_regs k;
	struct kvm_sregs s;

	memset(r, 0, sizeof(*r));
	int fd = vm->kvm.vcpu_fd[vmm_self(vm)->index];

	if (ioctl(fd, KVM_GET_REGS, &k) < 0 || ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return;
	*r = (struct exo_regs){
		.r15 = k.r15, .r14 = k.r14, .r13 = k.r13, .r12 = k.r12, .r11 = k.r11,
		.r10 = k.r10, .r9 = k.r9, .r8 = k.r8, .rbp = k.rbp, .rdi = k.rdi,
		.rsi = k.rsi, .rdx = k.rdx, .rcx = k.rcx, .rbx = k.rbx, .rax = k.rax,
		.rip = k.rip, .cs = s.cs.selector, .rflags = k.rflags, .rsp = k.rsp,
		.ss = s.ss.selector, .cr2 = s.cr2, .cr3 = s.cr3,
	};
}

void
report_boot(struct vmm *vm)
{
	FILE *f = vm->cfg->report;
	const struct kvm_vm *k = &vm->kvm;

	if (vm->cfg->verbose)
		fprintf(stderr, "exo: booting %s on %s with %llu MiB, %u program(s); "
			"TSC %llu kHz; %s\n", vm->cfg->kernel_path,
			platform_name(k->platform), (unsigned long long)(k->mem_size >> 20),
			vm->nprogs, (unsigned long long)k->tsc_khz,
			exo_platform_in_process(k->platform) ? "the kernel in this process" :
			!k->x2apic ? "no interrupt controller (no KVM_CAP_IRQCHIP)" :
			k->tsc_deadline ? "x2APIC with TSC-deadline timer" :
			"x2APIC, one-shot timer (no KVM_CAP_TSC_DEADLINE_TIMER)");
	if (!f)
		return;
	fprintf(f, "{\"event\":\"boot\",\"platform\":\"%s\",\"mem\":%llu,"
		"\"tsc_khz\":%llu,\"x2apic\":%s,\"tsc_deadline\":%s,\"programs\":[",
		platform_name(k->platform), (unsigned long long)k->mem_size,
		(unsigned long long)k->tsc_khz, k->x2apic ? "true" : "false",
		k->tsc_deadline ? "true" : "false");
	for (unsigned i = 0; i < vm->nprogs; i++) {
		fputs(i ? "," : "", f);
		report_json_str(f, vm->names[i], EXO_NAME_MAX);
	}
	fputs("]}\n", f);
	fflush(f);
}

void
report_program(struct vmm *vm, const struct exo_event *ev)
{
	static const char *const kinds[] = {
		[EXO_EV_PROGRAM_EXIT] = "program_exit",
		[EXO_EV_PROGRAM_FAULT] = "program_fault",
		[EXO_EV_PROGRAM_ERROR] = "program_error",
		[EXO_EV_PROGRAM_DEADLOCK] = "program_deadlock",
		[EXO_EV_PROGRAM_ABORT] = "program_abort",
	};
	const char *name = vm->names[ev->module];
	FILE *f = vm->cfg->report;

	if (ev->kind == EXO_EV_PROGRAM_FAULT)
		fprintf(stderr, "exo: program %s (#%u) killed: %s (vector %llu) at "
			"address %#llx, rip %#llx, error %#llx\n", name, ev->module,
			report_vector_name(ev->vector), (unsigned long long)ev->vector,
			(unsigned long long)ev->addr, (unsigned long long)ev->rip,
			(unsigned long long)ev->error);
	else if (ev->kind == EXO_EV_PROGRAM_ERROR)
		fprintf(stderr, "exo: program %s (#%u) could not start: kernel error "
			"%lld\n", name, ev->module, (long long)ev->status);
	else if (ev->kind == EXO_EV_PROGRAM_DEADLOCK)
		fprintf(stderr, "exo: program %s (#%u) ended: every thread is blocked "
			"for ever (deadlock)\n", name, ev->module);
	else if (ev->kind == EXO_EV_PROGRAM_ABORT)
		fprintf(stderr, "exo: program %s (#%u) aborted: an environment of it "
			"overran its time slice %d times in a row\n", name, ev->module,
			EXO_SLICE_STRIKES);
	else if (vm->cfg->verbose)
		fprintf(stderr, "exo: program %s (#%u) exited with status %lld\n",
			name, ev->module, (long long)ev->status);
	if (!f)
		return;
	fprintf(f, "{\"event\":\"%s\",\"index\":%u,\"program\":", kinds[ev->kind], ev->module);
	report_json_str(f, name, EXO_NAME_MAX);
	fprintf(f, ",\"status\":%lld", (long long)ev->status);
	if (ev->kind == EXO_EV_PROGRAM_FAULT)
		fprintf(f, ",\"vector\":%llu,\"fault\":\"%s\",\"error\":%llu,"
			"\"addr\":\"%#llx\",\"rip\":\"%#llx\"",
			(unsigned long long)ev->vector, report_vector_name(ev->vector),
			(unsigned long long)ev->error, (unsigned long long)ev->addr,
			(unsigned long long)ev->rip);
	fputs("}\n", f);
	fflush(f);
}

void
report_end(struct vmm *vm)
{
	FILE *f = vm->cfg->report;

	bool stopped = vm->result.outcome == VMM_TIMEOUT ||
		       vm->result.outcome == VMM_INTERRUPTED;

	if (vm->result.outcome == VMM_TIMEOUT)
		fprintf(stderr, "exo: guest still running after --timeout %g s: stopped\n",
			vm->cfg->timeout);
	else if (vm->result.outcome == VMM_INTERRUPTED)
		fprintf(stderr, "exo: interrupted: guest stopped\n");
	for (unsigned i = 0; stopped && i < vm->kvm.ncpus; i++) {
		const struct vcpu *c = &vm->vcpus[i];

		if (!c->have_last)
			continue;
		fprintf(stderr, "  vCPU %u was at:\n", i);
		report_where(vm, stderr, "    ", &c->last);
		if (c->have_apic)
			report_timer(vm, stderr, "    ", c);
	}
	if (!f)
		return;
	fprintf(f, "{\"event\":\"end\",\"outcome\":\"%s\",\"status\":%d",
		outcome_names[vm->result.outcome], vm->result.status);
	unsigned n = 0;

	for (unsigned i = 0; stopped && i < vm->kvm.ncpus; i++) {
		char name[160];

		if (!vm->vcpus[i].have_last)
			continue;
		report_name(vm, vm->vcpus[i].last.rip, name, sizeof(name));
		fprintf(f, "%s{\"cpu\":%u,\"rip\":\"%#llx\",\"at\":", n++ ? "," : ",\"where\":[",
			i, (unsigned long long)vm->vcpus[i].last.rip);
		report_json_str(f, name, sizeof(name));
		fputc('}', f);
	}
	fputs(n ? "]}\n" : "}\n", f);
	fflush(f);
}

static double
seconds(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/*
 * The exits KVM handled without the VMM (hardware KVM, where exitperf
 * counts them): most of a run's exits, which the list above never sees.
 */
static void
report_kvm_exits(struct vmm *vm)
{
	const struct vmm_exits *e = vmm_exits_sum(vm);
	int64_t listed = 0, all = 0;

	if (!e->n) {
		if (vm->kvm.platform == EXO_PLATFORM_KVM_HW && vm->exits_why[0])
			fprintf(stderr, "  VM exits KVM handled itself: not counted (%s)\n",
				vm->exits_why);
		return;
	}
	fprintf(stderr, "  every VM exit by reason, KVM's own included (kvm:kvm_exit):\n");
	for (unsigned k = 0; k < e->n; k++) {
		if (e->count[k])
			fprintf(stderr, "    %-28s %lld\n", e->names[k], (long long)e->count[k]);
		listed += e->count[k];
	}
	for (unsigned i = 0; i < vm->kvm.ncpus; i++)
		all += stats_get(&vm->vcpus[i].stats, "exits");
	if (all > listed)
		fprintf(stderr, "    %-28s %lld\n", "other (KVM's exits statistic)",
			(long long)(all - listed));
}

void
report_stats(struct vmm *vm)
{
	bool pvm = vm->kvm.platform == EXO_PLATFORM_KVM_PVM;
	bool hosted = exo_platform_in_process(vm->kvm.platform);
	int64_t total = 0, per[EXO_MAX_CPUS];
	FILE *f = vm->cfg->report;
	struct kvm_stats *s0 = &vm->vcpus[0].stats;

	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {
		if (stats_read(&vm->vcpus[i].stats) < 0 && i == 0 && !hosted)
			fprintf(stderr, "exo: KVM binary statistics: not available on this host\n");
		per[i] = stats_get(&vm->vcpus[i].stats, "insn_emulation");
		total = per[i] < 0 || total < 0 ? -1 : total + per[i];
	}
	fprintf(stderr, "exo: statistics (%s)\n", platform_name(vm->kvm.platform));
	fprintf(stderr, "  wall time %.3f s, to the first user instruction %.3f s\n",
		seconds(&vm->t_start, &vm->t_end),
		vm->first_user ? seconds(&vm->t_start, &vm->t_first_user) : 0.0);
	if (hosted)
		fprintf(stderr, "  ring-0 instructions: none to count (the kernel runs in "
			"this process; -1 in the report)\n");
	else
		fprintf(stderr, "  %s: %lld to the first user instruction, %lld in all\n",
			pvm ? "ring-0 instructions (exact on PVM: insn_emulation)"
			    : "emulated instructions (insn_emulation; ring 0 runs natively here)",
			(long long)vm->boot_insns, (long long)total);
	if (vm->kvm.ncpus > 1) {
		fprintf(stderr, "  per vCPU:");
		for (unsigned i = 0; i < vm->kvm.ncpus; i++)
			fprintf(stderr, " %u: %lld", i, (long long)per[i]);
		fputc('\n', stderr);
	}
	if (vm->conin.path)
		fprintf(stderr, "  console input: %llu bytes read, %llu interrupts sent\n",
			(unsigned long long)vm->conin.bytes,
			(unsigned long long)vm->conin.msis);
	if (!hosted)
		fprintf(stderr, "  VM exits to the VMM by reason:\n");
	for (int i = 0; i < EXIT_REASONS; i++)
		if (vm->exits[i])
			fprintf(stderr, "    %-28s %llu\n", exit_names[i] ? exit_names[i] : "?",
				(unsigned long long)vm->exits[i]);
	report_kvm_exits(vm);
	fprintf(stderr, "  device accesses:\n");
	for (unsigned i = 0; i < vm->devices.n; i++)
		fprintf(stderr, "    %-28s %llu\n", vm->devices.dev[i]->name,
			(unsigned long long)vm->devices.dev[i]->count);
	if (!hosted) {
		fprintf(stderr, "  KVM vCPU 0 statistics (non-zero):\n");
		stats_print(s0, stderr, "    ");
	}
	if (!f)
		return;
	fprintf(f, "{\"event\":\"stats\",\"platform\":\"%s\",\"wall_s\":%.6f,"
		"\"first_user_s\":%.6f,"
		"\"boot_ring0_insns\":%lld,\"ring0_insns\":%lld,\"input_bytes\":%llu,"
		"\"input_irqs\":%llu,",
		platform_name(vm->kvm.platform), seconds(&vm->t_start, &vm->t_end),
		vm->first_user ? seconds(&vm->t_start, &vm->t_first_user) : -1.0,
		(long long)vm->boot_insns, (long long)total,
		(unsigned long long)vm->conin.bytes, (unsigned long long)vm->conin.msis);
	fprintf(f, "\"cpus\":%u,\"ring0_insns_per_cpu\":[", vm->kvm.ncpus);
	for (unsigned i = 0; i < vm->kvm.ncpus; i++)
		fprintf(f, "%s%lld", i ? "," : "", (long long)per[i]);
	fputs("],\"exits\":{", f);
	for (int i = 0, n = 0; i < EXIT_REASONS; i++)
		if (vm->exits[i])
			fprintf(f, "%s\"%s\":%llu", n++ ? "," : "",
				exit_names[i] ? exit_names[i] : "?",
				(unsigned long long)vm->exits[i]);
	fputs("},\"devices\":{", f);
	for (unsigned i = 0; i < vm->devices.n; i++)
		fprintf(f, "%s\"%s\":%llu", i ? "," : "", vm->devices.dev[i]->name,
			(unsigned long long)vm->devices.dev[i]->count);
	fputs("},\"kvm\":{", f);
	stats_print_json(s0, f);
	fputs("}}\n", f);
	fflush(f);
}
