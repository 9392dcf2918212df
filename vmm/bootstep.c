/* See bootstep.h. */
#include "bootstep.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "diag.h"
#include "machine.h"

#define STEPS_MAX      (1u << 22)       /* instructions kept: 32 MiB of rips */
#define USER_TOP       0x0000800000000000ULL
#define SHOWN          16               /* functions listed */

/*
 * Arm the next step. Done again at every step: the nested host (QEMU's SVM
 * under KVM) loses the trap flag after an instruction KVM emulated (the
 * boot's first CR4 write), and stepping would end there.
 */
static int
step_arm(int vcpu_fd)
{
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP,
	};

	return ioctl(vcpu_fd, KVM_SET_GUEST_DEBUG, &dbg);
}

int
bootstep_start(struct bootstep *s, int vcpu_fd, struct diag *d)
{
	*s = (struct bootstep){ .on = true };
	if (step_arm(vcpu_fd) < 0)
		return diag_fail(d, errno, "--step-boot: KVM cannot single-step this "
				 "vCPU (KVM_SET_GUEST_DEBUG: %s)", strerror(errno));
	return 0;
}

static void
bootstep_stop(struct bootstep *s, int vcpu_fd, const char *why)
{
	struct kvm_guest_debug off = { .control = 0 };

	ioctl(vcpu_fd, KVM_SET_GUEST_DEBUG, &off);
	s->on = false;
	s->done = true;
	if (why)
		snprintf(s->why, sizeof(s->why), "%s", why);
}

/* Keep rip; false if there is no room left. */
static bool
step_keep(struct bootstep *s, uint64_t rip)
{
	if (s->n && s->rip[s->n - 1] == rip)    /* a rep instruction again */
		return true;
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		uint64_t *p = cap <= STEPS_MAX ? realloc(s->rip, cap * sizeof(*p)) : NULL;

		if (!p)
			return false;
		s->rip = p;
		s->cap = cap;
	}
	s->rip[s->n++] = rip;
	return true;
}

void
bootstep_exit(struct bootstep *s, int vcpu_fd, const struct kvm_run *run)
{
	uint64_t rip = run->debug.arch.pc;

	if (!s->on)
		return;
	s->steps++;
	if (rip < USER_TOP)                     /* the first user instruction */
		bootstep_stop(s, vcpu_fd, NULL);
	else if (!step_keep(s, rip))
		bootstep_stop(s, vcpu_fd, "more instructions than it keeps, or no "
			      "memory for them: the count stops there");
	else if (step_arm(vcpu_fd) < 0)
		bootstep_stop(s, vcpu_fd, "KVM refused to arm the next step");
}

struct fn_count {
	char name[64];
	uint64_t n;
	uint64_t calls;         /* instructions at its first byte: entries */
};

static int
by_count(const void *a, const void *b)
{
	const struct fn_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

/* The function an address is in: the namer's "module:function+0xoff" cut
 * before the offset, or the address itself. True if rip is the function's
 * first byte (a call or a jump to it: the stream counts its entries). */
static bool
fn_name(const struct vmm *vm, uint64_t rip, char *buf, size_t len)
{
	const struct vmm_namer *nm = vm->cfg->namer;
	char *plus;

	if (!nm || !nm->name(nm->ctx, rip, buf, len)) {
		snprintf(buf, len, "%#llx", (unsigned long long)rip);
		return false;
	}
	plus = strchr(buf, '+');
	if (!plus)
		return false;
	*plus = 0;
	return !strncmp(plus + 1, "0 ", 2) || !strcmp(plus + 1, "0");
}

/* Instructions per function, most first; *nf of them (free the result). */
static struct fn_count *
bootstep_tally(const struct bootstep *s, const struct vmm *vm, size_t *nf)
{
	struct fn_count *f = calloc(s->n ? s->n : 1, sizeof(*f));
	char name[64];

	*nf = 0;
	if (!f)
		return NULL;
	for (size_t i = 0; i < s->n; i++) {
		size_t k;

		bool entry = fn_name(vm, s->rip[i], name, sizeof(name));

		for (k = 0; k < *nf && strcmp(f[k].name, name); k++)
			;
		if (k == *nf)
			snprintf(f[(*nf)++].name, sizeof(f[0].name), "%s", name);
		f[k].n++;
		f[k].calls += entry;
	}
	qsort(f, *nf, sizeof(*f), by_count);
	return f;
}

void
bootstep_print(const struct bootstep *s, const struct vmm *vm, FILE *out, FILE *report)
{
	size_t nf;
	struct fn_count *f = bootstep_tally(s, vm, &nf);

	fprintf(out, "exo: boot, single-stepped: %zu ring-0 instructions to the first user "
		"instruction (%llu steps, rep iterations included)%s%s\n", s->n,
		(unsigned long long)s->steps, s->why[0] ? "; " : "", s->why);
	if (!s->done) {
		char last[64] = "nowhere";

		if (s->n)
			fn_name(vm, s->rip[s->n - 1], last, sizeof(last));
		fprintf(out, "  (stepping stopped before user mode, last at %s %#llx)\n", last,
			s->n ? (unsigned long long)s->rip[s->n - 1] : 0ULL);
	}
	for (size_t k = 0; f && k < nf && k < SHOWN; k++)
		fprintf(out, "  %8llu  %s, %llu call%s\n", (unsigned long long)f[k].n,
			f[k].name, (unsigned long long)f[k].calls, f[k].calls == 1 ? "" : "s");
	if (f && nf > SHOWN) {
		uint64_t rest = 0;

		for (size_t k = SHOWN; k < nf; k++)
			rest += f[k].n;
		fprintf(out, "  %8llu  %zu other functions\n", (unsigned long long)rest,
			nf - SHOWN);
	}
	if (report) {
		fprintf(report, "{\"event\":\"boot_steps\",\"insns\":%zu,\"steps\":%llu,"
			"\"user_reached\":%s,\"by_function\":{", s->n,
			(unsigned long long)s->steps, s->done && !s->why[0] ? "true" : "false");
		for (size_t k = 0; f && k < nf; k++)
			fprintf(report, "%s\"%s\":%llu", k ? "," : "", f[k].name,
				(unsigned long long)f[k].n);
		fputs("},\"calls_by_function\":{", report);
		for (size_t k = 0; f && k < nf; k++)
			fprintf(report, "%s\"%s\":%llu", k ? "," : "", f[k].name,
				(unsigned long long)f[k].calls);
		fputs("}}\n", report);
	}
	free(f);
}

void
bootstep_free(struct bootstep *s)
{
	free(s->rip);
	*s = (struct bootstep){ .on = false };
}
