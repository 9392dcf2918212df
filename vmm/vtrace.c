/* See vtrace.h. */
#include "vtrace.h"

#include <errno.h>
#include <sys/ioctl.h>

#include "machine.h"

#define MSR_IA32_TSC 0x10
#define DRAIN_PERIOD 0.001      /* seconds: a ring holds 2048 records */

/* The guest's TSC less the host's, read back to back while the vCPU is out. */
static void
vtrace_clock(struct vmm *vm, unsigned vcpu)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e.index = MSR_IA32_TSC };
	uint64_t host = __builtin_ia32_rdtsc();

	if (ioctl(vm->kvm.vcpu_fd[vcpu], KVM_GET_MSRS, &m) != 1)
		return;
	host = (host + __builtin_ia32_rdtsc()) / 2;
	vm->trace.tsc_offset = (int64_t)(m.e.data - host);
	vm->trace.have_offset = true;
}

/*
 * The kernel writes only the TSC's low half (one store less per record): a
 * record is at most a drain period plus a lapped ring old when it is read,
 * far less than the 2^31 cycles either side of now that the low half tells
 * apart, so the full TSC is the one nearest now with those low 32 bits.
 */
uint64_t
vtrace_unwrap(uint64_t now, uint32_t lo)
{
	uint64_t t = (now & ~0xffffffffull) | lo;

	if (t > now + 0x80000000ull)
		t -= 0x100000000ull;
	else if (t + 0x80000000ull < now)
		t += 0x100000000ull;
	return t;
}

struct vtrace_ctx {
	const struct vmm_trace_sink *sink;
	unsigned cpu;
	uint64_t now;
};

static void
vtrace_deliver(void *ctx, const struct exo_trace_rec *rec)
{
	const struct vtrace_ctx *c = ctx;
	struct exo_trace_rec r = *rec;
	uint64_t tsc = vtrace_unwrap(c->now, r.tsc_lo);

	r.tsc_hi = (uint32_t)(tsc >> 32);
	c->sink->record(c->sink->ctx, c->cpu, &r);
}

static void
vtrace_drain(struct vmm *vm)
{
	const struct vmm_trace_sink *sink = vm->cfg->trace;
	uint64_t now = __builtin_ia32_rdtsc() + (uint64_t)vm->trace.tsc_offset;

	for (unsigned c = 0; c < EXO_TRACE_CPUS_MAX; c++) {
		struct tracering *t = &vm->trace.rings[c];
		struct vtrace_ctx a = { sink, c, now };
		uint64_t pending;

		if (!__atomic_load_n(&vm->trace.attached[c], __ATOMIC_ACQUIRE))
			continue;
		pending = tracering_pending(t);
		tracering_drain(t, vtrace_deliver, &a);
		if (sink->ring)
			sink->ring(sink->ctx, c, now, pending, t->dropped);
	}
}

static void
vtrace_on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct vmm *vm = w->data;

	vtrace_drain(vm);
	for (unsigned i = 0; i < vm->kvm.ncpus; i++)
		insnperf_drain(&vm->vcpus[i].insn);
}

void
vtrace_start(struct vmm *vm)
{
	ev_timer_init(&vm->trace.timer, vtrace_on_timer, DRAIN_PERIOD, DRAIN_PERIOD);
	vm->trace.timer.data = vm;
	ev_timer_start(vm->io.loop, &vm->trace.timer);
}

/*
 * Tell the vCPU's instruction sampler which ring is its own: the head's
 * guest address (the ring's first word) and the vCPU's task register, which
 * the SMP kernel's trace points index their CPU's head by (str). The
 * kernel loads it before it announces the ring and never changes it; this
 * runs on the vCPU's thread with the vCPU out of KVM_RUN.
 */
static void
vtrace_insn_ring(struct vmm *vm, unsigned vcpu, uint64_t head_va)
{
	struct kvm_sregs sr;

	if (vm->vcpus[vcpu].insn.fd < 0)
		return;
	if (ioctl(vm->kvm.vcpu_fd[vcpu], KVM_GET_SREGS, &sr) < 0)
		sr.tr.selector = 0;     /* then only the fixed-address forms match */
	insnperf_ring(&vm->vcpus[vcpu].insn, head_va, sr.tr.selector);
}

int
vtrace_attach(struct vmm *vm, unsigned vcpu, uint32_t pfn)
{
	uint64_t gpa = (uint64_t)pfn << 12;
	const struct exo_trace_ring *r = vmm_guest_ptr(vm, gpa, sizeof(*r));

	if (!vm->cfg->trace)
		return 0;
	if (!r || r->magic != EXO_TRACE_MAGIC || r->version != EXO_TRACE_VERSION ||
	    r->rec_size != EXO_TRACE_REC_SIZE || r->size != EXO_TRACE_RING_BYTES ||
	    r->cpu != vcpu || vcpu >= EXO_TRACE_CPUS_MAX) {
		vmm_crash(vm, "bad_request", NULL, "trace ring at %#llx announced by "
			  "vCPU %u is not a version %d ring of that CPU inside guest "
			  "memory", (unsigned long long)gpa, vcpu, EXO_TRACE_VERSION);
		return -EINVAL;
	}
	if (vm->trace.attached[vcpu])
		return 0;
	/* The vCPUs' TSCs are one clock (KVM keeps them in step): the offset
	 * read on the first vCPU that announces serves all. */
	if (!vm->trace.have_offset)
		vtrace_clock(vm, vcpu);
	tracering_attach(&vm->trace.rings[vcpu], r);
	vtrace_insn_ring(vm, vcpu, r->vaddr);
	__atomic_store_n(&vm->trace.attached[vcpu], true, __ATOMIC_RELEASE);
	return 0;
}

void
vtrace_finish(struct vmm *vm)
{
	if (vm->cfg->trace) {
		vtrace_drain(vm);
		for (unsigned i = 0; i < vm->kvm.ncpus; i++)
			insnperf_drain(&vm->vcpus[i].insn);
	}
}

void
vtrace_exit(struct vmm *vm, unsigned vcpu, uint32_t reason, uint16_t port)
{
	const struct vmm_trace_sink *sink = vm->cfg->trace;

	if (sink && sink->exit && vm->trace.have_offset)
		sink->exit(sink->ctx, vcpu, __builtin_ia32_rdtsc() +
			   (uint64_t)vm->trace.tsc_offset, reason, port);
}
