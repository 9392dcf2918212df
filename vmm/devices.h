/*
 * The device registry: one table of port ranges, one handler signature.
 * Devices register before the vCPU starts and the table is not changed while
 * it runs, so the run loop reads it without locks.
 */
#ifndef VMM_DEVICES_H
#define VMM_DEVICES_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"

#define DEVICES_MAX 16

struct vmm;
struct device;

/*
 * A guest IN (is_write false: fill data) or OUT (is_write true) of size bytes
 * at port. Returns 0, or a negative errno to stop the guest as misbehaving
 * (the handler has then set vm's outcome and said why).
 */
typedef int (*device_io_fn)(struct vmm *vm, struct device *dev, uint16_t port,
			    bool is_write, void *data, uint32_t size);

struct device {
	const char *name;
	uint16_t port;
	uint16_t nports;
	device_io_fn io;
	uint64_t count;          /* accesses handled */
};

struct device_table {
	struct device *dev[DEVICES_MAX];
	unsigned n;
};

/* -EEXIST if the range overlaps a registered one, -ENOSPC if full, -EINVAL
 * if the range is empty or wraps. */
int devices_register(struct device_table *t, struct device *dev, struct diag *d);
/* The device owning port, or NULL. */
struct device *devices_find(const struct device_table *t, uint16_t port);

#endif
