/*
 * vmm/insnperf.c's reading of one emulated instruction: which is a trace
 * point's load of this vCPU's ring head (a mark), which an iretq. The bytes
 * are the kernels' own (objdump of exo-kernel and exo-kernel-smp), with
 * their addresses: cpus at 0xffffffff80344000, 68 KiB per CPU, CPU i's TSS
 * selector 0x28 + i * 68 KiB / 8 (guest/core/percpu.h).
 */
#include <criterion/criterion.h>
#include <string.h>

#include "vmm/insnperf.h"
#include "vmm/vmm.h"

#define CPUS     0xffffffff80344000ull
#define STRIDE   (68u * 1024)
#define HEAD(i)  (CPUS + (uint64_t)(i) * STRIDE)
#define TR(i)    ((uint16_t)(0x28 + (i) * STRIDE / 8))

static unsigned
classify(const uint8_t *b, unsigned len, uint64_t rip, unsigned cpu)
{
	return insnperf_classify(b, len, rip, HEAD(cpu), TR(cpu));
}

/* exo-kernel's C trace points: movzwl cpus+head, reg (absolute, SIB 0x25). */
Test(insnperf, uniprocessor_absolute_head_load)
{
	static const uint8_t esi[] = { 0x0f, 0xb7, 0x34, 0x25, 0x00, 0x40, 0x34, 0x80 };
	static const uint8_t r8d[] = { 0x44, 0x0f, 0xb7, 0x04, 0x25, 0x00, 0x40, 0x34, 0x80 };
	static const uint8_t other[] = { 0x0f, 0xb7, 0x34, 0x25, 0x08, 0x40, 0x34, 0x80 };

	cr_assert_eq(classify(esi, sizeof(esi), 0xffffffff80101000, 0), VMM_INSN_TRACE);
	cr_assert_eq(classify(r8d, sizeof(r8d), 0xffffffff80101000, 0), VMM_INSN_TRACE);
	cr_assert_eq(classify(other, sizeof(other), 0xffffffff80101000, 0), 0,
		     "another field of the ring");
	cr_assert_eq(classify(esi, sizeof(esi) - 1, 0xffffffff80101000, 0), 0,
		     "length does not match the encoding");
}

/* exo-kernel's entry-code trace points: movzwq cpus(%rip), reg. */
Test(insnperf, uniprocessor_rip_relative_head_load)
{
	static const uint8_t rcx[] = { 0x48, 0x0f, 0xb7, 0x0d, 0xc2, 0x3b, 0x24, 0x00 };
	static const uint8_t r11[] = { 0x4c, 0x0f, 0xb7, 0x1d, 0x13, 0x2a, 0x24, 0x00 };
	static const uint8_t vec[] = { 0x0f, 0xb7, 0x05, 0xb8, 0xf7, 0x00, 0x00 };
	uint64_t at_rcx = CPUS - 0x243bc2 - sizeof(rcx);
	uint64_t at_r11 = CPUS - 0x242a13 - sizeof(r11);

	cr_assert_eq(classify(rcx, sizeof(rcx), at_rcx, 0), VMM_INSN_TRACE);
	cr_assert_eq(classify(r11, sizeof(r11), at_r11, 0), VMM_INSN_TRACE);
	cr_assert_eq(classify(rcx, sizeof(rcx), at_rcx + 1, 0), 0, "elsewhere: not head");
	cr_assert_eq(classify(vec, sizeof(vec), 0xffffffff80101ef6, 0), 0,
		     "movzwl vectors_traced+0x20e(%%rip): not a ring");
}

/* exo-kernel-smp: movzw[lq] percpu_by_tr+head(,%rdx,8), reg after str %rdx. */
Test(insnperf, smp_head_load_by_task_register)
{
	static const uint8_t esi[] = { 0x0f, 0xb7, 0x34, 0xd5, 0xc0, 0x3e, 0x34, 0x80 };
	static const uint8_t rcx[] = { 0x48, 0x0f, 0xb7, 0x0c, 0xd5, 0xc0, 0x3e, 0x34, 0x80 };
	static const uint8_t r12d[] = { 0x44, 0x0f, 0xb7, 0x24, 0xd5, 0xc0, 0x3e, 0x34, 0x80 };
	uint64_t rip = 0xffffffff80102000;

	for (unsigned cpu = 0; cpu < 4; cpu++) {
		cr_assert_eq(classify(esi, sizeof(esi), rip, cpu), VMM_INSN_TRACE, "CPU %u", cpu);
		cr_assert_eq(classify(rcx, sizeof(rcx), rip, cpu), VMM_INSN_TRACE, "CPU %u", cpu);
		cr_assert_eq(classify(r12d, sizeof(r12d), rip, cpu), VMM_INSN_TRACE, "CPU %u",
			     cpu);
	}
	/* The bias only with this vCPU's selector names this vCPU's head. */
	cr_assert_eq(insnperf_classify(esi, sizeof(esi), rip, HEAD(1), TR(0)), 0);
	cr_assert_eq(insnperf_classify(esi, sizeof(esi), rip, HEAD(0), TR(1)), 0);
	/* The uniprocessor forms name CPU 0's head only. */
	{
		static const uint8_t abs[] = { 0x0f, 0xb7, 0x34, 0x25, 0x00, 0x40, 0x34, 0x80 };

		cr_assert_eq(classify(abs, sizeof(abs), rip, 1), 0);
	}
}

Test(insnperf, other_instructions)
{
	static const uint8_t iretq[] = { 0x48, 0xcf };
	static const uint8_t iretd[] = { 0xcf };
	static const uint8_t based[] = { 0x0f, 0xb7, 0x34, 0xd0 };     /* (%rax,%rdx,8) */
	static const uint8_t movl[] = { 0x8b, 0x34, 0xd5, 0xc0, 0x3e, 0x34, 0x80 };
	static const uint8_t disp8[] = { 0x0f, 0xb7, 0x74, 0xd5, 0x10 };
	static const uint8_t wrgs[] = { 0xf3, 0x48, 0x0f, 0xae, 0xda };

	cr_assert_eq(classify(iretq, sizeof(iretq), 0, 0), VMM_INSN_IRET);
	cr_assert_eq(classify(iretd, sizeof(iretd), 0, 0), 0);
	cr_assert_eq(classify(based, sizeof(based), 0, 0), 0);
	cr_assert_eq(classify(movl, sizeof(movl), 0, 0), 0, "a 32-bit load of the bias");
	cr_assert_eq(classify(disp8, sizeof(disp8), 0, 0), 0);
	cr_assert_eq(classify(wrgs, sizeof(wrgs), 0, 0), 0);
	/* No ring yet (head 0): nothing is a mark. */
	{
		static const uint8_t esi[] = { 0x0f, 0xb7, 0x34, 0xd5, 0xc0, 0x3e, 0x34, 0x80 };

		cr_assert_eq(insnperf_classify(esi, sizeof(esi), 0, 0, TR(0)), 0);
	}
}
