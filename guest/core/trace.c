/*
 * The trace rings (<exo/trace.h>): one per CPU, in its struct percpu in the
 * kernel's bss, which the VMM's fresh memory has zeroed, so an unannounced
 * ring costs nothing.
 */
#include "trace.h"

#include <exo/hostio.h>

#include "kernel.h"
#include "platform.h"

u8 trace_on;

/* Fill in ring cpu's header; the VMM reads it when the ring is announced. */
static void
trace_ring_init(struct exo_trace_ring *r, u16 cpu, u64 tsc_khz)
{
	r->version = EXO_TRACE_VERSION;
	r->cpu = cpu;
	r->rec_size = EXO_TRACE_REC_SIZE;
	r->size = EXO_TRACE_RING_BYTES;
	r->tsc_khz = tsc_khz;
	r->vaddr = (u64)(unsigned long)r;
	r->magic = EXO_TRACE_MAGIC;
}

void
trace_announce(void)
{
	/* The ring is page aligned: its frame number fits the doorbell's 24 bits
	 * for any guest below 64 GiB. The vCPU that rings is the ring's. */
	if (trace_on)
		arch_host_doorbell(EXO_DOORBELL(EXO_DOORBELL_TRACE,
						arch_virt_to_phys(TRACE_RING()) >> 12));
}

void
trace_init(const char *cmdline, u64 tsc_khz)
{
	for (u16 cpu = 0; cpu < NCPUS_MAX; cpu++)
		trace_ring_init(&cpus[cpu].ring, cpu, tsc_khz);
	if (!cmdline_has(cmdline, "trace"))
		return;
	trace_on = 1;
	arch_trace_set(true);
	trace_announce();
}

bool
trace_set(bool on)
{
	bool was = trace_on;

	trace_on = on;
	arch_trace_set(on);
	return was;
}
