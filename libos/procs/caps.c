/*
 * caps: a process tries authority it was never given, and exits 0 only
 * if every attempt is refused (else the number of the check that held
 * wrongly, for the scenario to name):
 *   1  make an environment (only the session's root may)
 *   2  an ENV capability for the manager's space (not its own, not a child)
 *   3  use a capability name it does not hold (every free name, with the
 *      generations a guess would try)
 *   4  more rights than a capability it holds carries: bind its read-only
 *      pages (text, the process table) writable
 *   5  pass one of its capabilities on (they came without EXO_CAP_PASS)
 * It also checks that what it does hold is only frames.
 */
#include "exos.h"
#include "libos.h"
#include "proc_abi.h"

#define PROBE_VA  0x500000000000ULL     /* nothing of the process's is there */
#define GENS      4

static int
names(void)
{
	const struct exos_start *s = (const struct exos_start *)EXOS_START_VA;
	u32 held = 0, ro = 0;

	for (u32 i = 0; i < EXO_NCAPS; i++)
		for (u32 g = 0; g < GENS; g++) {
			exo_cap_t c = EXO_CAP(i, g);
			struct exo_capinfo ci;

			if (cap_info(c, &ci) < 0) {
				if (bind(c, PROBE_VA, EXO_BIND_R | EXO_BIND_NOW) >= 0)
					return 3;
				continue;
			}
			held++;
			if (ci.type != EXO_CAP_FRAME)
				return 6;
			if (cap_pass(c, s->manager, EXO_CAP_R) >= 0)
				return 5;
			if (!(ci.rights & EXO_CAP_W)) {
				ro++;
				if (bind(c, PROBE_VA, EXO_BIND_W | EXO_BIND_NOW) >= 0)
					return 4;
			}
		}
	printf("caps: holds %u frame capabilities (%u read-only), no other\n", held, ro);
	return held && ro ? 0 : 7;
}

int
main(void)
{
	const struct exos_start *s = (const struct exos_start *)EXOS_START_VA;
	long r;

	r = l4_thread_control(EXO_NILTHREAD, EXO_NILTHREAD, l4_myself(), 0x600000000000ULL, -1);
	if (r > 0)
		return 1;
	if (env_cap(s->manager, EXO_CAP_W) >= 0)
		return 2;
	r = names();
	if (!r)
		printf("caps: every authority it never received was refused\n");
	return (int)r;
}
