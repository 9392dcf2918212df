/* The extension helpers on the host: see ext_helpers.h. */
#include "ext_helpers.h"

#include <string.h>
#include <time.h>

static struct ext_host_state *cur;

void
ext_host_use(struct ext_host_state *s)
{
	cur = s;
}

static u64
host_ktime(u64 a, u64 b, u64 c, u64 d, u64 e)
{
	struct timespec ts;
	u64 now;

	(void)a, (void)b, (void)c, (void)d, (void)e;
	if (cur->replay && cur->next_clock < cur->nclock)
		return cur->clock[cur->next_clock++];
	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (u64)ts.tv_sec * 1000000000ull + (u64)ts.tv_nsec;
	if (!cur->replay && cur->nclock < EXT_HOST_CLOCK_LOG)
		cur->clock[cur->nclock++] = now;
	return now;
}

/* The bytes as text if they are printable, else in hex. */
static u64
host_trace(u64 buf, u64 n, u64 c, u64 d, u64 e)
{
	const u8 *p = (const u8 *)(uintptr_t)buf;
	bool text = true;

	(void)c, (void)d, (void)e;
	if (!cur->trace)
		return 0;
	for (u64 k = 0; k < n; k++)
		text &= (p[k] >= 0x20 && p[k] < 0x7f) || (p[k] == 0 && k == n - 1);
	fprintf(cur->trace, "trace:");
	if (text)
		fprintf(cur->trace, " %.*s", (int)n, (const char *)p);
	else
		for (u64 k = 0; k < n; k++)
			fprintf(cur->trace, " %02x", p[k]);
	fprintf(cur->trace, "\n");
	return 0;
}

/* A slot out of range is the program's mistake: -EINVAL (the kernel has no
 * helpers yet; its own must answer the same). */
static u64
host_counter_add(u64 slot, u64 delta, u64 c, u64 d, u64 e)
{
	(void)c, (void)d, (void)e;
	if (slot >= EXT_COUNTER_SLOTS)
		return (u64)-22;        /* -EINVAL */
	cur->counters[slot] += delta;
	return 0;
}

static u64
host_store(u64 slot, u64 b, u64 c, u64 d, u64 e)
{
	(void)b, (void)c, (void)d, (void)e;
	return slot < EXT_STORE_SLOTS ? (u64)(uintptr_t)cur->store[slot] : 0;
}

/* Bytes [off, off + n) of the packet, or -EFAULT with the buffer zeroed
 * (the checker counts it written either way). */
static u64
host_pkt_load(u64 ctx, u64 off, u64 to, u64 n, u64 e)
{
	const struct ext_packet_ctx *p = (const struct ext_packet_ctx *)(uintptr_t)ctx;
	u64 len = p->data_end - p->data;

	(void)e;
	if (off > len || n > len - off) {
		memset((void *)(uintptr_t)to, 0, n);
		return (u64)-14;
	}
	memcpy((void *)(uintptr_t)to, (const u8 *)(uintptr_t)p->data + off, n);
	return 0;
}

static ebpf_helper_fn *const host_fn[EXT_HELPER_COUNT] = {
	[EXT_HELPER_KTIME] = host_ktime,
	[EXT_HELPER_TRACE] = host_trace,
	[EXT_HELPER_COUNTER_ADD] = host_counter_add,
	[EXT_HELPER_STORE] = host_store,
	[EXT_HELPER_PKT_LOAD] = host_pkt_load,
};

const struct ebpf_helpers ext_host_helpers = { host_fn, EXT_HELPER_COUNT };

void
ext_host_replay(struct ext_host_state *to, const struct ext_host_state *before,
		const struct ext_host_state *after)
{
	*to = *before;
	memcpy(to->clock, after->clock, sizeof(to->clock));
	to->nclock = after->nclock;
	to->next_clock = 0;
	to->replay = true;
	to->trace = NULL;
}

void
ext_host_print(FILE *f, const struct ext_host_state *s)
{
	static const u8 zero[EXT_STORE_SIZE];

	for (u32 k = 0; k < EXT_COUNTER_SLOTS; k++)
		if (s->counters[k])
			fprintf(f, "counter %u = %llu\n", k, (unsigned long long)s->counters[k]);
	for (u32 k = 0; k < EXT_STORE_SLOTS; k++) {
		if (!memcmp(s->store[k], zero, sizeof(zero)))
			continue;
		fprintf(f, "store %u:", k);
		for (u32 m = 0; m < EXT_STORE_SIZE; m++)
			fprintf(f, "%s%02x", m % 8 ? "" : " ", s->store[k][m]);
		fprintf(f, "\n");
	}
}

i64
ext_host_missing(const struct bpf_insn *prog, u32 n, i32 *id)
{
	for (u32 i = 0; i < n; i++)
		if (prog[i].code == (BPF_JMP | BPF_CALL) && !BPF_SRC(&prog[i]) &&
		    !ebpf_helper(&ext_host_helpers, prog[i].imm)) {
			*id = prog[i].imm;
			return i;
		}
	return -1;
}
