/*
 * The GDB server's parts that need no KVM: the protocol's framing
 * (vmm/gdbproto.c), the register layout gdb is told (vmm/gdbregs.c), the
 * walk of the guest's page tables (vmm/gdbmem.c), and --timeout's pause
 * while gdb holds the machine stopped (vmm/vmsignal.c).
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "vmm/gdbmem.h"
#include "vmm/gdbproto.h"
#include "vmm/gdbregs.h"
#include "vmm/gdbstate.h"
#include "vmm/machine.h"
#include "vmm/vmsignal.h"

/* Feed s; the last event other than NONE, and how many packets it completed. */
static enum gdb_rx_event
feed(struct gdb_rx *rx, const char *s, int *packets)
{
	enum gdb_rx_event ev = GDB_RX_NONE;

	*packets = 0;
	for (; *s; s++) {
		enum gdb_rx_event e = gdb_rx_byte(rx, (uint8_t)*s);

		ev = e == GDB_RX_NONE ? ev : e;
		*packets += e == GDB_RX_PACKET;
	}
	return ev;
}

/* A packet with its sum arrives whole; acks and noise around it are skipped. */
Test(gdbproto, packet_with_good_sum)
{
	static struct gdb_rx rx;
	int n;

	cr_assert_eq(feed(&rx, "+$qSupported:swbreak+#8b", &n), GDB_RX_PACKET);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(rx.buf, "qSupported:swbreak+");
	cr_assert_eq(feed(&rx, "+$g#67", &n), GDB_RX_PACKET);
	cr_assert_str_eq(rx.buf, "g");
}

/* A wrong sum, a non-hex sum and a packet longer than PacketSize are "-". */
Test(gdbproto, bad_packets_are_refused)
{
	static struct gdb_rx rx;
	static char big[GDB_PKT_MAX + 16];
	int n;

	cr_assert_eq(feed(&rx, "$g#68", &n), GDB_RX_BADSUM);
	cr_assert_eq(feed(&rx, "$g#z7", &n), GDB_RX_BADSUM);
	memset(big, 'a', sizeof(big) - 1);
	big[0] = '$';
	gdb_rx_byte(&rx, '$');
	for (size_t i = 1; i < sizeof(big) - 1; i++)
		gdb_rx_byte(&rx, 'a');
	/* the sum of the bytes that came does not matter: too long is refused */
	gdb_rx_byte(&rx, '#');
	gdb_rx_byte(&rx, '0');
	cr_assert_eq(gdb_rx_byte(&rx, '0'), GDB_RX_BADSUM);
	cr_assert_eq(feed(&rx, "$?#3f", &n), GDB_RX_PACKET, "framing recovers");
}

/* 0x03 between packets is Ctrl-C; inside a packet it is data. */
Test(gdbproto, interrupt_only_between_packets)
{
	static struct gdb_rx rx;

	cr_assert_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_INTERRUPT);
	gdb_rx_byte(&rx, '$');
	cr_assert_eq(gdb_rx_byte(&rx, 0x03), GDB_RX_NONE);
}

/* A reply is framed with the sum of its data; binary data is escaped and
 * gdb_unescape undoes it. */
Test(gdbproto, tx_frames_and_escapes)
{
	static struct gdb_tx tx;
	char bin[] = { 'a', '#', '$', '}', '*', 'z' };
	char back[16];
	long n;

	gdb_tx_begin(&tx);
	gdb_tx_str(&tx, "OK");
	gdb_tx_finish(&tx);
	cr_assert_eq(tx.len, 6);
	cr_assert_eq(memcmp(tx.buf, "$OK#9a", 6), 0);
	gdb_tx_begin(&tx);
	gdb_tx_bin(&tx, bin, sizeof(bin));
	cr_assert_eq(tx.len, 1 + 2 + 4 * 2);
	memcpy(back, tx.buf + 1, tx.len - 1);
	n = gdb_unescape(back, tx.len - 1);
	cr_assert_eq(n, (long)sizeof(bin));
	cr_assert_eq(memcmp(back, bin, sizeof(bin)), 0);
	cr_assert_eq(gdb_unescape(back, 1 + 0 * sizeof(back)) >= 0, true);
	back[0] = '}';
	cr_assert_eq(gdb_unescape(back, 1), -1, "an escape cut off is an error");
}

