/* In-memory ELF64 images for the tests: see elf_build.h. */
#include "elf_build.h"

#include <string.h>

#include <criterion/criterion.h>

#define PAGE 0x1000ULL

void
eb_init(struct elf_builder *b, uint64_t entry)
{
	Elf64_Ehdr *eh = eb_ehdr(b);

	memset(b->data, 0, sizeof(b->data));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_ident[EI_OSABI] = ELFOSABI_SYSV;
	eh->e_type = ET_EXEC;
	eh->e_machine = EM_X86_64;
	eh->e_version = EV_CURRENT;
	eh->e_entry = entry;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_ehsize = sizeof(Elf64_Ehdr);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_phnum = 0;
	b->size = PAGE;
}

Elf64_Phdr *
eb_add(struct elf_builder *b, uint32_t type, uint32_t flags, uint64_t vaddr,
       uint64_t paddr, uint64_t filesz, uint64_t memsz)
{
	Elf64_Ehdr *eh = eb_ehdr(b);
	Elf64_Phdr *ph;
	uint64_t off = 0;

	cr_assert_lt(eh->e_phnum, EB_MAX_PHDRS, "elf_build: too many headers");
	ph = eb_phdr(b, eh->e_phnum++);
	if (filesz) {
		/* Same page offset in the file as in memory, after what is there. */
		off = (b->size + PAGE - 1) & ~(PAGE - 1);
		off += vaddr & (PAGE - 1);
		cr_assert_leq(off + filesz, EB_MAX_SIZE, "elf_build: image too big");
		for (uint64_t i = 0; i < filesz; i++)
			b->data[off + i] = (uint8_t)(0x5a ^ (i * 7 + eh->e_phnum * 31));
		b->size = off + filesz;
	}
	*ph = (Elf64_Phdr){
		.p_type = type, .p_flags = flags, .p_offset = off,
		.p_vaddr = vaddr, .p_paddr = paddr, .p_filesz = filesz,
		.p_memsz = memsz, .p_align = PAGE,
	};
	return ph;
}

Elf64_Phdr *
eb_load(struct elf_builder *b, uint32_t flags, uint64_t vaddr, uint64_t filesz,
	uint64_t memsz)
{
	return eb_add(b, PT_LOAD, flags, vaddr, vaddr, filesz, memsz);
}
