/* The ELF loader: vmm/elf.c on images built in memory and on the real build. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <exo/layout.h>

#include "vmm/elf.h"
#include "vmm/layout.h"

#include "elf_build.h"

#define NAME       "tests/prog.elf"
#define KNAME      "tests/kernel.elf"
#define KMEM       (8ULL << 20)
#define UTEXT      0x400000ULL
#define UDATA      0x402000ULL
#define PAGE       0x1000ULL

static struct elf_builder b;
static struct elf_image img;
static struct diag d;

/* A well-formed user program: text RX at 0x400000, data+bss RW after it. */
static void
user_prog(void)
{
	eb_init(&b, UTEXT + 0x80);
	eb_load(&b, PF_R | PF_X, UTEXT, 0x1234, 0x1234);
	eb_load(&b, PF_R | PF_W, UDATA + 0x100, 0x100, 0x3000);
}

/* A well-formed kernel: linked at EXO_KERNEL_BASE + its physical address. */
static void
kernel_prog(void)
{
	eb_init(&b, EXO_KERNEL_BASE + 0x100000);
	eb_add(&b, PT_LOAD, PF_R | PF_X, EXO_KERNEL_BASE + 0x100000, 0x100000,
	       0x800, 0x800);
	eb_add(&b, PT_LOAD, PF_R | PF_W, EXO_KERNEL_BASE + 0x102000, 0x102000,
	       0x40, 0x4000);
}

static int
parse_user(void)
{
	struct elf_limits lim = layout_user_limits();

	memset(&d, 0, sizeof(d));
	return elf_parse(NAME, b.data, b.size, &lim, &img, &d);
}

static int
parse_kernel(void)
{
	struct elf_limits lim = layout_kernel_limits(KMEM);

	memset(&d, 0, sizeof(d));
	return elf_parse(KNAME, b.data, b.size, &lim, &img, &d);
}

/* The file is refused as not executable, and the message names it. */
static void
assert_noexec(int r, const char *name)
{
	cr_assert_eq(r, -ENOEXEC, "elf_parse returned %d, want -ENOEXEC (%s)", r, d.msg);
	cr_assert_not_null(strstr(d.msg, name), "message \"%s\" does not name %s",
			   d.msg, name);
}

Test(elf, valid_program)
{
	user_prog();
	/* Headers that are not PT_LOAD, and empty PT_LOADs, are ignored. */
	eb_add(&b, PT_NOTE, PF_R, 0, 0, 0x20, 0x20);
	eb_add(&b, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0);
	eb_load(&b, PF_R, 0x900000, 0, 0);
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	cr_assert_eq(img.entry, UTEXT + 0x80);
	cr_assert_eq(img.nsegs, 2);
	cr_assert_eq(img.data, (const uint8_t *)b.data);
	cr_assert_eq(img.size, b.size);

	cr_assert_eq(img.segs[0].addr, UTEXT);
	cr_assert_eq(img.segs[0].vaddr, UTEXT);
	cr_assert_eq(img.segs[0].memsz, 0x1234);
	cr_assert_eq(img.segs[0].filesz, 0x1234);
	cr_assert_eq(img.segs[0].offset, eb_phdr(&b, 0)->p_offset);
	cr_assert_eq(img.segs[0].flags, EXO_SEG_R | EXO_SEG_X);

	cr_assert_eq(img.segs[1].addr, UDATA + 0x100);
	cr_assert_eq(img.segs[1].vaddr, UDATA + 0x100);
	cr_assert_eq(img.segs[1].memsz, 0x3000);
	cr_assert_eq(img.segs[1].filesz, 0x100);
	cr_assert_eq(img.segs[1].offset, eb_phdr(&b, 1)->p_offset);
	cr_assert_eq(img.segs[1].flags, EXO_SEG_R | EXO_SEG_W);
}

Test(elf, valid_kernel_placed_by_paddr)
{
	kernel_prog();
	cr_assert_eq(parse_kernel(), 0, "%s", d.msg);
	cr_assert_eq(img.entry, EXO_KERNEL_BASE + 0x100000);
	cr_assert_eq(img.nsegs, 2);
	cr_assert_eq(img.segs[0].addr, 0x100000);
	cr_assert_eq(img.segs[0].vaddr, EXO_KERNEL_BASE + 0x100000);
	cr_assert_eq(img.segs[1].addr, 0x102000);
	cr_assert_eq(img.segs[1].memsz, 0x4000);
	cr_assert_eq(img.segs[1].filesz, 0x40);
}

