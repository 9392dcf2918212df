#include "elf.h"
#include "file.h"

#include <exo/layout.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int
elf_check_header(const char *name, const Elf64_Ehdr *eh, size_t size, struct diag *d)
{
	if (size < SELFMAG || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return diag_fail(d, ENOEXEC, "%s: not an ELF file (no \\177ELF magic); "
				 "give an exo program or kernel built by this tree", name);
	if (size > EI_CLASS && eh->e_ident[EI_CLASS] != ELFCLASS64)
		return diag_fail(d, ENOEXEC, "%s: not a 64-bit ELF file (ELF class %d); "
				 "exo runs x86-64 programs", name, eh->e_ident[EI_CLASS]);
	if (size < sizeof(*eh))
		return diag_fail(d, ENOEXEC, "%s: truncated: %zu bytes, shorter than "
				 "an ELF header; rebuild it", name, size);
	if (eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return diag_fail(d, ENOEXEC, "%s: big-endian ELF file; exo runs "
				 "little-endian x86-64 programs", name);
	if (eh->e_machine != EM_X86_64)
		return diag_fail(d, ENOEXEC, "%s: built for ELF machine %u, not x86-64 "
				 "(%u)", name, eh->e_machine, EM_X86_64);
	if (eh->e_type != ET_EXEC)
		return diag_fail(d, ENOEXEC, "%s: not a static executable (ELF type %u, "
				 "want ET_EXEC): link with -static -no-pie", name, eh->e_type);
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return diag_fail(d, ENOEXEC, "%s: no usable program headers "
				 "(phentsize %u, phnum %u)", name, eh->e_phentsize, eh->e_phnum);
	if (eh->e_phoff > size || (size - eh->e_phoff) / sizeof(Elf64_Phdr) < eh->e_phnum)
		return diag_fail(d, ENOEXEC, "%s: truncated: program headers run past "
				 "the end of the file (%zu bytes)", name, size);
	return 0;
}

static const char *
elf_rights_name(uint32_t flags)
{
	switch (flags & (PF_W | PF_X)) {
	case PF_X: return "execute-only";
	case PF_W: return "write-only";
	case PF_W | PF_X: return "writable and executable but not readable";
	}
	return "without any rights";
}

/* Check one PT_LOAD header and record it as segment s. */
static int
elf_take_segment(const char *name, unsigned i, const Elf64_Phdr *ph, size_t size,
		 const struct elf_limits *lim, struct elf_seg *s, struct diag *d)
{
	uint64_t addr = lim->by_paddr ? ph->p_paddr : ph->p_vaddr;

	if (ph->p_filesz > ph->p_memsz)
		return diag_fail(d, ENOEXEC, "%s: segment %u has more file bytes (%#llx) "
				 "than memory bytes (%#llx)", name, i,
				 (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (ph->p_offset > size || size - ph->p_offset < ph->p_filesz)
		return diag_fail(d, ENOEXEC, "%s: truncated: segment %u needs bytes "
				 "%#llx..%#llx but the file has %zu", name, i,
				 (unsigned long long)ph->p_offset,
				 (unsigned long long)(ph->p_offset + ph->p_filesz), size);
	if (addr < lim->lo || addr > lim->hi || lim->hi - addr < ph->p_memsz ||
	    EXO_PAGE_UP(addr + ph->p_memsz) > lim->hi)
		return diag_fail(d, ENOEXEC, "%s: segment %u at %#llx..%#llx lies outside "
				 "%#llx..%#llx, where it must load%s", name, i,
				 (unsigned long long)addr,
				 (unsigned long long)(addr + ph->p_memsz),
				 (unsigned long long)lim->lo, (unsigned long long)lim->hi,
				 lim->by_paddr ? " (guest memory: try a larger --mem)" : "");
	/* The kernel maps every segment readable (mdb_map_root refuses a
	 * mapping without R): refuse here what it would fail on at boot. */
	if (!(ph->p_flags & PF_R))
		return diag_fail(d, ENOEXEC, "%s: segment %u (at %#llx) is %s: exo maps "
				 "segments readable, so each needs R (R, RW, RX or RWX); "
				 "link it with a readable segment", name, i,
				 (unsigned long long)addr, elf_rights_name(ph->p_flags));
	if (lim->by_paddr && ph->p_vaddr != ph->p_paddr + lim->virt_offset)
		return diag_fail(d, ENOEXEC, "%s: segment %u is linked at %#llx, not at "
				 "its physical address + %#llx: not an exo kernel", name, i,
				 (unsigned long long)ph->p_vaddr,
				 (unsigned long long)lim->virt_offset);
	*s = (struct elf_seg){
		.addr = addr, .vaddr = ph->p_vaddr, .memsz = ph->p_memsz,
		.filesz = ph->p_filesz, .offset = ph->p_offset,
		.flags = ph->p_flags & (PF_R | PF_W | PF_X),
	};
	return 0;
}

/* In ascending order of address, as the ELF format says loadable segments
 * come and the boot protocol needs them (<exo/bootinfo.h>): a file that
 * lists them otherwise still loads. At most ELF_MAX_SEGS: an insertion. */
static void
elf_sort_segments(struct elf_image *img)
{
	for (unsigned i = 1; i < img->nsegs; i++) {
		struct elf_seg s = img->segs[i];
		unsigned j = i;

		for (; j > 0 && img->segs[j - 1].addr > s.addr; j--)
			img->segs[j] = img->segs[j - 1];
		img->segs[j] = s;
	}
}

/* Segments are placed page by page: no two may touch the same page. */
static int
elf_check_overlap(const char *name, const struct elf_image *img, struct diag *d)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		for (unsigned j = i + 1; j < img->nsegs; j++) {
			const struct elf_seg *a = &img->segs[i], *b = &img->segs[j];

			if (EXO_PAGE_DOWN(a->addr) < EXO_PAGE_UP(b->addr + b->memsz) &&
			    EXO_PAGE_DOWN(b->addr) < EXO_PAGE_UP(a->addr + a->memsz))
				return diag_fail(d, ENOEXEC, "%s: loadable segments %u "
						 "(%#llx) and %u (%#llx) overlap or share a "
						 "page; link them page-aligned", name, i,
						 (unsigned long long)a->addr, j,
						 (unsigned long long)b->addr);
		}
	}
	return 0;
}

static int
elf_check_entry(const char *name, const struct elf_image *img, struct diag *d)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->segs[i];

		if (s->flags & PF_X && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->memsz)
			return 0;
	}
	return diag_fail(d, ENOEXEC, "%s: entry point %#llx is not inside an "
			 "executable segment", name, (unsigned long long)img->entry);
}

