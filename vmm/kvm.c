#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kvm.h"

/* PVM answers this MSR with "PVM"; hardware KVM has no such MSR. */
#define MSR_PVM_SIGNATURE 0x4b564d11
#define PVM_SIGNATURE     0x4d5650

#define CR0_PE (1u << 0)
#define CR0_MP (1u << 1)
#define CR0_ET (1u << 4)
#define CR0_NE (1u << 5)
#define CR0_WP (1u << 16)
#define CR0_PG (1u << 31)
#define CR4_PAE (1u << 5)
#define CR4_PGE (1u << 7)
#define CR4_OSFXSR (1u << 9)
#define CR4_OSXMMEXCPT (1u << 10)
#define EFER_SCE (1u << 0)
#define EFER_LME (1u << 8)
#define EFER_LMA (1u << 10)
#define EFER_NXE (1u << 11)

static const struct { int cap; const char *name; } required_caps[] = {
	{ KVM_CAP_USER_MEMORY, "KVM_CAP_USER_MEMORY" },
	{ KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT" },
	{ KVM_CAP_EXT_CPUID, "KVM_CAP_EXT_CPUID" },
};

static int
kvm_open_dev(const char *path, struct diag *d)
{
	int fd = open(path, O_RDWR | O_CLOEXEC), err, v;

	if (fd < 0) {
		err = errno;
		if (err == ENOENT)
			return diag_fail(d, err, "%s does not exist: KVM is not available "
					 "here. Load the kvm module for your CPU (kvm_intel, "
					 "kvm_amd, or kvm_pvm on a cloud VM), run exo on a "
					 "machine with virtualization, or give --platform hosted "
					 "(the kernel in the exo process, no KVM)", path);
		if (err == EACCES || err == EPERM)
			return diag_fail(d, err, "%s: permission denied. Add yourself to "
					 "its group (usually: sudo usermod -aG kvm $USER, then "
					 "log in again), run exo as root, or give --platform "
					 "hosted (no KVM)", path);
		return diag_fail(d, err, "%s: cannot open: %s", path, strerror(err));
	}
	v = ioctl(fd, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		close(fd);
		return diag_fail(d, ENODEV, "%s: not a KVM device, or KVM API version %d "
				 "(exo needs %d)", path, v, KVM_API_VERSION);
	}
	for (size_t i = 0; i < sizeof(required_caps) / sizeof(required_caps[0]); i++) {
		if (ioctl(fd, KVM_CHECK_EXTENSION, required_caps[i].cap) <= 0) {
			close(fd);
			return diag_fail(d, ENODEV, "%s: this KVM lacks %s, which exo needs; "
					 "use a newer Linux kernel", path, required_caps[i].name);
		}
	}
	return fd;
}

/* CPUID leaf 1: ECX bit 21 x2APIC, bit 24 TSC-deadline timer; EDX bit 9 APIC. */
#define CPUID1_ECX_X2APIC       (1u << 21)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_EDX_APIC         (1u << 9)

/*
 * The interrupt controller the kernel finds in CPUID: x2APIC only with an
 * in-kernel LAPIC (KVM reports x2APIC as supported either way, but without
 * an irqchip its MSRs do not exist), TSC deadline only where KVM offers it.
 */
static void
kvm_cpuid_apic(struct kvm_vm *vm, struct kvm_cpuid2 *c)
{
	for (uint32_t i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function != 1)
			continue;
		if (!vm->irqchip) {
			e->ecx &= ~CPUID1_ECX_X2APIC;
			e->edx &= ~CPUID1_EDX_APIC;
		}
		vm->x2apic = (e->ecx & CPUID1_ECX_X2APIC) != 0;
		vm->tsc_deadline = vm->tsc_deadline && vm->x2apic;
		if (vm->tsc_deadline)
			e->ecx |= CPUID1_ECX_TSC_DEADLINE;
		else
			e->ecx &= ~CPUID1_ECX_TSC_DEADLINE;
	}
}

/* Give the guest the CPUID the host supports (KVM refuses NX/LM otherwise). */
static int
kvm_set_cpuid(struct kvm_vm *vm, struct diag *d)
{
	int n = 128, r;
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (!c)
		return diag_fail(d, ENOMEM, "out of memory for CPUID");
	c->nent = n;
	r = ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c);
	if (r == 0) {
		kvm_cpuid_apic(vm, c);
		for (unsigned i = 0; i < vm->ncpus && r == 0; i++)
			r = ioctl(vm->vcpu_fd[i], KVM_SET_CPUID2, c);
	}
	r = r < 0 ? diag_fail(d, errno, "KVM CPUID set-up failed: %s", strerror(errno)) : 0;
	free(c);
	return r;
}

