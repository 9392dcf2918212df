/* Extension objects read with libelf: see ext_obj.h. */
#include "ext_obj.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef EM_BPF
#define EM_BPF 247
#endif

static const char *
bpf_reloc_name(unsigned type)
{
	switch (type) {
	case 1: return "R_BPF_64_64 (LD_IMM64 of a map or global variable)";
	case 2: return "R_BPF_64_ABS64";
	case 3: return "R_BPF_64_ABS32";
	case 4: return "R_BPF_64_NODYLD32";
	case 10: return "R_BPF_64_32 (a call to a function of the object)";
	}
	return "an unknown BPF relocation";
}

static int
check_header(Elf *elf, const char *path, char *err, size_t errlen)
{
	GElf_Ehdr eh;

	if (elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh)) {
		snprintf(err, errlen, "%s: not an ELF object; give the .o clang -target "
			 "bpf -O2 -c writes", path);
		return -ENOEXEC;
	}
	if (eh.e_machine != EM_BPF) {
		snprintf(err, errlen, "%s: an ELF file for machine %u, not eBPF (247); "
			 "compile with clang -target bpf", path, eh.e_machine);
		return -ENOEXEC;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
		snprintf(err, errlen, "%s: not a 64-bit little-endian eBPF object "
			 "(use -target bpf or bpfel, not bpfeb)", path);
		return -ENOEXEC;
	}
	if (eh.e_type != ET_REL) {
		snprintf(err, errlen, "%s: not a relocatable object; compile with -c",
			 path);
		return -ENOEXEC;
	}
	return 0;
}

/* The first relocation applied to an executable section, refused by name. */
static int
check_relocs(Elf *elf, size_t shstrndx, Elf_Scn *rel, const GElf_Shdr *rsh,
	     const char *path, char *err, size_t errlen)
{
	Elf_Scn *target = elf_getscn(elf, rsh->sh_info), *symscn;
	GElf_Shdr tsh, ssh;
	Elf_Data *d = elf_getdata(rel, NULL), *syms;
	GElf_Rel r;
	GElf_Sym sym;
	const char *sname = "?";

	if (!target || !gelf_getshdr(target, &tsh) || !(tsh.sh_flags & SHF_EXECINSTR) ||
	    !d || !gelf_getrel(d, 0, &r))
		return 0;
	symscn = elf_getscn(elf, rsh->sh_link);
	if (symscn && gelf_getshdr(symscn, &ssh) && (syms = elf_getdata(symscn, NULL)) &&
	    gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &sym)) {
		sname = elf_strptr(elf, ssh.sh_link, sym.st_name);
		if ((!sname || !*sname) && sym.st_shndx != SHN_UNDEF) {
			Elf_Scn *ss = elf_getscn(elf, sym.st_shndx);  /* a section symbol */
			GElf_Shdr sh;

			if (ss && gelf_getshdr(ss, &sh))
				sname = elf_strptr(elf, shstrndx, sh.sh_name);
		}
	}
	snprintf(err, errlen, "%s: section %s, instruction %llu: relocation %s against "
		 "'%s' is not supported: extensions have no maps or global data "
		 "(.rodata, .data, .bss) and no calls between functions; keep "
		 "constants in code, state in ext_store(), helpers static inline",
		 path, elf_strptr(elf, shstrndx, tsh.sh_name),
		 (unsigned long long)r.r_offset / 8,
		 bpf_reloc_name((unsigned)GELF_R_TYPE(r.r_info)), sname ? sname : "?");
	return -ENOTSUP;
}

static int
add_prog(struct ext_obj *o, const char *section, const char *name,
	 const struct bpf_insn *insns, u32 n, const char *path, char *err, size_t errlen)
{
	struct ext_obj_prog *p;

	if (o->nprogs == EXT_OBJ_MAX_PROGS) {
		snprintf(err, errlen, "%s: more than %d programs", path, EXT_OBJ_MAX_PROGS);
		return -E2BIG;
	}
	p = &o->progs[o->nprogs++];
	snprintf(p->section, sizeof(p->section), "%s", section);
	snprintf(p->name, sizeof(p->name), "%s", name);
	p->insns = insns;
	p->n = n;
	return 0;
}

