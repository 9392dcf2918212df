/*
 * The hosted platform's memory: the memfd mapped whole in exo (physical
 * address = offset), exo's private pages after the kernel's memory, and the
 * kernel statics whose physical address the core asks for.
 */
#define _GNU_SOURCE
#include <linux/futex.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <exo/error.h>
#include <exo/layout.h>

#include "../guest/core/percpu.h"
#include "../guest/core/platform.h"
#include "../guest/core/thread.h"
#include "../guest/core/trace.h"
#include "../vmm/machine.h"
#include "hosted.h"

u64
hosted_priv_run(unsigned n)
{
	u64 pa = hosted.priv_next;

	if (hosted.total - pa < (u64)n * EXO_PAGE_SIZE)
		return 0;
	hosted.priv_next += (u64)n * EXO_PAGE_SIZE;
	return pa;
}

/* A free page keeps the next free page's address in its first word. */
u64
hosted_priv_alloc(void)
{
	u64 pa = hosted.priv_free;

	if (!pa)
		return hosted_priv_run(1);
	hosted.priv_free = *(u64 *)(hosted.mem + pa);
	memset(hosted.mem + pa, 0, EXO_PAGE_SIZE);
	return pa;
}

void
hosted_priv_free(u64 pa)
{
	*(u64 *)(hosted.mem + pa) = hosted.priv_free;
	hosted.priv_free = pa;
}

void *
arch_phys_to_virt(u64 pa)
{
	return hosted.mem + pa;
}

/*
 * A kernel static whose physical address the core asks for (the KIP, which
 * spaces map; the console's buffer, which the console device reads) is not
 * in the memfd: the page of exo that holds it is replaced by a private
 * memfd page with the same bytes, mapped at the same address, so the kernel
 * writes it where the processes and devices read it. Statics only: a few
 * pages, once each.
 */
#define STATICS_MAX 16
static struct { const u8 *va; u64 len, pa; } statics[STATICS_MAX];
static unsigned nstatics;

/* The pages of exo holding [p, p + len) become a run of private memfd
 * pages with the same bytes, at the same addresses; its first page's pa. */
u64
hosted_static_remap(const void *p, u64 len)
{
	const u8 *start = (const u8 *)EXO_PAGE_DOWN((u64)p);
	u64 n = (EXO_PAGE_UP((u64)p + len) - (u64)start) / EXO_PAGE_SIZE;
	u64 pa = nstatics < STATICS_MAX ? hosted_priv_run((unsigned)n) : 0;

	if (!pa) {
		fprintf(stderr, "exo: hosted: no room for kernel static %p\n", p);
		abort();
	}
	memcpy(hosted.mem + pa, start, n * EXO_PAGE_SIZE);
	if (mmap((void *)start, n * EXO_PAGE_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED | MAP_FIXED, hosted.memfd, (off_t)pa) != start) {
		perror("exo: hosted: remapping a kernel static");
		abort();
	}
	statics[nstatics++] = (typeof(statics[0])){ start, n * EXO_PAGE_SIZE, pa };
	return pa;
}

u64
arch_virt_to_phys(const void *va)
{
	const u8 *p = va;

	if (p >= hosted.mem && p < hosted.mem + hosted.total)
		return (u64)(p - hosted.mem);
	for (unsigned i = 0; i < nstatics; i++)
		if (p >= statics[i].va && p < statics[i].va + statics[i].len)
			return statics[i].pa + (u64)(p - statics[i].va);
	return hosted_static_remap(p, 1) + (u64)p % EXO_PAGE_SIZE;
}

void
arch_frame_zero(u64 pa)
{
	memset(hosted.mem + pa, 0, EXO_PAGE_SIZE);
}
