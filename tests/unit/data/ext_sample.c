/*
 * A sample extension for the compiler's tests: typical handler code (context
 * reads and writes, a loop clang unrolls, a switch, byte swaps, 32-bit
 * arithmetic, division by a context value) as clang -O2 -target bpf
 * compiles it. Built by tests/CMakeLists.txt; no helpers, so it runs on the
 * host as it is.
 */
typedef unsigned long long u64_t;
typedef unsigned int u32_t;
typedef unsigned short u16_t;
typedef unsigned char u8_t;

#ifndef SEC     /* the unit test builds this file for the host too */
#define SEC(name) __attribute__((section(name), used))
#endif

struct sample_ctx {
	u64_t addr;               /* 0 */
	u32_t error;              /* 8 */
	u32_t flags;              /* 12 */
	u8_t bytes[16];           /* 16 */
	u64_t counter;            /* 32 */
	u64_t result;             /* 40 */
	u16_t port;               /* 48, network order */
	u16_t divisor;            /* 50 */
	u32_t pad;                /* 52 */
};

SEC("event/sample")
u64_t
sample(struct sample_ctx *c)
{
	u64_t page = c->addr >> 12;
	u32_t sum = 0;

#ifdef __clang__
#pragma unroll
#endif
	for (int i = 0; i < 16; i++)
		sum = sum * 31 + c->bytes[i];
	if (c->error & 2)
		c->flags |= 1;
	switch (c->error & 7) {
	case 0: sum += 11; break;
	case 1: sum ^= 0x5a5a; break;
	case 3: sum -= (u32_t)page; break;
	case 6: sum = sum << 3 | sum >> 29; break;
	default: break;
	}
	c->counter++;
	c->result = page ^ sum ^ __builtin_bswap32(c->error);
	return (u64_t)__builtin_bswap16(c->port) + c->addr % (c->divisor ? c->divisor : 1) +
	       (u64_t)sum / (c->divisor + 0u);
}

SEC("event/classify")
u64_t
classify(struct sample_ctx *c)
{
	u64_t a = c->addr;

	if (a < 0x1000)
		return 0;
	if ((long long)a < 0)
		return 1;
	if ((a & 0xfff) == 0 && c->error == 4)
		return 2;
	return 3 + (c->flags > 7) + (c->port == 0x5000);
}
