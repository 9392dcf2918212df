/*
 * exo run on the hosted platform: the kernel and programs laid out in a
 * memfd as the VMM lays them out in guest memory (vmm/layout.c), the
 * kernel core entered in this process (kmain), the VMM's devices and
 * reports reused through a struct vmm with no KVM in it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <exo/layout.h>

#include "../vmm/machine.h"
#include "hosted.h"
#include "ptrace_probe.h"

/* The kernel's private pages after its memory: control and register pages
 * (sparse: only those used take memory). */
#define PRIVATE_BYTES (1ULL << 30)

__attribute__((noreturn)) void kmain(const struct exo_bootinfo *bi);

static int
refuse(const struct vmm_config *cfg, struct diag *d)
{
	if (cfg->ncpus < 1 || cfg->ncpus > EXO_MAX_CPUS)
		return diag_fail(d, EINVAL, "--cpus %u: the hosted platform runs 1 to %u "
				 "CPUs", cfg->ncpus, EXO_MAX_CPUS);
	if (!hosted_cpus_possible() && cfg->ncpus > 1)
		return diag_fail(d, ENOTSUP, "--cpus %u: several CPUs on the hosted platform "
				 "need futex_waitv (Linux 5.16 or later); this kernel has "
				 "none: use --cpus 1", cfg->ncpus);
	if (cfg->gdb || cfg->step_boot)
		return diag_fail(d, ENOTSUP, "--gdb and --step-boot drive a vCPU: the "
				 "hosted platform has none; use --platform kvm");
	return 0;
}

/*
 * Every space maps the KIP at EXO_USER_KIP (0xe000, <exo/layout.h>), below
 * the 64 KiB Linux keeps unmappable by default (vm.mmap_min_addr); root
 * (CAP_SYS_RAWIO) may map there anyway.
 */
static int
low_pages(struct diag *d)
{
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	unsigned long min = 0;
	int n = f ? fscanf(f, "%lu", &min) : 0;

	if (f)
		fclose(f);
	if (n == 1 && min > EXO_USER_KIP && geteuid() != 0)
		return diag_fail(d, EPERM, "the hosted platform maps the kernel interface "
				 "page at %#llx, below vm.mmap_min_addr (%lu) here: run "
				 "exo as root, or lower it (sysctl -w vm.mmap_min_addr=%llu)",
				 (unsigned long long)EXO_USER_KIP, min,
				 (unsigned long long)EXO_USER_KIP & ~0xfffULL);
	return 0;
}

static int
stub_path(char *buf, size_t len, struct diag *d)
{
	char exe[PATH_MAX - 16];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n < 0)
		return diag_fail(d, errno, "cannot find the exo binary: %s", strerror(errno));
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%s/exo-stub", exe);
	if (access(buf, X_OK) < 0)
		return diag_fail(d, errno, "%s: %s; build it (it is built beside exo)",
				 buf, strerror(errno));
	return 0;
}

static int
memory(const struct vmm_config *cfg, struct diag *d)
{
	hosted.mem_size = cfg->mem_size;
	hosted.total = cfg->mem_size + PRIVATE_BYTES;
	hosted.memfd = memfd_create("exo-physical", MFD_CLOEXEC);
	if (hosted.memfd < 0 || ftruncate(hosted.memfd, (off_t)hosted.total) < 0)
		return diag_fail(d, errno, "memory: a memfd of %llu MiB: %s; give a "
				 "smaller --mem", (unsigned long long)(hosted.total >> 20),
				 strerror(errno));
	hosted.mem = mmap(NULL, hosted.total, PROT_READ | PROT_WRITE, MAP_SHARED,
			  hosted.memfd, 0);
	if (hosted.mem == MAP_FAILED)
		return diag_fail(d, errno, "memory: mapping %llu MiB: %s; give a "
				 "smaller --mem", (unsigned long long)(hosted.total >> 20),
				 strerror(errno));
	hosted.priv_next = cfg->mem_size;
	hosted.scratch_pa = hosted_priv_alloc();
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	hosted.signalled = 1;
}

/* SIGINT, SIGTERM, SIGHUP end the run as on kvm (exit 130), with the
 * stub processes killed and reaped first. */
static void
signals_catch(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
}

static void
teardown(void)
{
	for (unsigned i = 0; i < HSPACES_MAX; i++)
		if (hosted.spaces[i].used)
			hosted_space_kill(&hosted.spaces[i]);
	if (hosted.mem && hosted.mem != MAP_FAILED)
		munmap(hosted.mem, hosted.total);
	if (hosted.memfd > 0)
		close(hosted.memfd);
}

