/*
 * Extension objects: the eBPF ELF files clang -target bpf -O2 -c writes.
 * One section per entry point (SEC("event/pagefault")); this reads one
 * section's instruction array. Shared by the `exo ext` commands.
 */
#ifndef HOST_EXT_OBJ_H
#define HOST_EXT_OBJ_H

#include <stddef.h>

#include <exo/bpf.h>

struct ext_obj {
	char *path;
	char *section;                  /* the section read */
	struct bpf_insn *insn;
	u32 n;
};

/*
 * Read section `section` of the eBPF object at path (NULL: the only
 * section with code; an error lists them if there are several). Refuses,
 * with a message in err naming the file, section and instruction, what the
 * kernel could not load either: a file that is not a 64-bit little-endian
 * eBPF ELF object, a section whose size is not whole instructions, and any
 * relocation into the section (maps, global variables, calls between
 * functions: an extension reaches memory only through its context, its
 * stack and helpers). Returns 0 or a negative errno.
 */
int ext_obj_read(const char *path, const char *section, struct ext_obj *o,
		 char *err, size_t errlen);
void ext_obj_free(struct ext_obj *o);

#endif
