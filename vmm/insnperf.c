/* See insnperf.h. */
#include "insnperf.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracefs.h"
#include "vmm.h"

#define DATA_PAGES 4096                 /* 16 MiB: ~40 ms of emulation at full speed */

/* kvm_emulate_insn's record (events/kvm/kvm_emulate_insn/format). */
#define RAW_RIP  8
#define RAW_LEN  20
#define RAW_INSN 21
#define RAW_FAILED 37
#define RAW_MIN  38

int
insnperf_open(struct insnperf *p, unsigned cpu, const struct vmm_trace_sink *sink,
	      char *why, size_t n)
{
	struct perf_event_attr a = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	int id = tracefs_event_id("kvm/kvm_emulate_insn", why, n);

	*p = (struct insnperf){ .fd = -1, .cpu = cpu, .sink = sink };
	if (id < 0)
		return -ENOENT;
	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	a.sample_period = 1;
	a.sample_type = PERF_SAMPLE_RAW;
	a.wakeup_events = 1u << 30;     /* nobody polls: the I/O thread drains */
	p->fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (p->fd < 0) {
		int e = errno;

		snprintf(why, n, "perf_event_open(kvm:kvm_emulate_insn) on vCPU %u's "
			 "thread: %s", cpu, strerror(e));
		return -e;
	}
	p->data_len = (size_t)DATA_PAGES * (size_t)page;
	p->map_len = p->data_len + (size_t)page;
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->map == MAP_FAILED) {
		int e = errno;

		snprintf(why, n, "mmap of vCPU %u's perf ring: %s", cpu, strerror(e));
		close(p->fd);
		p->fd = -1;
		p->map = NULL;
		return -e;
	}
	__atomic_store_n(&p->ready, true, __ATOMIC_RELEASE);
	return 0;
}

void
insnperf_ring(struct insnperf *p, uint64_t head_va, uint16_t tr)
{
	p->tr = tr;
	__atomic_store_n(&p->head_va, head_va, __ATOMIC_RELEASE);
}

/*
 * A trace point's load of its ring's head is a movzwl or movzwq (the slot
 * is head's low 16 bits), with no base register, in one of three forms
 * (core/trace.h TRACE_ASMK_, arch/x86_64/trace_asm.h TRACE_REC):
 *
 *   [REX] 0f b7 modrm(mod 00, rm 100) sib(index 100, base 101) disp32
 *	absolute: disp32 sign-extended. The uniprocessor kernel's C points.
 *   [REX] 0f b7 modrm(mod 00, rm 101) disp32
 *	rip-relative: the next instruction's rip + disp32. Its entry code's.
 *   [REX] 0f b7 modrm(mod 00, rm 100) sib(scale s, index i, base 101) disp32
 *	disp32 + s * i, i holding the CPU's TSS selector (str): the SMP
 *	kernel's. disp32 is the per-CPU bias, CPU 0's head less 8 * CPU 0's
 *	selector (percpu_by_tr), the same for every CPU.
 *
 * It is this vCPU's mark when the address it loads is this vCPU's head,
 * with the index taken to be this vCPU's selector: no other load has
 * exactly the bias as displacement, and the instruction stream sampled on
 * a vCPU's thread is that vCPU's alone.
 */
static bool
insn_is_head_load(const uint8_t *in, unsigned len, uint64_t rip, uint64_t head_va,
		  uint16_t tr)
{
	unsigned rex = (in[0] & 0xf0) == 0x40 ? in[0] : 0, p = rex ? 1 : 0;
	const uint8_t *o = in + p;
	uint8_t modrm, sib;
	int32_t disp;

	if (len < p + 7 || o[0] != 0x0f || o[1] != 0xb7 || (o[2] & 0xc0) != 0)
		return false;
	modrm = o[2];
	if ((modrm & 7) == 5) {                 /* rip-relative */
		if (len != p + 7)
			return false;
		memcpy(&disp, o + 3, 4);
		return rip + len + (uint64_t)(int64_t)disp == head_va;
	}
	if ((modrm & 7) != 4 || len != p + 8)
		return false;
	sib = o[3];
	if ((sib & 7) != 5)                     /* a base register: unknown */
		return false;
	memcpy(&disp, o + 4, 4);
	if (((sib >> 3) & 7) == 4 && !(rex & 2))        /* no index */
		return (uint64_t)(int64_t)disp == head_va;
	return (uint64_t)(int64_t)disp + ((uint64_t)tr << (sib >> 6)) == head_va;
}

