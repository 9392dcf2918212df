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

#include "vmm.h"

#define DATA_PAGES 4096                 /* 16 MiB: ~40 ms of emulation at full speed */

/* kvm_emulate_insn's record (events/kvm/kvm_emulate_insn/format). */
#define RAW_RIP  8
#define RAW_LEN  20
#define RAW_INSN 21
#define RAW_FAILED 37
#define RAW_MIN  38

static int
tracepoint_id(const char *event, char *why, size_t n)
{
	static const char *const roots[] = { "/sys/kernel/tracing",
					     "/sys/kernel/debug/tracing" };
	char path[160];
	int id = -1;

	for (unsigned i = 0; i < 2 && id < 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/events/%s/id", roots[i], event);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%d", &id) != 1)
			id = -1;
		fclose(f);
	}
	if (id < 0)
		snprintf(why, n, "no tracepoint %s (tracefs not mounted, or not root)",
			 event);
	return id;
}

int
insnperf_open(struct insnperf *p, const struct vmm_trace_sink *sink, char *why,
	      size_t n)
{
	struct perf_event_attr a = { 0 };
	long page = sysconf(_SC_PAGESIZE);
	int id = tracepoint_id("kvm/kvm_emulate_insn", why, n);

	*p = (struct insnperf){ .fd = -1, .sink = sink };
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

		snprintf(why, n, "perf_event_open(kvm:kvm_emulate_insn): %s", strerror(e));
		return -e;
	}
	p->data_len = (size_t)DATA_PAGES * (size_t)page;
	p->map_len = p->data_len + (size_t)page;
	p->map = mmap(NULL, p->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
	if (p->map == MAP_FAILED) {
		int e = errno;

		snprintf(why, n, "mmap of the perf ring: %s", strerror(e));
		close(p->fd);
		p->fd = -1;
		return -e;
	}
	return 0;
}

#define CPU0_TSS_SELECTOR 0x28      /* guest/arch/x86_64/asm.h SEL_TSS */

/*
 * One emulated instruction: count it; tell the sink if it is one we cut at.
 * An emulation that failed is not one: on PVM, iretq and wrgsbase fire the
 * tracepoint with "failed" every time and then once more, emulated (KVM's
 * insn_emulation counts them once, insn_emulation_fail once).
 */
static void
insnperf_sample(struct insnperf *p, const uint8_t *raw, uint32_t size)
{
	int32_t disp;
	const uint8_t *in = raw + RAW_INSN;
	uint8_t len;

	if (size >= RAW_MIN && raw[RAW_FAILED]) {
		p->failed++;
		return;
	}
	p->seen++;
	if (size < RAW_MIN)
		return;
	len = raw[RAW_LEN];
	if (!p->sink->insn)
		return;
	/*
	 * A trace point's load of its ring's head (core/trace.h, trace_asm.h):
	 * movzwl/movzwq disp32(sib), reg — [REX] 0f b7 modrm(mod 0, rm 4) sib
	 * disp32. The SMP kernel's sib is 0xd5, head(,%rdx,8) with rdx the
	 * CPU's TSS selector (str); the sampled thread is vCPU 0's, whose
	 * selector is the kernel's SEL_TSS. The uniprocessor kernel's is 0x25,
	 * the head's own address.
	 */
	{
		const uint8_t *o = len == 9 && (in[0] & 0xf0) == 0x40 ? in + 1 : in;

		if ((len == 8 || o != in) && o[0] == 0x0f && o[1] == 0xb7 &&
		    (o[2] & 0xc7) == 0x04 && (o[3] == 0xd5 || o[3] == 0x25) &&
		    p->head_va) {
			uint64_t bias = o[3] == 0xd5 ? CPU0_TSS_SELECTOR * 8 : 0;

			memcpy(&disp, o + 4, 4);
			if ((uint64_t)(int64_t)disp + bias == p->head_va)
				p->sink->insn(p->sink->ctx, 0, p->seen, VMM_INSN_TRACE);
			return;
		}
	}
	if (len == 2 && in[0] == 0x48 && in[1] == 0xcf) {        /* iretq */
		p->sink->insn(p->sink->ctx, 0, p->seen, VMM_INSN_IRET);
	}
}

void
insnperf_drain(struct insnperf *p)
{
	struct perf_event_mmap_page *m = p->map;
	const uint8_t *data;
	uint64_t head, tail;
	uint8_t rec[512];

	if (p->fd < 0)
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
}
