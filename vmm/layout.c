#include "layout.h"

#include <errno.h>
#include <string.h>

#include <exo/layout.h>

#define PAGE EXO_PAGE_SIZE

/* Boot page-table entry bits: present, writable, 2 MiB page, global. */
#define PTE_P   0x001ULL
#define PTE_W   0x002ULL
#define PTE_PS  0x080ULL
#define PTE_G   0x100ULL
#define PTE_NX  (1ULL << 63)
#define MB2     (2ULL << 20)
/* The first byte the kernel may use below its image: 0x10000, above the
 * boot information and page tables. */
#define LAYOUT_LOW_USABLE 0x10000ULL
#define GB1     (1ULL << 30)

struct elf_limits
layout_kernel_limits(uint64_t mem_size)
{
	return (struct elf_limits){
		.lo = EXO_KERNEL_MIN_PA, .hi = mem_size,
		.by_paddr = 1, .virt_offset = EXO_KERNEL_BASE,
	};
}

struct elf_limits
layout_user_limits(void)
{
	return (struct elf_limits){ .lo = EXO_USER_MIN, .hi = EXO_USER_MAX };
}

/*
 * Boot page tables: the top 2 GiB of virtual memory map physical 0..2 GiB
 * with 2 MiB pages, so EXO_KERNEL_BASE + p reaches every guest byte p.
 *   PML4[511] -> PDPT;  PDPT[510] -> PD0 (0..1 GiB);  PDPT[511] -> PD1 (1..2 GiB)
 * Only memory that exists is mapped: a stray kernel access beyond it faults.
 * Past the first 2 MiB (the kernel image) nothing executes: no-execute.
 */
static void
layout_page_tables(uint8_t *mem, uint64_t mem_size)
{
	uint64_t *pml4 = (uint64_t *)(mem + EXO_BOOT_PT_PA);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;       /* PD0 and PD1, contiguous */
	uint64_t pdpt_pa = EXO_BOOT_PT_PA + PAGE, pd_pa = pdpt_pa + PAGE;

	pml4[511] = pdpt_pa | PTE_P | PTE_W;
	pdpt[510] = pd_pa | PTE_P | PTE_W;
	pdpt[511] = (pd_pa + PAGE) | PTE_P | PTE_W;
	for (uint64_t pa = 0; pa < mem_size; pa += MB2)
		pd[pa / MB2] = pa | PTE_P | PTE_W | PTE_PS | PTE_G | (pa ? PTE_NX : 0);
}

/*
 * The kernel image's leaf table (<exo/bootinfo.h>, EXO_BOOT_KPT_PA): the
 * first 2 MiB in 4 KiB pages, writable and no-execute but for the pages of
 * the image's read-only segments, which are read-only, and executable only
 * in an executable segment. Built here, where the segments are known, so
 * that the kernel's boot does not fill 512 entries itself.
 */
static void
layout_kernel_table(uint8_t *mem, const struct elf_image *k)
{
	uint64_t *pt = (uint64_t *)(mem + EXO_BOOT_KPT_PA);

	for (uint64_t i = 0; i < 512; i++)
		pt[i] = i * PAGE | PTE_P | PTE_W | PTE_G | PTE_NX;
	for (unsigned i = 0; i < k->nsegs; i++) {
		const struct elf_seg *s = &k->segs[i];
		uint64_t bits = PTE_P | PTE_G | (s->flags & EXO_SEG_X ? 0 : PTE_NX);
		uint64_t end = EXO_PAGE_UP(s->addr + s->memsz);

		if (s->flags & EXO_SEG_W)
			continue;
		for (uint64_t pa = EXO_PAGE_DOWN(s->addr); pa < end && pa < MB2; pa += PAGE)
			pt[pa / PAGE] = pa | bits;
	}
}

static void
layout_region(struct exo_bootinfo *bi, uint64_t base, uint64_t end, uint32_t type)
{
	if (end > base)
		bi->regions[bi->nregions++] = (struct exo_mem_region){
			.base = base, .len = end - base, .type = type };
}