unsigned
insnperf_classify(const uint8_t *in, unsigned len, uint64_t rip, uint64_t head_va,
		  uint16_t tr)
{
	if (len > 15)
		return 0;
	if (len == 2 && in[0] == 0x48 && in[1] == 0xcf)         /* iretq */
		return VMM_INSN_IRET;
	if (head_va && insn_is_head_load(in, len, rip, head_va, tr))
		return VMM_INSN_TRACE;
	return 0;
}

/*
 * One emulated instruction: count it; tell the sink if it is one we cut at.
 * An instruction KVM's emulator gives up on (PVM: an iretq to user mode,
 * rdgsbase/wrgsbase), which PVM then completes some other way, fires the
 * tracepoint twice: once as it starts and once more flagged "failed". The
 * second is the same instruction again: it is counted apart, and then the
 * stream holds what KVM's insn_emulation counts, exactly.
 */
static void
insnperf_sample(struct insnperf *p, const uint8_t *raw, uint32_t size)
{
	uint64_t rip, head_va;
	unsigned what;

	if (size >= RAW_MIN && raw[RAW_FAILED]) {
		p->failed++;
		return;
	}
	p->seen++;
	if (size < RAW_MIN || !p->sink->insn)
		return;
	head_va = __atomic_load_n(&p->head_va, __ATOMIC_ACQUIRE);
	memcpy(&rip, raw + RAW_RIP, 8);
	what = insnperf_classify(raw + RAW_INSN, raw[RAW_LEN], rip, head_va, p->tr);
	if (what)
		p->sink->insn(p->sink->ctx, p->cpu, p->seen, what);
}

void
insnperf_drain(struct insnperf *p)
{
	struct perf_event_mmap_page *m = p->map;
	const uint8_t *data;
	uint64_t head, tail;
	uint8_t rec[512];

	if (!__atomic_load_n(&p->ready, __ATOMIC_ACQUIRE))
		return;
	data = (const uint8_t *)p->map + m->data_offset;
	head = __atomic_load_n(&m->data_head, __ATOMIC_ACQUIRE);
	tail = m->data_tail;
	while (tail < head) {
		struct perf_event_header h;
		size_t off = tail % p->data_len, first;

		/* A record may wrap at the end of the data area: copy it out. */
		first = p->data_len - off < sizeof(h) ? p->data_len - off : sizeof(h);
		memcpy(&h, data + off, first);
		memcpy((uint8_t *)&h + first, data, sizeof(h) - first);
		if (h.size < sizeof(h) || h.size > sizeof(rec))
			break;                  /* cannot happen: stop rather than guess */
		first = p->data_len - off < h.size ? p->data_len - off : h.size;
		memcpy(rec, data + off, first);
		memcpy(rec + first, data, h.size - first);
		if (h.type == PERF_RECORD_SAMPLE && h.size >= sizeof(h) + 4) {
			uint32_t size;

			memcpy(&size, rec + sizeof(h), 4);
			if (size <= h.size - sizeof(h) - 4)
				insnperf_sample(p, rec + sizeof(h) + 4, size);
		} else if (h.type == PERF_RECORD_LOST) {
			uint64_t lost;

			memcpy(&lost, rec + sizeof(h) + 8, 8);
			p->lost += lost;
		}
		tail += h.size;
	}
	__atomic_store_n(&m->data_tail, tail, __ATOMIC_RELEASE);
}

void
insnperf_close(struct insnperf *p)
{
	if (p->map && p->map != MAP_FAILED)
		munmap(p->map, p->map_len);
	if (p->fd >= 0)
		close(p->fd);
	p->fd = -1;
	p->map = NULL;
	p->ready = false;
}
