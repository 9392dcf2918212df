/*
 * Builds small ELF64 images in memory for the ELF loader and layout tests:
 * an Elf64_Ehdr at offset 0, up to EB_MAX_PHDRS program headers right after
 * it, and each segment's file bytes from offset 0x1000 on, at the same page
 * offset as its virtual address. Tests tamper with the headers afterwards.
 */
#ifndef TESTS_UNIT_ELF_BUILD_H
#define TESTS_UNIT_ELF_BUILD_H

#include <elf.h>
#include <stddef.h>
#include <stdint.h>

#define EB_MAX_PHDRS 8
#define EB_MAX_SIZE  (256 * 1024)

struct elf_builder {
	_Alignas(16) uint8_t data[EB_MAX_SIZE];
	size_t size;             /* bytes of the file so far */
};

static inline Elf64_Ehdr *
eb_ehdr(struct elf_builder *b)
{
	return (Elf64_Ehdr *)b->data;
}

static inline Elf64_Phdr *
eb_phdr(struct elf_builder *b, unsigned i)
{
	return (Elf64_Phdr *)(b->data + sizeof(Elf64_Ehdr)) + i;
}

/* A valid x86-64 ET_EXEC header with no program headers yet. */
void eb_init(struct elf_builder *b, uint64_t entry);
/*
 * Append a program header; for a segment with file bytes (filesz > 0) the
 * bytes are appended to the file (a pattern that depends on the segment).
 */
Elf64_Phdr *eb_add(struct elf_builder *b, uint32_t type, uint32_t flags,
		   uint64_t vaddr, uint64_t paddr, uint64_t filesz, uint64_t memsz);
/* Shorthand: a PT_LOAD at vaddr == paddr. */
Elf64_Phdr *eb_load(struct elf_builder *b, uint32_t flags, uint64_t vaddr,
		    uint64_t filesz, uint64_t memsz);

#endif
