/* The VMM's device registry: vmm/devices.c. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "vmm/devices.h"

static struct device_table t;
static struct diag d;

static int
io_nop(struct vmm *vm, struct device *dev, uint16_t port, bool is_write,
       void *data, uint32_t size)
{
	(void)vm, (void)dev, (void)port, (void)is_write, (void)data, (void)size;
	return 0;
}

static struct device console = { .name = "console", .port = 0x510, .nports = 4,
				 .io = io_nop };

static void
setup(void)
{
	memset(&t, 0, sizeof(t));
	memset(&d, 0, sizeof(d));
}

TestSuite(devices, .init = setup);

Test(devices, find_in_range)
{
	cr_assert_eq(devices_register(&t, &console, &d), 0, "%s", d.msg);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(devices_find(&t, 0x510), &console);
	cr_assert_eq(devices_find(&t, 0x511), &console);
	cr_assert_eq(devices_find(&t, 0x513), &console);
	cr_assert_null(devices_find(&t, 0x50f));
	cr_assert_null(devices_find(&t, 0x514));
	cr_assert_null(devices_find(&t, 0));
	cr_assert_null(devices_find(&t, 0xffff));
}

Test(devices, find_in_empty_table)
{
	cr_assert_null(devices_find(&t, 0x510));
	cr_assert_null(devices_find(&t, 0));
}

Test(devices, single_port_device)
{
	struct device one = { .name = "one", .port = 0x80, .nports = 1, .io = io_nop };

	cr_assert_eq(devices_register(&t, &one, &d), 0, "%s", d.msg);
	cr_assert_eq(devices_find(&t, 0x80), &one);
	cr_assert_null(devices_find(&t, 0x7f));
	cr_assert_null(devices_find(&t, 0x81));
}

Test(devices, several_devices_each_found)
{
	struct device a = { .name = "a", .port = 0x100, .nports = 0x10, .io = io_nop };
	struct device b = { .name = "b", .port = 0x110, .nports = 0x10, .io = io_nop };
	struct device c = { .name = "c", .port = 0x0, .nports = 0x100, .io = io_nop };

	cr_assert_eq(devices_register(&t, &a, &d), 0, "%s", d.msg);
	cr_assert_eq(devices_register(&t, &b, &d), 0, "adjacent range refused: %s",
		     d.msg);
	cr_assert_eq(devices_register(&t, &c, &d), 0, "adjacent range refused: %s",
		     d.msg);
	cr_assert_eq(devices_find(&t, 0x10f), &a);
	cr_assert_eq(devices_find(&t, 0x110), &b);
	cr_assert_eq(devices_find(&t, 0x11f), &b);
	cr_assert_eq(devices_find(&t, 0x0), &c);
	cr_assert_eq(devices_find(&t, 0xff), &c);
	cr_assert_null(devices_find(&t, 0x120));
}

Test(devices, range_up_to_last_port)
{
	struct device top = { .name = "top", .port = 0xfff0, .nports = 0x10,
			      .io = io_nop };

	cr_assert_eq(devices_register(&t, &top, &d), 0, "%s", d.msg);
	cr_assert_eq(devices_find(&t, 0xffff), &top);
	cr_assert_eq(devices_find(&t, 0xfff0), &top);
	cr_assert_null(devices_find(&t, 0xffef));
}

static void
assert_refused(struct device *dev, int err)
{
	struct device_table before = t;
	int r = devices_register(&t, dev, &d);

	cr_assert_eq(r, -err, "devices_register returned %d, want %d", r, -err);
	cr_assert_eq(memcmp(&t, &before, sizeof(t)), 0, "table changed on error");
	cr_assert_not_null(strstr(d.msg, dev->name), "message \"%s\" does not name "
			   "device %s", d.msg, dev->name);
}

Test(devices, overlap_refused)
{
	struct device inside = { .name = "inside", .port = 0x511, .nports = 1,
				 .io = io_nop };
	struct device left = { .name = "left", .port = 0x50c, .nports = 5,
			       .io = io_nop };
	struct device right = { .name = "right", .port = 0x513, .nports = 8,
				.io = io_nop };
	struct device around = { .name = "around", .port = 0x500, .nports = 0x100,
				 .io = io_nop };
	struct device same = console;

	same.name = "same";
	cr_assert_eq(devices_register(&t, &console, &d), 0, "%s", d.msg);
	assert_refused(&inside, EEXIST);
	assert_refused(&left, EEXIST);
	assert_refused(&right, EEXIST);
	assert_refused(&around, EEXIST);
	assert_refused(&same, EEXIST);
	cr_assert_eq(t.n, 1);
	cr_assert_eq(devices_find(&t, 0x511), &console);
	cr_assert_null(devices_find(&t, 0x50c));
	cr_assert_null(devices_find(&t, 0x514));
}

Test(devices, same_device_twice_refused)
{
	cr_assert_eq(devices_register(&t, &console, &d), 0, "%s", d.msg);
	assert_refused(&console, EEXIST);
}

Test(devices, zero_length_refused)
{
	struct device none = { .name = "none", .port = 0x510, .nports = 0,
			       .io = io_nop };

	assert_refused(&none, EINVAL);
	cr_assert_eq(t.n, 0);
	cr_assert_null(devices_find(&t, 0x510));
}

Test(devices, wrapping_range_refused)
{
	struct device wrap = { .name = "wrap", .port = 0xfff0, .nports = 0x11,
			       .io = io_nop };
	struct device huge = { .name = "huge", .port = 0x2, .nports = 0xffff,
			       .io = io_nop };

	assert_refused(&wrap, EINVAL);
	assert_refused(&huge, EINVAL);
	cr_assert_null(devices_find(&t, 0xffff));
	cr_assert_null(devices_find(&t, 0x0));
}

Test(devices, whole_port_space_but_one)
{
	struct device big = { .name = "big", .port = 0x0, .nports = 0xffff,
			      .io = io_nop };
	struct device last = { .name = "last", .port = 0xffff, .nports = 1,
			       .io = io_nop };

	cr_assert_eq(devices_register(&t, &big, &d), 0, "%s", d.msg);
	cr_assert_eq(devices_register(&t, &last, &d), 0, "%s", d.msg);
	cr_assert_eq(devices_find(&t, 0xfffe), &big);
	cr_assert_eq(devices_find(&t, 0xffff), &last);
}

Test(devices, no_handler_refused)
{
	struct device mute = { .name = "mute", .port = 0x600, .nports = 1 };

	assert_refused(&mute, EINVAL);
}

Test(devices, registry_full)
{
	static struct device devs[DEVICES_MAX + 1];
	static char names[DEVICES_MAX + 1][16];

	for (unsigned i = 0; i <= DEVICES_MAX; i++) {
		snprintf(names[i], sizeof(names[i]), "dev%u", i);
		devs[i] = (struct device){ .name = names[i], .port = 0x1000 + 0x10 * i,
					   .nports = 0x10, .io = io_nop };
	}
	for (unsigned i = 0; i < DEVICES_MAX; i++)
		cr_assert_eq(devices_register(&t, &devs[i], &d), 0, "device %u: %s",
			     i, d.msg);
	cr_assert_eq(t.n, DEVICES_MAX);
	assert_refused(&devs[DEVICES_MAX], ENOSPC);
	cr_assert_eq(t.n, DEVICES_MAX);
	cr_assert_null(devices_find(&t, devs[DEVICES_MAX].port));
	for (unsigned i = 0; i < DEVICES_MAX; i++)
		cr_assert_eq(devices_find(&t, devs[i].port + 0xf), &devs[i]);
}

Test(devices, no_diag_given)
{
	struct device none = { .name = "none", .port = 0x510, .nports = 0,
			       .io = io_nop };

	cr_assert_eq(devices_register(&t, &none, NULL), -EINVAL);
}
