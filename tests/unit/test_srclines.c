/* Source lines from the kernel's DWARF (host/srclines.c), on the real build. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host/srclines.h"
#include "host/symbols.h"

#define KERNEL EXO_BUILD_DIR "/exo-kernel"

/* The address of function name in ELF file path, from its symbol table. */
static uint64_t
elf_fn(const char *path, const char *name)
{
	int fd = open(path, O_RDONLY);
	Elf *e = NULL;
	Elf_Scn *scn = NULL;
	uint64_t a = 0;

	elf_version(EV_CURRENT);
	if (fd >= 0)
		e = elf_begin(fd, ELF_C_READ, NULL);
	while (e && !a && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; i < sh.sh_size / sh.sh_entsize && !a; i++) {
			GElf_Sym y;
			const char *n;

			if (gelf_getsym(d, (int)i, &y) && (n = elf_strptr(e, sh.sh_link, y.st_name)) &&
			    !strcmp(n, name))
				a = y.st_value;
		}
	}
	if (e)
		elf_end(e);
	if (fd >= 0)
		close(fd);
	return a;
}

Test(srclines, kernel_function_has_its_file)
{
	struct symtab *s;
	char line[96];
	uint64_t a;

	if (access(KERNEL, R_OK) != 0)
		cr_skip_test("%s not built", KERNEL);
	cr_assert_eq(symtab_new(&s), 0);
	cr_assert_eq(symtab_add_file(s, KERNEL, "kernel"), 0);
	cr_assert_eq(symtab_add_lines(s, KERNEL), 0, "no DWARF lines in %s", KERNEL);
	a = elf_fn(KERNEL, "frame_alloc");
	cr_assert_neq(a, 0, "no frame_alloc in the kernel's symbols");
	cr_assert(symtab_line(s, a, line, sizeof(line)), "no line for frame_alloc");
	cr_assert(strstr(line, "core/frame.c:"), "frame_alloc at %s", line);
	cr_assert(!symtab_line(s, 0x1000, line, sizeof(line)), "a line for 0x1000: %s", line);
	symtab_free(s);
}

Test(srclines, not_elf_adds_nothing)
{
	struct srclines *t;
	char line[96];

	cr_assert_eq(srclines_new(&t), 0);
	cr_assert_lt(srclines_add_file(t, "/dev/null"), 0);
	cr_assert_lt(srclines_add_file(t, "/no/such/file"), 0);
	cr_assert(!srclines_find(t, 0xffffffff80100000ULL, line, sizeof(line)));
	srclines_free(t);
}