/*
 * The headers are copied out of the file, never read in place: neither the
 * buffer nor e_phoff need be aligned (a file may say any offset).
 */
int
elf_parse(const char *name, const void *data, size_t size,
	  const struct elf_limits *lim, struct elf_image *img, struct diag *d)
{
	const uint8_t *bytes = data;
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph;
	int r;

	if (size)
		memcpy(&eh, data, size < sizeof(eh) ? size : sizeof(eh));
	r = elf_check_header(name, &eh, size, d);
	if (r < 0)
		return r;
	*img = (struct elf_image){ .data = data, .size = size, .entry = eh.e_entry };
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, bytes + eh.e_phoff + (size_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP || ph.p_type == PT_DYNAMIC)
			return diag_fail(d, ENOEXEC, "%s: dynamically linked; exo runs "
					 "static executables (link with -static)", name);
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		if (img->nsegs == ELF_MAX_SEGS)
			return diag_fail(d, ENOEXEC, "%s: more than %d loadable segments",
					 name, ELF_MAX_SEGS);
		r = elf_take_segment(name, i, &ph, size, lim, &img->segs[img->nsegs++], d);
		if (r < 0)
			return r;
	}
	if (img->nsegs == 0)
		return diag_fail(d, ENOEXEC, "%s: no loadable segments", name);
	elf_sort_segments(img);
	r = elf_check_overlap(name, img, d);
	if (r < 0)
		return r;
	return elf_check_entry(name, img, d);
}

static const char *
elf_file_kind(mode_t m)
{
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISDIR(m))
		return "a directory";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	if (S_ISSOCK(m))
		return "a socket";
	return "not a file";
}

int
elf_read_file(const char *path, void **data, size_t *size, struct diag *d)
{
	struct stat st;
	ssize_t got = 0;
	uint8_t *buf;
	int fd, err;

	fd = file_open_regular(path, &st);
	if (fd == -EINVAL)
		return diag_fail(d, EINVAL, "%s: not a regular file (%s); give an ELF "
				 "file", path, elf_file_kind(st.st_mode));
	if (fd < 0)
		return diag_fail(d, -fd, "%s: cannot open: %s%s", path, strerror(-fd),
				 fd == -ENOENT ? " (build it with 'make', or give a path "
				 "to an ELF file)" : "");
	if (st.st_size > (off_t)EXO_DIRECT_MAP_MAX) {
		close(fd);
		return diag_fail(d, EFBIG, "%s: %lld bytes, larger than guest memory can be",
				 path, (long long)st.st_size);
	}
	buf = malloc(st.st_size ? st.st_size : 1);
	if (!buf) {
		close(fd);
		return diag_fail(d, ENOMEM, "%s: out of memory reading it", path);
	}
	while (got < st.st_size) {
		ssize_t n = read(fd, buf + got, st.st_size - got);
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			free(buf);
			close(fd);
			return diag_fail(d, err, "%s: read failed: %s", path, strerror(err));
		}
		got += n;
	}
	close(fd);
	*data = buf;
	*size = (size_t)st.st_size;
	return 0;
}