Test(elf, flags_beyond_rwx_dropped)
{
	user_prog();
	eb_phdr(&b, 0)->p_flags |= 0x0ff00000;   /* PF_MASKOS bits */
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	cr_assert_eq(img.segs[0].flags, EXO_SEG_R | EXO_SEG_X);
}

/* The kernel maps no segment without R (mdb_map_root): each such segment
 * is refused here, by its number and what it is, not at boot as error -5. */
Test(elf, segments_without_read_refused)
{
	static const struct { uint32_t flags; const char *what; } cases[] = {
		{ PF_X, "execute-only" }, { PF_W, "write-only" }, { 0, "without any rights" },
		{ PF_W | PF_X, "writable and executable but not readable" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		user_prog();
		eb_phdr(&b, 1)->p_flags = cases[i].flags;
		assert_noexec(parse_user(), NAME);
		cr_assert(strstr(d.msg, "segment 1") && strstr(d.msg, cases[i].what),
			  "flags %#x: %s", cases[i].flags, d.msg);
	}
	/* R alone, RW, RX, RWX are what the kernel maps. */
	user_prog();
	eb_phdr(&b, 1)->p_flags = PF_R | PF_W | PF_X;
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	kernel_prog();
	eb_phdr(&b, 0)->p_flags = PF_X;
	assert_noexec(parse_kernel(), KNAME);
}

/*
 * Headers are read by copy: program headers at an odd e_phoff, and a file
 * in a buffer at an odd address, parse as the aligned file does (they were
 * read in place: a misaligned access, which -fsanitize=alignment traps).
 */
Test(elf, misaligned_headers)
{
	static _Alignas(16) uint8_t shifted[EB_MAX_SIZE + 1];
	struct elf_limits lim = layout_user_limits();
	struct elf_image want;
	size_t phsz;

	user_prog();
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	want = img;
	phsz = eb_ehdr(&b)->e_phnum * sizeof(Elf64_Phdr);
	memmove(b.data + sizeof(Elf64_Ehdr) + 3, b.data + sizeof(Elf64_Ehdr), phsz);
	eb_ehdr(&b)->e_phoff = sizeof(Elf64_Ehdr) + 3;
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	cr_assert_eq(img.nsegs, want.nsegs);
	cr_assert_arr_eq(img.segs, want.segs, sizeof(want.segs));

	memcpy(shifted + 1, b.data, b.size);
	cr_assert_eq(elf_parse(NAME, shifted + 1, b.size, &lim, &img, &d), 0, "%s", d.msg);
	cr_assert_eq(img.entry, want.entry);
	cr_assert_arr_eq(img.segs, want.segs, sizeof(want.segs));
}

Test(elf, segment_ending_at_window_top_accepted)
{
	eb_init(&b, EXO_USER_MAX - 2 * PAGE);
	eb_load(&b, PF_R | PF_X, EXO_USER_MAX - 2 * PAGE, 0x10, 2 * PAGE);
	cr_assert_eq(parse_user(), 0, "%s", d.msg);

	kernel_prog();
	eb_phdr(&b, 1)->p_paddr = KMEM - 0x4000;
	eb_phdr(&b, 1)->p_vaddr = EXO_KERNEL_BASE + KMEM - 0x4000;
	cr_assert_eq(parse_kernel(), 0, "%s", d.msg);
}

Test(elf, empty_file)
{
	static const uint8_t none[1];
	struct elf_limits lim = layout_user_limits();

	assert_noexec(elf_parse(NAME, none, 0, &lim, &img, &d), NAME);
}

Test(elf, three_byte_file)
{
	static const uint8_t three[3] = { 0x7f, 'E', 'L' };
	struct elf_limits lim = layout_user_limits();

	assert_noexec(elf_parse(NAME, three, sizeof(three), &lim, &img, &d), NAME);
}

Test(elf, header_truncated)
{
	user_prog();
	b.size = sizeof(Elf64_Ehdr) - 1;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "truncated"), "%s", d.msg);
}

Test(elf, not_elf_magic)
{
	user_prog();
	b.data[1] = 'X';
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "not an ELF"), "%s", d.msg);
}

Test(elf, text_file)
{
	static const char text[] = "#!/bin/sh\necho hello\n";
	struct elf_limits lim = layout_user_limits();

	assert_noexec(elf_parse(NAME, text, sizeof(text) - 1, &lim, &img, &d), NAME);
}

