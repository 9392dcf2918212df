/* Constants shared by the arch layer's C and assembly. */
#ifndef ARCH_ASM_H
#define ARCH_ASM_H

/* GDT selectors. SYSRET needs user data at STAR[63:48]+8, user code at +16. */
#define SEL_KCODE	0x08
#define SEL_KDATA	0x10
#define SEL_UDATA	(0x18 | 3)
#define SEL_UCODE	(0x20 | 3)
#define SEL_TSS		0x28

/*
 * Interrupt vectors (lapic.c). 0..31 are the CPU's exceptions; the IDT ends
 * after the last interrupt vector, so booting fills few gates. The spurious
 * vector need not be 0xff: an x2APIC has all eight bits of it.
 */
#define VEC_IRQ_FIRST	32
#define VEC_TIMER	32	/* LAPIC timer */
#define VEC_CONSOLE	33	/* the VMM's console-input MSI */
#define VEC_SPURIOUS	34	/* LAPIC spurious interrupt: no EOI */
#define VEC_IPI		35	/* another CPU left requests (smp.c) */
#define IDT_NVEC	36

#define VEC_SYSCALL	256	/* pseudo vector: a SYSCALL on hardware KVM */
#define KSTACK_SIZE	16384
#define SYSNO_IPC	3	/* SYS_ipc, checked in trap.c */
#define SYSNO_PCT	28	/* SYS_pct, checked in trap.c */
#define SYSNO_BIND	23	/* SYS_bind, checked in trap.c */
#define SYSNO_UNBIND	24	/* SYS_unbind, checked in trap.c */
#define SYSNO_FAST_END	32	/* vec3's table of fast entries covers 0..31 */
#define TAG_MAP_ITEM	0x80	/* low 16 bits of EXO_TAG(0, 0, 2), trap.c */

/* Offsets in struct cpu and struct percpu (cpu.h), checked there. */
#define CPU_KSTACK_TOP	0
#define CPU_SCRATCH	8
#define CPU_RSP0	16
#define CPU_TSS		32
/* struct percpu (core/percpu.h): CPU i's is cpus + i * PC_SIZE, and its
 * TSS selector SEL_TSS + i * PC_SIZE / 8, so after `str %reg`,
 * PC_BY_TR + field(,%reg,8) is this CPU's field (cpu.h checks it all). */
#define CPU_GDT		136
#define PC_SIZE		0x11000
#define PC_RING		0
#define PC_CURRENT	40
#define PC_ROOT		48
#define PC_ARCH		56
#define PC_ARMED	2368	/* sched.armed: this CPU's sched_deadline */
#define PC_BY_TR	(cpus - SEL_TSS * 8)
#define NCPUS		4	/* NCPUS_MAX (percpu.h) */

/* Offsets in struct trapframe and struct thread, checked in trap.c. */
#define TF_R11		32
#define TF_R10		40
#define TF_R9		48
#define TF_R8		56
#define TF_RBP		64
#define TF_RDI		72
#define TF_RSI		80
#define TF_RDX		88
#define TF_RCX		96
#define TF_RBX		104
#define TF_RAX		112
#define TF_ERROR	128
#define TF_RIP		136
#define TF_CS		144
#define TF_SIZE		176
#define T_ROOT		216
#define T_UTCB_VA	240
#define T_XFRAME	392	/* arch_xframe: its UTCB's exception frame, or 0 */
#define T_STLB		400	/* the software TLB of its environment */
#define T_SPACE		224
#define T_CAPBASE	408	/* cap_ref(&env->caps[0]) */
#define T_SLICE		416	/* &slice_envs[its environment] */
#define T_ID		176
#define T_STATE		184	/* and flags at 188 */
#define T_FPU_SAVED	356	/* arch_fpu_saved (trap.c: fpu_save) */
#define T_SAVE		456	/* arch_save: its fxsave64 area (thread.c) */
#define TF_RSP		160
#define TS_READY_	2	/* enum thread_state, checked in trap.c */
#define TS_ENTRY_WAIT_	10

