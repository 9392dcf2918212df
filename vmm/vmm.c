/*
 * vmm_run: read and check every file, create the VM, lay the boot image out,
 * and run the vCPUs until the kernel exits, crashes or times out. The run loop
 * is one flat switch on the exit reason.
 *
 * vCPU 0 runs on the caller's thread; the others each on a thread of their
 * own, started when the kernel asks (EXO_DOORBELL_START_CPUS). Exits are
 * handled under vm->lock, one at a time. Whoever ends the run (an exit, a
 * crash, a signal) sets vm->stop and kicks every vCPU out of KVM_RUN
 * (immediate_exit, and SIGUSR1 to its thread); vmm_run joins them all before
 * it reports, so a guest that misbehaves on any vCPU ends the run cleanly.
 */
#include "vmm.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/time.h>

#include "elf.h"
#include "jail.h"
#include "layout.h"
#include "machine.h"
#include "vmsignal.h"

static __thread struct vcpu *self_vcpu;

/* Make every vCPU leave KVM_RUN and not enter it again (async-signal-safe). */
void
vmm_kick_all(struct vmm *vm)
{
	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {
		if (vm->kvm.run[i])
			vm->kvm.run[i]->immediate_exit = 1;
		if (vm->vcpus[i].started && &vm->vcpus[i] != self_vcpu)
			pthread_kill(vm->vcpus[i].thread, SIGUSR1);
	}
	if (vm->gdb)
		gdbstub_wake(vm->gdb);      /* parked vCPUs are woken by it */
}

struct vcpu *
vmm_self(struct vmm *vm)
{
	return self_vcpu ? self_vcpu : &vm->vcpus[0];
}

void
vmm_self_set(struct vcpu *c)
{
	self_vcpu = c;
}

void *
vmm_guest_ptr(struct vmm *vm, uint64_t gpa, uint64_t len)
{
	if (gpa > vm->kvm.mem_size || len > vm->kvm.mem_size - gpa)
		return NULL;
	return vm->kvm.mem + gpa;
}

void
vmm_stop(struct vmm *vm, enum vmm_outcome outcome, int status)
{
	if (vm->stop)
		return;
	vm->result.outcome = outcome;
	vm->result.status = status;
	__atomic_store_n(&vm->stop, true, __ATOMIC_RELEASE);
	vmm_kick_all(vm);
}

void
vmm_crash(struct vmm *vm, const char *kind, const struct exo_regs *regs,
	  const char *fmt, ...)
{
	struct exo_regs kr;
	char msg[512];
	va_list ap;
	FILE *f = vm->cfg->report;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!regs) {
		report_kvm_regs(vm, &kr);
		regs = &kr;
	}
	fprintf(stderr, "exo: guest crashed: %s\n", msg);
	report_regs_text(stderr, regs);
	report_where(vm, stderr, "  ", regs);
	if (f) {
		fprintf(f, "{\"event\":\"crash\",\"kind\":\"%s\",\"message\":", kind);
		report_json_str(f, msg, sizeof(msg));
		fputs(",\"regs\":", f);
		report_regs_json(f, regs);
		report_where_json(vm, f, regs);
		fputs("}\n", f);
		fflush(f);
	}
	vmm_stop(vm, VMM_CRASHED, 0);
}

static void
vmm_io(struct vmm *vm, struct kvm_run *run)
{
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	struct device *dev = devices_find(&vm->devices, run->io.port);

	for (uint32_t i = 0; i < run->io.count && !vm->stop; i++, data += run->io.size) {
		if (!dev) {
			/* No device: reads float high, writes vanish, as on a PC. */
			if (!out)
				memset(data, 0xff, run->io.size);
			if (vm->cfg->verbose)
				fprintf(stderr, "exo: guest %s port %#x: no device\n",
					out ? "wrote" : "read", run->io.port);
			continue;
		}
		dev->count++;
		dev->io(vm, dev, run->io.port, out, data, run->io.size);
	}
}

