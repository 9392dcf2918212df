/*
 * The GDB server: its socket, its thread, and what each packet means. See
 * gdbstub.h; stopping and breakpoints are gdbstop.c's, the framing
 * gdbproto.c's, registers gdbregs.c's.
 */
#define _GNU_SOURCE
#include "gdbstub.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gdbstate.h"
#include "jail.h"
#include "machine.h"
#include "vmsignal.h"

void
gdbstub_wake(struct gdb_stub *g)
{
	char c = 0;
	ssize_t r = write(g->wake_wr, &c, 1);   /* a full pipe wakes as well */

	(void)r;
}

unsigned
gdbstub_port(const struct gdb_stub *g)
{
	return g->port;
}

/* The run stopped, or a signal came: 1 if the session is over. */
static int
gdb_on_wake(struct gdb_stub *g)
{
	struct vmm *vm = g->vm;
	enum vmm_outcome why;
	char buf[64];

	while (read(g->wake_rd, buf, sizeof(buf)) > 0)
		;
	pthread_mutex_lock(&vm->lock);
	if (!vm->stop && vmsignal_pending(&why))
		vmm_stop(vm, why, 0);
	if (vm->stop)
		pthread_cond_broadcast(&g->resume);     /* parked vCPUs end */
	pthread_mutex_unlock(&vm->lock);
	if (!vm->stop) {
		gdb_stop_reply_if_due(g);
		return 0;
	}
	if (g->fd >= 0) {
		snprintf(buf, sizeof(buf), vm->result.outcome == VMM_EXITED ? "W%02x" : "X09",
			 vm->result.status & 0xff);
		gdb_reply(g, buf);
	}
	return 1;
}

/* Wait for fd or the wake pipe: 1 if fd is readable, 0 if woken. */
static int
gdb_wait(struct gdb_stub *g, int fd)
{
	struct pollfd p[2] = { { .fd = fd, .events = POLLIN },
			       { .fd = g->wake_rd, .events = POLLIN } };

	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return 0;
	return p[1].revents ? 0 : 1;
}

/* Stop every vCPU and wait until all are parked: KVM_SET_GUEST_DEBUG must
 * not wait on a vCPU in KVM_RUN with vm->lock held. false if the run ended. */
static bool
gdb_halt(struct gdb_stub *g, int sig)
{
	struct vmm *vm = g->vm;
	enum vmm_outcome why;
	char buf[64];
	bool parked;

	gdbstop_request(g, sig);
	for (;;) {
		pthread_mutex_lock(&vm->lock);
		if (!vm->stop && vmsignal_pending(&why))
			vmm_stop(vm, why, 0);
		parked = gdbstop_all_parked(g);
		pthread_mutex_unlock(&vm->lock);
		if (parked || vm->stop)
			return !vm->stop;
		gdb_wait(g, -1);
		while (read(g->wake_rd, buf, sizeof(buf)) > 0)
			;
	}
}

void
gdb_leave(struct gdb_stub *g)
{
	if (!gdb_halt(g, SIGINT))
		return;
	pthread_mutex_lock(&g->vm->lock);
	gdbstop_clear(g);
	gdbstop_resume(g);
	g->reply_due = false;
	pthread_mutex_unlock(&g->vm->lock);
}

/* Bytes from gdb: 1 if the session is over. */
static int
gdb_on_input(struct gdb_stub *g)
{
	uint8_t buf[4096];
	ssize_t n = read(g->fd, buf, sizeof(buf));

	if (n <= 0) {
		fprintf(stderr, "exo: gdb: the debugger went away; the guest runs on\n");
		gdb_leave(g);
		return 1;
	}
	for (ssize_t i = 0; i < n; i++) {
		switch (gdb_rx_byte(&g->rx, buf[i])) {
		case GDB_RX_PACKET:
			if (!g->no_ack)
				gdb_send(g, "+", 1);
			if (g->vm->cfg->verbose)
				fprintf(stderr, "exo: gdb: <- %.*s\n", 120, g->rx.buf);
			if (gdb_command(g, g->rx.buf))
				return 1;
			break;
		case GDB_RX_BADSUM:
			gdb_send(g, "-", 1);
			break;
		case GDB_RX_INTERRUPT:
			gdbstop_request(g, SIGINT);
			break;
		case GDB_RX_NONE:
			break;
		}
	}
	return 0;
}


