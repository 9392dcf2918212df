/* KVM's binary statistics (KVM_GET_STATS_FD): named counters of a vCPU or VM. */
#ifndef VMM_STATS_H
#define VMM_STATS_H

#include <stdint.h>
#include <stdio.h>

struct kvm_stats {
	int fd;
	uint32_t count;          /* descriptors */
	uint32_t desc_size;      /* bytes per descriptor, name included */
	uint64_t data_offset;
	uint64_t data_len;       /* bytes of values */
	char *descs;
	uint64_t *data;
};

/* -ENOTSUP if this KVM has no binary statistics (then s is unusable). */
int stats_open(struct kvm_stats *s, int kvm_fd, int obj_fd);
void stats_close(struct kvm_stats *s);
/* Read every value now. */
int stats_read(struct kvm_stats *s);
/* The value of a single-element counter called name, or -1 if there is none. */
int64_t stats_get(const struct kvm_stats *s, const char *name);
/* Print non-zero single-element counters, one per line, with a prefix. */
void stats_print(const struct kvm_stats *s, FILE *out, const char *prefix);
/* The same as JSON object members ("name":value, ...), no braces. */
void stats_print_json(const struct kvm_stats *s, FILE *out);

#endif
