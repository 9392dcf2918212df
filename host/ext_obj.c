/* Reading extension objects with libelf: see ext_obj.h. */
#include "ext_obj.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

static bool
is_code(const GElf_Shdr *sh)
{
	return sh->sh_type == SHT_PROGBITS && (sh->sh_flags & SHF_EXECINSTR) && sh->sh_size;
}

/* The code section named `want`, or the only one; its index in *idx. */
static int
find_section(Elf *e, size_t shstrndx, const char *path, const char *want,
	     Elf_Scn **found, char *err, size_t errlen)
{
	char names[512] = "";
	Elf_Scn *scn = NULL;
	int ncode = 0;

	*found = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *name;

		if (!gelf_getshdr(scn, &sh) || !(name = elf_strptr(e, shstrndx, sh.sh_name)))
			continue;
		if (want && !strcmp(name, want)) {
			if (!is_code(&sh)) {
				snprintf(err, errlen, "%s: section %s holds no code", path, want);
				return -EINVAL;
			}
			*found = scn;
			return 0;
		}
		if (!is_code(&sh))
			continue;
		if (ncode++ == 0)
			*found = scn;
		snprintf(names + strlen(names), sizeof(names) - strlen(names), " %s", name);
	}
	if (want) {
		snprintf(err, errlen, "%s: no section %s; sections with code:%s", path, want,
			 ncode ? names : " none");
		return -ENOENT;
	}
	if (ncode == 0) {
		snprintf(err, errlen, "%s: no section holds code; mark the entry point "
			 "with SEC(\"event/...\")", path);
		return -ENOENT;
	}
	if (ncode > 1) {
		snprintf(err, errlen, "%s: several sections hold code:%s; choose one with "
			 "--section", path, names);
		return -EINVAL;
	}
	return 0;
}

/* The name of symbol i of the symbol table in section link. */
static const char *
symbol_name(Elf *e, size_t link, size_t i)
{
	Elf_Scn *symscn = elf_getscn(e, link);
	Elf_Data *d = symscn ? elf_getdata(symscn, NULL) : NULL;
	GElf_Shdr sh;
	GElf_Sym sym;
	const char *name;

	if (!d || !gelf_getshdr(symscn, &sh) || !gelf_getsym(d, (int)i, &sym))
		return "?";
	name = elf_strptr(e, sh.sh_link, sym.st_name);
	return name && *name ? name : "(a section)";
}

/* Refuse any relocation into the code section: nothing here can resolve it. */
static int
check_relocations(Elf *e, Elf_Scn *code, const char *path, const char *section,
		  char *err, size_t errlen)
{
	size_t idx = elf_ndxscn(code);
	Elf_Scn *scn = NULL;

	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		GElf_Rel rel;
		GElf_Rela rela;
		u64 off, sym;

		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_REL && sh.sh_type != SHT_RELA) ||
		    sh.sh_info != idx || !sh.sh_size || !(d = elf_getdata(scn, NULL)))
			continue;
		if (sh.sh_type == SHT_REL && gelf_getrel(d, 0, &rel)) {
			off = rel.r_offset;
			sym = GELF_R_SYM(rel.r_info);
		} else if (sh.sh_type == SHT_RELA && gelf_getrela(d, 0, &rela)) {
			off = rela.r_offset;
			sym = GELF_R_SYM(rela.r_info);
		} else {
			continue;
		}
		snprintf(err, errlen, "%s: section %s, instruction %llu: refers to %s (a map, "
			 "a global variable or another function), which extensions cannot "
			 "use: keep state in the context or the stack, and make called "
			 "functions static inline", path, section,
			 (unsigned long long)(off / sizeof(struct bpf_insn)),
			 symbol_name(e, sh.sh_link, sym));
		return -EINVAL;
	}
	return 0;
}

static int
check_header(Elf *e, const char *path, char *err, size_t errlen)
{
	GElf_Ehdr eh;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh)) {
		snprintf(err, errlen, "%s: not an ELF file", path);
		return -EINVAL;
	}
	if (gelf_getclass(e) != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh.e_machine != EM_BPF || eh.e_type != ET_REL) {
		snprintf(err, errlen, "%s: not a little-endian eBPF object; compile with "
			 "clang -target bpf -O2 -c", path);
		return -EINVAL;
	}
	return 0;
}

int
ext_obj_read(const char *path, const char *section, struct ext_obj *o,
	     char *err, size_t errlen)
{
	Elf *e = NULL;
	Elf_Scn *scn;
	Elf_Data *d;
	GElf_Shdr sh;
	size_t shstrndx;
	int fd, r;

	memset(o, 0, sizeof(*o));
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf: %s", elf_errmsg(-1));
		return -EINVAL;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		return r;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	r = e ? check_header(e, path, err, errlen) : -EINVAL;
	if (!e)
		snprintf(err, errlen, "%s: not an ELF file (%s)", path, elf_errmsg(-1));
	if (r < 0)
		goto out;
	if (elf_getshdrstrndx(e, &shstrndx) < 0) {
		snprintf(err, errlen, "%s: no section names (%s)", path, elf_errmsg(-1));
		r = -EINVAL;
		goto out;
	}
	r = find_section(e, shstrndx, path, section, &scn, err, errlen);
	if (r < 0)
		goto out;
	gelf_getshdr(scn, &sh);
	o->section = strdup(elf_strptr(e, shstrndx, sh.sh_name));
	o->path = strdup(path);
	d = elf_getdata(scn, NULL);
	if (!d || !d->d_buf || d->d_size % sizeof(struct bpf_insn) ||
	    d->d_size / sizeof(struct bpf_insn) > UINT32_MAX) {
		snprintf(err, errlen, "%s: section %s is %zu bytes, not whole 8-byte "
			 "instructions", path, o->section, d ? d->d_size : 0);
		r = -EINVAL;
		goto out;
	}
	r = check_relocations(e, scn, path, o->section, err, errlen);
	if (r < 0)
		goto out;
	o->n = (u32)(d->d_size / sizeof(struct bpf_insn));
	o->insn = malloc(d->d_size);
	if (!o->insn || !o->section || !o->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		r = -ENOMEM;
		goto out;
	}
	memcpy(o->insn, d->d_buf, d->d_size);
out:
	if (e)
		elf_end(e);
	close(fd);
	if (r < 0)
		ext_obj_free(o);
	return r;
}

void
ext_obj_free(struct ext_obj *o)
{
	free(o->insn);
	free(o->section);
	free(o->path);
	memset(o, 0, sizeof(*o));
}