/* A reply that would pass PacketSize is cut and says so. */
Test(gdbproto, tx_never_overflows)
{
	static struct gdb_tx tx;
	static uint8_t big[GDB_PKT_MAX];

	gdb_tx_begin(&tx);
	gdb_tx_hex(&tx, big, sizeof(big));
	cr_assert(tx.full);
	cr_assert_leq(tx.len - 1, GDB_PKT_MAX);
}

Test(gdbproto, hex_numbers)
{
	const char *s = "ffffffff81000000,10";
	uint64_t v;

	cr_assert(gdb_hex_num(&s, &v));
	cr_assert_eq(v, 0xffffffff81000000ULL);
	cr_assert_eq(*s, ',');
	s = "10000000000000000";
	cr_assert_not(gdb_hex_num(&s, &v), "65 bits overflow");
	s = ",";
	cr_assert_not(gdb_hex_num(&s, &v), "no digits");
}

static struct gdb_cpu
sample_cpu(void)
{
	struct gdb_cpu c;

	memset(&c, 0, sizeof(c));
	c.r.rax = 0x1122334455667788ULL;
	c.r.rsp = 0xffffffff80001000ULL;
	c.r.rip = 0xffffffff80100000ULL;
	c.r.rflags = 0x246;
	c.s.cs.selector = 0x8;
	c.s.cr3 = 0x5000;
	c.s.efer = 0xd01;
	c.s.fs.base = 0x7000;
	c.kernel_gs_base = 0xabc;
	return c;
}

/* g: each register at its place, little-endian, the unavailable ones 'x'. */
Test(gdbregs, g_layout)
{
	static struct gdb_tx tx;
	struct gdb_cpu c = sample_cpu();
	size_t off = 1, rip_at = 1, fsb_at = 1;

	gdb_tx_begin(&tx);
	gdbregs_put_all(&tx, &c);
	for (unsigned i = 0; i < GDB_NREGS; i++) {
		if (i == GDB_REG_RIP)
			rip_at = off;
		if (i == 57)
			fsb_at = off;
		off += 2 * gdbregs_size(i);
	}
	cr_assert_eq(tx.len, off, "every register, nothing else");
	cr_assert_eq(memcmp(tx.buf + 1, "8877665544332211", 16), 0, "rax first");
	cr_assert_eq(memcmp(tx.buf + rip_at, "00001080ffffffff", 16), 0);
	cr_assert_eq(memcmp(tx.buf + rip_at + 16, "46020000", 8), 0, "eflags, 32 bits");
	cr_assert_eq(memcmp(tx.buf + rip_at + 24, "08000000", 8), 0, "cs, 32 bits");
	cr_assert_eq(tx.buf[rip_at + 72], 'x', "st0 unavailable");
	cr_assert_eq(memcmp(tx.buf + fsb_at, "0070000000000000", 16), 0, "fs_base");
	cr_assert_eq(memcmp(tx.buf + fsb_at + 32, "bc0a000000000000", 16), 0, "k_gs_base");
}

/* P writes general registers; control registers are refused. */
Test(gdbregs, p_writes_only_general_registers)
{
	struct gdb_cpu c = sample_cpu();

	cr_assert_eq(gdbregs_set(&c, 0, "0100000000000000"), 0);
	cr_assert_eq(c.r.rax, 1);
	cr_assert_eq(gdbregs_set(&c, GDB_REG_EFLAGS, "02000000"), 0);
	cr_assert_eq(c.r.rflags, 2);
	cr_assert_eq(gdbregs_set(&c, 62, "0000000000000000"), -EPERM, "cr3");
	cr_assert_eq(c.s.cr3, 0x5000);
	cr_assert_eq(gdbregs_set(&c, 0, "01"), -EINVAL, "too short");
	cr_assert_eq(gdbregs_set(&c, GDB_NREGS, "00"), -EINVAL);
}