static void
vmm_exit(struct vmm *vm, struct kvm_run *run)
{
	if (run->exit_reason < EXIT_REASONS)
		vm->exits[run->exit_reason]++;
	if (vm->cfg->trace)
		vtrace_exit(vm, vmm_self(vm)->index, run->exit_reason,
			    run->exit_reason == KVM_EXIT_IO ? run->io.port : 0);
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		vmm_io(vm, run);
		break;
	case KVM_EXIT_MMIO:
		vmm_crash(vm, "mmio", NULL, "guest %s %u bytes at physical %#llx, where "
			  "there is neither memory nor a device",
			  run->mmio.is_write ? "wrote" : "read", run->mmio.len,
			  (unsigned long long)run->mmio.phys_addr);
		break;
	case KVM_EXIT_HLT:
		vmm_crash(vm, "halt", NULL, "the kernel halted without exiting");
		break;
	case KVM_EXIT_SHUTDOWN:
		vmm_crash(vm, "triple_fault", NULL, "triple fault (the kernel could not "
			  "handle a fault while handling a fault)");
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vmm_crash(vm, "fail_entry", NULL, "KVM could not enter the guest: "
			  "hardware reason %#llx",
			  (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		vmm_crash(vm, "internal_error", NULL, "KVM internal error, suberror %u%s",
			  run->internal.suberror,
			  run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
			  " (an instruction KVM cannot emulate)" : "");
		break;
	case KVM_EXIT_INTR:
		break;
	case KVM_EXIT_DEBUG:
		if (vm->gdb) {
			gdbstub_debug_exit(vm->gdb, vmm_self(vm), run);
			break;
		}
		if (vm->boot_step.on) {
			bootstep_exit(&vm->boot_step, vm->kvm.vcpu_fd[vmm_self(vm)->index], run);
			break;
		}
		vmm_crash(vm, "debug", NULL, "a debug exit without --gdb or --step-boot");
		return;
	default:
		vmm_crash(vm, "unexpected_exit", NULL, "unexpected KVM exit reason %u",
			  run->exit_reason);
	}
	if (vm->gdb && run->exit_reason != KVM_EXIT_DEBUG)
		gdbstub_exit(vm->gdb, vmm_self(vm));
}

static void
vmm_loop(struct vcpu *c)
{
	struct vmm *vm = c->vm;
	struct kvm_run *run = vm->kvm.run[c->index];
	int fd = vm->kvm.vcpu_fd[c->index];

	self_vcpu = c;
	while (!__atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE)) {
		if (vm->gdb) {
			pthread_mutex_lock(&vm->lock);
			gdbstub_park(vm->gdb, c);
			pthread_mutex_unlock(&vm->lock);
			if (__atomic_load_n(&vm->stop, __ATOMIC_ACQUIRE))
				break;
		}
		if (ioctl(fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				enum vmm_outcome why;

				pthread_mutex_lock(&vm->lock);
				/* Clear, then read the flags: a signal in between
				 * sets it again (vmsignal.h). A stop by another vCPU
				 * is seen by the loop's test of vm->stop. */
				run->immediate_exit = 0;
				__atomic_signal_fence(__ATOMIC_SEQ_CST);
				if (vmsignal_pending(&why))
					vmm_stop(vm, why, 0);
				pthread_mutex_unlock(&vm->lock);
				continue;
			}
			pthread_mutex_lock(&vm->lock);
			vmm_crash(vm, "kvm_run", NULL, "vCPU %u: KVM_RUN failed: %s",
				  c->index, strerror(errno));
			pthread_mutex_unlock(&vm->lock);
			break;
		}
		pthread_mutex_lock(&vm->lock);
		if (!vm->stop)
			vmm_exit(vm, run);
		pthread_mutex_unlock(&vm->lock);
	}
	/* Stopped from outside: keep where it was, for the report. */
	pthread_mutex_lock(&vm->lock);
	if (vm->result.outcome == VMM_TIMEOUT || vm->result.outcome == VMM_INTERRUPTED) {
		report_capture(vm, c);
	}
	pthread_mutex_unlock(&vm->lock);
}

/* With cfg->insn_sample: sample this thread's vCPU's ring-0 instructions
 * (a perf event follows the thread that opens it). */
