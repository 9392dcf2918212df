/*
 * exo's devices (<exo/hostio.h>). Each reads what the guest asks through
 * vmm_guest_ptr(), which refuses any range outside guest memory: a kernel
 * that passes a bad address is stopped and reported, the host goes on.
 */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine.h"

/*
 * A request passed by address: the 32-bit guest-physical address written to a
 * device's port names a struct of len bytes, copied once into buf (the guest
 * may change it meanwhile). Returns its place in guest memory, or NULL: with
 * *err 0 the access was not such a write and is ignored; with *err < 0 the
 * request lies outside guest memory and the guest is stopped.
 */
static void *
request_read(struct vmm *vm, bool is_write, const void *data, uint32_t size,
	     void *buf, size_t len, const char *what, int *err)
{
	uint32_t gpa;
	void *p;

	*err = 0;
	if (!is_write || size != 4)
		return NULL;
	memcpy(&gpa, data, 4);
	p = vmm_guest_ptr(vm, gpa, len);
	if (!p) {
		vmm_crash(vm, "bad_request", NULL, "%s at %#x is outside guest memory",
			  what, gpa);
		*err = -EFAULT;
		return NULL;
	}
	memcpy(buf, p, len);
	return p;
}

static int
console_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	   void *data, uint32_t size)
{
	struct exo_console_req req;
	void *src;
	int err;

	(void)dev, (void)port;
	if (!request_read(vm, is_write, data, size, &req, sizeof(req),
			  "console request", &err))
		return err;
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
	int err;

	(void)dev, (void)port;
	if (!request_read(vm, is_write, data, size, &ev, sizeof(ev), "event", &err))
		return err;
	ev.msg[sizeof(ev.msg) - 1] = '\0';
	switch (ev.kind) {
	case EXO_EV_PANIC:
		vmm_crash(vm, "panic", &ev.regs, "kernel panic: %s", ev.msg);
		return 0;
	case EXO_EV_PROGRAM_EXIT:
	case EXO_EV_PROGRAM_FAULT:
	case EXO_EV_PROGRAM_ERROR:
	case EXO_EV_PROGRAM_DEADLOCK:
	case EXO_EV_PROGRAM_ABORT:
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

/*
 * The counters a mark samples: the marking vCPU's, plus every other vCPU's
 * (a shootdown's work on its targets belongs to the operation; idle vCPUs
 * add nothing). All vCPUs of one VM have the same descriptors.
 */
static const struct kvm_stats *
mark_stats(struct vmm *vm)
{
	const struct kvm_stats *self = &vmm_self(vm)->stats;
	struct kvm_stats *sum = &vm->mark_sum;

	stats_read(&vmm_self(vm)->stats);
	if (vm->kvm.ncpus == 1 || self->fd < 0)
		return self;
	if (!sum->data) {
		sum->data = malloc(self->data_len);
		if (!sum->data)
			return self;
	}
	*sum = (struct kvm_stats){ .fd = self->fd, .count = self->count,
		.desc_size = self->desc_size, .data_offset = self->data_offset,
		.data_len = self->data_len, .descs = self->descs, .data = sum->data };
	memcpy(sum->data, self->data, self->data_len);
	for (unsigned i = 0; i < vm->kvm.ncpus; i++) {
		struct kvm_stats *o = &vm->vcpus[i].stats;

		if (o == self || o->fd < 0 || o->data_len != self->data_len ||
		    stats_read(o) < 0)
			continue;
		for (size_t k = 0; k < self->data_len / sizeof(uint64_t); k++)
			sum->data[k] += o->data[k];
	}
	return sum;
}

static int
doorbell_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	    void *data, uint32_t size)
{
	const struct vmm_bench_sink *sink = vm->cfg->bench;
	uint32_t v = 0;

	(void)dev, (void)port;
	if (!is_write)
		return 0;
	memcpy(&v, data, size < 4 ? size : 4);
	switch (EXO_DOORBELL_KIND(v)) {
	case EXO_DOORBELL_FIRST_USER:
		if (vm->first_user)
			break;
		vm->first_user = true;
		clock_gettime(CLOCK_MONOTONIC, &vm->t_first_user);
		/* -1 where there is no count (no KVM statistics; hosted). */
		if (stats_read(&vmm_self(vm)->stats) == 0)
			vm->boot_insns = stats_get(&vmm_self(vm)->stats, "insn_emulation");
		break;
	case EXO_DOORBELL_TRACE:
		return vtrace_attach(vm, vmm_self(vm)->index, EXO_DOORBELL_ARG(v));
	case EXO_DOORBELL_MARK:
		if (!sink)
			break;
		sink->mark(sink->ctx, EXO_DOORBELL_ARG(v), mark_stats(vm), vmm_exits_sum(vm));
		break;
	case EXO_DOORBELL_START_CPUS:
		vmm_start_cpus(vm);
		break;
	}
	return 0;
}

/*
 * Gather the record req describes into vm->bench_buf. Every piece must lie in
 * guest memory and the pieces must add up to req->len: the kernel built them,
 * so anything else is a kernel bug and stops the guest.
 */
static int
bench_gather(struct vmm *vm, const struct exo_bench_req *req)
{
	uint64_t off = 0;

	if (req->len > EXO_BENCH_RESULT_MAX || req->nchunks > EXO_BENCH_CHUNKS_MAX) {
		vmm_crash(vm, "bad_request", NULL, "bench record of %llu bytes in %u "
			  "pieces: at most %zu bytes in %u pieces",
			  (unsigned long long)req->len, req->nchunks,
			  (size_t)EXO_BENCH_RESULT_MAX, (unsigned)EXO_BENCH_CHUNKS_MAX);
		return -EINVAL;
	}
	if (!vm->bench_buf && !(vm->bench_buf = malloc(EXO_BENCH_RESULT_MAX))) {
		vmm_crash(vm, "host_error", NULL, "out of memory for a bench record");
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < req->nchunks; i++) {
		const struct exo_bench_chunk *c = &req->chunks[i];
		void *src = vmm_guest_ptr(vm, c->gpa, c->len);

		if (!src || c->len > req->len - off) {
			vmm_crash(vm, "bad_request", NULL, "bench record piece %u (%llu "
				  "bytes at %#llx) is outside guest memory or past the "
				  "record's %llu bytes", i, (unsigned long long)c->len,
				  (unsigned long long)c->gpa, (unsigned long long)req->len);
			return -EFAULT;
		}
		memcpy((char *)vm->bench_buf + off, src, c->len);
		off += c->len;
	}
	if (off != req->len) {
		vmm_crash(vm, "bad_request", NULL, "bench record pieces add up to %llu "
			  "bytes, not %llu", (unsigned long long)off,
			  (unsigned long long)req->len);
		return -EINVAL;
	}
	return 0;
}

static int
bench_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	 void *data, uint32_t size)
{
	struct exo_bench_req req;
	const struct vmm_bench_sink *sink = vm->cfg->bench;
	int32_t status = 0;
	void *p;
	int r;

	(void)dev, (void)port;
	p = request_read(vm, is_write, data, size, &req, sizeof(req), "bench request", &r);
	if (!p)
		return r;
	r = bench_gather(vm, &req);
	if (r < 0)
		return r;
	if (sink)
		status = sink->result(sink->ctx, vm->bench_buf, req.len);
	memcpy((char *)p + offsetof(struct exo_bench_req, status), &status,
	       sizeof(status));
	return 0;
}

/*
 * The backing store (backing.c): the request comes back with its status (and
 * block); a bad request is refused there, only one outside guest memory
 * stops the guest.
 */
static int
backing_io(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
	   void *data, uint32_t size)
{
	struct exo_backing_req req;
	void *p;
	int err;

	(void)dev, (void)port;
	p = request_read(vm, is_write, data, size, &req, sizeof(req),
			 "backing-store request", &err);
	if (!p)
		return err;
	backing_serve(&vm->backing, &req, vm->kvm.mem, vm->kvm.mem_size);
	memcpy((char *)p + offsetof(struct exo_backing_req, block), &req.block,
	       sizeof(req.block));
	memcpy((char *)p + offsetof(struct exo_backing_req, status), &req.status,
	       sizeof(req.status));
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
	{ .name = "bench", .port = EXO_PORT_BENCH, .nports = 1, .io = bench_io },
	{ .name = "console_in", .port = EXO_PORT_CONSOLE_IN, .nports = 1,
	  .io = console_in_io },
	{ .name = "backing", .port = EXO_PORT_BACKING, .nports = 1, .io = backing_io },
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
