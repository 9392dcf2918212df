/*
 * What the libFuzzer harnesses share: a cursor that takes fixed-size fields
 * off the front of the input (zeros once it runs out, so every input is a
 * valid parameter set and the fuzzer explores the parser, not the framing).
 */
#ifndef FUZZ_FUZZ_H
#define FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct fz {
	const uint8_t *p;
	size_t n;
};

static inline uint64_t
fz_take(struct fz *f, size_t bytes)
{
	uint64_t v = 0;
	size_t k = bytes < f->n ? bytes : f->n;

	memcpy(&v, f->p, k);
	f->p += k;
	f->n -= k;
	return v;
}

/* The next len bytes (fewer if the input ends), as a pointer into it. */
static inline const uint8_t *
fz_bytes(struct fz *f, size_t *len)
{
	const uint8_t *p = f->p;

	if (*len > f->n)
		*len = f->n;
	f->p += *len;
	f->n -= *len;
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
