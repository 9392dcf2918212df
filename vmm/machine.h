/* A running exo machine: what the run loop, the devices and the report share. */
#ifndef VMM_MACHINE_H
#define VMM_MACHINE_H

#include <pthread.h>
#include <time.h>

#include <exo/hostio.h>

#include "backing.h"
#include "conin.h"
#include "devices.h"
#include "gdbstub.h"
#include "iothread.h"
#include "kvm.h"
#include "layout.h"
#include "stats.h"
#include "vmm.h"
#include "bootstep.h"
#include "exitperf.h"
#include "insnperf.h"
#include "vtrace.h"

#define EXIT_REASONS 64

/* One vCPU and the host thread that runs it (each its own, all jailed). */
struct vcpu {
	struct vmm *vm;
	unsigned index;
	struct kvm_stats stats;               /* fd < 0 if unavailable */
	pthread_t thread;
	bool started;                         /* its thread runs (or ran) */
	struct insnperf insn;                 /* cfg->insn_sample: its ring-0
						 instructions (opened on its thread) */
	struct exitperf exits;                /* cfg->bench on hardware KVM: its
						 exits by reason (opened on its thread) */
	char name[16];                        /* "vCPU 0": the jail's reports */
	struct exo_regs last;                 /* where it was when a timeout or a
						 signal stopped the run */
	bool have_last, have_apic;
	struct kvm_lapic_state apic;          /* ... its local APIC then */
	uint64_t tsc, tsc_deadline;
};

struct vmm {
	const struct vmm_config *cfg;
	struct kvm_vm kvm;
	struct device_table devices;
	struct vcpu vcpus[EXO_MAX_CPUS];
	/* Exits are handled one at a time: devices, reports and the result are
	 * shared by every vCPU thread. */
	pthread_mutex_t lock;
	/* The main thread stays out of the jail and starts the vCPU threads:
	 * vCPU 0's at boot, the others when the kernel asks (start_cpus). */
	pthread_cond_t wake;
	bool start_cpus, cpu0_done;
	struct iothread io;                   /* runs only with --input or a trace */
	struct vmm_trace trace;
	struct conin conin;
	char names[EXO_MAX_MODULES][EXO_NAME_MAX];
	unsigned nprogs;

	volatile bool stop;
	struct vmm_result result;

	uint64_t exits[EXIT_REASONS];         /* by KVM exit reason */
	int64_t boot_insns;                   /* ring-0 insns to the first user insn, -1: */
	bool first_user;                      /* ... not counted; whether it ran */
	void *bench_buf;                      /* a result record's host copy */
	struct kvm_stats mark_sum;            /* every vCPU's counters, summed */
	struct vmm_exits mark_exits;          /* every vCPU's exits by reason, summed */
	char exits_why[160];                  /* why they are not counted */
	struct bootstep boot_step;            /* cfg->step_boot: vCPU 0's boot */
	struct backing backing;               /* autosave blocks (backing.c) */
	struct timespec t_start, t_first_user, t_end;
	struct gdb_stub *gdb;                 /* --gdb, or NULL (gdbstub.h) */
};

/* The kernel and the programs, read and checked (vmm.c; hosted/run.c too). */
struct vmm_files {
	void *kdata;
	size_t ksize;
	struct elf_image kernel;
	void *pdata[EXO_MAX_MODULES];
	struct boot_program progs[EXO_MAX_MODULES];
	unsigned nprogs;
};
int vmm_files_load(const struct vmm_config *cfg, struct vmm_files *fl, struct diag *d);
void vmm_files_free(struct vmm_files *fl);

/* The vCPU whose thread calls (vCPU 0 outside the vCPU threads). */
struct vcpu *vmm_self(struct vmm *vm);
/* The calling thread is c's (the hosted platform's CPU threads). */
void vmm_self_set(struct vcpu *c);
/* Start the application processors' threads (EXO_DOORBELL_START_CPUS): asks
 * the main thread, as a jailed thread cannot; called with vm->lock held. */
void vmm_start_cpus(struct vmm *vm);

/* Host pointer to guest physical [gpa, gpa+len), or NULL if not all memory. */
void *vmm_guest_ptr(struct vmm *vm, uint64_t gpa, uint64_t len);

/* Make every vCPU leave KVM_RUN and not enter it again (async-signal-safe). */
void vmm_kick_all(struct vmm *vm);
/* End the run with this outcome (the first call wins). */
void vmm_stop(struct vmm *vm, enum vmm_outcome outcome, int status);
/* Every vCPU's exits by reason, summed into vm->mark_exits (any thread);
 * n 0, why said, where they are not counted. */
const struct vmm_exits *vmm_exits_sum(struct vmm *vm);

/* The guest broke a rule or crashed: say so, with registers, and stop it. */
void vmm_crash(struct vmm *vm, const char *kind, const struct exo_regs *regs,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Register exo's devices: console, exit, event, doorbell, bench, console
 * input, backing store (<exo/hostio.h>). */
int hostdev_register(struct vmm *vm, struct diag *d);

/* report.c: JSON lines for machines and sentences on stderr for people. */
void report_json_str(FILE *f, const char *s, size_t max);
void report_regs_json(FILE *f, const struct exo_regs *r);
void report_regs_text(FILE *f, const struct exo_regs *r);
void report_kvm_regs(struct vmm *vm, struct exo_regs *r);
/* On the calling vCPU's thread: keep its registers and timer state. */
void report_capture(struct vmm *vm, struct vcpu *c);
/* Where the guest was: rip by name, and the kernel stack's words that name
 * kernel functions (return addresses, most of them), when rip is in it. */
void report_where(struct vmm *vm, FILE *f, const char *indent, const struct exo_regs *r);
/* The same as a JSON field of the crash event: ,"where":"NAME". */
void report_where_json(struct vmm *vm, FILE *f, const struct exo_regs *r);
void report_boot(struct vmm *vm);
void report_program(struct vmm *vm, const struct exo_event *ev);
void report_end(struct vmm *vm);
void report_stats(struct vmm *vm);
const char *report_vector_name(uint64_t vector);

#endif
