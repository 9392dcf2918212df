/* See exitperf.h. */
#include "exitperf.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tracefs.h"

/* AMD's exit codes (APM vol. 2, appendix C): those a guest kernel causes. */
static const unsigned svm_code[] = {
	0x400, 0x07c, 0x07b, 0x060, 0x064, 0x078, 0x046, 0x041, 0x04e, 0x051,
	0x072, 0x077, 0x061, 0x081, 0x07f, 0x079, 0x08d, 0x010, 0x014, 0x013,
};
static const char *const svm_name[] = {
	"npf", "msr", "io", "intr", "vintr", "hlt", "exception_ud", "exception_db",
	"exception_pf", "exception_ac", "cpuid", "pause", "nmi", "vmmcall",
	"shutdown", "invlpg", "xsetbv", "cr0_write", "cr4_write", "cr3_write",
};

/* Intel's basic exit reasons (SDM vol. 3, appendix C). */
static const unsigned vmx_code[] = {
	48, 49, 32, 31, 30, 1, 7, 12, 0, 10, 40, 18, 56, 52, 2, 14, 55, 28,
};
static const char *const vmx_name[] = {
	"ept_violation", "ept_misconfig", "msr_write", "msr_read", "io",
	"external_interrupt", "interrupt_window", "hlt", "exception_nmi", "cpuid",
	"pause", "vmcall", "apic_write", "preemption_timer", "triple_fault",
	"invlpg", "xsetbv", "cr_access",
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
_Static_assert(NELEM(svm_code) == NELEM(svm_name) && NELEM(svm_code) <= EXITPERF_MAX,
	       "svm: a name per code, and they fit");
_Static_assert(NELEM(vmx_code) == NELEM(vmx_name) && NELEM(vmx_code) <= EXITPERF_MAX,
	       "vmx: a name per code, and they fit");

static bool
module_loaded(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

/* This host's codes (n of them, names in *names), or NULL with why. */
static const unsigned *
host_codes(unsigned *n, const char *const **names, char *why, size_t len)
{
	if (module_loaded("kvm_amd")) {
		*n = NELEM(svm_code), *names = svm_name;
		return svm_code;
	}
	if (module_loaded("kvm_intel")) {
		*n = NELEM(vmx_code), *names = vmx_name;
		return vmx_code;
	}
	snprintf(why, len, "neither kvm_amd nor kvm_intel is loaded (PVM, or not KVM): "
		 "no exit codes to count");
	return NULL;
}

/*
 * One group per vCPU thread, led by the first reason's counter: a mark reads
 * all of a vCPU's reasons in one read. Reading a counter of a thread that
 * runs on another CPU interrupts that CPU; one read a reason made bench tlb's
 * marks (4 vCPUs, 20 reasons) 80 interrupts each, a minute of a nested run.
 */
static int
counter_open(int id, unsigned code, int leader, char *why, size_t len)
{
	struct perf_event_attr a = { 0 };
	char filter[40];
	int fd, e;

	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	a.read_format = PERF_FORMAT_GROUP;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, leader, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(why, len, "perf_event_open(kvm:kvm_exit): %s", strerror(e));
		return -e;
	}
	snprintf(filter, sizeof(filter), "exit_reason == %u", code);
	if (ioctl(fd, PERF_EVENT_IOC_SET_FILTER, filter) < 0) {
		e = errno;
		snprintf(why, len, "a filter on kvm:kvm_exit ('%s'): %s", filter,
			 strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int
exitperf_open(struct exitperf *p, char *why, size_t len)
{
	const char *const *names;
	const unsigned *code;
	unsigned n;
	int id;

	*p = (struct exitperf){ .n = 0 };
	code = host_codes(&n, &names, why, len);
	if (!code)
		return -ENOENT;
	id = tracefs_event_id("kvm/kvm_exit", why, len);
	if (id < 0)
		return -ENOENT;
	for (unsigned i = 0; i < n; i++) {
		int fd = counter_open(id, code[i], i ? p->fd[0] : -1, why, len);

		if (fd < 0) {
			while (i-- > 0)
				close(p->fd[i]);
			return fd;
		}
		p->fd[i] = fd;
	}
	p->names = names;
	/* Another vCPU's thread may sum these at its mark from now on. */
	__atomic_store_n(&p->n, n, __ATOMIC_RELEASE);
	return 0;
}

void
exitperf_add(const struct exitperf *p, int64_t *count)
{
	unsigned n = __atomic_load_n(&p->n, __ATOMIC_ACQUIRE);
	uint64_t v[1 + EXITPERF_MAX];   /* the group: nr, then each value */
	ssize_t want = (ssize_t)((1 + n) * sizeof(v[0]));

	if (n == 0 || read(p->fd[0], v, (size_t)want) != want || v[0] != n)
		return;
	for (unsigned i = 0; i < n; i++)
		count[i] += (int64_t)v[1 + i];
}

void
exitperf_close(struct exitperf *p)
{
	for (unsigned i = 0; i < p->n; i++)
		close(p->fd[i]);
	p->n = 0;
}