static void
vmm_insn_open(struct vcpu *c)
{
	struct vmm *vm = c->vm;
	char why[sizeof(vm->result.insn_why)];

	if (!vm->cfg->trace || !vm->cfg->insn_sample)
		return;
	/* Only PVM emulates every ring-0 instruction; on hardware KVM the
	 * stream holds the few KVM decodes (an intercepted instruction), no
	 * measure of the kernel's paths. */
	if (vm->kvm.platform != EXO_PLATFORM_KVM_PVM)
		snprintf(why, sizeof(why), "hardware KVM runs ring 0 natively: "
			 "kvm:kvm_emulate_insn is no instruction stream there");
	else if (insnperf_open(&c->insn, c->index, vm->cfg->trace, why, sizeof(why)) >= 0)
		return;
	pthread_mutex_lock(&vm->lock);
	if (!vm->result.insn_why[0])
		memcpy(vm->result.insn_why, why, sizeof(why));
	pthread_mutex_unlock(&vm->lock);
}

/* For exo bench and --stats on hardware KVM: count this thread's vCPU's exits
 * by reason (on PVM KVM's total is all there is). */
static void
vmm_exits_open(struct vcpu *c)
{
	struct vmm *vm = c->vm;
	char why[sizeof(vm->exits_why)];

	if (!(vm->cfg->bench || vm->cfg->stats) || vm->kvm.platform != EXO_PLATFORM_KVM_HW)
		snprintf(why, sizeof(why), "counted by reason on hardware KVM only");
	else if (exitperf_open(&c->exits, why, sizeof(why)) >= 0)
		return;
	pthread_mutex_lock(&vm->lock);
	if (!vm->exits_why[0])
		memcpy(vm->exits_why, why, sizeof(why));
	pthread_mutex_unlock(&vm->lock);
}

const struct vmm_exits *
vmm_exits_sum(struct vmm *vm)
{
	const struct exitperf *p0 = &vm->vcpus[0].exits;
	unsigned n = __atomic_load_n(&p0->n, __ATOMIC_ACQUIRE);
	struct vmm_exits *e = &vm->mark_exits;

	*e = (struct vmm_exits){ .n = n, .names = p0->names, .why = vm->exits_why };
	for (unsigned i = 0; n && i < vm->kvm.ncpus; i++)
		if (__atomic_load_n(&vm->vcpus[i].exits.n, __ATOMIC_ACQUIRE) == n)
			exitperf_add(&vm->vcpus[i].exits, e->count);
	return e;
}

/* --step-boot: vCPU 0 traps at every instruction until user mode. */
static void
vmm_step_open(struct vcpu *c)
{
	struct vmm *vm = c->vm;
	struct diag d;

	if (bootstep_start(&vm->boot_step, vm->kvm.vcpu_fd[c->index], &d) < 0)
		snprintf(vm->boot_step.why, sizeof(vm->boot_step.why), "%s", d.msg);
}

/* Open what the thread needs for itself, enter the jail, run the vCPU. */
static void *
vmm_vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vmm *vm = c->vm;
	struct diag d;

	vmm_insn_open(c);
	vmm_exits_open(c);
	if (c->index == 0 && vm->cfg->step_boot)
		vmm_step_open(c);
	if (!vm->cfg->no_jail && jail_enter(c->name, &d) < 0) {
		pthread_mutex_lock(&vm->lock);
		vmm_crash(vm, "jail", NULL, "%s", d.msg);
		pthread_mutex_unlock(&vm->lock);
	} else {
		vmm_loop(c);
	}
	if (c->index == 0) {
		pthread_mutex_lock(&vm->lock);
		vm->cpu0_done = true;
		pthread_cond_signal(&vm->wake);
		pthread_mutex_unlock(&vm->lock);
	}
	return NULL;
}

/* Called with vm->lock held, from vCPU 0's doorbell. */
void
vmm_start_cpus(struct vmm *vm)
{
	vm->start_cpus = true;
	pthread_cond_signal(&vm->wake);
}