/*
 * The in-kernel interrupt controller (LAPIC, with an IOAPIC and PIC that exo
 * leaves unused), before the vCPU so that the vCPU gets a LAPIC. A KVM
 * without KVM_CAP_IRQCHIP still boots exo, with no interrupts at all.
 */
static int
kvm_create_irqchip(struct kvm_vm *vm, struct diag *d)
{
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0)
		return 0;
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return diag_fail(d, errno, "KVM offers an in-kernel interrupt controller "
				 "but would not create one: %s", strerror(errno));
	vm->irqchip = true;
	vm->tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION,
				 KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	vm->msi = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) > 0;
	return 0;
}

/* The guest's TSC rate: what the kernel converts its clock with. */
static uint64_t
kvm_tsc_khz(struct kvm_vm *vm)
{
	int r;

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_GET_TSC_KHZ) <= 0)
		return 0;
	r = ioctl(vm->vcpu_fd[0], KVM_GET_TSC_KHZ, 0);
	return r > 0 ? (uint64_t)r : 0;
}

int
kvm_signal_msi(struct kvm_vm *vm, uint32_t vector)
{
	/* Address 0xfee00000: destination APIC 0 (bits 19..12), physical mode.
	 * Data: the vector, delivery mode fixed (bits 10..8 = 0), edge. */
	struct kvm_msi msi = { .address_lo = 0xfee00000, .data = vector & 0xff };
	int r = ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);

	return r < 0 ? -errno : r;
}

static uint32_t
kvm_detect_platform(struct kvm_vm *vm)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_PVM_SIGNATURE };

	if (ioctl(vm->vcpu_fd[0], KVM_GET_MSRS, &m) == 1 && m.e.data == PVM_SIGNATURE)
		return EXO_PLATFORM_KVM_PVM;
	return EXO_PLATFORM_KVM_HW;
}

static void
kvm_vm_init(struct kvm_vm *vm)
{
	*vm = (struct kvm_vm){ .kvm_fd = -1, .vm_fd = -1 };
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
		vm->vcpu_fd[i] = -1;
}

/* vCPU i (id i), and its run area. */
static int
kvm_vcpu_create(struct kvm_vm *vm, unsigned i, struct diag *d)
{
	vm->vcpu_fd[i] = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
	if (vm->vcpu_fd[i] < 0)
		return diag_fail(d, errno, "cannot create vCPU %u: %s", i, strerror(errno));
	vm->run[i] = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
			  vm->vcpu_fd[i], 0);
	if (vm->run[i] == MAP_FAILED) {
		vm->run[i] = NULL;
		return diag_fail(d, errno, "cannot map vCPU %u's run area: %s", i,
				 strerror(errno));
	}
	return 0;
}

/*
 * mem_size bytes (a multiple of 2 MiB) of fresh anonymous memory, which is
 * zero (the boot protocol relies on it), aligned to 2 MiB and offered to
 * transparent huge pages: where the host gives them, KVM maps the guest
 * with 2 MiB nested pages, and a boot's first touches of its memory are a
 * few dozen nested page faults (VM exits) instead of one per 4 KiB page.
 * NULL if the host has not that much to give.
 */
static uint8_t *
guest_memory(uint64_t mem_size)
{
	const uint64_t huge = 2ull << 20;
	uint8_t *m = mmap(NULL, mem_size + huge, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint64_t head;

	if (m == MAP_FAILED)
		return NULL;
	head = (huge - ((uintptr_t)m & (huge - 1))) & (huge - 1);
	if (head)
		munmap(m, head);
	munmap(m + head + mem_size, huge - head);
	madvise(m + head, mem_size, MADV_HUGEPAGE);     /* a hint: may be refused */
	return m + head;
}

int
kvm_vm_create(struct kvm_vm *vm, const char *path, uint64_t mem_size,
	      unsigned ncpus, struct diag *d)
{
	struct kvm_userspace_memory_region region;
	int r;

	kvm_vm_init(vm);
	vm->ncpus = ncpus;
	r = kvm_open_dev(path, d);
	if (r < 0)
		return r;
	vm->kvm_fd = r;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		r = diag_fail(d, errno, "%s: cannot create a VM: %s", path, strerror(errno));
		goto fail;
	}
	vm->mem = guest_memory(mem_size);
	if (!vm->mem) {
		r = diag_fail(d, ENOMEM, "cannot allocate %llu MiB of guest memory; "
			      "use a smaller --mem", (unsigned long long)(mem_size >> 20));
		goto fail;
	}
	vm->mem_size = mem_size;
	r = kvm_create_irqchip(vm, d);
	if (r < 0)
		goto fail;
	region = (struct kvm_userspace_memory_region){
		.slot = 0, .guest_phys_addr = 0, .memory_size = mem_size,
		.userspace_addr = (uintptr_t)vm->mem,
	};
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		r = diag_fail(d, errno, "KVM refused %llu MiB of guest memory: %s",
			      (unsigned long long)(mem_size >> 20), strerror(errno));
		goto fail;
	}
	r = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (r <= 0) {
		r = diag_fail(d, EIO, "KVM_GET_VCPU_MMAP_SIZE failed");
		goto fail;
	}
	vm->run_size = (size_t)r;
	for (unsigned i = 0; i < ncpus; i++) {
		r = kvm_vcpu_create(vm, i, d);
		if (r < 0)
			goto fail;
	}
	r = kvm_set_cpuid(vm, d);
	if (r < 0)
		goto fail;
	vm->platform = kvm_detect_platform(vm);
	vm->tsc_khz = kvm_tsc_khz(vm);
	return 0;
