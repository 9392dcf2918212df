/* exo stat's tracefs: mount it when root, else name the command (vmm/tracefs.c). */
#include <criterion/criterion.h>

#include "vmm/tracefs.h"

Test(tracefs, mounted_needs_nothing)
{
	struct tracefs_state s = { .events = true, .dir = true, .root = false };

	cr_assert_eq(tracefs_decide(&s), TRACEFS_READY);
	s.root = true;
	cr_assert_eq(tracefs_decide(&s), TRACEFS_READY);
}

Test(tracefs, root_mounts_it)
{
	struct tracefs_state s = { .events = false, .dir = true, .root = true };

	cr_assert_eq(tracefs_decide(&s), TRACEFS_MOUNT);
}

Test(tracefs, not_root_is_told_the_command)
{
	struct tracefs_state s = { .events = false, .dir = true, .root = false };

	cr_assert_eq(tracefs_decide(&s), TRACEFS_TELL);
	cr_assert_str_eq(TRACEFS_FIX, "mount -t tracefs nodev /sys/kernel/tracing");
}

Test(tracefs, no_mount_point_is_told_even_as_root)
{
	struct tracefs_state s = { .events = false, .dir = false, .root = true };

	cr_assert_eq(tracefs_decide(&s), TRACEFS_TELL);
}