/* G: what g sent comes back unchanged; a change to cr3 is refused whole. */
Test(gdbregs, g_round_trip)
{
	static struct gdb_tx tx;
	static char hex[2 * GDB_PKT_MAX];
	struct gdb_cpu c = sample_cpu(), d = c;
	size_t n, cr3_at = 0;

	gdb_tx_begin(&tx);
	gdbregs_put_all(&tx, &c);
	n = tx.len - 1;
	memcpy(hex, tx.buf + 1, n);
	memcpy(hex, "0200000000000000", 16);          /* rax = 2 */
	cr_assert_eq(gdbregs_set_all(&d, hex, n), 0);
	cr_assert_eq(d.r.rax, 2);
	cr_assert_eq(d.r.rip, c.r.rip);
	for (unsigned i = 0; i < 62; i++)
		cr3_at += 2 * gdbregs_size(i);
	hex[cr3_at] = '9';
	d = c;
	cr_assert_eq(gdbregs_set_all(&d, hex, n), -EPERM);
	cr_assert_eq(d.r.rax, c.r.rax, "nothing changed");
	hex[cr3_at] = '0';
	cr_assert_eq(gdbregs_set_all(&d, hex, n - 1), -EINVAL);
}

/* The description names the architecture and all 66 registers. */
Test(gdbregs, target_xml)
{
	const char *x = gdbregs_xml();
	unsigned regs = 0;

	cr_assert(strstr(x, "<architecture>i386:x86-64</architecture>"));
	for (const char *p = x; (p = strstr(p, "<reg ")); p++)
		regs++;
	cr_assert_eq(regs, GDB_NREGS);
	cr_assert(strstr(x, "name=\"efer\" bitsize=\"64\" type=\"int64\" regnum=\"65\""));
}

/* Guest memory with page tables: 4 KiB, 2 MiB and 1 GiB pages. */
#define MEM (8u << 20)
static uint8_t *mem;
static struct gdb_phys pm;

static void
pte(uint64_t table, unsigned idx, uint64_t val)
{
	memcpy(mem + table + idx * 8, &val, 8);
}

static void
mem_setup(void)
{
	mem = calloc(1, MEM);
	cr_assert(mem);
	pm = (struct gdb_phys){ mem, MEM };
	/* PML4 at 0x1000; entry 0 -> PDPT 0x2000, entry 511 -> PDPT 0x3000 */
	pte(0x1000, 0, 0x2000 | 1);
	pte(0x1000, 511, 0x3000 | 1);
	pte(0x2000, 0, 0x4000 | 1);            /* PD */
	pte(0x4000, 0, 0x5000 | 1);            /* PT for 0..2M */
	pte(0x5000, 1, 0x7000 | 1);            /* va 0x1000 -> pa 0x7000 */
	pte(0x5000, 2, 0x9000 | 1);            /* va 0x2000 -> pa 0x9000 */
	pte(0x4000, 1, 0x400000 | 0x81);       /* va 2M -> pa 4M, a 2 MiB page */
	pte(0x3000, 510, 0x0 | 0x81);          /* va -2G -> pa 0, a 1 GiB page */
}

static void
mem_teardown(void)
{
	free(mem);
}

TestSuite(gdbmem, .init = mem_setup, .fini = mem_teardown);

Test(gdbmem, translate_each_page_size)
{
	struct gdb_space sp = { true, 0x1000 };
	uint64_t pa, left;

	cr_assert_eq(gdbmem_translate(&pm, &sp, 0x1234, &pa, &left), 0);
	cr_assert_eq(pa, 0x7234);
	cr_assert_eq(left, 0x1000 - 0x234);
	cr_assert_eq(gdbmem_translate(&pm, &sp, 0x200010, &pa, &left), 0);
	cr_assert_eq(pa, 0x400010);
	cr_assert_eq(left, (2u << 20) - 0x10);
	cr_assert_eq(gdbmem_translate(&pm, &sp, 0xffffffff80000042ULL, &pa, &left), 0);
	cr_assert_eq(pa, 0x42);
}