/* For the PCT fast path (pct_fast.S); checked in trap.c. */
#define ENV_SIZE	32528
#define ENV_PCT		30816	/* &env->entry[EXO_ENTRY_PCT] - env */
#define ENT_TID		0
#define ENT_PC		8
#define ENT_SP		16
#define ENT_TOFF	24	/* u32 */
#define ENT_ENV1	28	/* u32 */
#define SE_SIZE		4	/* struct slice_env */
#define SE_DONEE	0
#define CAP_TYPE_ENV	2	/* EXO_CAP_ENV */
/* struct env and struct cap (core/env.h), struct space (core/space.h),
 * for the bind fast path (bind_fast.S); checked in trap.c. */
#define ENV_STLB	20480	/* env.stlb - env.caps (caps come first) */
#define STLB_LIVE	10444	/* env.stlb_live - env.stlb */
#define STLB_CAP	32
#define STLB_F_PINNED	16
#define CAP_SIZE	40
#define CAP_OBJECT	0
#define CAP_VA		8
#define CAP_GEN		16
#define CAP_TYPE	18
#define CAP_RIGHTS	19
#define CAP_FLAGS	20
#define CAP_BOUND	21
#define CAPF_RESERVE_	0x80	/* CAPF_RESERVE */
/* struct mdb_state (core/mdb_fast.h), struct mdb_node (core/mdb.h). */
#define MDB_DIR		0
#define MDB_MASK	16
#define MN_SPACE	0
#define MN_VA		8
#define MN_HNEXT	80
#define SP_SALT		48	/* space.mdb_salt */
#define SP_LEAF_KEY	24	/* space.pt.leaf_key */
#define SP_LEAF_PA	32
#define SP_INDEX	68
#define CAP_TYPE_FRAME	1	/* EXO_CAP_FRAME */
#define T_HOME		424
#define T_KSTACK	432

/* struct stlb_entry (core/env.h), from its start; the hits counter from the array's. */
#define STLB_F_VALID	1
#define STLB_F_LAZY	8
#define STLB_TAG	0
#define STLB_PA_RIGHTS	8
#define STLB_SLOT	16
#define STLB_PTE	24
#define STLB_HITS	10448

#define TSS_RSP0	4	/* offset of rsp[0] in the 64-bit TSS */
#define MSR_GS_BASE_NO	0xc0000101

/* Offsets in struct exo_xframe (<exo/exo.h>), checked in trap.c. */
#define XF_VECTOR	0
#define XF_ERROR	24
#define XF_RIP		32
#define XF_RFLAGS	48
#define XF_RSP		56
#define XF_ENTRY_PC	72
#define XF_ENTRY_SP	80
/* The hardware frame, from rsp at its error code (pushed for every vector). */
#define HW_RIP		8
#define HW_CS		16
#define HW_RFLAGS	24
#define HW_RSP		32
/*
 * Scratch below a user exception's frame in ctx (offsets from rsp at the
 * error code): register slots that PUSH_GPRS fills afterwards. VEC_UP's
 * upcall pushes a 40-byte frame below the error code: rax parks below it.
 */
#define XS_RAX		(-32)
#define XS_RCX		(-40)
#define XS_RDX		(-48)
#define XS_UPRAX	(-56)

#ifdef __ASSEMBLER__
#ifdef EXO_UP
/*
 * The uniprocessor kernel (guest/CMakeLists.txt builds both): this CPU's
 * field is at a fixed address, and there is no lock to take or drop.
 */
#define PCPU(off, reg)	cpus + (off)(%rip)
.macro THIS_CPU reg
.endm
.macro BKL_TAKE busy
.endm
.macro BKL_DROP
.endm
#else
/* This CPU's field off, once THIS_CPU has put its TR selector in reg. */
#define PCPU(off, reg)	PC_BY_TR + (off)(,reg,8)
.macro THIS_CPU reg
	str	\reg
.endm
/* Release the big kernel lock: the stores before it come first (x86). */
.macro BKL_DROP
	movl	$0, bkl(%rip)
.endm
/*
 * Take the big kernel lock (smp.c), or go to \busy while another CPU holds
 * it. In a boot with one CPU, smp_patch_up (smp.c) turns the two
 * instructions into one jump over them: nobody else could hold it.
 */
.macro BKL_TAKE busy
.Lbkl_take\@:
	lock btsl $0, bkl(%rip)
	jc	\busy
.Lbkl_taken\@:
	.pushsection .smp_up_patch, "a"
	.quad	.Lbkl_take\@, .Lbkl_taken\@
	.popsection
.endm
#endif
#endif

#endif