/* The pages the kernel image covers: [*start, *end). */
static void
layout_kernel_extent(const struct elf_image *k, uint64_t *start, uint64_t *end)
{
	*start = UINT64_MAX;
	*end = 0;
	for (unsigned i = 0; i < k->nsegs; i++) {
		const struct elf_seg *s = &k->segs[i];

		if (EXO_PAGE_DOWN(s->addr) < *start)
			*start = EXO_PAGE_DOWN(s->addr);
		if (EXO_PAGE_UP(s->addr + s->memsz) > *end)
			*end = EXO_PAGE_UP(s->addr + s->memsz);
	}
}

static void
layout_kernel(uint8_t *mem, const struct elf_image *k)
{
	for (unsigned i = 0; i < k->nsegs; i++)
		memcpy(mem + k->segs[i].addr, k->data + k->segs[i].offset,
		       k->segs[i].filesz);
}

/* Bytes of physical memory a program takes: its pages, stack and args page. */
static uint64_t
layout_program_size(const struct boot_program *p)
{
	uint64_t n = EXO_USER_STACK_SIZE + PAGE;

	for (unsigned i = 0; i < p->img.nsegs; i++) {
		const struct elf_seg *s = &p->img.segs[i];
		n += EXO_PAGE_UP(s->addr + s->memsz) - (s->addr & ~(PAGE - 1));
	}
	return n;
}

/*
 * The args page, at user address EXO_USER_ARGS: argv[0..argc] (pointers, as
 * the program will see them) followed by the strings.
 */
static int
layout_args(uint8_t *page, const struct boot_program *p, struct diag *d)
{
	uint64_t *argv = (uint64_t *)page;
	uint64_t off = (uint64_t)(p->argc + 1) * sizeof(uint64_t);

	for (int i = 0; i < p->argc; i++) {
		size_t n = strlen(p->argv[i]) + 1;

		if (off + n > PAGE)
			return diag_fail(d, E2BIG, "%s: arguments too long: they must "
					 "fit in one %llu-byte page with their pointers",
					 p->name, (unsigned long long)PAGE);
		memcpy(page + off, p->argv[i], n);
		argv[i] = EXO_USER_ARGS + off;
		off += n;
	}
	argv[p->argc] = 0;
	return 0;
}

static int
layout_program(uint8_t *mem, uint64_t *next, const struct boot_program *p,
	       struct exo_module *m, struct diag *d)
{
	uint64_t pa = *next;

	memset(m, 0, sizeof(*m));
	strncpy(m->name, p->name, sizeof(m->name) - 1);
	for (unsigned i = 0; i < p->img.nsegs; i++) {
		const struct elf_seg *s = &p->img.segs[i];
		uint64_t va = s->addr & ~(PAGE - 1);
		uint64_t len = EXO_PAGE_UP(s->addr + s->memsz) - va;

		memcpy(mem + pa + (s->addr - va), p->img.data + s->offset, s->filesz);
		m->segs[m->nsegs++] = (struct exo_segment){
			.vaddr = va, .paddr = pa, .len = len, .flags = s->flags };
		pa += len;
	}
	m->segs[m->nsegs++] = (struct exo_segment){
		.vaddr = EXO_USER_STACK_TOP - EXO_USER_STACK_SIZE, .paddr = pa,
		.len = EXO_USER_STACK_SIZE, .flags = EXO_SEG_R | EXO_SEG_W };
	pa += EXO_USER_STACK_SIZE;
	if (layout_args(mem + pa, p, d) < 0)
		return -E2BIG;
	m->segs[m->nsegs++] = (struct exo_segment){
		.vaddr = EXO_USER_ARGS, .paddr = pa, .len = PAGE,
		.flags = EXO_SEG_R | EXO_SEG_W };
	pa += PAGE;
	m->entry = p->img.entry;
	m->stack_top = EXO_USER_STACK_TOP;
	m->argc = (uint32_t)p->argc;
	m->argv = EXO_USER_ARGS;
	*next = pa;
	return 0;
}

/*
 * Room for the kernel image (kstart..kend), the programs after it (progs
 * bytes) and LAYOUT_MIN_FREE bytes of frames. The usable memory below the
 * kernel counts as free (the kernel hands it out like the rest), and so
 * does what follows the programs. 0, or -ENOMEM saying the --mem that fits.
 */
