/*
 * The boot-image layout (vmm/layout.c) with fuzzed programs, arguments,
 * command line and memory size. The input is framed (fuzz.h's cursor):
 *   u8 memory (4, 8 or 16 MiB), u8 programs (1 to 3), u8 which is σ0 (0:
 *   none), u8 command-line length + its bytes, u8 argc + per argument u8
 *   length + bytes, per program u32 length + its ELF file; the rest is the
 *   kernel's ELF file. fuzz/seeds.sh writes seeds from a built tree.
 * Inputs whose ELF files elf_parse refuses stop there (the ELF harness
 * covers those); the rest must lay out or be refused with a message, and
 * never write outside guest memory (ASan watches its bounds).
 */
#include <stdlib.h>

#include "../vmm/layout.h"
#include "fuzz.h"

#define MAX_PROGS 3
#define MAX_ARGS  8

struct input {
	uint64_t mem_size;
	unsigned nprogs;
	char cmdline[256];
	char args[MAX_ARGS][256];
	char *argv[MAX_ARGS + 1];
	int argc;
	struct boot_program progs[MAX_PROGS];
	struct elf_image kernel;
	void *files[MAX_PROGS + 1];  /* each ELF file in its own buffer, as read */
};

/* A copy of len bytes at p, malloc'd as elf_read_file's are (aligned). */
static const void *
own_copy(struct input *in, unsigned slot, const uint8_t *p, size_t len)
{
	in->files[slot] = malloc(len ? len : 1);
	if (!in->files[slot])
		abort();
	return memcpy(in->files[slot], p, len);
}

static void
take_string(struct fz *f, char *out)
{
	size_t len = fz_take(f, 1);
	const uint8_t *p = fz_bytes(f, &len);

	memcpy(out, p, len);
	out[len] = 0;
}

static int
take_programs(struct fz *f, struct input *in, unsigned sigma0)
{
	struct elf_limits user = layout_user_limits();
	struct diag d;

	for (unsigned i = 0; i < in->nprogs; i++) {
		size_t len = fz_take(f, 4);
		const void *elf = own_copy(in, i, fz_bytes(f, &len), len);
		struct boot_program *p = &in->progs[i];

		*p = (struct boot_program){ .name = "fuzz", .argc = in->argc,
					    .argv = in->argv, .sigma0 = sigma0 == i + 1 };
		if (elf_parse("fuzz", elf, len, &user, &p->img, &d) < 0)
			return -1;
	}
	return 0;
}

static int
take_input(struct fz *f, struct input *in)
{
	struct diag d;
	unsigned sigma0;

	in->mem_size = LAYOUT_MIN_MEM << (fz_take(f, 1) % 3);
	in->nprogs = 1 + fz_take(f, 1) % MAX_PROGS;
	sigma0 = fz_take(f, 1) % (MAX_PROGS + 1);
	take_string(f, in->cmdline);
	in->argc = 1 + fz_take(f, 1) % MAX_ARGS;
	for (int i = 0; i < in->argc; i++) {
		take_string(f, in->args[i]);
		in->argv[i] = in->args[i];
	}
	in->argv[in->argc] = NULL;
	if (take_programs(f, in, sigma0) < 0)
		return -1;
	struct elf_limits klim = layout_kernel_limits(in->mem_size);
	const void *kernel = own_copy(in, MAX_PROGS, f->p, f->n);

	return elf_parse("kernel", kernel, f->n, &klim, &in->kernel, &d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct input in;
	struct fz f = { data, size };
	struct boot_layout out;
	struct diag d;
	uint8_t *mem;

	memset(&in, 0, sizeof(in));
	if (take_input(&f, &in) == 0) {
		mem = calloc(1, in.mem_size);
		if (!mem)
			abort();
		layout_build(mem, in.mem_size, EXO_PLATFORM_KVM_HW, 2000000, &in.kernel,
			     in.progs, in.nprogs, in.cmdline, &out, &d);
		free(mem);
	}
	for (unsigned i = 0; i <= MAX_PROGS; i++)
		free(in.files[i]);
	return 0;
}