Test(elf, elfclass32)
{
	user_prog();
	eb_ehdr(&b)->e_ident[EI_CLASS] = ELFCLASS32;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "64-bit"), "%s", d.msg);
}

Test(elf, big_endian)
{
	user_prog();
	eb_ehdr(&b)->e_ident[EI_DATA] = ELFDATA2MSB;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "big-endian"), "%s", d.msg);
}

Test(elf, machine_386)
{
	user_prog();
	eb_ehdr(&b)->e_machine = EM_386;
	assert_noexec(parse_user(), NAME);
}

Test(elf, machine_aarch64)
{
	user_prog();
	eb_ehdr(&b)->e_machine = EM_AARCH64;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "183"), "machine number missing: %s", d.msg);
}

Test(elf, et_dyn)
{
	user_prog();
	eb_ehdr(&b)->e_type = ET_DYN;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "static"), "%s", d.msg);
}

Test(elf, et_rel)
{
	user_prog();
	eb_ehdr(&b)->e_type = ET_REL;
	assert_noexec(parse_user(), NAME);
}

Test(elf, pt_interp)
{
	user_prog();
	eb_add(&b, PT_INTERP, PF_R, 0x400200, 0x400200, 0x1c, 0x1c);
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "dynamic"), "%s", d.msg);
}

Test(elf, pt_dynamic)
{
	user_prog();
	eb_add(&b, PT_DYNAMIC, PF_R | PF_W, UDATA + 0x100, UDATA + 0x100, 0x10, 0x10);
	assert_noexec(parse_user(), NAME);
}

Test(elf, phentsize_wrong)
{
	user_prog();
	eb_ehdr(&b)->e_phentsize = sizeof(Elf64_Phdr) - 1;
	assert_noexec(parse_user(), NAME);
}

Test(elf, phnum_zero)
{
	user_prog();
	eb_ehdr(&b)->e_phnum = 0;
	assert_noexec(parse_user(), NAME);
}

Test(elf, phoff_past_end)
{
	user_prog();
	eb_ehdr(&b)->e_phoff = b.size + 8;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "truncated"), "%s", d.msg);
}

Test(elf, phoff_huge)
{
	user_prog();
	eb_ehdr(&b)->e_phoff = UINT64_MAX - 8;
	assert_noexec(parse_user(), NAME);
}

/* e_phoff is the file's choice: headers at an odd offset still parse (they
 * were read in place, a misaligned access UBSan reports: fuzz/elf.c found it). */
Test(elf, phoff_misaligned)
{
	Elf64_Ehdr *eh;

	user_prog();
	eh = eb_ehdr(&b);
	memmove(b.data + eh->e_phoff + 1, b.data + eh->e_phoff,
		eh->e_phnum * sizeof(Elf64_Phdr));
	eh->e_phoff += 1;
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	cr_assert_eq(img.nsegs, 2);
	cr_assert_eq(img.segs[0].vaddr, UTEXT);
	cr_assert_eq(img.segs[1].memsz, 0x3000);
}

Test(elf, phnum_too_big)
{
	user_prog();
	eb_ehdr(&b)->e_phnum = (b.size - sizeof(Elf64_Ehdr)) / sizeof(Elf64_Phdr) + 1;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "truncated"), "%s", d.msg);
}

Test(elf, phdrs_end_exactly_at_file_end)
{
	/* Headers that end exactly at the end of the file are fine. */
	user_prog();
	b.size = sizeof(Elf64_Ehdr) + 2 * sizeof(Elf64_Phdr);
	eb_phdr(&b, 0)->p_filesz = 0;
	eb_phdr(&b, 0)->p_offset = 0;
	eb_phdr(&b, 1)->p_filesz = 0;
	eb_phdr(&b, 1)->p_offset = 0;
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
}

Test(elf, segment_filesz_past_end)
{
	user_prog();
	eb_phdr(&b, 1)->p_filesz = b.size - eb_phdr(&b, 1)->p_offset + 1;
	eb_phdr(&b, 1)->p_memsz = 0x10000;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "truncated"), "%s", d.msg);
}

Test(elf, segment_offset_past_end)
{
	user_prog();
	eb_phdr(&b, 0)->p_offset = b.size + 1;
	eb_phdr(&b, 0)->p_filesz = 1;
	assert_noexec(parse_user(), NAME);
}

Test(elf, segment_offset_wraps)
{
	user_prog();
	eb_phdr(&b, 0)->p_offset = UINT64_MAX - 0x10;
	assert_noexec(parse_user(), NAME);
}

