/*
 * An exokernel packet filter: claim IPv4 UDP packets to one port, reading
 * Ethernet, IP (with its variable header length) and UDP headers only after
 * proving each below data_end, as the checker demands. Returns the bytes to
 * deliver, or 0 for "not mine".
 */
#include <exo/ext.h>

#define ETH_HLEN   14
#define ETH_P_IP   0x0800
#define IPPROTO_UDP 17
#define PORT       5353

SEC("event/packet")
int
udp_port(struct ext_packet_ctx *ctx)
{
	u8 *p = (u8 *)(long)ctx->data;
	u8 *end = (u8 *)(long)ctx->data_end;
	u8 *ip, *udp;
	u32 ihl;

	if (p + ETH_HLEN + 20 > end)
		return 0;
	if ((p[12] << 8 | p[13]) != ETH_P_IP)
		return 0;
	ip = p + ETH_HLEN;
	if (ip[0] >> 4 != 4 || ip[9] != IPPROTO_UDP)
		return 0;
	ihl = (ip[0] & 0xf) * 4;
	if (ihl < 20)
		return 0;
	udp = ip + ihl;
	if (udp + 8 > end)
		return 0;
	if ((udp[2] << 8 | udp[3]) != PORT)
		return 0;
	ctx->mark = PORT;
	return ctx->len;
}

/* The same test as a guard: does this packet belong to the port? */
SEC("guard/packet")
int
is_ip(struct ext_packet_ctx *ctx)
{
	u8 *p = (u8 *)(long)ctx->data;
	u8 *end = (u8 *)(long)ctx->data_end;

	if (p + ETH_HLEN > end)
		return 0;
	return (p[12] << 8 | p[13]) == ETH_P_IP;
}
