/* The autosave backing store, in host memory (backing.h). */
#include "backing.h"

#include <stdlib.h>
#include <string.h>

#include <exo/layout.h>

#define BLOCK EXO_PAGE_SIZE

static void
store_drop(struct backing_store *s)
{
	for (uint32_t i = 0; i < s->n; i++)
		free(s->blocks[i]);
	free(s->blocks);
	*s = (struct backing_store){ 0 };
}

/* Append a copy of src to s: EXO_BACKING_OK and *block, or EXO_BACKING_EFULL. */
static uint32_t
store_save(struct backing_store *s, const uint8_t *src, uint64_t *block)
{
	uint8_t *copy;

	if (s->n == EXO_BACKING_BLOCKS)
		return EXO_BACKING_EFULL;
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		uint8_t **grown = realloc(s->blocks, cap * sizeof(*grown));

		if (!grown)
			return EXO_BACKING_EFULL;
		s->blocks = grown;
		s->cap = cap;
	}
	copy = malloc(BLOCK);
	if (!copy)
		return EXO_BACKING_EFULL;
	memcpy(copy, src, BLOCK);
	s->blocks[s->n] = copy;
	*block = s->n++;
	return EXO_BACKING_OK;
}

void
backing_serve(struct backing *b, struct exo_backing_req *req, uint8_t *mem,
	      uint64_t mem_size)
{
	struct backing_store *s;
	bool frame_ok = !(req->gpa & (BLOCK - 1)) && req->gpa < mem_size &&
			mem_size - req->gpa >= BLOCK;

	req->status = EXO_BACKING_EINVAL;
	if (req->store < 1 || req->store > EXO_BACKING_STORES)
		return;
	s = &b->stores[req->store];
	switch (req->op) {
	case EXO_BACKING_SAVE:
		if (!frame_ok)
			return;
		req->status = store_save(s, mem + req->gpa, &req->block);
		b->saves += req->status == EXO_BACKING_OK;
		return;
	case EXO_BACKING_READ:
		if (!frame_ok)
			return;
		if (req->block >= s->n) {
			req->status = EXO_BACKING_ENOENT;
			return;
		}
		memcpy(mem + req->gpa, s->blocks[req->block], BLOCK);
		b->reads++;
		req->status = EXO_BACKING_OK;
		return;
	case EXO_BACKING_DROP:
		store_drop(s);
		req->status = EXO_BACKING_OK;
		return;
	}
}

void
backing_free(struct backing *b)
{
	for (uint32_t i = 0; i <= EXO_BACKING_STORES; i++)
		store_drop(&b->stores[i]);
}
