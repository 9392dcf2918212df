/* Names of the x86 exception vectors, for the kernel's and the host's reports. */
#ifndef EXO_VECTORS_H
#define EXO_VECTORS_H

#define EXO_NVECTORS 22

#define EXO_VECTOR_NAMES {                                                    \
	"divide error", "debug", "NMI", "breakpoint", "overflow",             \
	"bound range", "invalid opcode", "device not available",              \
	"double fault", "coprocessor", "invalid TSS", "segment not present",  \
	"stack fault", "general protection", "page fault", "reserved",        \
	"x87 error", "alignment check", "machine check", "SIMD error",        \
	"virtualization", "control protection",                               \
}

#endif