int
hosted_run(const struct vmm_config *cfg, struct vmm_result *res, struct diag *d)
{
	static char stub[PATH_MAX + 16];
	static struct vmm_files fl;
	struct boot_layout bl;
	struct vmm *vm;
	int r;

	static bool booted;

	/* The core's state is this process's statics: one boot per process. */
	if (booted)
		return diag_fail(d, ENOTSUP, "the hosted platform boots once per exo "
				 "process (its kernel core is the process's own state); "
				 "boot again in a new process, as exo bench does");
	r = refuse(cfg, d);
	if (r < 0)
		return r;
	if (cfg->platform == EXO_PLATFORM_PTRACE) {
		r = ptrace_probe();
		if (r < 0)
			return diag_fail(d, -r, "--platform ptrace: this host does not let exo "
					 "trace its own processes (ptrace: %s; Yama's "
					 "kernel.yama.ptrace_scope 3, or a container without "
					 "CAP_SYS_PTRACE); use --platform hosted", strerror(-r));
		/* Not a refusal: what it reveals is the host's clock and CPU
		 * number, and only the host's boot options close it. */
		if (ptrace_vsyscall_open())
			fprintf(stderr, "exo: --platform ptrace: this host's vsyscall page is "
				"executable (vsyscall=xonly): Linux answers a program's call "
				"there (the host's time, its CPU number) unseen by ptrace; "
				"boot the host with vsyscall=none, or use --platform hosted, "
				"where seccomp sees it\n");
		hosted.ptrace = true;
	}
	booted = true;
	r = stub_path(stub, sizeof(stub), d);
	if (r == 0)
		r = low_pages(d);
	if (r < 0)
		return r;
	hosted.stub_path = stub;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return diag_fail(d, ENOMEM, "out of memory");
	vm->cfg = cfg;
	vm->kvm = (struct kvm_vm){ .kvm_fd = -1, .vm_fd = -1, .ncpus = cfg->ncpus,
				   .platform = cfg->platform };
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++) {
		vm->kvm.vcpu_fd[i] = -1;
		vm->vcpus[i].stats.fd = -1;
		vm->vcpus[i].insn.fd = -1;
	}
	pthread_mutex_init(&vm->lock, NULL);
	vm->boot_insns = -1;
	conin_init(&vm->conin);
	vm->nprogs = cfg->nprogs;
	for (unsigned i = 0; i < cfg->nprogs; i++)
		snprintf(vm->names[i], EXO_NAME_MAX, "%s", cfg->progs[i].name);
	clock_gettime(CLOCK_MONOTONIC, &vm->t_start);
	hosted.vm = vm;

	if (cfg->input) {
		r = conin_open(&vm->conin, cfg->input, d);
		if (r < 0)
			goto out;
	}
	r = vmm_files_load(cfg, &fl, d);
	if (r < 0)
		goto out;
	r = memory(cfg, d);
	if (r < 0)
		goto out;
	hosted.tsc_khz = hosted_measure_tsc_khz();
	hosted_cores_plan(cfg->ncpus);
	vm->kvm.mem = hosted.mem;
	vm->kvm.mem_size = cfg->mem_size;   /* for the boot report */
	vm->kvm.tsc_khz = hosted.tsc_khz;
	r = layout_build(hosted.mem, cfg->mem_size, cfg->platform, hosted.tsc_khz,
			 &fl.kernel, fl.progs, fl.nprogs, cfg->cmdline, &bl, d);
	if (r < 0)
		goto out;
	((struct exo_bootinfo *)(hosted.mem + EXO_BOOTINFO_PA))->ncpus = cfg->ncpus;
	r = hostdev_register(vm, d);
	if (r < 0)
		goto out;
	if (cfg->input || cfg->trace) {
		/* The I/O thread reads the input (vmm/conin.c) and drains the
		 * trace rings (vmm/vtrace.c), as on kvm. */
		r = iothread_init(&vm->io, d);
		if (r < 0)
			goto out;
		if (cfg->input) {
			conin_set_signal(&vm->conin, hosted_console_signal, NULL);
			conin_start(&vm->conin, vm->io.loop);
		}
		if (cfg->trace) {
			/* The kernel's TSC is this host's: no offset to read. */
			vm->trace.tsc_offset = 0;
			vm->trace.have_offset = true;
			vtrace_start(vm);
		}
		r = iothread_start(&vm->io, d);
		if (r < 0)
			goto out;
	}
	/* Before the boot line: whoever waits for it to send a signal (a test,
	 * a person's Ctrl-C) must find it caught, not fatal. */
	signals_catch();
	report_boot(vm);
	/* The devices read requests from the scratch page, past the kernel's
	 * memory (and kernel statics remapped there: platform.c). */
	vm->kvm.mem_size = hosted.total;
	if (cfg->timeout > 0) {
		struct timespec ts;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		hosted.stop_ns = (u64)ts.tv_sec * 1000000000ULL + (u64)ts.tv_nsec +
				 (u64)(cfg->timeout * 1e9);
	}
	/* The kernel's timer is this process's waits with a timeout: Linux
	 * lets those end up to the thread's timer slack late (50 us by
	 * default), which every slice's START paid. 1 ns: on time. */
	prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
	if (hosted.ptrace) {
		r = hosted_ptrace_init();
		if (r < 0) {
			diag_fail(d, -r, "--platform ptrace: its timers: %s", strerror(-r));
			goto out;
		}
	}
	hosted_cores_cpu(0);
	if (setjmp(hosted.out) == 0)
		kmain((const struct exo_bootinfo *)(hosted.mem + EXO_BOOTINFO_PA));
	hosted_cpus_join();             /* the other CPUs leave at their next wait */
	if (hosted.ptrace)
		hosted_ptrace_fini();
	if (!vm->stop)
		vmm_stop(vm, VMM_CRASHED, 0);   /* halted with no exit */
	iothread_stop(&vm->io);         /* the kernel has ended: no more input */
	vtrace_finish(vm);              /* what the last drain did not see */
	teardown();
	clock_gettime(CLOCK_MONOTONIC, &vm->t_end);
	report_end(vm);
	if (cfg->stats)
		report_stats(vm);       /* no KVM counters: they say -1 */
	vm->result.platform = cfg->platform;
	vm->result.tsc_khz = hosted.tsc_khz;
	vm->result.insn_emulation = -1;
	vm->result.insn_sampled = -1;
	vm->result.ncpus = cfg->ncpus;
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
		vm->result.cpu_insn_emulation[i] = vm->result.cpu_insn_sampled[i] = -1;
	*res = vm->result;
	r = 0;
out:
	if (r < 0)
		teardown();
	backing_free(&vm->backing);
	free(vm->bench_buf);
	iothread_stop(&vm->io);
	conin_close(&vm->conin);
	vmm_files_free(&fl);
	pthread_mutex_destroy(&vm->lock);
	free(vm);
	return r;
}
