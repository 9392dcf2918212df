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

struct reason {
	unsigned code;
	const char *name;
};

/* AMD's exit codes (APM vol. 2, appendix C): those a guest kernel causes. */
static const struct reason svm[] = {
	{ 0x400, "npf" }, { 0x07c, "msr" }, { 0x07b, "io" }, { 0x060, "intr" },
	{ 0x064, "vintr" }, { 0x078, "hlt" }, { 0x046, "exception_ud" },
	{ 0x041, "exception_db" }, { 0x04e, "exception_pf" }, { 0x051, "exception_ac" },
	{ 0x072, "cpuid" }, { 0x077, "pause" }, { 0x061, "nmi" }, { 0x081, "vmmcall" },
	{ 0x07f, "shutdown" }, { 0x079, "invlpg" }, { 0x08d, "xsetbv" },
	{ 0x010, "cr0_write" }, { 0x014, "cr4_write" }, { 0x013, "cr3_write" },
};

/* Intel's basic exit reasons (SDM vol. 3, appendix C). */
static const struct reason vmx[] = {
	{ 48, "ept_violation" }, { 49, "ept_misconfig" }, { 32, "msr_write" },
	{ 31, "msr_read" }, { 30, "io" }, { 1, "external_interrupt" },
	{ 7, "interrupt_window" }, { 12, "hlt" }, { 0, "exception_nmi" },
	{ 10, "cpuid" }, { 40, "pause" }, { 18, "vmcall" }, { 56, "apic_write" },
	{ 52, "preemption_timer" }, { 2, "triple_fault" }, { 14, "invlpg" },
	{ 55, "xsetbv" }, { 28, "cr_access" },
};

_Static_assert(sizeof(svm) / sizeof(svm[0]) <= EXITPERF_MAX, "svm fits");
_Static_assert(sizeof(vmx) / sizeof(vmx[0]) <= EXITPERF_MAX, "vmx fits");

static const char *svm_names[EXITPERF_MAX], *vmx_names[EXITPERF_MAX];

static bool
module_loaded(const char *name)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return stat(path, &st) == 0;
}

/* This host's table, or NULL with why. */
static const struct reason *
host_reasons(unsigned *n, const char ***names, char *why, size_t len)
{
	const struct reason *t = NULL;

	if (module_loaded("kvm_amd")) {
		t = svm, *n = sizeof(svm) / sizeof(svm[0]), *names = svm_names;
	} else if (module_loaded("kvm_intel")) {
		t = vmx, *n = sizeof(vmx) / sizeof(vmx[0]), *names = vmx_names;
	} else {
		*n = 0;
		snprintf(why, len, "neither kvm_amd nor kvm_intel is loaded (PVM, or "
			 "not KVM): no exit codes to count");
		return NULL;
	}
	for (unsigned i = 0; i < *n; i++)
		(*names)[i] = t[i].name;
	return t;
}

const char *const *
exitperf_names(unsigned *n, char *why, size_t len)
{
	const char **names = NULL;

	return host_reasons(n, &names, why, len) ? names : NULL;
}

static int
counter_open(int id, unsigned code, char *why, size_t len)
{
	struct perf_event_attr a = { 0 };
	char filter[40];
	int fd, e;

	a.type = PERF_TYPE_TRACEPOINT;
	a.size = sizeof(a);
	a.config = (uint64_t)id;
	fd = (int)syscall(SYS_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
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
	const char **names;
	const struct reason *t;
	unsigned n;
	int id;

	*p = (struct exitperf){ .n = 0 };
	t = host_reasons(&n, &names, why, len);
	if (!t)
		return -ENOENT;
	id = tracefs_event_id("kvm/kvm_exit", why, len);
	if (id < 0)
		return -ENOENT;
	for (unsigned i = 0; i < n; i++) {
		int fd = counter_open(id, t[i].code, why, len);

		if (fd < 0) {
			while (i-- > 0)
				close(p->fd[i]);
			return fd;
		}
		p->fd[i] = fd;
	}
	/* Another vCPU's thread may sum these at its mark from now on. */
	__atomic_store_n(&p->n, n, __ATOMIC_RELEASE);
	return 0;
}

void
exitperf_add(const struct exitperf *p, int64_t *count)
{
	unsigned n = __atomic_load_n(&p->n, __ATOMIC_ACQUIRE);

	for (unsigned i = 0; i < n; i++) {
		uint64_t v;

		if (read(p->fd[i], &v, sizeof(v)) == (ssize_t)sizeof(v))
			count[i] += (int64_t)v;
	}
}

void
exitperf_close(struct exitperf *p)
{
	for (unsigned i = 0; i < p->n; i++)
		close(p->fd[i]);
	p->n = 0;
}
