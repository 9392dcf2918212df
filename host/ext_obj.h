/*
 * Extension objects: the eBPF ELF files clang writes (`clang -target bpf
 * -O2 -c`). An object holds one section per event ("event/packet"); a
 * section holds one or more programs, one per function symbol.
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
	unsigned nprogs;
	struct ext_obj_prog progs[EXT_OBJ_MAX_PROGS];
	void *data[EXT_OBJ_MAX_PROGS];  /* section copies, freed by ext_obj_free */
	unsigned ndata;
};

/*
 * Read the programs of the object at path: 0, or a negative errno with a
 * sentence in err naming the file and what is wrong (unreadable, not ELF,
 * not eBPF, a relocation the checker cannot honour, a section that is no
 * event). Executable sections that are empty (clang's .text) are skipped.
 */
int ext_obj_read(const char *path, struct ext_obj *o, char *err, size_t errlen);
void ext_obj_free(struct ext_obj *o);

#endif /* HOST_EXT_OBJ_H */
