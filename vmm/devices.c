#include "devices.h"

#include <errno.h>
#include <stddef.h>

int
devices_register(struct device_table *t, struct device *dev, struct diag *d)
{
	uint32_t lo = dev->port, hi = (uint32_t)dev->port + dev->nports;

	if (dev->nports == 0 || hi > 0x10000 || !dev->io)
		return diag_fail(d, EINVAL, "device %s: bad port range %#x+%u or no handler",
				 dev->name, dev->port, dev->nports);
	for (unsigned i = 0; i < t->n; i++) {
		const struct device *o = t->dev[i];

		if (lo < (uint32_t)o->port + o->nports && o->port < hi)
			return diag_fail(d, EEXIST, "device %s: ports %#x+%u overlap "
					 "device %s at %#x+%u", dev->name, dev->port,
					 dev->nports, o->name, o->port, o->nports);
	}
	if (t->n == DEVICES_MAX)
		return diag_fail(d, ENOSPC, "device %s: registry full (%d devices)",
				 dev->name, DEVICES_MAX);
	t->dev[t->n++] = dev;
	return 0;
}

struct device *
devices_find(const struct device_table *t, uint16_t port)
{
	for (unsigned i = 0; i < t->n; i++)
		if (port >= t->dev[i]->port && port - t->dev[i]->port < t->dev[i]->nports)
			return t->dev[i];
	return NULL;
}