Test(elf, filesz_greater_than_memsz)
{
	user_prog();
	eb_phdr(&b, 1)->p_memsz = eb_phdr(&b, 1)->p_filesz - 1;
	assert_noexec(parse_user(), NAME);
}

Test(elf, user_segment_below_window)
{
	eb_init(&b, EXO_USER_MIN - PAGE);
	eb_load(&b, PF_R | PF_X, EXO_USER_MIN - PAGE, 0x100, 0x100);
	assert_noexec(parse_user(), NAME);
}

Test(elf, user_segment_at_null)
{
	eb_init(&b, 0x10);
	eb_load(&b, PF_R | PF_X, 0, 0x100, 0x100);
	assert_noexec(parse_user(), NAME);
}

Test(elf, user_segment_above_window)
{
	eb_init(&b, EXO_USER_MAX);
	eb_load(&b, PF_R | PF_X, EXO_USER_MAX, 0x100, 0x100);
	assert_noexec(parse_user(), NAME);
}

Test(elf, user_segment_crosses_window_top)
{
	eb_init(&b, EXO_USER_MAX - PAGE);
	eb_load(&b, PF_R | PF_X, EXO_USER_MAX - PAGE, 0x100, PAGE + 1);
	assert_noexec(parse_user(), NAME);
}

Test(elf, last_page_past_unaligned_window_top)
{
	/* The segment's bytes fit, but its last page does not. */
	struct elf_limits lim = { .lo = EXO_USER_MIN, .hi = UTEXT + 0x800 };

	eb_init(&b, UTEXT);
	eb_load(&b, PF_R | PF_X, UTEXT, 0x100, 0x800);
	assert_noexec(elf_parse(NAME, b.data, b.size, &lim, &img, &d), NAME);
	lim.hi = UTEXT + PAGE;
	cr_assert_eq(elf_parse(NAME, b.data, b.size, &lim, &img, &d), 0, "%s", d.msg);
}

Test(elf, user_segment_kernel_address)
{
	eb_init(&b, EXO_KERNEL_BASE + 0x100000);
	eb_load(&b, PF_R | PF_X, EXO_KERNEL_BASE + 0x100000, 0x100, 0x100);
	assert_noexec(parse_user(), NAME);
}

Test(elf, user_segment_memsz_wraps)
{
	user_prog();
	eb_phdr(&b, 1)->p_memsz = UINT64_MAX - PAGE;
	assert_noexec(parse_user(), NAME);
}

Test(elf, kernel_segment_below_1mib)
{
	kernel_prog();
	eb_phdr(&b, 0)->p_paddr = 0x80000;
	eb_phdr(&b, 0)->p_vaddr = EXO_KERNEL_BASE + 0x80000;
	eb_ehdr(&b)->e_entry = EXO_KERNEL_BASE + 0x80000;
	assert_noexec(parse_kernel(), KNAME);
}

Test(elf, kernel_segment_past_memory)
{
	kernel_prog();
	eb_phdr(&b, 1)->p_memsz = KMEM;   /* 0x102000 + 8 MiB > 8 MiB */
	assert_noexec(parse_kernel(), KNAME);
	cr_assert_not_null(strstr(d.msg, "--mem"), "no advice: %s", d.msg);
}

Test(elf, kernel_vaddr_not_paddr_plus_base)
{
	kernel_prog();
	eb_phdr(&b, 1)->p_vaddr = EXO_KERNEL_BASE + 0x202000;
	assert_noexec(parse_kernel(), KNAME);
	cr_assert_not_null(strstr(d.msg, "not an exo kernel"), "%s", d.msg);
}

Test(elf, kernel_linked_at_paddr)
{
	/* A kernel linked 1:1 (vaddr == paddr) is not an exo kernel. */
	eb_init(&b, 0x100000);
	eb_add(&b, PT_LOAD, PF_R | PF_X, 0x100000, 0x100000, 0x100, 0x100);
	assert_noexec(parse_kernel(), KNAME);
}

Test(elf, segments_overlap)
{
	eb_init(&b, UTEXT);
	eb_load(&b, PF_R | PF_X, UTEXT, 0x100, 0x3000);
	eb_load(&b, PF_R | PF_W, UTEXT + 0x2000, 0x100, 0x1000);
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "overlap"), "%s", d.msg);
}

Test(elf, segments_overlap_reverse_order)
{
	eb_init(&b, UTEXT + 0x4000);
	eb_load(&b, PF_R | PF_W, UTEXT + 0x2000, 0x100, 0x1000);
	eb_load(&b, PF_R | PF_X, UTEXT, 0x100, 0x8000);
	assert_noexec(parse_user(), NAME);
}

