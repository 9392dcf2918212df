/*
 * A packet filter with more to prove: an optional VLAN tag moves the IP
 * header, the IP header length and the TCP data offset are both variable,
 * and the first payload bytes are summed in a loop that checks each one.
 * Claims TCP SYNs to port 80; returns 1 + the sum of up to 4 payload bytes.
 */
#include <exo/ext.h>

SEC("event/packet")
int
tcp_syn(struct ext_packet_ctx *ctx)
{
	u8 *p = (u8 *)(long)ctx->data, *end = (u8 *)(long)ctx->data_end;
	u8 *ip = p + 14, *tcp, *payload;
	u32 sum = 0;
	u16 proto;

	if (p + 14 > end)
		return 0;
	proto = p[12] << 8 | p[13];
	if (proto == 0x8100) {          /* 802.1Q: the type follows the tag */
		if (p + 18 > end)
			return 0;
		proto = p[16] << 8 | p[17];
		ip = p + 18;
	}
	if (proto != 0x0800 || ip + 20 > end || ip[9] != 6)
		return 0;
	tcp = ip + (ip[0] & 0xf) * 4;
	if (tcp + 20 > end)
		return 0;
	payload = tcp + (tcp[12] >> 4) * 4;
	for (int i = 0; i < 4; i++) {
		if (payload + i + 1 > end)
			break;
		sum += payload[i];
	}
	if (!(tcp[13] & 0x02) || (tcp[2] << 8 | tcp[3]) != 80)
		return 0;
	return sum + 1;
}