/* Wait for the debugger: 0 once it is connected, -1 if the run ended. */
static int
gdb_accept(struct gdb_stub *g)
{
	int one = 1;

	for (;;) {
		if (!gdb_wait(g, g->listen_fd)) {
			if (gdb_on_wake(g))
				return -1;
			continue;
		}
		g->fd = accept4(g->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (g->fd >= 0)
			break;
	}
	close(g->listen_fd);
	g->listen_fd = -1;
	setsockopt(g->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return 0;
}

static void *
gdb_main(void *arg)
{
	struct gdb_stub *g = arg;
	struct diag d;
	bool over;

	if (gdb_accept(g) < 0)
		return NULL;
	/* From here the thread reads what a debugger sends: jailed. */
	if (!g->vm->cfg->no_jail && jail_enter("the gdb thread", &d) < 0) {
		fprintf(stderr, "exo: gdb: %s\n", d.msg);
		return NULL;            /* gdbstub_close closes the connection */
	}
	fprintf(stderr, "exo: gdb: a debugger connected on %s\n", g->where);
	pthread_mutex_lock(&g->vm->lock);
	g->attached = true;
	pthread_mutex_unlock(&g->vm->lock);
	/* gdb expects a stopped machine: its first packets wait until it is
	 * (if the run ended instead, gdb_on_wake tells it how). */
	over = !gdb_halt(g, SIGTRAP) && gdb_on_wake(g);
	while (!over)
		over = gdb_wait(g, g->fd) ? gdb_on_input(g) : gdb_on_wake(g);
	/* The jail forbids close: gdbstub_close closes the connection; gdb
	 * closes its side after D, k or the W/X that ends the session. A run
	 * that ended meanwhile must not leave a vCPU parked. */
	pthread_mutex_lock(&g->vm->lock);
	pthread_cond_broadcast(&g->resume);
	pthread_mutex_unlock(&g->vm->lock);
	return NULL;
}

/* "PORT" or "HOST:PORT" ("[v6]:PORT" too): host defaults to loopback. */
static int
split_addr(const char *addr, char *host, size_t hlen, char *port, size_t plen,
	   struct diag *d)
{
	const char *colon = strrchr(addr, ':');
	const char *h = colon ? addr : "127.0.0.1";
	size_t n = colon ? (size_t)(colon - addr) : strlen(h);
	const char *p = colon ? colon + 1 : addr;

	if (n >= 2 && h[0] == '[' && h[n - 1] == ']') {
		h++;
		n -= 2;
	}
	if (!n) {
		h = "127.0.0.1";
		n = strlen(h);
	}
	if (!*p || strspn(p, "0123456789") != strlen(p) || atol(p) > 65535 ||
	    n >= hlen || strlen(p) >= plen)
		return diag_fail(d, EINVAL, "--gdb '%s' is not [HOST:]PORT; write e.g. "
				 "--gdb 1234 (loopback) or --gdb 0.0.0.0:1234", addr);
	snprintf(host, hlen, "%.*s", (int)n, h);
	snprintf(port, plen, "%s", p);
	return 0;
}

static int
gdb_listen(struct gdb_stub *g, const char *addr, struct diag *d)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *ai;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[64], port[8];
	int one = 1, r, err;

	r = split_addr(addr, host, sizeof(host), port, sizeof(port), d);
	if (r < 0)
		return r;
	r = getaddrinfo(host, port, &hints, &ai);
	if (r)
		return diag_fail(d, EINVAL, "--gdb %s: cannot use host '%s': %s", addr,
				 host, gai_strerror(r));
	g->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	err = g->listen_fd < 0 ? errno : 0;
	if (!err)
		setsockopt(g->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!err && (bind(g->listen_fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
		     listen(g->listen_fd, 1) < 0))
		err = errno;
	freeaddrinfo(ai);
	if (err == EADDRINUSE)
		return diag_fail(d, err, "--gdb %s: port %s on %s is in use (another exo, "
				 "QEMU or gdbserver?); pick another port, or --gdb 0 for a "
				 "free one (exo says which)", addr, port, host);
	if (err)
		return diag_fail(d, err, "--gdb %s: cannot listen on %s port %s: %s",
				 addr, host, port, strerror(err));
	getsockname(g->listen_fd, (struct sockaddr *)&ss, &sl);
	g->port = ntohs(ss.ss_family == AF_INET6 ?
			((struct sockaddr_in6 *)&ss)->sin6_port :
			((struct sockaddr_in *)&ss)->sin_port);
	snprintf(g->where, sizeof(g->where), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
		 host, g->port);
	return 0;
}

int
gdbstub_open(struct vmm *vm, const char *addr, bool wait, struct gdb_stub **out,
	     struct diag *d)
{
	struct gdb_stub *g = calloc(1, sizeof(*g));
	int fds[2], r;

	if (!g)
		return diag_fail(d, ENOMEM, "out of memory");
	*g = (struct gdb_stub){ .vm = vm, .listen_fd = -1, .fd = -1, .wake_rd = -1,
				.wake_wr = -1, .stop_cpu = -1 };
	pthread_cond_init(&g->resume, NULL);
	*out = g;
	r = gdb_listen(g, addr, d);
	if (r < 0)
		return r;
	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
		return diag_fail(d, errno, "--gdb: cannot make a pipe: %s", strerror(errno));
	g->wake_rd = fds[0];
	g->wake_wr = fds[1];
	g->dbg_flags = (uint32_t)ioctl(vm->kvm.kvm_fd, KVM_CHECK_EXTENSION,
				       KVM_CAP_SET_GUEST_DEBUG2);
	if ((int32_t)g->dbg_flags < 0)
		g->dbg_flags = 0;
	g->bp_by_step = gdbstop_tcg_host();
	if (g->bp_by_step)
		fprintf(stderr, "exo: gdb: this host's CPU is QEMU's TCG, where neither "
			"int3 nor the debug registers of a nested guest reach KVM: while a "
			"breakpoint is set every vCPU runs one instruction at a time (slow)\n");
	if (wait) {
		/* Parked before the first KVM_RUN: stopped at the entry point. */
		g->stopping = true;
		g->stop_sig = SIGTRAP;
		__atomic_store_n(&g->stopped_at_ns, gdb_now_ns(), __ATOMIC_RELAXED);
	}
	fprintf(stderr, "exo: gdb: listening on %s%s; attach with: gdb %s -ex 'target "
		"remote %s'\n", g->where, wait ? " (the guest waits for it before its "
		"first instruction)" : "", vm->cfg->kernel_path, g->where);
	if (vm->cfg->report) {
		fprintf(vm->cfg->report, "{\"event\":\"gdb\",\"port\":%u,\"wait\":%s}\n",
			g->port, wait ? "true" : "false");
		fflush(vm->cfg->report);
	}
	return 0;
}

int
gdbstub_start(struct gdb_stub *g, struct diag *d)
{
	sigset_t block, old;
	int r;

	/* The run's signals go to the main thread (vmsignal.h). */
	vmsignal_set(&block);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	r = pthread_create(&g->thread, NULL, gdb_main, g);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return diag_fail(d, r, "--gdb: cannot start its thread: %s", strerror(r));
	g->started = true;
	return 0;
}

void
gdbstub_close(struct gdb_stub *g)
{
	if (!g)
		return;
	if (g->started) {
		gdbstub_wake(g);
		pthread_join(g->thread, NULL);
	}
	if (g->listen_fd >= 0)
		close(g->listen_fd);
	if (g->fd >= 0)
		close(g->fd);
	if (g->wake_rd >= 0)
		close(g->wake_rd);
	if (g->wake_wr >= 0)
		close(g->wake_wr);
	pthread_cond_destroy(&g->resume);
	free(g);
}