/* The functions of executable section idx (a copy of its bytes in insns). */
static int
add_section_progs(struct ext_obj *o, Elf *elf, Elf_Scn *symscn, size_t idx,
		  const char *section, const struct bpf_insn *insns, u32 n,
		  const char *path, char *err, size_t errlen)
{
	GElf_Shdr ssh;
	Elf_Data *syms;
	GElf_Sym sym;
	unsigned before = o->nprogs;
	int r;

	if (symscn && gelf_getshdr(symscn, &ssh) && (syms = elf_getdata(symscn, NULL))) {
		for (int i = 0; gelf_getsym(syms, i, &sym); i++) {
			const char *name = elf_strptr(elf, ssh.sh_link, sym.st_name);
			u64 first = sym.st_value / 8, count = sym.st_size / 8;

			if (GELF_ST_TYPE(sym.st_info) != STT_FUNC || sym.st_shndx != idx)
				continue;
			if (sym.st_value % 8 || first + count > n || count == 0) {
				snprintf(err, errlen, "%s: function %s lies outside section %s",
					 path, name ? name : "?", section);
				return -ENOEXEC;
			}
			r = add_prog(o, section, name ? name : "?", insns + first,
				     (u32)count, path, err, errlen);
			if (r < 0)
				return r;
		}
	}
	if (o->nprogs == before)        /* no symbols: the section is the program */
		return add_prog(o, section, section, insns, n, path, err, errlen);
	return 0;
}

static int
read_elf(Elf *elf, struct ext_obj *o, const char *path, char *err, size_t errlen)
{
	Elf_Scn *scn = NULL, *symscn = NULL;
	size_t shstrndx;
	GElf_Shdr sh;
	int r;

	if ((r = check_header(elf, path, err, errlen)) < 0)
		return r;
	if (elf_getshdrstrndx(elf, &shstrndx) < 0) {
		snprintf(err, errlen, "%s: no section names: %s", path, elf_errmsg(-1));
		return -ENOEXEC;
	}
	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB)
			symscn = scn;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_REL &&
		    (r = check_relocs(elf, shstrndx, scn, &sh, path, err, errlen)) < 0)
			return r;
	}
	while ((scn = elf_nextscn(elf, scn))) {
		const char *name;
		Elf_Data *d;

		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(sh.sh_flags & SHF_EXECINSTR) || sh.sh_size == 0)
			continue;
		name = elf_strptr(elf, shstrndx, sh.sh_name);
		d = elf_getdata(scn, NULL);
		if (!d || d->d_size != sh.sh_size || sh.sh_size % 8) {
			snprintf(err, errlen, "%s: section %s is not whole instructions",
				 path, name ? name : "?");
			return -ENOEXEC;
		}
		if (o->ndata == EXT_OBJ_MAX_PROGS || !(o->data[o->ndata] = malloc(d->d_size)))
			return -ENOMEM;
		memcpy(o->data[o->ndata], d->d_buf, d->d_size);
		r = add_section_progs(o, elf, symscn, elf_ndxscn(scn), name ? name : "?",
				      o->data[o->ndata++], (u32)(d->d_size / 8), path,
				      err, errlen);
		if (r < 0)
			return r;
	}
	if (o->nprogs == 0) {
		snprintf(err, errlen, "%s: no program: no executable section; mark entry "
			 "points SEC(\"event/...\")", path);
		return -ENOEXEC;
	}
	return 0;
}

int
ext_obj_read(const char *path, struct ext_obj *o, char *err, size_t errlen)
{
	Elf *elf = NULL;
	int fd, r;

	memset(o, 0, sizeof(*o));
	snprintf(o->path, sizeof(o->path), "%s", path);
	if (elf_version(EV_CURRENT) == EV_NONE) {
		snprintf(err, errlen, "libelf is unusable: %s", elf_errmsg(-1));
		return -ENOSYS;
	}
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	elf = elf_begin(fd, ELF_C_READ, NULL);
	if (!elf) {
		snprintf(err, errlen, "%s: not an ELF object: %s", path, elf_errmsg(-1));
		r = -ENOEXEC;
		goto out_fd;
	}
	r = read_elf(elf, o, path, err, errlen);
	elf_end(elf);
out_fd:
	close(fd);
	if (r < 0)
		ext_obj_free(o);
	return r;
}

void
ext_obj_free(struct ext_obj *o)
{
	for (unsigned i = 0; i < o->ndata; i++)
		free(o->data[i]);
	o->ndata = 0;
	o->nprogs = 0;
}

static bool
prog_matches(const struct ext_obj_prog *p, const char *section, const char *name)
{
	return (!section || !strcmp(p->section, section)) && (!name || !strcmp(p->name, name));
}

const struct ext_obj_prog *
ext_obj_find(const struct ext_obj *o, const char *section, const char *name,
	     char *err, size_t errlen)
{
	const struct ext_obj_prog *found = NULL;
	unsigned matches = 0;
	size_t len;

	for (unsigned i = 0; i < o->nprogs; i++)
		if (prog_matches(&o->progs[i], section, name) && matches++ == 0)
			found = &o->progs[i];
	if (matches == 1)
		return found;
	len = (size_t)snprintf(err, errlen, "%s: %s; its programs (SECTION NAME):", o->path,
			       matches ? "several programs match: choose one with --section "
			       "and --name" : "no program matches --section and --name");
	for (unsigned i = 0; i < o->nprogs && len < errlen; i++)
		len += (size_t)snprintf(err + len, errlen - len, "%s %s %s", i ? "," : "",
					o->progs[i].section, o->progs[i].name);
	return NULL;
}
