/*
 * Source lines for guest instruction pointers: every row of the DWARF line
 * tables of the kernel's and the programs' ELF files (read with libdw), kept
 * in memory when the file is added, so that naming an address later (a vCPU
 * thread's crash or timeout report, inside the jail) opens and reads nothing.
 */
#ifndef HOST_SRCLINES_H
#define HOST_SRCLINES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct srclines;

int srclines_new(struct srclines **out);
/* Add the line table of ELF file path: its rows, or -errno (unreadable, not
 * ELF, no DWARF: then nothing is added and the names stay without lines). */
int srclines_add_file(struct srclines *t, const char *path);
/* "dir/file.c:line" of the row covering addr (the path's last two
 * components), or false. t may be NULL. */
bool srclines_find(const struct srclines *t, uint64_t addr, char *buf, size_t len);
void srclines_free(struct srclines *t);

#endif
