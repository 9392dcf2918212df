/*
 * The Linux KVM API, used directly: one VM, guest memory, 1..EXO_MAX_CPUS
 * vCPUs (vCPU i has id and x2APIC id i), and the in-kernel interrupt
 * controller (local APICs) where KVM has one.
 */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include <exo/bootinfo.h>

#include "diag.h"
#include "layout.h"

struct kvm_vm {
	int kvm_fd, vm_fd;
	unsigned ncpus;
	int vcpu_fd[EXO_MAX_CPUS];
	struct kvm_run *run[EXO_MAX_CPUS];
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	uint32_t platform;       /* enum exo_platform */
	uint64_t tsc_khz;        /* the guest's TSC rate, 0 if KVM cannot say */
	bool irqchip;            /* in-kernel LAPIC */
	bool x2apic;             /* the guest's CPUID offers x2APIC */
	bool tsc_deadline;       /* ...and the TSC-deadline timer */
	bool msi;                /* KVM_SIGNAL_MSI works */
};

/*
 * Open the KVM device at path, check the API, create a VM with mem_size bytes
 * of zeroed memory, the in-kernel interrupt controller if KVM has one, and
 * ncpus vCPUs; read the TSC rate and detect whether the host is PVM.
 * -ENOENT/-EACCES/-ENODEV/... with a message that says how to get KVM.
 */
int kvm_vm_create(struct kvm_vm *vm, const char *path, uint64_t mem_size,
		  unsigned ncpus, struct diag *d);
void kvm_vm_destroy(struct kvm_vm *vm);

/*
 * Put every vCPU in 64-bit mode at the kernel entry the layout describes,
 * rdi the boot info, esi the vCPU's number (the kernel's CPU number).
 */
int kvm_vcpu_boot(struct kvm_vm *vm, const struct boot_layout *bl, struct diag *d);

/*
 * Interrupt the guest with vector through an MSI to APIC 0 (fixed delivery,
 * edge). > 0 delivered, 0 the guest's APIC did not accept it, < 0 -errno.
 * Callable from any thread, also while the vCPU is in KVM_RUN.
 */
int kvm_signal_msi(struct kvm_vm *vm, uint32_t vector);

/* Registers of vCPU cpu, for crash reports. */
void kvm_dump_regs(const struct kvm_vm *vm, unsigned cpu, FILE *out);

#endif