/* A file may list its loadable segments in any order; the image has them
 * ascending, as the boot protocol needs (<exo/bootinfo.h>). */
Test(elf, segments_listed_out_of_order_come_sorted)
{
	eb_init(&b, UTEXT);
	eb_load(&b, PF_R | PF_W, UTEXT + 0x4000, 0x100, 0x1000);
	eb_load(&b, PF_R, UTEXT + 0x2000, 0x100, 0x100);
	eb_load(&b, PF_R | PF_X, UTEXT, 0x100, 0x100);
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	cr_assert_eq(img.nsegs, 3);
	cr_assert_eq(img.segs[0].addr, UTEXT);
	cr_assert_eq(img.segs[0].flags & PF_X, PF_X, "the text's flags went with it");
	cr_assert_eq(img.segs[1].addr, UTEXT + 0x2000);
	cr_assert_eq(img.segs[2].addr, UTEXT + 0x4000);
	cr_assert_eq(img.segs[2].memsz, 0x1000);
}

Test(elf, segments_share_a_page)
{
	eb_init(&b, UTEXT);
	eb_load(&b, PF_R | PF_X, UTEXT, 0x800, 0x800);
	eb_load(&b, PF_R | PF_W, UTEXT + 0xc00, 0x10, 0x10);
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "page"), "%s", d.msg);
}

Test(elf, kernel_segments_share_a_page)
{
	kernel_prog();
	eb_phdr(&b, 1)->p_paddr = 0x100f00;
	eb_phdr(&b, 1)->p_vaddr = EXO_KERNEL_BASE + 0x100f00;
	assert_noexec(parse_kernel(), KNAME);
}

Test(elf, segments_on_adjacent_pages_accepted)
{
	eb_init(&b, UTEXT);
	eb_load(&b, PF_R | PF_X, UTEXT, 0x800, 0x1000);
	eb_load(&b, PF_R | PF_W, UTEXT + 0x1000, 0x10, 0x10);
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	cr_assert_eq(img.nsegs, 2);
}

Test(elf, entry_in_data_segment)
{
	user_prog();
	eb_ehdr(&b)->e_entry = UDATA + 0x100;
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "entry"), "%s", d.msg);
}

Test(elf, entry_outside_every_segment)
{
	user_prog();
	eb_ehdr(&b)->e_entry = UTEXT + 0x1234;   /* one past the text */
	assert_noexec(parse_user(), NAME);
}

Test(elf, entry_zero)
{
	user_prog();
	eb_ehdr(&b)->e_entry = 0;
	assert_noexec(parse_user(), NAME);
}

Test(elf, no_pt_load)
{
	eb_init(&b, UTEXT);
	eb_add(&b, PT_NOTE, PF_R, 0, 0, 0x20, 0x20);
	assert_noexec(parse_user(), NAME);
	cr_assert_not_null(strstr(d.msg, "no loadable"), "%s", d.msg);
}

Test(elf, only_empty_pt_load)
{
	eb_init(&b, UTEXT);
	eb_load(&b, PF_R | PF_X, UTEXT, 0, 0);
	assert_noexec(parse_user(), NAME);
}

Test(elf, too_many_segments)
{
	eb_init(&b, UTEXT);
	for (unsigned i = 0; i <= ELF_MAX_SEGS; i++)
		eb_load(&b, PF_R | PF_X, UTEXT + i * 0x10000, 0x10, 0x10);
	assert_noexec(parse_user(), NAME);
}

Test(elf, max_segments_accepted)
{
	eb_init(&b, UTEXT);
	for (unsigned i = 0; i < ELF_MAX_SEGS; i++)
		eb_load(&b, PF_R | PF_X, UTEXT + i * 0x10000, 0x10, 0x10);
	cr_assert_eq(parse_user(), 0, "%s", d.msg);
	cr_assert_eq(img.nsegs, ELF_MAX_SEGS);
}

Test(elf, no_diag_given)
{
	struct elf_limits lim = layout_user_limits();

	user_prog();
	eb_ehdr(&b)->e_machine = EM_386;
	cr_assert_eq(elf_parse(NAME, b.data, b.size, &lim, &img, NULL), -ENOEXEC);
}

/* elf_read_file */

