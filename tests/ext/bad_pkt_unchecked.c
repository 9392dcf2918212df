/*
 * A packet filter that reads the Ethernet type without proving the bytes
 * below data_end: the checker must refuse it (pkt_bounds).
 */
#include <exo/ext.h>

SEC("event/packet")
int
unchecked(struct ext_packet_ctx *ctx)
{
	u8 *p = (u8 *)(long)ctx->data;

	return p[12] == 0x08;
}