fail:
	kvm_vm_destroy(vm);
	return r;
}

void
kvm_vm_destroy(struct kvm_vm *vm)
{
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++) {
		if (vm->run[i])
			munmap(vm->run[i], vm->run_size);
		if (vm->vcpu_fd[i] >= 0)
			close(vm->vcpu_fd[i]);
	}
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	kvm_vm_init(vm);
}

static struct kvm_segment
flat_segment(uint16_t sel, uint8_t type, int code)
{
	return (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !code, .s = 1, .l = code, .g = 1,
	};
}

static int
kvm_vcpu_boot_one(struct kvm_vm *vm, unsigned i, const struct boot_layout *bl,
		  struct diag *d)
{
	struct kvm_sregs s;
	struct kvm_regs r = {
		.rip = bl->kernel_entry, .rdi = bl->bootinfo_va, .rsi = i, .rflags = 2,
	};
	int fd = vm->vcpu_fd[i];

	if (ioctl(fd, KVM_GET_SREGS, &s) < 0)
		return diag_fail(d, errno, "KVM_GET_SREGS: %s", strerror(errno));
	/* Selectors match the kernel's GDT (guest/arch/x86_64/asm.h). */
	s.cs = flat_segment(0x08, 0xb, 1);
	s.ds = s.es = s.fs = s.gs = s.ss = flat_segment(0x10, 0x3, 0);
	s.tr = (struct kvm_segment){ .limit = 0x67, .type = 0xb, .present = 1 };
	s.ldt = (struct kvm_segment){ .type = 0x2, .unusable = 1 };
	s.gdt = (struct kvm_dtable){ 0 };
	s.idt = (struct kvm_dtable){ 0 };
	s.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	s.cr3 = bl->boot_cr3;
	s.cr4 = CR4_PAE | CR4_PGE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	s.efer = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE;
	if (ioctl(fd, KVM_SET_SREGS, &s) < 0)
		return diag_fail(d, errno, "KVM refused the 64-bit boot state: %s",
				 strerror(errno));
	if (ioctl(fd, KVM_SET_REGS, &r) < 0)
		return diag_fail(d, errno, "KVM_SET_REGS: %s", strerror(errno));
	/* With an in-kernel LAPIC an AP would wait for INIT-SIPI: make it runnable. */
	if (i > 0 && vm->irqchip) {
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		if (ioctl(fd, KVM_SET_MP_STATE, &mp) < 0)
			return diag_fail(d, errno, "KVM_SET_MP_STATE for vCPU %u: %s", i,
					 strerror(errno));
	}
	return 0;
}

/*
 * Every vCPU starts in 64-bit mode at the kernel's entry: the application
 * processors too, with no INIT-SIPI and no trampoline (the kernel's smp.c);
 * the VMM runs them only once the kernel asks (EXO_DOORBELL_START_CPUS).
 */
int
kvm_vcpu_boot(struct kvm_vm *vm, const struct boot_layout *bl, struct diag *d)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int r = kvm_vcpu_boot_one(vm, i, bl, d);

		if (r < 0)
			return r;
	}
	return 0;
}

void
kvm_dump_regs(const struct kvm_vm *vm, unsigned cpu, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(vm->vcpu_fd[cpu], KVM_GET_REGS, &r) < 0 ||
	    ioctl(vm->vcpu_fd[cpu], KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "  (registers unavailable: %s)\n", strerror(errno));
		return;
	}
	fprintf(out,
		"  rip %016llx rflags %016llx cs %04x ss %04x\n"
		"  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
		"  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
		"  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
		"  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n"
		"  cr0 %016llx cr2 %016llx cr3 %016llx cr4 %016llx efer %llx\n"
		"  idt %016llx/%x gdt %016llx/%x\n",
		r.rip, r.rflags, s.cs.selector, s.ss.selector,
		r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp,
		r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15,
		s.cr0, s.cr2, s.cr3, s.cr4, s.efer,
		s.idt.base, s.idt.limit, s.gdt.base, s.gdt.limit);
}
