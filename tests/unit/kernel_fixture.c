/* The kernel core booted on the fake platform: see kernel_fixture.h. */
#include "kernel_fixture.h"

#include "guest/core/kernel.h"

#include <string.h>

#include <criterion/criterion.h>

#include <exo/layout.h>

#include "guest/core/frame.h"
#include "guest/core/mdb.h"
#include "guest/core/sched.h"
#include "guest/core/slice.h"
#include "guest/core/bind.h"

static struct exo_bootinfo own_bi;

void
fix_bootinfo(struct exo_bootinfo *bi)
{
	memset(bi, 0, sizeof(*bi));
	bi->magic = EXO_BOOTINFO_MAGIC;
	bi->version = EXO_BOOTINFO_VERSION;
	bi->platform = EXO_PLATFORM_KVM_HW;
	bi->mem_size = FAKE_MEM_SIZE;
	bi->tsc_khz = FIX_TSC_KHZ;
	bi->sigma0 = EXO_NO_SIGMA0;
	bi->nregions = 3;
	bi->regions[0] = (struct exo_mem_region){ FIX_KERNEL_PA,
		FIX_MODULE_PA - FIX_KERNEL_PA, EXO_MEM_KERNEL, 0 };
	bi->regions[1] = (struct exo_mem_region){ FIX_MODULE_PA,
		FIX_MODULE_END - FIX_MODULE_PA, EXO_MEM_MODULE, 0 };
	bi->regions[2] = (struct exo_mem_region){ FIX_USABLE_PA,
		FAKE_MEM_SIZE - FIX_USABLE_PA, EXO_MEM_USABLE, 0 };
}

/* The same steps, in the same order, as guest/core/kmain.c. */
void
fix_core_init(const struct exo_bootinfo *bi)
{
	u64 s0_first, s0_end;

	kernel_tsc_khz = bi->tsc_khz;
	arch_init(bi);
	cr_assert_eq(frame_init(bi), 0, "frame_init refused the boot info");
	frame_split_sigma0(&s0_first, &s0_end);
	cr_assert_eq(mdb_init(), 0);
	cr_assert_eq(space_init(bi, s0_first, s0_end), 0);
	thread_init();
	slice_boot();
}

void
fix_core_boot(void)
{
	fix_bootinfo(&own_bi);
	fix_core_init(&own_bi);
}

struct space *
fix_space(struct space *parent, bool privileged)
{
	struct space *s;

	cr_assert_eq(space_create(parent, &s), 0, "space_create");
	s->privileged = privileged;
	return s;
}

struct thread *
fix_thread(struct space *s, u32 prio)
{
	struct thread *t;
	u32 no;

	/* thread_create takes the lowest free number: give it that UTCB. */
	for (no = THREAD_FIRST; no < NTHREADS && threads[no].state != TS_FREE; no++)
		;
	cr_assert_eq(thread_create(s, FIX_UTCB_VA(no), EXO_NILTHREAD, prio, &t), 0,
		     "thread_create");
	cr_assert_eq(EXO_TID_NO(t->id), no);
	t->state = TS_READY;
	sched_ready(t);
	return t;
}

struct thread *
fix_schedule(void)
{
	struct thread *t = sched_next();

	sched_switch(t);
	return t;
}

exo_cap_t
fix_frame(struct space *s)
{
	i64 c = frame_cap_alloc(s, 0);

	cr_assert_gt(c, 0, "frame_alloc: %lld", (long long)c);
	return (exo_cap_t)c;
}
