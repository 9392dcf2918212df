/* The Linux KVM API, used directly: one VM, guest memory, one vCPU. */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdint.h>
#include <stdio.h>
#include <linux/kvm.h>

#include "diag.h"
#include "layout.h"

struct kvm_vm {
	int kvm_fd, vm_fd, vcpu_fd;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *mem;
	uint64_t mem_size;
	uint32_t platform;       /* enum exo_platform */
};

/*
 * Open the KVM device at path, check the API, create a VM with mem_size bytes
 * of zeroed memory and one vCPU, and detect whether the host is PVM.
 * -ENOENT/-EACCES/-ENODEV/... with a message that says how to get KVM.
 */
int kvm_vm_create(struct kvm_vm *vm, const char *path, uint64_t mem_size,
		  struct diag *d);
void kvm_vm_destroy(struct kvm_vm *vm);

/* Put the vCPU in 64-bit mode at the kernel entry the layout describes. */
int kvm_vcpu_boot(struct kvm_vm *vm, const struct boot_layout *bl, struct diag *d);

/* Registers, for crash reports. */
void kvm_dump_regs(const struct kvm_vm *vm, FILE *out);

#endif
