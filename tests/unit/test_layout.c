/* The boot loader's layout of guest memory: vmm/layout.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include <exo/layout.h>

#include "vmm/elf.h"
#include "host/cli.h"
#include "vmm/layout.h"

#include "elf_build.h"

#define PAGE     0x1000ULL
#define MB       (1ULL << 20)
#define PTE_P    0x001ULL
#define PTE_W    0x002ULL
#define PTE_PS   0x080ULL
#define PTE_G    0x100ULL
#define PTE_NX   (1ULL << 63)
#define TEST_TSC_KHZ 2596000ULL   /* a rate the boot info passes on as it is */

static struct elf_builder kb, pb[2];
static struct elf_image kernel;
static struct boot_program progs[EXO_MAX_MODULES + 1];
static struct diag d;
static uint8_t *mem;
static uint64_t mem_size;

static char *argv0[] = { "hello", "-v", "world", NULL };
static char *argv1[] = { "second", NULL };

static void
parse(struct elf_builder *b, const char *name, const struct elf_limits *lim,
      struct elf_image *img)
{
	cr_assert_eq(elf_parse(name, b->data, b->size, lim, img, &d), 0,
		     "test image %s refused: %s", name, d.msg);
}

/*
 * The synthetic kernel: text at 1 MiB, data + bss at 1 MiB + 8 KiB whose
 * file bytes start mid-page.
 */
static void
make_kernel_ending(uint64_t msize, uint64_t end)
{
	struct elf_limits lim = layout_kernel_limits(msize);

	eb_init(&kb, EXO_KERNEL_BASE + 0x100000);
	eb_add(&kb, PT_LOAD, PF_R | PF_X, EXO_KERNEL_BASE + 0x100000, 0x100000,
	       0x1800, 0x1800);
	eb_add(&kb, PT_LOAD, PF_R | PF_W, EXO_KERNEL_BASE + 0x102100, 0x102100,
	       0x200, end - 0x102100);
	parse(&kb, "kernel", &lim, &kernel);
}

static void
make_kernel(uint64_t msize)
{
	make_kernel_ending(msize, 0x107100);
}

/* Program 0: text at 0x400080, data + bss at 0x402010. */
static void
make_prog0(uint64_t bss)
{
	struct elf_limits lim = layout_user_limits();

	eb_init(&pb[0], 0x400100);
	eb_load(&pb[0], PF_R | PF_X, 0x400080, 0x1100, 0x1100);
	eb_load(&pb[0], PF_R | PF_W, 0x402010, 0x20, bss);
	parse(&pb[0], "hello", &lim, &progs[0].img);
	progs[0].name = "hello";
	progs[0].argc = 3;
	progs[0].argv = argv0;
}

/* Program 1: one read-only segment and a text segment higher up. */
static void
make_prog1(void)
{
	struct elf_limits lim = layout_user_limits();

	eb_init(&pb[1], 0x10000000);
	eb_load(&pb[1], PF_R, 0x20000, 0x300, 0x300);
	eb_load(&pb[1], PF_R | PF_X, 0x10000000, 0x2345, 0x2345);
	parse(&pb[1], "second", &lim, &progs[1].img);
	progs[1].name = "second";
	progs[1].argc = 1;
	progs[1].argv = argv1;
}

static void
alloc_mem(uint64_t size)
{
	mem_size = size;
	mem = calloc(1, size);
	cr_assert_not_null(mem);
}

static void
teardown(void)
{
	free(mem);
	mem = NULL;
}

static struct exo_bootinfo *
bootinfo(void)
{
	return (struct exo_bootinfo *)(mem + EXO_BOOTINFO_PA);
}

static int
build(unsigned nprogs, const char *cmdline, struct boot_layout *out)
{
	memset(&d, 0, sizeof(d));
	return layout_build(mem, mem_size, EXO_PLATFORM_KVM_HW, TEST_TSC_KHZ, &kernel,
			    progs, nprogs, cmdline, out, &d);
}

