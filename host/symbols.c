/* See symbols.h. */
#include "symbols.h"
#include "vmm/file.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "srclines.h"

struct sym {
	uint64_t addr, size;
	char *name;
	const char *tag;
	size_t seq;             /* order added: the first wins a tie */
};

struct symtab {
	struct sym *v;
	size_t n, cap;
	char *tags[32];
	size_t ntags;
	int sorted;
	struct srclines *lines;  /* or NULL: names without source lines */
};

int
symtab_new(struct symtab **out)
{
	*out = calloc(1, sizeof(**out));
	if (!*out)
		return -ENOMEM;
	srclines_new(&(*out)->lines);
	return 0;
}

static int
symtab_push(struct symtab *s, uint64_t addr, uint64_t size, const char *name,
	    const char *tag)
{
	if (s->n == s->cap) {
		size_t c = s->cap ? 2 * s->cap : 256;
		struct sym *p = realloc(s->v, c * sizeof(*p));

		if (!p)
			return -ENOMEM;
		s->v = p;
		s->cap = c;
	}
	s->v[s->n] = (struct sym){ addr, size, strdup(name), tag, s->n };
	if (!s->v[s->n].name)
		return -ENOMEM;
	s->n++;
	s->sorted = 0;
	return 0;
}

/* Every STT_FUNC of the symbol table section scn. */
static int
symtab_read_scn(struct symtab *s, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh,
		const char *tag, uint64_t bias)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	size_t n = sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0;

	for (size_t i = 0; d && i < n; i++) {
		GElf_Sym sym;
		const char *name;

		if (!gelf_getsym(d, (int)i, &sym) || GELF_ST_TYPE(sym.st_info) != STT_FUNC)
			continue;
		name = elf_strptr(e, sh->sh_link, sym.st_name);
		if (name && *name && symtab_push(s, sym.st_value + bias, sym.st_size, name, tag) < 0)
			return -ENOMEM;
	}
	return 0;
}

int
symtab_add_file(struct symtab *s, const char *path, const char *tag)
{
	return symtab_add_file_at(s, path, tag, 0);
}

int
symtab_add_file_at(struct symtab *s, const char *path, const char *tag, uint64_t bias)
{
	Elf_Scn *scn = NULL;
	Elf *e = NULL;
	int fd, r = -ENOENT;
	struct stat st;
	char *t;

	if (s->ntags == sizeof(s->tags) / sizeof(s->tags[0]) || !(t = strdup(tag)))
		return -ENOMEM;
	s->tags[s->ntags++] = t;
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -ENOSYS;
	/* A FIFO or a directory has no symbols (the loader says why). */
	fd = file_open_regular(path, &st);
	if (fd < 0)
		return fd;
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		r = -ENOEXEC;
		goto out;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;

		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB) {
			r = symtab_read_scn(s, e, scn, &sh, t, bias);
			break;
		}
	}
out:
	if (e)
		elf_end(e);
	close(fd);
	return r;
}

static int
sym_cmp(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;

	if (x->addr != y->addr)
		return (x->addr > y->addr) - (x->addr < y->addr);
	return (x->seq > y->seq) - (x->seq < y->seq);
}

bool
symtab_name(const struct symtab *cs, uint64_t addr, char *buf, size_t len)
{
	struct symtab *s = (struct symtab *)cs;   /* sorting is a cache */
	const struct sym *best = NULL;

	if (s && !s->sorted) {
		if (s->n)       /* an empty table has no array to sort */
			qsort(s->v, s->n, sizeof(*s->v), sym_cmp);
		s->sorted = 1;
	}
	for (size_t i = 0; s && i < s->n; i++) {
		const struct sym *y = &s->v[i];

		if (y->addr > addr)
			break;
		if (addr < y->addr + (y->size ? y->size : 1) && !best)
			best = y;
	}
	if (best)
		snprintf(buf, len, "%s:%s+%#llx", best->tag, best->name,
			 (unsigned long long)(addr - best->addr));
	else
		snprintf(buf, len, "%#llx", (unsigned long long)addr);
	return best != NULL;
}

void
symtab_free(struct symtab *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	for (size_t i = 0; i < s->ntags; i++)
		free(s->tags[i]);
	srclines_free(s->lines);
	free(s->v);
	free(s);
}

int
symtab_add_lines(struct symtab *s, const char *path)
{
	return s->lines ? srclines_add_file(s->lines, path) : -ENOMEM;
}

bool
symtab_line(const struct symtab *s, uint64_t addr, char *buf, size_t len)
{
	return s && srclines_find(s->lines, addr, buf, len);
}
