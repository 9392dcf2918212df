/* The kernel's C entry: check the boot info, bring up the CPU, start σ0 and
 * the first task. */
#include <exo/bootinfo.h>

#include "env.h"
#include "frame.h"
#include "kernel.h"
#include "mdb.h"
#include "modpage.h"
#include "percpu.h"
#include "platform.h"
#include "sched.h"
#include "space.h"
#include "slice.h"
#include "task.h"
#include "trace.h"

__attribute__((noreturn)) void kmain(const struct exo_bootinfo *bi);

static const char *const platform_names[] = {
	[EXO_PLATFORM_KVM_HW] = "kvm (hardware virtualization)",
	[EXO_PLATFORM_KVM_PVM] = "kvm (PVM host)",
	[EXO_PLATFORM_HOSTED] = "hosted",
	[EXO_PLATFORM_PTRACE] = "ptrace (hosted, crossings by ptrace)",
};

void
kmain(const struct exo_bootinfo *bi)
{
	u64 s0_first, s0_end;
	struct thread *t;

	if (bi->magic != EXO_BOOTINFO_MAGIC || bi->version != EXO_BOOTINFO_VERSION)
		panic("boot info: bad magic or version (VMM and kernel from different builds?)");
	if (bi->platform < EXO_PLATFORM_KVM_HW || bi->platform > EXO_PLATFORM_PTRACE)
		panic("boot info: unknown platform %u", bi->platform);
	kopts.ktest = cmdline_has(bi->cmdline, "ktest");
	kopts.verbose = cmdline_has(bi->cmdline, "verbose");
	kernel_tsc_khz = bi->tsc_khz;
	arch_init(bi);          /* this_cpu() works from here */
	smp_lock();             /* held until the first return to user mode */
	trace_init(bi->cmdline, bi->tsc_khz);
	if (frame_init(bi) < 0)
		panic("boot info: malformed memory map");
	frame_split_sigma0(&s0_first, &s0_end);
	if (mdb_init() < 0 || space_init(bi, s0_first, s0_end) < 0 ||
	    modpage_init(bi) < 0)
		panic("out of memory at boot");
	thread_init();
	if (env_cpus_init() < 0)
		panic("out of memory at boot for the tables of %u CPUs", ncpus);
	slice_boot();
	if (kopts.verbose) {
		struct frame_stats st;

		frame_stats(&st);
		kprintf("exo: kernel up on %s, %lu KiB for the kernel, %lu KiB for "
			"sigma0, %u program(s)\n", platform_names[bi->platform],
			st.total * 4, (s0_end - s0_first) / 1024, bi->nmodules);
		kprintf("exo: a ring-0 instruction costs %lu.%03lu TSC ticks here; slice "
			"grace %lu us (kip)\n", kernel_kip()->ring0_insn_mcycles / 1000,
			kernel_kip()->ring0_insn_mcycles % 1000, kernel_kip()->slice_grace_us);
	}
	t = task_boot(bi);
	sched_switch(t);
	arch_start_cpus();      /* they wait for the lock, then schedule */
	arch_run(t);
}
