/* The VMM's devices (<exo/hostio.h>): one OUT per request. */
#include <exo/hostio.h>

#include "../../core/platform.h"
#include "x86.h"

/* One CPU, one request in flight; per-CPU with SMP. */
static struct exo_console_req console_req;

void
arch_host_console(u64 pa, u64 len)
{
	console_req.gpa = pa;
	console_req.len = len;
	outl(EXO_PORT_CONSOLE, (u32)arch_virt_to_phys(&console_req));
}

void
arch_host_event(struct exo_event *ev)
{
	outl(EXO_PORT_EVENT, (u32)arch_virt_to_phys(ev));
}

void
arch_host_doorbell(u32 code)
{
	outl(EXO_PORT_DOORBELL, code);
}

int
arch_console_getc(void)
{
	u32 v = inl(EXO_PORT_CONSOLE_IN);

	return v <= 0xff ? (int)v : -1;     /* EMPTY, EOF (or no device: ~0) */
}

void
arch_host_bench(struct exo_bench_req *req)
{
	outl(EXO_PORT_BENCH, (u32)arch_virt_to_phys(req));
}

void
arch_host_backing(struct exo_backing_req *req)
{
	outl(EXO_PORT_BACKING, (u32)arch_virt_to_phys(req));
}

void
arch_host_exit(u32 status)
{
	outl(EXO_PORT_EXIT, status);
	arch_halt();
}

void
arch_halt(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}