static bool
all_zero(const uint8_t *p, uint64_t n)
{
	for (uint64_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static const struct exo_mem_region *
region_of_type(const struct exo_bootinfo *bi, uint32_t type, unsigned nth)
{
	for (unsigned i = 0; i < bi->nregions; i++)
		if (bi->regions[i].type == type && nth-- == 0)
			return &bi->regions[i];
	return NULL;
}

/* The memory map: aligned, sorted, disjoint, typed, inside memory. */
static void
check_regions(const struct exo_bootinfo *bi)
{
	uint64_t end = 0;

	cr_assert_gt(bi->nregions, 0);
	cr_assert_leq(bi->nregions, EXO_MAX_REGIONS);
	for (unsigned i = 0; i < bi->nregions; i++) {
		const struct exo_mem_region *r = &bi->regions[i];

		cr_assert_eq(r->base % PAGE, 0, "region %u base %#lx", i, r->base);
		cr_assert_eq(r->len % PAGE, 0, "region %u len %#lx", i, r->len);
		cr_assert_gt(r->len, 0, "region %u empty", i);
		cr_assert(r->type >= EXO_MEM_USABLE && r->type <= EXO_MEM_MODULE,
			  "region %u type %u", i, r->type);
		cr_assert_geq(r->base, end, "region %u at %#lx overlaps or is out "
			      "of order (previous ends %#lx)", i, r->base, end);
		cr_assert_gt(r->base, 0, "region %u covers page 0", i);
		end = r->base + r->len;
		cr_assert_leq(end, bi->mem_size, "region %u past memory", i);
	}
	/* The last region is usable and runs to the end of memory. */
	cr_assert_eq(bi->regions[bi->nregions - 1].type, EXO_MEM_USABLE);
	cr_assert_eq(end, bi->mem_size);
}

/* Boot info and boot page tables are in an EXO_MEM_BOOT region. */
static void
check_boot_region(const struct exo_bootinfo *bi)
{
	const struct exo_mem_region *r = region_of_type(bi, EXO_MEM_BOOT, 0);

	cr_assert_not_null(r, "no boot region");
	cr_assert_leq(r->base, EXO_BOOTINFO_PA);
	cr_assert_geq(r->base + r->len, EXO_BOOT_PT_PA + EXO_BOOT_PT_PAGES * PAGE);
}

/* The kernel image's leaf table (EXO_BOOT_KPT_PA): each of the first 2 MiB's
 * pages maps its own frame, global, none both writable and executable, and
 * the image's text is there executable and read-only. */
static void
check_kernel_table(void)
{
	const uint64_t *kpt = (const uint64_t *)(mem + EXO_BOOT_KPT_PA);
	unsigned text = 0;

	for (uint64_t i = 0; i < 512; i++) {
		uint64_t e = kpt[i];

		cr_assert_eq(e & ~0xfffULL & ~PTE_NX, i * PAGE, "KPT[%lu] = %#lx", i, e);
		cr_assert_eq(e & (PTE_P | PTE_G), PTE_P | PTE_G, "KPT[%lu] = %#lx", i, e);
		cr_assert(!(e & PTE_W) || (e & PTE_NX), "KPT[%lu] writable and "
			  "executable: %#lx", i, e);
		text += !(e & PTE_NX);
	}
	cr_assert_gt(text, 0, "no executable page in the kernel image's table");
}

static void
check_page_tables(const struct boot_layout *out)
{
	const uint64_t *pml4 = (const uint64_t *)(mem + EXO_BOOT_PT_PA);
	const uint64_t *pdpt = (const uint64_t *)(mem + EXO_BOOT_PT_PA + PAGE);
	const uint64_t *pd = (const uint64_t *)(mem + EXO_BOOT_PT_PA + 2 * PAGE);

	cr_assert_eq(out->boot_cr3, EXO_BOOT_PT_PA);
	for (unsigned i = 0; i < 511; i++)
		cr_assert_eq(pml4[i], 0, "PML4[%u] = %#lx", i, pml4[i]);
	cr_assert_eq(pml4[511] & ~0xfffULL, EXO_BOOT_PT_PA + PAGE);
	cr_assert_eq(pml4[511] & (PTE_P | PTE_W), PTE_P | PTE_W);
	for (unsigned i = 0; i < 510; i++)
		cr_assert_eq(pdpt[i], 0, "PDPT[%u] = %#lx", i, pdpt[i]);
	cr_assert_eq(pdpt[510] & ~0xfffULL, EXO_BOOT_PT_PA + 2 * PAGE);
	cr_assert_eq(pdpt[510] & (PTE_P | PTE_W), PTE_P | PTE_W);
	/* PD0 and PD1: 2 MiB pages for the memory that exists, nothing beyond. */
	for (uint64_t i = 0; i < 1024; i++) {
		uint64_t pa = i * 2 * MB;

		if (pa < mem_size) {
			cr_assert_eq(pd[i] & ~0xfffULL & ~PTE_NX, pa, "PD entry %lu maps %#lx",
				     i, pd[i] & ~0xfffULL & ~PTE_NX);
			cr_assert_eq(pd[i] & (PTE_P | PTE_W | PTE_PS),
				     PTE_P | PTE_W | PTE_PS, "PD entry %lu flags %#lx",
				     i, pd[i]);
			/* Only the first 2 MiB (the kernel image) executes. */
			cr_assert_eq(!!(pd[i] & PTE_NX), i > 0, "PD entry %lu NX: %#lx",
				     i, pd[i]);
		} else {
			cr_assert_eq(pd[i], 0, "PD entry %lu (pa %#lx) beyond memory "
				     "mapped: %#lx", i, pa, pd[i]);
		}
	}
	check_kernel_table();
	/* The kernel-virtual address of the boot info is in the mapped range. */
	cr_assert_eq(out->bootinfo_va, EXO_KERNEL_BASE + EXO_BOOTINFO_PA);
}

static void
check_kernel(const struct exo_bootinfo *bi, const struct boot_layout *out)
{
	const struct exo_mem_region *r = region_of_type(bi, EXO_MEM_KERNEL, 0);

	cr_assert_not_null(r, "no kernel region");
	cr_assert_eq(r->base, 0x100000);
	cr_assert_eq(r->base + r->len, out->kernel_end);
	cr_assert_eq(out->kernel_end, EXO_PAGE_UP(0x102100 + 0x5000));
	cr_assert_eq(out->kernel_entry, EXO_KERNEL_BASE + 0x100000);
	for (unsigned i = 0; i < kernel.nsegs; i++) {
		const struct elf_seg *s = &kernel.segs[i];

		cr_assert_eq(memcmp(mem + s->addr, kernel.data + s->offset, s->filesz),
			     0, "kernel segment %u not copied", i);
		cr_assert(all_zero(mem + s->addr + s->filesz, s->memsz - s->filesz),
			  "kernel bss %u not zero", i);
	}
}

/* A module's segments mirror its ELF segments, with stack and args after. */
static void
check_module(const struct exo_bootinfo *bi, unsigned mi)
{
	const struct exo_module *m = &bi->modules[mi];
	const struct boot_program *p = &progs[mi];
	const struct exo_mem_region *mod = region_of_type(bi, EXO_MEM_MODULE, 0);
	const struct exo_segment *stack, *args;
	const uint64_t *argv;
	uint64_t args_pa;

	cr_assert_not_null(mod, "no module region");
	cr_assert_str_eq(m->name, p->name);
	cr_assert_eq(m->entry, p->img.entry);
	cr_assert_eq(m->stack_top, EXO_USER_STACK_TOP);
	cr_assert_eq(m->stack_top % 16, 0);
	cr_assert_eq(m->argc, (uint32_t)p->argc);
	cr_assert_eq(m->argv, EXO_USER_ARGS);
	cr_assert_eq(m->nsegs, p->img.nsegs + 2);
	cr_assert_leq(m->nsegs, EXO_MAX_SEGMENTS);

	for (unsigned i = 0; i < m->nsegs; i++) {
		const struct exo_segment *g = &m->segs[i];

		cr_assert_eq(g->vaddr % PAGE, 0, "module %u seg %u vaddr %#lx",
			     mi, i, g->vaddr);
		cr_assert_eq(g->paddr % PAGE, 0, "module %u seg %u paddr %#lx",
			     mi, i, g->paddr);
		cr_assert_eq(g->len % PAGE, 0, "module %u seg %u len %#lx",
			     mi, i, g->len);
		cr_assert_gt(g->len, 0);
		cr_assert_geq(g->paddr, mod->base, "module %u seg %u below the module "
			      "region", mi, i);
		cr_assert_leq(g->paddr + g->len, mod->base + mod->len,
			      "module %u seg %u beyond the module region", mi, i);
		cr_assert_geq(g->vaddr, EXO_USER_MIN);
		cr_assert_leq(g->vaddr + g->len, EXO_USER_END);
	}
	for (unsigned i = 0; i < p->img.nsegs; i++) {
		const struct elf_seg *s = &p->img.segs[i];
		const struct exo_segment *g = &m->segs[i];
		uint64_t pgoff = s->addr & (PAGE - 1);
		const uint8_t *at = mem + g->paddr;

		cr_assert_eq(g->vaddr, EXO_PAGE_DOWN(s->addr));
		cr_assert_eq(g->len, EXO_PAGE_UP(s->addr + s->memsz) - EXO_PAGE_DOWN(s->addr));
		cr_assert_eq(g->flags, s->flags);
		cr_assert(all_zero(at, pgoff), "module %u seg %u: bytes before the "
			  "segment's page offset", mi, i);
		cr_assert_eq(memcmp(at + pgoff, p->img.data + s->offset, s->filesz), 0,
			     "module %u seg %u: file bytes not at paddr + page offset",
			     mi, i);
		cr_assert(all_zero(at + pgoff + s->filesz, g->len - pgoff - s->filesz),
			  "module %u seg %u: bss not zero", mi, i);
	}

	stack = &m->segs[p->img.nsegs];
	cr_assert_eq(stack->vaddr, EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE);
	cr_assert_eq(stack->len, EXO_USER_STACK_SIZE);
	cr_assert_eq(stack->flags, EXO_SEG_R | EXO_SEG_W);
	cr_assert(all_zero(mem + stack->paddr, stack->len), "stack not zero");

	args = &m->segs[p->img.nsegs + 1];
	cr_assert_eq(args->vaddr, EXO_USER_ARGS);
	cr_assert_eq(args->len, PAGE);
	cr_assert(args->flags & EXO_SEG_R);
	args_pa = args->paddr;
	argv = (const uint64_t *)(mem + args_pa);
	for (int i = 0; i < p->argc; i++) {
		uint64_t va = argv[i];
		const char *str;

		cr_assert_geq(va, EXO_USER_ARGS, "argv[%d] = %#lx", i, va);
		cr_assert_lt(va, EXO_USER_ARGS + PAGE, "argv[%d] = %#lx", i, va);
		cr_assert_geq(va, EXO_USER_ARGS + (p->argc + 1) * 8,
			      "argv[%d] string overlaps the pointers", i);
		str = (const char *)mem + args_pa + (va - EXO_USER_ARGS);
		cr_assert_leq(va - EXO_USER_ARGS + strlen(p->argv[i]) + 1, PAGE);
		cr_assert_str_eq(str, p->argv[i]);
	}
	cr_assert_eq(argv[p->argc], 0, "argv[argc] not NULL");
}

/* No two segments of any modules share a physical page. */
static void
check_modules_disjoint(const struct exo_bootinfo *bi)
{
	const struct exo_segment *all[EXO_MAX_MODULES * EXO_MAX_SEGMENTS];
	unsigned n = 0;

	for (unsigned m = 0; m < bi->nmodules; m++)
		for (unsigned i = 0; i < bi->modules[m].nsegs; i++)
			all[n++] = &bi->modules[m].segs[i];
	for (unsigned i = 0; i < n; i++) {
		for (unsigned j = i + 1; j < n; j++) {
			const struct exo_segment *x = all[i], *y = all[j];

			cr_assert(x->paddr + x->len <= y->paddr ||
				  y->paddr + y->len <= x->paddr,
				  "segments at %#lx+%#lx and %#lx+%#lx overlap "
				  "physically", x->paddr, x->len, y->paddr, y->len);
		}
	}
}

static void
check_all(unsigned nprogs, const char *cmdline, const struct boot_layout *out)
{
	const struct exo_bootinfo *bi = bootinfo();
	const struct exo_mem_region *mod;

	cr_assert_eq(bi->magic, EXO_BOOTINFO_MAGIC);
	cr_assert_eq(bi->version, EXO_BOOTINFO_VERSION);
	cr_assert_eq(bi->platform, EXO_PLATFORM_KVM_HW);
	cr_assert_eq(bi->tsc_khz, TEST_TSC_KHZ);
	cr_assert_eq(bi->mem_size, mem_size);
	cr_assert_eq(bi->nmodules, nprogs);
	cr_assert_str_eq(bi->cmdline, cmdline);
	check_regions(bi);
	check_boot_region(bi);
	check_page_tables(out);
	check_kernel(bi, out);
	mod = region_of_type(bi, EXO_MEM_MODULE, 0);
	if (nprogs) {
		cr_assert_not_null(mod);
		cr_assert_eq(mod->base, out->kernel_end);
		cr_assert_eq(mod->base + mod->len, out->modules_end);
	} else {
		cr_assert_null(mod, "a module region with no modules");
		cr_assert_eq(out->modules_end, out->kernel_end);
	}
	for (unsigned i = 0; i < nprogs; i++)
		check_module(bi, i);
	check_modules_disjoint(bi);
	/* Every frame after the modules is usable. */
	{
		const struct exo_mem_region *last = &bi->regions[bi->nregions - 1];

		cr_assert_eq(last->base, out->modules_end);
		cr_assert(all_zero(mem + out->modules_end, mem_size - out->modules_end),
			  "memory after the modules was written");
	}
}

TestSuite(layout, .fini = teardown);

Test(layout, one_program_8mib)
{
	struct boot_layout out;

	alloc_mem(8 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	cr_assert_eq(build(1, "verbose", &out), 0, "%s", d.msg);
	check_all(1, "verbose", &out);
}

Test(layout, two_programs_64mib)
{
	struct boot_layout out;

	alloc_mem(64 * MB);
	make_kernel(mem_size);
	make_prog0(0x30000);
	make_prog1();
	cr_assert_eq(build(2, "ktest verbose", &out), 0, "%s", d.msg);
	check_all(2, "ktest verbose", &out);
	/* The second program follows the first. */
	cr_assert_gt(bootinfo()->modules[1].segs[0].paddr,
		     bootinfo()->modules[0].segs[0].paddr);
}

Test(layout, no_programs)
{
	struct boot_layout out;

	alloc_mem(8 * MB);
	make_kernel(mem_size);
	cr_assert_eq(build(0, "", &out), 0, "%s", d.msg);
	check_all(0, "", &out);
}

Test(layout, program_without_arguments)
{
	struct boot_layout out;

	alloc_mem(8 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	progs[0].argc = 0;
	cr_assert_eq(build(1, "", &out), 0, "%s", d.msg);
	check_all(1, "", &out);
	cr_assert_eq(bootinfo()->modules[0].argc, 0);
}

Test(layout, long_name_truncated_and_terminated)
{
	struct boot_layout out;
	static char name[100];

	memset(name, 'n', sizeof(name) - 1);
	alloc_mem(8 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	progs[0].name = name;
	cr_assert_eq(build(1, "", &out), 0, "%s", d.msg);
	cr_assert_eq(bootinfo()->modules[0].name[EXO_NAME_MAX - 1], '\0');
	cr_assert_eq(strlen(bootinfo()->modules[0].name), EXO_NAME_MAX - 1);
}

Test(layout, arguments_fill_page_exactly)
{
	struct boot_layout out;
	static char big[PAGE];
	static char *argv[] = { big, NULL };

	/* One pointer + NULL = 16 bytes, then the string with its NUL. */
	memset(big, 'a', PAGE - 16 - 1);
	alloc_mem(8 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	progs[0].argc = 1;
	progs[0].argv = argv;
	cr_assert_eq(build(1, "", &out), 0, "%s", d.msg);
	check_all(1, "", &out);
}

Test(layout, arguments_longer_than_page)
{
	struct boot_layout out;
	static char big[PAGE];
	static char *argv[] = { big, NULL };

	memset(big, 'a', PAGE - 16);   /* one byte too many */
	alloc_mem(8 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	progs[0].argc = 1;
	progs[0].argv = argv;
	cr_assert_eq(build(1, "", &out), -E2BIG);
	cr_assert_not_null(strstr(d.msg, "hello"), "%s", d.msg);
}

Test(layout, many_small_arguments_too_long)
{
	struct boot_layout out;
	static char *argv[600];

	for (unsigned i = 0; i < 599; i++)
		argv[i] = "x";
	alloc_mem(8 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	progs[0].argc = 599;
	progs[0].argv = argv;
	cr_assert_eq(build(1, "", &out), -E2BIG);
}

Test(layout, second_program_arguments_too_long)
{
	struct boot_layout out;
	static char big[2 * PAGE];
	static char *argv[] = { big, NULL };

	memset(big, 'b', sizeof(big) - 1);
	alloc_mem(8 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	make_prog1();
	progs[1].argv = argv;
	cr_assert_eq(build(2, "", &out), -E2BIG);
	cr_assert_not_null(strstr(d.msg, "second"), "%s", d.msg);
}

Test(layout, memory_too_small)
{
	struct boot_layout out;

	alloc_mem(4 * MB);
	make_kernel(mem_size);
	make_prog0(3 * MB);   /* a big bss */
	cr_assert_eq(build(1, "", &out), -ENOMEM);
	cr_assert_not_null(strstr(d.msg, "--mem"), "no advice: %s", d.msg);
}

Test(layout, memory_too_small_advice_works)
{
	struct boot_layout out;
	const char *s;
	unsigned long long mib;

	alloc_mem(4 * MB);
	make_kernel(mem_size);
	make_prog0(7 * MB);
	cr_assert_eq(build(1, "", &out), -ENOMEM);
	char word[32];
	uint64_t size;

	s = strstr(d.msg, "use --mem ");
	cr_assert_not_null(s, "no advice: %s", d.msg);
	/* The advice is one word that exo's own parser takes (it said
	 * "--mem 8 M", which it refuses) and a size in range. */
	cr_assert_eq(sscanf(s, "use --mem %31s", word), 1, "%s", d.msg);
	cr_assert_eq(cli_parse_size(word, &size), 0, "'%s' is not a size: %s", word, d.msg);
	cr_assert_eq(vmm_mem_check(size, NULL), 0, "%s is out of range", word);
	mib = size / MB;
	/* The size it suggests is enough. */
	teardown();
	alloc_mem(mib * MB);
	cr_assert_eq(build(1, "", &out), 0, "suggested --mem %llu M fails: %s", mib,
		     d.msg);
	check_all(1, "", &out);
}

/* Programs that need more than the largest guest memory: no advice to use
 * a --mem that would be refused. */
Test(layout, memory_never_enough)
{
	struct boot_layout out;

	alloc_mem(4 * MB);
	make_kernel(mem_size);
	make_prog0(LAYOUT_MAX_MEM);
	cr_assert_eq(build(1, "", &out), -ENOMEM);
	cr_assert_null(strstr(d.msg, "or more"), "advice out of range: %s", d.msg);
	cr_assert(strstr(d.msg, "largest guest memory (--mem 2048M)"), "%s", d.msg);
}

Test(layout, leaves_minimum_free)
{
	struct boot_layout out;
	const struct exo_mem_region *r;
	uint64_t free = 0;

	alloc_mem(4 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	cr_assert_eq(build(1, "", &out), 0, "%s", d.msg);
	for (unsigned i = 0; (r = region_of_type(bootinfo(), EXO_MEM_USABLE, i)); i++)
		free += r->len;
	cr_assert_geq(free, LAYOUT_MIN_FREE);
}

/* The usable memory below the kernel (from 64 KiB to its 1 MiB) is free
 * memory too: a kernel whose image ends 192 KiB short of the guest's end
 * still boots in it, with its frames there. Refused before: only what
 * followed the programs counted. */
Test(layout, memory_below_the_kernel_counts_as_free)
{
	struct boot_layout out;
	const struct exo_mem_region *r;
	uint64_t free = 0, tail = 0;

	alloc_mem(4 * MB);
	make_kernel_ending(mem_size, 4 * MB - 192 * 1024);
	make_prog0(0x2000);
	cr_assert_eq(build(1, "", &out), 0, "%s", d.msg);
	for (unsigned i = 0; (r = region_of_type(bootinfo(), EXO_MEM_USABLE, i)); i++) {
		free += r->len;
		if (r->base > 0x100000)
			tail += r->len;
	}
	cr_assert_lt(tail, LAYOUT_MIN_FREE, "the test needs the low memory");
	cr_assert_geq(free, LAYOUT_MIN_FREE);
}

/* ... but the programs must still fit after the kernel. */
Test(layout, programs_must_fit_after_the_kernel)
{
	struct boot_layout out;

	alloc_mem(4 * MB);
	make_kernel_ending(mem_size, 4 * MB - 8 * 1024);
	make_prog0(0x4000);
	cr_assert_eq(build(1, "", &out), -ENOMEM);
	cr_assert(strstr(d.msg, "use --mem 6M"), "%s", d.msg);
}

Test(layout, memory_not_multiple_of_2mib)
{
	struct boot_layout out;

	alloc_mem(10 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	mem_size = 9 * MB;
	cr_assert_eq(build(1, "", &out), -EINVAL);
	cr_assert_not_null(strstr(d.msg, "--mem"), "%s", d.msg);
	cr_assert(all_zero(mem, 10 * MB), "memory written on error");
}

Test(layout, memory_above_2gib)
{
	struct boot_layout out;

	alloc_mem(8 * MB);
	make_kernel(8 * MB);
	make_prog0(0x2000);
	mem_size = EXO_DIRECT_MAP_MAX + 2 * MB;   /* rejected before any write */
	cr_assert_eq(build(1, "", &out), -EINVAL);
	cr_assert(all_zero(mem, 8 * MB), "memory written on error");
}

Test(layout, memory_below_minimum)
{
	struct boot_layout out;

	alloc_mem(2 * MB);
	make_kernel(8 * MB);
	cr_assert_eq(build(0, "", &out), -EINVAL);
}

Test(layout, too_many_programs)
{
	struct boot_layout out;

	alloc_mem(64 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	for (unsigned i = 1; i <= EXO_MAX_MODULES; i++)
		progs[i] = progs[0];
	cr_assert_eq(build(EXO_MAX_MODULES + 1, "", &out), -EINVAL);
	cr_assert_not_null(strstr(d.msg, "17"), "%s", d.msg);
}

Test(layout, max_programs)
{
	struct boot_layout out;

	alloc_mem(64 * MB);
	make_kernel(mem_size);
	make_prog0(0x2000);
	for (unsigned i = 1; i < EXO_MAX_MODULES; i++)
		progs[i] = progs[0];
	cr_assert_eq(build(EXO_MAX_MODULES, "", &out), 0, "%s", d.msg);
	check_all(EXO_MAX_MODULES, "", &out);
}

Test(layout, cmdline_too_long)
{
	struct boot_layout out;
	char cmdline[EXO_CMDLINE_MAX + 1];

	memset(cmdline, 'c', EXO_CMDLINE_MAX);
	cmdline[EXO_CMDLINE_MAX] = '\0';
	alloc_mem(8 * MB);
	make_kernel(mem_size);
	cr_assert_eq(build(0, cmdline, &out), -EINVAL);
	cr_assert(all_zero(mem, 8 * MB), "memory written on error");
}

Test(layout, cmdline_longest)
{
	struct boot_layout out;
	char cmdline[EXO_CMDLINE_MAX];

	memset(cmdline, 'c', EXO_CMDLINE_MAX - 1);
	cmdline[EXO_CMDLINE_MAX - 1] = '\0';
	alloc_mem(8 * MB);
	make_kernel(mem_size);
	cr_assert_eq(build(0, cmdline, &out), 0, "%s", d.msg);
	check_all(0, cmdline, &out);
}

Test(layout, limits)
{
	struct elf_limits k = layout_kernel_limits(32 * MB);
	struct elf_limits u = layout_user_limits();

	cr_assert_eq(k.lo, EXO_KERNEL_MIN_PA);
	cr_assert_eq(k.hi, 32 * MB);
	cr_assert(k.by_paddr);
	cr_assert_eq(k.virt_offset, EXO_KERNEL_BASE);
	cr_assert_eq(u.lo, EXO_USER_MIN);
	cr_assert_eq(u.hi, EXO_USER_MAX);
	cr_assert(!u.by_paddr);
	/* Program segments cannot reach the stack or the args page. */
	cr_assert_leq(u.hi, EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE);
}
