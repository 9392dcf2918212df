/*
 * The ELF loader (vmm/elf.c) on any bytes, as a program and as a kernel:
 * elf_parse must refuse what it cannot place, never read outside the file,
 * and what it accepts must hold its own promises (segments inside the file
 * and the window).
 */
#include <stdlib.h>

#include "../vmm/elf.h"
#include "../vmm/layout.h"
#include "fuzz.h"

static void
check_image(const struct elf_image *img, const struct elf_limits *lim, size_t size)
{
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct elf_seg *s = &img->segs[i];

		if (s->offset > size || size - s->offset < s->filesz ||
		    s->filesz > s->memsz || s->addr < lim->lo ||
		    lim->hi - s->addr < s->memsz)
			abort();
	}
}

static void
parse_as(const uint8_t *data, size_t size, const struct elf_limits *lim)
{
	struct elf_image img;
	struct diag d;

	if (elf_parse("fuzz", data, size, lim, &img, &d) == 0)
		check_image(&img, lim, size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_limits user = layout_user_limits();
	struct elf_limits kernel = layout_kernel_limits(64ULL << 20);

	parse_as(data, size, &user);
	parse_as(data, size, &kernel);
	return 0;
}
