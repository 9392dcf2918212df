/* See srclines.h. */
#include "srclines.h"
#include "vmm/file.h"

#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A row: from addr on, the code is file:line, up to the next row's addr (a
 * row with line 0 ends a sequence: no source there). */
struct row {
	uint64_t addr;
	uint32_t line, file;
};

struct srclines {
	struct row *v;
	size_t n, cap;
	char **files;
	size_t nfiles, files_cap;
	bool sorted;
};

int
srclines_new(struct srclines **out)
{
	*out = calloc(1, sizeof(**out));
	return *out ? 0 : -ENOMEM;
}

/* The index of file name src, added if new (the last one is the usual hit). */
static long
file_index(struct srclines *t, const char *src)
{
	const char *cut = src + strlen(src);

	for (int slashes = 0; cut > src; cut--)         /* keep "dir/file.c" */
		if (cut[-1] == '/' && ++slashes == 2)
			break;
	for (size_t i = t->nfiles; i-- > 0 && i + 8 >= t->nfiles;)
		if (!strcmp(t->files[i], cut))
			return (long)i;
	if (t->nfiles == t->files_cap) {
		size_t cap = t->files_cap ? 2 * t->files_cap : 64;
		char **f = realloc(t->files, cap * sizeof(*f));

		if (!f)
			return -ENOMEM;
		t->files = f;
		t->files_cap = cap;
	}
	if (!(t->files[t->nfiles] = strdup(cut)))
		return -ENOMEM;
	return (long)t->nfiles++;
}

static int
row_push(struct srclines *t, uint64_t addr, uint32_t line, uint32_t file)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 1024;
		struct row *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = (struct row){ addr, line, file };
	t->sorted = false;
	return 0;
}

/* The rows of one compilation unit. */
static int
cu_rows(struct srclines *t, Dwarf_Die *cu)
{
	Dwarf_Lines *lines;
	size_t n;

	if (dwarf_getsrclines(cu, &lines, &n) != 0)
		return 0;                       /* a unit without lines */
	for (size_t i = 0; i < n; i++) {
		Dwarf_Line *l = dwarf_onesrcline(lines, i);
		const char *src = l ? dwarf_linesrc(l, NULL, NULL) : NULL;
		Dwarf_Addr a;
		bool end = false;
		int ln = 0;
		long f;

		if (!src || dwarf_lineaddr(l, &a) || dwarf_lineno(l, &ln) ||
		    dwarf_lineendsequence(l, &end))
			continue;
		f = file_index(t, src);
		if (f < 0 || row_push(t, a, end ? 0 : (uint32_t)ln, (uint32_t)f) < 0)
			return -ENOMEM;
	}
	return 0;
}

int
srclines_add_file(struct srclines *t, const char *path)
{
	Dwarf_Off off = 0, next;
	size_t hsize;
	struct stat st;
	Dwarf *dw;
	int fd, r = 0;

	fd = file_open_regular(path, &st);
	if (fd < 0)
		return fd;
	dw = dwarf_begin(fd, DWARF_C_READ);
	if (!dw) {
		close(fd);
		return -ENOENT;
	}
	while (r == 0 && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0) {
		Dwarf_Die cu;

		if (dwarf_offdie(dw, off + hsize, &cu))
			r = cu_rows(t, &cu);
		off = next;
	}
	dwarf_end(dw);
	close(fd);
	return r;
}

static int
row_cmp(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	return x->addr < y->addr ? -1 : x->addr > y->addr ? 1 : 0;
}

bool
srclines_find(const struct srclines *ct, uint64_t addr, char *buf, size_t len)
{
	struct srclines *t = (struct srclines *)ct;     /* sorting is a cache */
	size_t lo = 0, hi;

	if (!t || !t->n)
		return false;
	if (!t->sorted) {
		qsort(t->v, t->n, sizeof(*t->v), row_cmp);
		t->sorted = true;
	}
	hi = t->n;
	while (hi - lo > 1) {                   /* the last row at or below addr */
		size_t mid = lo + (hi - lo) / 2;

		if (t->v[mid].addr <= addr)
			lo = mid;
		else
			hi = mid;
	}
	if (t->v[lo].addr > addr || !t->v[lo].line)
		return false;
	snprintf(buf, len, "%s:%u", t->files[t->v[lo].file], t->v[lo].line);
	return true;
}

void
srclines_free(struct srclines *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nfiles; i++)
		free(t->files[i]);
	free(t->files);
	free(t->v);
	free(t);
}
