#include "stats.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>

static const struct kvm_stats_desc *
stats_desc(const struct kvm_stats *s, uint32_t i)
{
	return (const struct kvm_stats_desc *)(s->descs + (size_t)i * s->desc_size);
}

int
stats_open(struct kvm_stats *s, int kvm_fd, int obj_fd)
{
	struct kvm_stats_header h;
	uint64_t end = 0;

	*s = (struct kvm_stats){ .fd = -1 };
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_BINARY_STATS_FD) <= 0)
		return -ENOTSUP;
	s->fd = ioctl(obj_fd, KVM_GET_STATS_FD, NULL);
	if (s->fd < 0)
		return -errno;
	if (pread(s->fd, &h, sizeof(h), 0) != sizeof(h))
		goto fail;
	s->count = h.num_desc;
	s->desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
	s->data_offset = h.data_offset;
	s->descs = calloc(s->count, s->desc_size);
	if (!s->descs || pread(s->fd, s->descs, (size_t)s->count * s->desc_size,
			       h.desc_offset) != (ssize_t)((size_t)s->count * s->desc_size))
		goto fail;
	for (uint32_t i = 0; i < s->count; i++) {
		const struct kvm_stats_desc *dp = stats_desc(s, i);
		uint64_t e = dp->offset + (uint64_t)dp->size * sizeof(uint64_t);
		if (e > end)
			end = e;
	}
	s->data_len = end;
	s->data = calloc(1, end ? end : 8);
	if (!s->data)
		goto fail;
	return 0;
fail:
	stats_close(s);
	return -EIO;
}

void
stats_close(struct kvm_stats *s)
{
	if (s->fd >= 0)
		close(s->fd);
	free(s->descs);
	free(s->data);
	*s = (struct kvm_stats){ .fd = -1 };
}

int
stats_read(struct kvm_stats *s)
{
	if (s->fd < 0)
		return -EBADF;
	if (pread(s->fd, s->data, s->data_len, s->data_offset) != (ssize_t)s->data_len)
		return -EIO;
	return 0;
}

int64_t
stats_get(const struct kvm_stats *s, const char *name)
{
	for (uint32_t i = 0; s->fd >= 0 && i < s->count; i++) {
		const struct kvm_stats_desc *dp = stats_desc(s, i);

		if (dp->size == 1 && strcmp(dp->name, name) == 0)
			return (int64_t)s->data[dp->offset / sizeof(uint64_t)];
	}
	return -1;
}

void
stats_print(const struct kvm_stats *s, FILE *out, const char *prefix)
{
	for (uint32_t i = 0; s->fd >= 0 && i < s->count; i++) {
		const struct kvm_stats_desc *dp = stats_desc(s, i);
		uint64_t v = s->data[dp->offset / sizeof(uint64_t)];

		if (dp->size == 1 && v)
			fprintf(out, "%s%-28s %llu\n", prefix, dp->name, (unsigned long long)v);
	}
}

void
stats_print_json(const struct kvm_stats *s, FILE *out)
{
	const char *sep = "";

	for (uint32_t i = 0; s->fd >= 0 && i < s->count; i++) {
		const struct kvm_stats_desc *dp = stats_desc(s, i);

		if (dp->size != 1)
			continue;
		fprintf(out, "%s\"%s\":%llu", sep, dp->name,
			(unsigned long long)s->data[dp->offset / sizeof(uint64_t)]);
		sep = ",";
	}
}
