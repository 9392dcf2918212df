/*
 * The hosted platform's devices: the VMM's own (vmm/hostdev.c), called as a
 * guest's port I/O would reach them, and console input's interrupt.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/thread.h"
#include "../guest/core/trace.h"
#include "../vmm/machine.h"
#include "hosted.h"

/* The console-input line's vector, as the guest's local APIC takes it;
 * here only the device's protocol needs one (hosted_console_signal). */
#define HOSTED_VEC_CONSOLE 0x30

static void dev_out(u16 port, void *req, size_t len);

/* Console input interrupts from now on (the device's protocol). */
void
hosted_dev_init(void)
{
	dev_out(EXO_PORT_CONSOLE_IN, NULL, HOSTED_VEC_CONSOLE);
}

/* The I/O thread: input arrived. The kernel takes it as an interrupt at
 * its next wait (loop.c: a running thread is preempted for it). */
int
hosted_console_signal(void *arg, uint32_t vector)
{
	(void)arg;
	__atomic_store_n(&hosted.irq, 1, __ATOMIC_RELEASE);
	arch_ipi(0);            /* CPU 0 takes the console's interrupt */
	if (hosted.ptrace)
		hosted_ptrace_kick(0);  /* its running thread enters for it */
	return (int)vector;
}

/* The VMM's devices, as an OUT of a request's address would reach them:
 * the request is copied to a private page first (it may be on exo's
 * stack), and back afterwards for the answers the device writes. */
static void
dev_out(u16 port, void *req, size_t len)
{
	struct vmm *vm = hosted.vm;
	struct device *dev = devices_find(&vm->devices, port);
	u32 v = (u32)hosted.scratch_pa;

	if (!dev)
		return;
	/* The same crossing to a device as a guest's OUT: traced as its exit. */
	if (vm->cfg->trace)
		vtrace_exit(vm, this_cpu()->id, KVM_EXIT_IO, port);
	if (req)
		memcpy(hosted.mem + hosted.scratch_pa, req, len);
	else
		v = (u32)len;
	dev->count++;
	dev->io(vm, dev, port, true, &v, 4);
	if (req)
		memcpy(req, hosted.mem + hosted.scratch_pa, len);
	if (vm->stop)
		hosted_end(1);
}

void
arch_host_console(u64 pa, u64 len)
{
	struct exo_console_req r = { pa, len };

	dev_out(EXO_PORT_CONSOLE, &r, sizeof(r));
}

void
arch_host_event(struct exo_event *ev)
{
	dev_out(EXO_PORT_EVENT, ev, sizeof(*ev));
}

void
arch_host_doorbell(u32 code)
{
	dev_out(EXO_PORT_DOORBELL, NULL, code);
}

void
arch_host_bench(struct exo_bench_req *req)
{
	/* The pieces name physical addresses: they are in the memfd already. */
	dev_out(EXO_PORT_BENCH, req, sizeof(*req));
}

void
arch_host_backing(struct exo_backing_req *req)
{
	dev_out(EXO_PORT_BACKING, req, sizeof(*req));
}

void
arch_host_exit(u32 status)
{
	dev_out(EXO_PORT_EXIT, NULL, status);
	hosted_end(1);
}

int
arch_console_getc(void)
{
	struct vmm *vm = hosted.vm;
	struct device *dev = devices_find(&vm->devices, EXO_PORT_CONSOLE_IN);
	u32 v = ~0U;

	if (dev && vm->cfg->trace)
		vtrace_exit(vm, this_cpu()->id, KVM_EXIT_IO, EXO_PORT_CONSOLE_IN);
	if (dev)
		dev->io(vm, dev, EXO_PORT_CONSOLE_IN, false, &v, 4);
	return v <= 0xff ? (int)v : -1;
}