/* Start vCPUs [from, to) that are not running; with vm->lock held. */
static void
vmm_spawn_cpus(struct vmm *vm, unsigned from, unsigned to)
{
	sigset_t block, old;

	/* The process's signals go to the main thread; vCPUs take kicks. */
	vmsignal_set(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	for (unsigned i = from; i < to; i++) {
		struct vcpu *c = &vm->vcpus[i];

		if (c->started)
			continue;
		if (pthread_create(&c->thread, NULL, vmm_vcpu_thread, c) != 0) {
			vmm_crash(vm, "vcpu_thread", NULL, "cannot start a thread for "
				  "vCPU %u: %s", i, strerror(errno));
			break;
		}
		c->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/*
 * The main thread while the guest runs: start vCPU 0, then the others when
 * it asks, until vCPU 0's loop ends. Signals (--timeout, SIGINT) land here
 * and kick the vCPUs (on_signal).
 */
static void
vmm_supervise(struct vmm *vm)
{
	pthread_mutex_lock(&vm->lock);
	vmm_spawn_cpus(vm, 0, 1);
	while (vm->vcpus[0].started && !vm->cpu0_done) {
		if (vm->start_cpus) {
			vm->start_cpus = false;
			vmm_spawn_cpus(vm, 1, vm->kvm.ncpus);
		} else {
			pthread_cond_wait(&vm->wake, &vm->lock);
		}
	}
	pthread_mutex_unlock(&vm->lock);
}

static void
vmm_join_cpus(struct vmm *vm)
{
	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
		vm->vcpus[i].started = false;
	}
}

/* The loaded files: the kernel and each program, read and checked. */

void
vmm_files_free(struct vmm_files *fl)
{
	free(fl->kdata);
	for (unsigned i = 0; i < fl->nprogs; i++)
		free(fl->pdata[i]);
}

int
vmm_files_load(const struct vmm_config *cfg, struct vmm_files *fl, struct diag *d)
{
	struct elf_limits klim = layout_kernel_limits(cfg->mem_size);
	struct elf_limits ulim = layout_user_limits();
	int r;

	r = elf_read_file(cfg->kernel_path, &fl->kdata, &fl->ksize, d);
	if (r < 0)
		return r;
	r = elf_parse(cfg->kernel_path, fl->kdata, fl->ksize, &klim, &fl->kernel, d);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < cfg->nprogs; i++) {
		const struct vmm_program *p = &cfg->progs[i];
		size_t size;

		r = elf_read_file(p->path, &fl->pdata[i], &size, d);
		if (r < 0)
			return r;
		fl->nprogs++;
		r = elf_parse(p->path, fl->pdata[i], size, &ulim, &fl->progs[i].img, d);
		if (r < 0)
			return r;
		fl->progs[i].name = p->name;
		fl->progs[i].argc = p->argc;
		fl->progs[i].argv = p->argv;
		fl->progs[i].sigma0 = p->sigma0;
	}
	return 0;
}

static int
vmm_conin_signal(void *arg, uint32_t vector)
{
	struct vmm *vm = arg;

	return kvm_signal_msi(&vm->kvm, vector);
}

/* Console input: the I/O thread reads it and interrupts the guest by MSI. */
static int
vmm_input_setup(struct vmm *vm, struct diag *d)
{
	if (!vm->kvm.x2apic || !vm->kvm.msi)
		return diag_fail(d, ENODEV, "--input %s: this KVM cannot interrupt the "
				 "guest (it lacks %s); run without --input",
				 vm->cfg->input, !vm->kvm.x2apic ?
				 "an in-kernel interrupt controller, KVM_CAP_IRQCHIP" :
				 "KVM_CAP_SIGNAL_MSI");
	conin_set_signal(&vm->conin, vmm_conin_signal, vm);
	conin_start(&vm->conin, vm->io.loop);
	return 0;
}

static int
vmm_setup(struct vmm *vm, struct vmm_files *fl, struct diag *d)
{
	const struct vmm_config *cfg = vm->cfg;
	struct boot_layout bl;
	int r;

	if (cfg->input) {
		r = conin_open(&vm->conin, cfg->input, d);
		if (r < 0)
			return r;
	}
	r = vmm_files_load(cfg, fl, d);
	if (r < 0)
		return r;
	r = kvm_vm_create(&vm->kvm, cfg->kvm_path, cfg->mem_size, cfg->ncpus, d);
	if (r < 0)
		return r;
	if (cfg->input || cfg->trace) {
		r = iothread_init(&vm->io, d);
		if (r < 0)
			return r;
	}
	if (cfg->input) {
		r = vmm_input_setup(vm, d);
		if (r < 0)
			return r;
	}
	if (cfg->trace)
		vtrace_start(vm);
	r = layout_build(vm->kvm.mem, vm->kvm.mem_size, vm->kvm.platform,
			 vm->kvm.tsc_khz, &fl->kernel, fl->progs, fl->nprogs,
			 cfg->cmdline, &bl, d);
	if (r < 0)
		return r;
	/* The boot protocol's CPU count (the kernel starts the others). */
	((struct exo_bootinfo *)(vm->kvm.mem + EXO_BOOTINFO_PA))->ncpus = vm->kvm.ncpus;
	r = hostdev_register(vm, d);
	if (r < 0)
		return r;
	if (cfg->gdb) {
		r = gdbstub_open(vm, cfg->gdb, cfg->gdb_wait, &vm->gdb, d);
		if (r < 0)
			return r;
	}
	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {
		vm->vcpus[i].vm = vm;
		vm->vcpus[i].index = i;
		snprintf(vm->vcpus[i].name, sizeof(vm->vcpus[i].name), "vCPU %u", i);
		if (stats_open(&vm->vcpus[i].stats, vm->kvm.kvm_fd,
			       vm->kvm.vcpu_fd[i]) < 0 && cfg->stats && i == 0)
			fprintf(stderr, "exo: KVM binary statistics: not available on this "
				"host (no KVM_GET_STATS_FD); counts below will be -1\n");
	}
	return kvm_vcpu_boot(&vm->kvm, &bl, d);
}

/* Each vCPU's sampled instruction stream, and their sum (-1: none). */
static void
vm_insn_result(struct vmm *vm)
{
	struct vmm_result *r = &vm->result;

	r->insn_sampled = -1;
	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {
		const struct insnperf *p = &vm->vcpus[i].insn;

		if (p->fd < 0)
			continue;
		r->cpu_insn_sampled[i] = (int64_t)p->seen;
		r->cpu_insn_lost[i] = p->lost;
		r->cpu_insn_failed[i] = p->failed;
		r->insn_sampled = (r->insn_sampled < 0 ? 0 : r->insn_sampled) +
				  (int64_t)p->seen;
		r->insn_lost += p->lost;
	}
}

int
vmm_mem_check(uint64_t mem_size, struct diag *d)
{
	if (mem_size >= VMM_MEM_MIN && mem_size <= VMM_MEM_MAX &&
	    mem_size % VMM_MEM_ALIGN == 0)
		return 0;
	return diag_fail(d, EINVAL, "guest memory must be a multiple of %lluM from "
			 "%lluM to %lluM (this is %llu bytes); write e.g. --mem 64M",
			 VMM_MEM_ALIGN >> 20, VMM_MEM_MIN >> 20, VMM_MEM_MAX >> 20,
			 (unsigned long long)mem_size);
}

int
vmm_config_check(const struct vmm_config *cfg, struct diag *d)
{
	int r = vmm_mem_check(cfg->mem_size, d);

	if (r < 0)
		return r;
	if (cfg->ncpus < 1 || cfg->ncpus > EXO_MAX_CPUS)
		return diag_fail(d, EINVAL, "%u vCPUs: exo runs 1 to %d", cfg->ncpus,
				 EXO_MAX_CPUS);
	if (cfg->nprogs > EXO_MAX_MODULES)
		return diag_fail(d, EINVAL, "%u programs: exo boots at most %d at once",
				 cfg->nprogs, EXO_MAX_MODULES);
	if (!(cfg->timeout >= 0))
		return diag_fail(d, EINVAL, "a --timeout below 0 seconds");
	return 0;
}

int
vmm_run(const struct vmm_config *cfg, struct vmm_result *res, struct diag *d)
{
	struct vmm_files fl = { 0 };
	struct vmm *vm;
	int r;

	/* Before any file is opened or memory mapped. */
	r = vmm_config_check(cfg, d);
	if (r < 0)
		return r;
	if (exo_platform_in_process(cfg->platform)) {
		if (!hosted_run)
			return diag_fail(d, ENOSYS, "this program has no hosted platform; "
					 "use exo");
		return hosted_run(cfg, res, d);
	}
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return diag_fail(d, ENOMEM, "out of memory");
	vm->cfg = cfg;
	vm->kvm = (struct kvm_vm){ .kvm_fd = -1, .vm_fd = -1 };
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++) {
		vm->kvm.vcpu_fd[i] = -1;
		vm->vcpus[i].stats.fd = -1;
	}
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
		vm->vcpus[i].insn.fd = -1;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_cond_init(&vm->wake, NULL);
	vm->boot_insns = -1;
	conin_init(&vm->conin);
	vm->nprogs = cfg->nprogs;
	for (unsigned i = 0; i < cfg->nprogs; i++)
		snprintf(vm->names[i], EXO_NAME_MAX, "%s", cfg->progs[i].name);
	clock_gettime(CLOCK_MONOTONIC, &vm->t_start);

	if (!cfg->no_jail)
		jail_prepare();
	r = vmm_setup(vm, &fl, d);
	if (r < 0)
		goto out;
	if (cfg->input || cfg->trace) {
		vm->io.jail = !cfg->no_jail;
		r = iothread_start(&vm->io, d);
		if (r < 0)
			goto out;
	}
	if (vm->gdb) {
		r = gdbstub_start(vm->gdb, d);
		if (r < 0)
			goto out;
	}
	r = vmsignal_arm(vm, cfg->timeout, d);
	if (r < 0)
		goto out;
	report_boot(vm);
	vmm_supervise(vm);
	vmm_stop(vm, VMM_CRASHED, 0);   /* no-op unless vCPU 0 left without a stop */
	vmm_join_cpus(vm);
	self_vcpu = NULL;
	iothread_stop(&vm->io);     /* the guest has ended: no more input */
	vtrace_finish(vm);          /* what the last drain did not see */
	vmsignal_disarm();
	clock_gettime(CLOCK_MONOTONIC, &vm->t_end);
	report_end(vm);
	if (cfg->stats)
		report_stats(vm);
	if (cfg->step_boot)
		bootstep_print(&vm->boot_step, vm, stderr, cfg->report);
	bootstep_free(&vm->boot_step);
	vm->result.platform = vm->kvm.platform;
	vm->result.insn_emulation = -1;
	vm->result.ncpus = vm->kvm.ncpus;
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
		vm->result.cpu_insn_emulation[i] = vm->result.cpu_insn_sampled[i] = -1;
	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {   /* ring-0 work of every vCPU */
		if (stats_read(&vm->vcpus[i].stats) < 0)
			continue;
		vm->result.cpu_insn_emulation[i] =
			stats_get(&vm->vcpus[i].stats, "insn_emulation");
		vm->result.insn_emulation = (vm->result.insn_emulation < 0 ? 0 :
					     vm->result.insn_emulation) +
			vm->result.cpu_insn_emulation[i];
	}
	for (unsigned i = 0; i < EXIT_REASONS; i++)
		vm->result.exits += vm->exits[i];
	vm_insn_result(vm);
	r = ioctl(vm->kvm.vcpu_fd[0], KVM_GET_TSC_KHZ, 0);
	vm->result.tsc_khz = r > 0 ? (uint64_t)r : 0;
	r = 0;
	*res = vm->result;
out:
	free(vm->bench_buf);
	free(vm->mark_sum.data);
	backing_free(&vm->backing);
	iothread_stop(&vm->io);
	conin_close(&vm->conin);
	vmm_stop(vm, VMM_CRASHED, 0);
	vmm_join_cpus(vm);
	/* The signal handlers are gone: nothing wakes the stub any more. */
	gdbstub_close(vm->gdb);
	vm->gdb = NULL;
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
		stats_close(&vm->vcpus[i].stats);
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++) {
		insnperf_close(&vm->vcpus[i].insn);
		exitperf_close(&vm->vcpus[i].exits);
	}
	kvm_vm_destroy(&vm->kvm);
	vmm_files_free(&fl);
	pthread_mutex_destroy(&vm->lock);
	pthread_cond_destroy(&vm->wake);
	free(vm);
	return r;
}
