/*
 * exo's devices (<exo/hostio.h>). Each reads what the guest asks through
 * vmm_guest_ptr(), which refuses any range outside guest memory: a kernel
 * that passes a bad address is stopped and reported, the host goes on.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "machine.h"

static int
console_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	   void *data, uint32_t size)
{
	struct exo_console_req req;
	uint32_t gpa;
	void *src, *p;

	(void)dev, (void)port;
	if (!is_write || size != 4)
		return 0;
	memcpy(&gpa, data, 4);
	p = vmm_guest_ptr(vm, gpa, sizeof(req));
	if (!p) {
		vmm_crash(vm, "bad_request", NULL, "console request at %#x is outside "
			  "guest memory", gpa);
		return -EFAULT;
	}
	memcpy(&req, p, sizeof(req));   /* one copy: the guest may change it */
	src = vmm_guest_ptr(vm, req.gpa, req.len);
	if (!src) {
		vmm_crash(vm, "bad_request", NULL, "console write of %llu bytes at %#llx "
			  "is outside guest memory", (unsigned long long)req.len,
			  (unsigned long long)req.gpa);
		return -EFAULT;
	}
	fwrite(src, 1, req.len, vm->cfg->console);
	fflush(vm->cfg->console);
	return 0;
}

static int
exit_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	void *data, uint32_t size)
{
	uint32_t status = 0;

	(void)dev, (void)port;
	if (!is_write)
		return 0;
	memcpy(&status, data, size < 4 ? size : 4);
	vmm_stop(vm, VMM_EXITED, (int)(status & 0xff));
	return 0;
}

static int
event_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	 void *data, uint32_t size)
{
	struct exo_event ev;
	uint32_t gpa;
	void *p;

	(void)dev, (void)port;
	if (!is_write || size != 4)
		return 0;
	memcpy(&gpa, data, 4);
	p = vmm_guest_ptr(vm, gpa, sizeof(ev));
	if (!p) {
		vmm_crash(vm, "bad_request", NULL, "event at %#x is outside guest memory", gpa);
		return -EFAULT;
	}
	memcpy(&ev, p, sizeof(ev));
	ev.msg[sizeof(ev.msg) - 1] = '\0';
	switch (ev.kind) {
	case EXO_EV_PANIC:
		vmm_crash(vm, "panic", &ev.regs, "kernel panic: %s", ev.msg);
		return 0;
	case EXO_EV_PROGRAM_EXIT:
	case EXO_EV_PROGRAM_FAULT:
	case EXO_EV_PROGRAM_ERROR:
		if (ev.module >= vm->nprogs) {
			vmm_crash(vm, "bad_request", NULL, "event names program %u of %u",
				  ev.module, vm->nprogs);
			return -EINVAL;
		}
		report_program(vm, &ev);
		return 0;
	}
	vmm_crash(vm, "bad_request", NULL, "unknown event kind %u", ev.kind);
	return -EINVAL;
}

static int
doorbell_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	    void *data, uint32_t size)
{
	uint32_t code = 0;

	(void)dev, (void)port;
	if (!is_write)
		return 0;
	memcpy(&code, data, size < 4 ? size : 4);
	if (code == EXO_DOORBELL_FIRST_USER && vm->boot_insns < 0) {
		clock_gettime(CLOCK_MONOTONIC, &vm->t_first_user);
		if (stats_read(&vm->vcpu_stats) == 0)
			vm->boot_insns = stats_get(&vm->vcpu_stats, "insn_emulation");
		else
			vm->boot_insns = 0;
	}
	return 0;
}

/* The VMM's half of the contract is in conin.c. */
static int
console_in_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	      void *data, uint32_t size)
{
	uint32_t v;

	(void)dev, (void)port;
	if (size != 4) {
		vmm_crash(vm, "bad_request", NULL, "console input port accessed with "
			  "%u bytes; it takes 32-bit IN and OUT only", size);
		return -EINVAL;
	}
	if (!is_write) {
		v = conin_take(&vm->conin);
		memcpy(data, &v, 4);
		return 0;
	}
	memcpy(&v, data, 4);
	if (conin_set_vector(&vm->conin, v) < 0) {
		vmm_crash(vm, "bad_request", NULL, "console input vector %u: want 0 "
			  "or 32..255", v);
		return -EINVAL;
	}
	return 0;
}

static struct device hostdevs[] = {
	{ .name = "console", .port = EXO_PORT_CONSOLE, .nports = 1, .io = console_io },
	{ .name = "exit", .port = EXO_PORT_EXIT, .nports = 1, .io = exit_io },
	{ .name = "event", .port = EXO_PORT_EVENT, .nports = 1, .io = event_io },
	{ .name = "doorbell", .port = EXO_PORT_DOORBELL, .nports = 1, .io = doorbell_io },
	{ .name = "console_in", .port = EXO_PORT_CONSOLE_IN, .nports = 1,
	  .io = console_in_io },
};

int
hostdev_register(struct vmm *vm, struct diag *d)
{
	for (size_t i = 0; i < sizeof(hostdevs) / sizeof(hostdevs[0]); i++) {
		int r;

		hostdevs[i].count = 0;
		r = devices_register(&vm->devices, &hostdevs[i], d);
		if (r < 0)
			return r;
	}
	return 0;
}
