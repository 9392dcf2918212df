/*
 * What each packet gdb sends means, and the replies: see gdbstub.h. The
 * packets are those of GDB's "Remote Protocol" appendix that an all-stop,
 * one-process target needs; anything else gets the empty reply, which gdb
 * reads as "not supported".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gdbstate.h"
#include "machine.h"

/* Bytes an m packet may ask for: their hex fills a packet. */
#define GDB_MEM_MAX (GDB_PKT_MAX / 2)

void
gdb_send(struct gdb_stub *g, const char *p, size_t n)
{
	while (n && g->fd >= 0) {
		ssize_t w = write(g->fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;         /* the reader sees the end of the connection */
		p += w;
		n -= (size_t)w;
	}
}

void
gdb_reply(struct gdb_stub *g, const char *s)
{
	gdb_tx_begin(&g->tx);
	gdb_tx_str(&g->tx, s);
	gdb_tx_finish(&g->tx);
	gdb_send(g, g->tx.buf, g->tx.len);
}

static void
reply_tx(struct gdb_stub *g)
{
	gdb_tx_finish(&g->tx);
	gdb_send(g, g->tx.buf, g->tx.len);
}

static void
reply_err(struct gdb_stub *g, int err)
{
	char s[8];

	snprintf(s, sizeof(s), "E%02x", err & 0xff);
	gdb_reply(g, s);
}

/* The vCPU a thread id names ("-1" or "0": any, as -1), or -2 if none. */
static int
thread_cpu(struct gdb_stub *g, const char *s)
{
	uint64_t tid;

	if (!strcmp(s, "-1") || !strcmp(s, "0"))
		return -1;
	if (!gdb_hex_num(&s, &tid) || *s || tid < 1 || tid > g->vm->kvm.ncpus ||
	    !g->vm->vcpus[tid - 1].started)
		return -2;
	return (int)tid - 1;
}

static void
stop_reply(struct gdb_stub *g, int sig, int cpu, const char *kind)
{
	g->gcpu = cpu;
	gdb_tx_begin(&g->tx);
	gdb_tx_fmt(&g->tx, "T%02xthread:%x;", sig, cpu + 1);
	if (kind)
		gdb_tx_fmt(&g->tx, "%s:;", kind);
	reply_tx(g);
}

/* '?' and the end of a resume: say why the machine stopped, once all its
 * vCPUs are parked (else when the last one parks). */
void
gdb_stop_reply_if_due(struct gdb_stub *g)
{
	struct vmm *vm = g->vm;
	int sig = 0, cpu = 0;
	const char *kind = NULL;

	pthread_mutex_lock(&vm->lock);
	if (g->reply_due && gdbstop_all_parked(g)) {
		g->reply_due = false;
		sig = g->stop_sig;
		cpu = g->stop_cpu >= 0 ? g->stop_cpu : 0;
		kind = g->stop_kind;
	}
	pthread_mutex_unlock(&vm->lock);
	if (sig)
		stop_reply(g, sig, cpu, kind);
}

static int
cmd_question(struct gdb_stub *g, const char *a)
{
	(void)a;
	pthread_mutex_lock(&g->vm->lock);
	g->reply_due = true;
	pthread_mutex_unlock(&g->vm->lock);
	gdb_stop_reply_if_due(g);
	return 0;
}

static int
cmd_supported(struct gdb_stub *g, const char *a)
{
	(void)a;
	gdb_tx_begin(&g->tx);
	gdb_tx_fmt(&g->tx, "PacketSize=%x;qXfer:features:read+;swbreak+;hwbreak+;"
		   "QStartNoAckMode+;vContSupported+", GDB_PKT_MAX);
	reply_tx(g);
	return 0;
}

static int
cmd_noack(struct gdb_stub *g, const char *a)
{
	(void)a;
	gdb_reply(g, "OK");
	g->no_ack = true;
	return 0;
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static int
cmd_features(struct gdb_stub *g, const char *a)
{
	const char *xml = gdbregs_xml();
	uint64_t off, len, size = strlen(xml);

	if (strncmp(a, "target.xml:", 11)) {
		gdb_reply(g, "E00");
		return 0;
	}
	a += 11;
	if (!gdb_hex_num(&a, &off) || *a++ != ',' || !gdb_hex_num(&a, &len)) {
		gdb_reply(g, "E01");
		return 0;
	}
	if (len > GDB_PKT_MAX / 2)
		len = GDB_PKT_MAX / 2;          /* escapes may double it */
	gdb_tx_begin(&g->tx);
	if (off >= size) {
		gdb_tx_str(&g->tx, "l");
	} else {
		gdb_tx_str(&g->tx, off + len >= size ? "l" : "m");
		gdb_tx_bin(&g->tx, xml + off, off + len >= size ? size - off : len);
	}
	reply_tx(g);
	return 0;
}

static int
cmd_threads(struct gdb_stub *g, const char *a)
{
	char sep = 'm';

	(void)a;
	gdb_tx_begin(&g->tx);
	for (unsigned i = 0; i < g->vm->kvm.ncpus; i++)
		if (g->vm->vcpus[i].started) {
			gdb_tx_fmt(&g->tx, "%c%x", sep, i + 1);
			sep = ',';
		}
	if (sep == 'm')
		gdb_tx_str(&g->tx, "m1");       /* vCPU 0, parked before its start */
	reply_tx(g);
	return 0;
}

static int
cmd_threads_end(struct gdb_stub *g, const char *a)
{
	(void)a;
	gdb_reply(g, "l");
	return 0;
}

static int
cmd_current(struct gdb_stub *g, const char *a)
{
	char s[16];

	if (*a) {                       /* qCRC and the like: not offered */
		gdb_reply(g, "");
		return 0;
	}
	snprintf(s, sizeof(s), "QC%x", g->gcpu + 1);
	gdb_reply(g, s);
	return 0;
}

static int
cmd_attached(struct gdb_stub *g, const char *a)
{
	(void)a;
	gdb_reply(g, "1");
	return 0;
}

static int
cmd_extra_info(struct gdb_stub *g, const char *a)
{
	char name[24];
	int cpu = thread_cpu(g, a);

	snprintf(name, sizeof(name), "vCPU %d", cpu < 0 ? 0 : cpu);
	gdb_tx_begin(&g->tx);
	gdb_tx_hex(&g->tx, name, strlen(name));
	reply_tx(g);
	return 0;
}

/* Hg (registers, memory) or Hc (legacy c/s): a thread, or any. */
static int
cmd_set_thread(struct gdb_stub *g, const char *a)
{
	int cpu = thread_cpu(g, a + 1);

	if (cpu == -2 || (a[0] != 'g' && a[0] != 'c')) {
		gdb_reply(g, "E01");
		return 0;
	}
	if (a[0] == 'g' && cpu >= 0)
		g->gcpu = cpu;
	gdb_reply(g, "OK");
	return 0;
}

static int
cmd_alive(struct gdb_stub *g, const char *a)
{
	gdb_reply(g, thread_cpu(g, a) >= 0 ? "OK" : "E01");
	return 0;
}

static int
cmd_regs(struct gdb_stub *g, const char *a)
{
	struct gdb_cpu c;
	int r = gdbstop_regs_get(g, g->gcpu, &c);

	(void)a;
	if (r < 0) {
		reply_err(g, -r);
		return 0;
	}
	gdb_tx_begin(&g->tx);
	gdbregs_put_all(&g->tx, &c);
	reply_tx(g);
	return 0;
}

static int
cmd_set_regs(struct gdb_stub *g, const char *a)
{
	struct gdb_cpu c;
	int r = gdbstop_regs_get(g, g->gcpu, &c);

	if (!r)
		r = gdbregs_set_all(&c, a, strlen(a));
	if (!r)
		r = gdbstop_regs_set(g, g->gcpu, &c);
	if (r < 0)
		reply_err(g, -r);
	else
		gdb_reply(g, "OK");
	return 0;
}

static int
cmd_reg(struct gdb_stub *g, const char *a)
{
	struct gdb_cpu c;
	uint64_t n;

	if (!gdb_hex_num(&a, &n) || *a || n >= GDB_NREGS) {
		gdb_reply(g, "E01");
		return 0;
	}
	if (gdbstop_regs_get(g, g->gcpu, &c) < 0) {
		gdb_reply(g, "E05");
		return 0;
	}
	gdb_tx_begin(&g->tx);
	gdbregs_put(&g->tx, &c, (unsigned)n);
	reply_tx(g);
	return 0;
}

static int
cmd_set_reg(struct gdb_stub *g, const char *a)
{
	struct gdb_cpu c;
	uint64_t n;
	int r;

	if (!gdb_hex_num(&a, &n) || *a++ != '=' || n >= GDB_NREGS) {
		gdb_reply(g, "E01");
		return 0;
	}
	r = gdbstop_regs_get(g, g->gcpu, &c);
	if (!r)
		r = gdbregs_set(&c, (unsigned)n, a);
	if (!r)
		r = gdbstop_regs_set(g, g->gcpu, &c);
	if (r < 0)
		reply_err(g, -r);
	else
		gdb_reply(g, "OK");
	return 0;
}

/* "ADDR,LEN" then sep: false if malformed or LEN is too long. */
static bool
addr_len(const char **a, uint64_t *addr, uint64_t *len, char sep)
{
	return gdb_hex_num(a, addr) && *(*a)++ == ',' && gdb_hex_num(a, len) &&
	       *len <= GDB_MEM_MAX && *(*a)++ == sep;
}

static int
cmd_read_mem(struct gdb_stub *g, const char *a)
{
	static uint8_t buf[GDB_MEM_MAX];
	uint64_t addr, len;
	size_t n;

	if (!addr_len(&a, &addr, &len, '\0')) {
		gdb_reply(g, "E01");
		return 0;
	}
	if (len >= GDB_MEM_MAX)
		len = GDB_MEM_MAX - 1;
	n = gdbstop_mem(g, g->gcpu, addr, buf, len, false);
	if (!n && len) {
		reply_err(g, EFAULT);
		return 0;
	}
	gdb_tx_begin(&g->tx);
	gdb_tx_hex(&g->tx, buf, n);
	reply_tx(g);
	return 0;
}

static int
cmd_write_mem(struct gdb_stub *g, const char *a)
{
	static uint8_t buf[GDB_MEM_MAX];
	uint64_t addr, len;

	if (!addr_len(&a, &addr, &len, ':') || strlen(a) != 2 * len ||
	    !gdb_hex_decode(a, buf, len)) {
		gdb_reply(g, "E01");
		return 0;
	}
	if (gdbstop_mem(g, g->gcpu, addr, buf, len, true) != len)
		reply_err(g, EFAULT);
	else
		gdb_reply(g, "OK");
	return 0;
}

/* X: binary data; its length was counted before the escapes. */
static int
cmd_write_bin(struct gdb_stub *g, const char *a)
{
	uint64_t addr, len;
	char *data;
	long n;

	if (!addr_len(&a, &addr, &len, ':')) {
		gdb_reply(g, "E01");
		return 0;
	}
	data = g->rx.buf + (a - g->rx.buf);
	n = gdb_unescape(data, g->rx.len - (size_t)(a - g->rx.buf));
	if (n < 0 || (uint64_t)n != len) {
		gdb_reply(g, "E01");
		return 0;
	}
	if (len && gdbstop_mem(g, g->gcpu, addr, data, len, true) != len)
		reply_err(g, EFAULT);
	else
		gdb_reply(g, "OK");
	return 0;
}

/* What this KVM would not do, said once on exo's stderr. */
static void
say_unsupported(struct gdb_stub *g, const char *what, int err, const char *instead)
{
	fprintf(stderr, "exo: gdb: %s: this KVM refused (KVM_SET_GUEST_DEBUG: %s)%s%s\n",
		what, strerror(err), instead ? "; " : "", instead ? instead : "");
	(void)g;
}

/* Z0/z0 (int3 in memory), Z1/z1 (debug registers): "TYPE,ADDR,KIND". */
static int
cmd_breakpoint(struct gdb_stub *g, const char *a)
{
	bool insert = a[-1] == 'Z';
	char type = a[0];
	uint64_t addr;
	int r;

	a++;
	if ((type != '0' && type != '1') || *a++ != ',' || !gdb_hex_num(&a, &addr)) {
		gdb_reply(g, "");           /* watchpoints: not offered */
		return 0;
	}
	if (type == '1' && g->bp_by_step)
		type = '0';             /* the same steps find both */
	if (type == '0')
		r = insert ? gdbstop_swbp_insert(g, addr) : gdbstop_swbp_remove(g, addr);
	else
		r = insert ? gdbstop_hwbp_insert(g, addr) : gdbstop_hwbp_remove(g, addr);
	if (r < 0 && r != -EFAULT && r != -ENOSPC)
		say_unsupported(g, type == '0' ? "software breakpoints (int3)" :
				"hardware breakpoints", -r, type == '0' ?
				"use hbreak (debug registers) instead" :
				"use break (int3) instead");
	if (r < 0)
		reply_err(g, -r);
	else
		gdb_reply(g, "OK");
	return 0;
}

/* Resume with the actions set; the stop reply comes when all park again. */
static int
resume(struct gdb_stub *g)
{
	int r;

	pthread_mutex_lock(&g->vm->lock);
	r = gdbstop_resume(g);
	if (!r)
		g->reply_due = true;
	pthread_mutex_unlock(&g->vm->lock);
	if (r < 0) {
		say_unsupported(g, "single step", -r, NULL);
		reply_err(g, -r);
	}
	return 0;
}

static void
set_actions(struct gdb_stub *g, int step_cpu)
{
	for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
		g->action[i] = (int)i == step_cpu ? GDB_STEP : GDB_CONTINUE;
}

/* c [ADDR] and s [ADDR]: all continue; s steps the Hg vCPU. A new
 * address is not supported (gdb does not send one). */
static int
cmd_continue(struct gdb_stub *g, const char *a)
{
	set_actions(g, a[-1] == 's' ? g->gcpu : -1);
	return resume(g);
}

static int
cmd_vcont_query(struct gdb_stub *g, const char *a)
{
	(void)a;
	gdb_reply(g, "vCont;c;C;s;S");
	return 0;
}

/* vCont;ACTION[:TID]...: each vCPU takes the first action that names it
 * (or names no thread); a signal (C, S) is not delivered (none exists). */
static int
cmd_vcont(struct gdb_stub *g, const char *a)
{
	bool set[EXO_MAX_CPUS] = { false };

	set_actions(g, -1);
	while (*a == ';') {
		char act = a[1];
		uint64_t v;
		int cpu = -1;

		a += 2;
		if ((act == 'C' || act == 'S') && !gdb_hex_num(&a, &v))
			break;
		if (*a == ':') {
			char tid[24];
			size_t n = strcspn(++a, ";");

			snprintf(tid, sizeof(tid), "%.*s", (int)n, a);
			cpu = thread_cpu(g, tid);
			a += n;
		}
		for (unsigned i = 0; i < EXO_MAX_CPUS; i++)
			if (!set[i] && (cpu == -1 || (int)i == cpu)) {
				set[i] = true;
				g->action[i] = act == 's' || act == 'S' ? GDB_STEP : GDB_CONTINUE;
			}
	}
	return resume(g);
}

static int
cmd_detach(struct gdb_stub *g, const char *a)
{
	(void)a;
	gdb_reply(g, "OK");
	gdb_leave(g);
	fprintf(stderr, "exo: gdb: the debugger detached; the guest runs on\n");
	return 1;
}

static int
cmd_kill(struct gdb_stub *g, const char *a)
{
	(void)a;
	fprintf(stderr, "exo: gdb: the debugger killed the guest\n");
	pthread_mutex_lock(&g->vm->lock);
	vmm_stop(g->vm, VMM_INTERRUPTED, 0);
	pthread_cond_broadcast(&g->resume);
	pthread_mutex_unlock(&g->vm->lock);
	return 1;
}

static const struct {
	const char *prefix;
	int (*fn)(struct gdb_stub *g, const char *args);
} commands[] = {
	{ "qSupported", cmd_supported },
	{ "QStartNoAckMode", cmd_noack },
	{ "qXfer:features:read:", cmd_features },
	{ "qfThreadInfo", cmd_threads },
	{ "qsThreadInfo", cmd_threads_end },
	{ "qC", cmd_current },
	{ "qAttached", cmd_attached },
	{ "qThreadExtraInfo,", cmd_extra_info },
	{ "vCont?", cmd_vcont_query },
	{ "vCont", cmd_vcont },
	{ "?", cmd_question },
	{ "H", cmd_set_thread }, { "T", cmd_alive },
	{ "g", cmd_regs }, { "G", cmd_set_regs },
	{ "p", cmd_reg }, { "P", cmd_set_reg },
	{ "m", cmd_read_mem }, { "M", cmd_write_mem }, { "X", cmd_write_bin },
	{ "Z", cmd_breakpoint }, { "z", cmd_breakpoint },
	{ "c", cmd_continue }, { "s", cmd_continue },
	{ "D", cmd_detach }, { "k", cmd_kill },
};

/* One packet: 1 if the session is over. Only '?' and the end of the
 * session are answered while the guest runs (gdb waits for a stop). */
int
gdb_command(struct gdb_stub *g, const char *p)
{
	bool stopped;

	pthread_mutex_lock(&g->vm->lock);
	stopped = gdbstop_all_parked(g);
	pthread_mutex_unlock(&g->vm->lock);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		size_t n = strlen(commands[i].prefix);

		if (strncmp(p, commands[i].prefix, n))
			continue;
		if (!stopped && p[0] != '?' && p[0] != 'D' && p[0] != 'k' &&
		    strncmp(p, "qSupported", 10) && strncmp(p, "QStart", 6)) {
			gdb_reply(g, "E10");        /* the machine is not stopped yet */
			return 0;
		}
		return commands[i].fn(g, p + n);
	}
	gdb_reply(g, "");                           /* not supported */
	return 0;
}