static int
layout_check_size(uint64_t mem_size, uint64_t kstart, uint64_t kend, uint64_t progs,
		  struct diag *d)
{
	uint64_t low = kstart > LAYOUT_LOW_USABLE ? kstart - LAYOUT_LOW_USABLE : 0;
	uint64_t short_by = low >= LAYOUT_MIN_FREE ? 0 : LAYOUT_MIN_FREE - low;
	uint64_t want = (kend + progs + short_by + MB2 - 1) / MB2 * MB2;
	uint64_t take = kend - kstart + progs;
	int r = vmm_mem_check(mem_size, d);

	if (r < 0)
		return r;
	if (want > LAYOUT_MAX_MEM)
		return diag_fail(d, ENOMEM, "the kernel and programs take %llu KiB and "
				 "the kernel needs %llu KiB free: more than the largest "
				 "guest memory (--mem %lluM); run fewer or smaller programs",
				 (unsigned long long)(take >> 10), LAYOUT_MIN_FREE >> 10,
				 LAYOUT_MAX_MEM >> 20);
	if (want > mem_size)
		return diag_fail(d, ENOMEM, "--mem %lluM is too small: the kernel and "
				 "programs take %llu KiB and the kernel needs %llu KiB "
				 "free; use --mem %lluM or more",
				 (unsigned long long)(mem_size >> 20),
				 (unsigned long long)(take >> 10), LAYOUT_MIN_FREE >> 10,
				 (unsigned long long)(want >> 20));
	return 0;
}

int
layout_build(uint8_t *mem, uint64_t mem_size, uint32_t platform,
	     uint64_t tsc_khz, const struct elf_image *kernel,
	     const struct boot_program *progs, unsigned nprogs, const char *cmdline,
	     struct boot_layout *out, struct diag *d)
{
	struct exo_bootinfo *bi = (struct exo_bootinfo *)(mem + EXO_BOOTINFO_PA);
	uint64_t kstart, kend, next, need;
	int r;

	if (nprogs > EXO_MAX_MODULES)
		return diag_fail(d, EINVAL, "%u programs: exo boots at most %d at once",
				 nprogs, EXO_MAX_MODULES);
	if (strlen(cmdline) >= EXO_CMDLINE_MAX)
		return diag_fail(d, EINVAL, "kernel command line too long (%zu bytes, "
				 "at most %d)", strlen(cmdline), EXO_CMDLINE_MAX - 1);
	layout_kernel_extent(kernel, &kstart, &kend);
	need = 0;
	for (unsigned i = 0; i < nprogs; i++)
		need += layout_program_size(&progs[i]);
	r = layout_check_size(mem_size, kstart, kend, need, d);
	if (r < 0)
		return r;

	layout_kernel(mem, kernel);
	next = kend;
	for (unsigned i = 0; i < nprogs; i++) {
		r = layout_program(mem, &next, &progs[i], &bi->modules[i], d);
		if (r < 0)
			return r;
	}
	layout_page_tables(mem, mem_size);
	layout_kernel_table(mem, kernel);

	bi->magic = EXO_BOOTINFO_MAGIC;
	bi->version = EXO_BOOTINFO_VERSION;
	bi->platform = platform;
	bi->mem_size = mem_size;
	bi->tsc_khz = tsc_khz;
	bi->nmodules = nprogs;
	bi->sigma0 = EXO_NO_SIGMA0;
	for (unsigned i = 0; i < nprogs; i++)
		if (progs[i].sigma0)
			bi->sigma0 = i;
	strcpy(bi->cmdline, cmdline);
	layout_region(bi, EXO_BOOTINFO_PA, EXO_BOOT_PT_PA + EXO_BOOT_PT_PAGES * PAGE,
		      EXO_MEM_BOOT);
	layout_region(bi, LAYOUT_LOW_USABLE, kstart, EXO_MEM_USABLE);
	layout_region(bi, kstart, kend, EXO_MEM_KERNEL);
	layout_region(bi, kend, next, EXO_MEM_MODULE);
	layout_region(bi, next, mem_size, EXO_MEM_USABLE);

	*out = (struct boot_layout){
		.kernel_entry = kernel->entry,
		.bootinfo_va = EXO_KERNEL_BASE + EXO_BOOTINFO_PA,
		.boot_cr3 = EXO_BOOT_PT_PA,
		.kernel_end = kend,
		.modules_end = next,
	};
	return 0;
}
