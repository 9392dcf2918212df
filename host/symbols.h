/*
 * Names for guest instruction pointers, from the function symbols of the
 * kernel's and the programs' ELF files (read with libelf).
 */
#ifndef HOST_SYMBOLS_H
#define HOST_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symtab;

/* An empty table: -ENOMEM. */
int symtab_new(struct symtab **out);
/*
 * Add the function symbols of ELF file path, labelled with tag ("kernel",
 * a program's name). Kernel addresses are the kernel's own; user addresses
 * of different programs may overlap, and the first program added wins.
 * -errno (unreadable file, not ELF, no symbol table).
 */
int symtab_add_file(struct symtab *s, const char *path, const char *tag);
/* The same for a file loaded bias bytes above its link addresses (a PIE:
 * exo itself, whose code is the kernel's on the hosted platform). */
int symtab_add_file_at(struct symtab *s, const char *path, const char *tag, uint64_t bias);
/* "tag:function+0xoff", or the address in hex if no symbol covers it
 * (then false). s may be NULL. */
bool symtab_name(const struct symtab *s, uint64_t addr, char *buf, size_t len);
/* The source lines of ELF file path's DWARF too (libdw, srclines.h): -errno
 * if it has none. */
int symtab_add_lines(struct symtab *s, const char *path);
/* "dir/file.c:line" for addr, or false (no line table covers it). */
bool symtab_line(const struct symtab *s, uint64_t addr, char *buf, size_t len);
void symtab_free(struct symtab *s);

#endif