Test(gdbmem, unmapped_and_outside_fail)
{
	struct gdb_space sp = { true, 0x1000 };
	uint64_t pa, left;

	cr_assert_eq(gdbmem_translate(&pm, &sp, 0x3000, &pa, &left), -EFAULT, "not present");
	cr_assert_eq(gdbmem_translate(&pm, &sp, 0x0000800000000000ULL, &pa, &left),
		     -EFAULT, "not canonical");
	/* a 1 GiB page beyond the 8 MiB of memory */
	cr_assert_eq(gdbmem_translate(&pm, &sp, 0xffffffff80000000ULL + MEM, &pa, &left),
		     -EFAULT);
	sp.cr3 = MEM;                           /* the root outside memory */
	cr_assert_eq(gdbmem_translate(&pm, &sp, 0x1000, &pa, &left), -EFAULT);
	sp = (struct gdb_space){ false, 0 };
	cr_assert_eq(gdbmem_translate(&pm, &sp, 0x1234, &pa, &left), 0, "paging off");
	cr_assert_eq(pa, 0x1234);
}

/* An access across pages follows each page; it stops where mapping ends. */
Test(gdbmem, access_crosses_pages)
{
	struct gdb_space sp = { true, 0x1000 };
	uint8_t in[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, out[8] = { 0 };

	cr_assert_eq(gdbmem_access(&pm, &sp, 0x1ffc, in, 8, true), 8);
	cr_assert_eq(memcmp(mem + 0x7ffc, in, 4), 0);
	cr_assert_eq(memcmp(mem + 0x9000, in + 4, 4), 0);
	cr_assert_eq(gdbmem_access(&pm, &sp, 0x1ffc, out, 8, false), 8);
	cr_assert_eq(memcmp(out, in, 8), 0);
	cr_assert_eq(gdbmem_access(&pm, &sp, 0x2ffc, out, 8, false), 4,
		     "0x3000 is not mapped");
}

/* --timeout does not run while gdb holds the machine stopped: the alarm
 * that comes then is put off (the run has not had its time), and one that
 * comes when the machine ran for the whole timeout stops it. */
Test(gdbtimeout, paused_time_does_not_count, .timeout = 20)
{
	static struct vmm vm;
	static struct gdb_stub g;
	struct diag d;
	enum vmm_outcome why;

	g.wake_rd = g.wake_wr = -1;
	vm.gdb = &g;
	g.stopped_at_ns = gdb_now_ns();         /* stopped from the start */
	cr_assert_eq(vmsignal_arm(&vm, 0.02, &d), 0);
	pause();                                /* the first SIGALRM */
	cr_assert_not(vmsignal_pending(&why), "stopped in gdb: no timeout");
	/* as if it had never stopped: the next alarm ends the run */
	__atomic_store_n(&g.stopped_at_ns, 0, __ATOMIC_RELAXED);
	pause();
	cr_assert(vmsignal_pending(&why));
	cr_assert_eq(why, VMM_TIMEOUT);
	vmsignal_disarm();
}

/* --gdb's address: a port alone is loopback; a port in use, or a bad
 * address, is refused with a message that names it. */
Test(gdbstub, listen_and_refuse)
{
	static struct vmm vm;
	static struct vmm_config cfg = { .kernel_path = "exo-kernel" };
	struct gdb_stub *g = NULL, *h = NULL;
	struct diag d = { "" };
	char addr[32];

	vm.cfg = &cfg;
	vm.kvm.kvm_fd = -1;
	cr_assert_eq(gdbstub_open(&vm, "0", false, &g, &d), 0, "%s", d.msg);
	cr_assert_gt(gdbstub_port(g), 0);
	snprintf(addr, sizeof(addr), "127.0.0.1:%u", gdbstub_port(g));
	cr_assert_eq(gdbstub_open(&vm, addr, false, &h, &d), -EADDRINUSE);
	cr_assert(strstr(d.msg, "is in use"), "%s", d.msg);
	cr_assert(strstr(d.msg, addr + strlen("127.0.0.1:")), "names the port: %s", d.msg);
	gdbstub_close(h);
	h = NULL;
	cr_assert_eq(gdbstub_open(&vm, "70000", false, &h, &d), -EINVAL);
	cr_assert(strstr(d.msg, "70000"), "%s", d.msg);
	gdbstub_close(h);
	h = NULL;
	cr_assert_eq(gdbstub_open(&vm, "localhost:x", false, &h, &d), -EINVAL);
	gdbstub_close(h);
	gdbstub_close(g);
}
