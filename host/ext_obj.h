/*
 * Extension objects: the eBPF ELF files clang writes (`clang -target bpf
 * -O2 -c`). An object holds one section per event ("event/packet"); a
 * section holds one or more programs, one per function symbol. The one
 * reader of `exo ext verify`, `dump` and `run`, and of the unit tests.
 */
#ifndef HOST_EXT_OBJ_H
#define HOST_EXT_OBJ_H

#include <stddef.h>

#include <exo/bpf.h>

#define EXT_OBJ_MAX_PROGS 64

struct ext_obj_prog {
	char section[64];
	char name[64];          /* the function's symbol */
	const struct bpf_insn *insns;   /* into ext_obj's copy of the section */
	u32 n;
};

struct ext_obj {
	char path[256];
	unsigned nprogs;
	struct ext_obj_prog progs[EXT_OBJ_MAX_PROGS];
	void *data[EXT_OBJ_MAX_PROGS];  /* section copies, freed by ext_obj_free */
	unsigned ndata;
};

/*
 * Read the programs of the object at path: 0, or a negative errno with a
 * sentence in err naming the file and what is wrong (unreadable, not ELF,
 * not eBPF, a relocation the kernel cannot honour: maps, global data, calls
 * between functions). Executable sections that are empty (clang's .text)
 * are skipped.
 */
int ext_obj_read(const char *path, struct ext_obj *o, char *err, size_t errlen);
void ext_obj_free(struct ext_obj *o);

/*
 * The one program of o in section (NULL: any) named name (NULL: any), or
 * NULL with err listing the programs to choose from (none matched, or
 * several did).
 */
const struct ext_obj_prog *ext_obj_find(const struct ext_obj *o, const char *section,
					const char *name, char *err, size_t errlen);

#endif /* HOST_EXT_OBJ_H */
