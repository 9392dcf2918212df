/*
 * The backing store of revocation's autosave (<exo/hostio.h>): 4 KiB blocks
 * per store, in host memory, appended by SAVE and read back by READ.
 */
#ifndef VMM_BACKING_H
#define VMM_BACKING_H

#include <stdint.h>

#include <exo/exo.h>
#include <exo/hostio.h>

struct backing_store {
	uint8_t **blocks;       /* blocks[i]: EXO_PAGE_SIZE bytes */
	uint32_t n, cap;
};

struct backing {
	struct backing_store stores[EXO_BACKING_STORES + 1];   /* [0] unused */
	uint64_t saves, reads;
};

/*
 * Serve req against guest memory [mem, mem + mem_size): fills req->status
 * (enum exo_backing_status) and, for SAVE, req->block. Every field is
 * checked; a bad one is refused with a status and changes nothing.
 */
void backing_serve(struct backing *b, struct exo_backing_req *req, uint8_t *mem,
		   uint64_t mem_size);
/* Free every block of every store. */
void backing_free(struct backing *b);

#endif