Test(elf_read, missing_file)
{
	const char *path = "/nonexistent/exo-unit-test/no-such-file";
	void *data = NULL;
	size_t size = 0;

	cr_assert_eq(elf_read_file(path, &data, &size, &d), -ENOENT);
	cr_assert_not_null(strstr(d.msg, path), "message \"%s\" does not name the path",
			   d.msg);
	cr_assert_null(data);
}

Test(elf_read, directory)
{
	void *data = NULL;
	size_t size = 0;
	int r = elf_read_file("/tmp", &data, &size, &d);

	cr_assert_lt(r, 0, "reading a directory succeeded");
	cr_assert_eq(r, -EINVAL);
	cr_assert_not_null(strstr(d.msg, "/tmp"), "%s", d.msg);
	cr_assert_null(data);
}

/* A FIFO is refused at once (open() blocked until a writer came, for ever). */
Test(elf_read, fifo_refused_without_blocking, .timeout = 20)
{
	char path[64];
	void *data = NULL;
	size_t size;

	snprintf(path, sizeof(path), "/tmp/exo-elf-%d-fifo", (int)getpid());
	unlink(path);
	cr_assert_eq(mkfifo(path, 0600), 0);
	memset(&d, 0, sizeof(d));
	cr_assert_eq(elf_read_file(path, &data, &size, &d), -EINVAL);
	cr_assert(strstr(d.msg, path) && strstr(d.msg, "not a regular file (a FIFO)"),
		  "%s", d.msg);
	unlink(path);
	cr_assert_eq(elf_read_file("/dev/null", &data, &size, &d), -EINVAL);
	cr_assert(strstr(d.msg, "a character device"), "%s", d.msg);
}

Test(elf_read, regular_file_read_whole)
{
	char path[] = "/tmp/exo-unit-elfXXXXXX";
	int fd = mkstemp(path);
	void *data = NULL;
	size_t size = 0;
	int r;

	cr_assert_geq(fd, 0);
	user_prog();
	cr_assert_eq(write(fd, b.data, b.size), (ssize_t)b.size);
	close(fd);
	r = elf_read_file(path, &data, &size, &d);
	unlink(path);
	cr_assert_eq(r, 0, "%s", d.msg);
	cr_assert_eq(size, b.size);
	cr_assert_eq(memcmp(data, b.data, size), 0);
	free(data);
}

Test(elf_read, empty_file)
{
	char path[] = "/tmp/exo-unit-elfXXXXXX";
	int fd = mkstemp(path);
	struct elf_limits lim = layout_user_limits();
	void *data = NULL;
	size_t size = 1;
	int r;

	cr_assert_geq(fd, 0);
	close(fd);
	r = elf_read_file(path, &data, &size, &d);
	unlink(path);
	cr_assert_eq(r, 0, "%s", d.msg);
	cr_assert_eq(size, 0);
	cr_assert_not_null(data);
	/* ...which the parser then refuses, naming it. */
	assert_noexec(elf_parse(path, data, size, &lim, &img, &d), path);
	free(data);
}

/* The real build, if there is one. */

static void
parse_real(const char *path, const struct elf_limits *lim)
{
	void *data;
	size_t size;
	int r;

	if (access(path, R_OK) != 0)
		cr_skip_test("%s not built", path);
	cr_assert_eq(elf_read_file(path, &data, &size, &d), 0, "%s", d.msg);
	r = elf_parse(path, data, size, lim, &img, &d);
	cr_assert_eq(r, 0, "%s", d.msg);
	cr_assert_geq(img.nsegs, 1);
	for (unsigned i = 0; i < img.nsegs; i++) {
		cr_assert_geq(img.segs[i].addr, lim->lo);
		cr_assert_leq(img.segs[i].addr + img.segs[i].memsz, lim->hi);
		cr_assert_leq(img.segs[i].filesz, img.segs[i].memsz);
	}
	free(data);
}

Test(elf_real, kernel)
{
	struct elf_limits lim = layout_kernel_limits(64ULL << 20);

	parse_real(EXO_BUILD_DIR "/exo-kernel", &lim);
	cr_assert_geq(img.entry, EXO_KERNEL_BASE);
	for (unsigned i = 0; i < img.nsegs; i++)
		cr_assert_eq(img.segs[i].vaddr, img.segs[i].addr + EXO_KERNEL_BASE);
}

Test(elf_real, hello)
{
	struct elf_limits lim = layout_user_limits();

	parse_real(EXO_BUILD_DIR "/programs/hello", &lim);
	cr_assert_geq(img.entry, EXO_USER_MIN);
	cr_assert_lt(img.entry, EXO_USER_MAX);
}
