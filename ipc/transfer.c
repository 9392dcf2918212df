/*
 * Message transfer: untyped words register to register (and UTCB to UTCB past
 * MR7), then the typed items: map and grant of flexpages, recorded in the
 * mapping database so that flush can revoke them.
 */
#include "transfer.h"

#include <exo/error.h>
#include <exo/layout.h>

#include "../guest/core/ext.h"
#include "../guest/core/mdb.h"
#include "../guest/core/modpage.h"
#include "../guest/core/space.h"

#define MAP_PROBE_MAX    1024   /* pages probed one by one; beyond, walk nodes */
#define UTCB_COPY_LOOP_MAX 4    /* UTCB words copied by a loop; more: memcpy */

u64 *
thread_mr(struct thread *t, u32 i)
{
	switch (i) {
	case 0: return &t->ctx.r8;
	case 1: return &t->ctx.r9;
	case 2: return &t->ctx.r10;
	case 3: return &t->ctx.r12;
	case 4: return &t->ctx.r13;
	case 5: return &t->ctx.r14;
	case 6: return &t->ctx.r15;
	case 7: return &t->ctx.rbx;
	}
	return &t->utcb->mr[i];
}

/* One page of from (at fva) to (at tva); σ0's window pages and a task's
 * module pages come into being (as mapping-database roots) the first time
 * they are passed on (space_demand). -E_FAULT:
 * not the sender's to give, nothing happens. A target mdb_map refuses
 * (-E_INVAL: outside the user range, a kernel page) is skipped: where the
 * page lands is the receiver's window's choice. */
static int
map_page(struct space *from, u64 fva, struct space *to, u64 tva, u32 rights,
	 bool grant)
{
	if (!mdb_lookup(from, fva) && space_demand(from, fva) != 0)
		return -E_FAULT;
	return mdb_map(from, fva, to, tva, rights, grant);
}

/* The pages of from in fva..+len to tva..: 0, -E_NOMEM, or -E_FAULT if
 * from has none of them (<exo/ipc.h>: EXO_IPC_NOTMINE). */
static int
map_range(struct space *from, u64 fva, struct space *to, u64 tva, u64 len,
	  u32 rights, bool grant)
{
	bool had = false;

	if (len / EXO_PAGE_SIZE <= MAP_PROBE_MAX) {
		for (u64 off = 0; off < len; off += EXO_PAGE_SIZE) {
			int r = map_page(from, fva + off, to, tva + off, rights, grant);

			if (r == -E_NOMEM)
				return r;
			had |= r != -E_FAULT;
		}
		return had ? 0 : -E_FAULT;
	}
	/* A large fpage: visit only the pages the sender has (σ0's window
	 * pages must be passed on in fpages of at most MAP_PROBE_MAX pages;
	 * a task's module pages in it come in first). */
	if (from->mod && modpage_fault_range(from, fva, len) < 0)
		return -E_NOMEM;
	for (struct mdb_node *n = from->maps, *next; n; n = next) {
		next = n->snext;
		if (n->va >= fva && n->va - fva < len) {
			int r = mdb_map(from, n->va, to, tva + (n->va - fva), rights, grant);

			if (r == -E_NOMEM)
				return r;
			had = true;
		}
	}
	return had ? 0 : -E_FAULT;
}

/*
 * Where a send fpage lands in a receive window (L4's rule): the smaller of
 * the two is placed inside the larger at the offset the send base selects.
 */
static int
map_item(struct thread *src, u64 w0, u64 fp, struct space *to, u64 window)
{
	u64 fbase, wbase, sbase = w0 & ~0x3ffULL, fva, tva, len;
	u32 s = fpage_decode(fp, &fbase), ws = fpage_decode(window, &wbase);
	u32 type = EXO_ITEM_TYPE(w0);

	if ((type != EXO_ITEM_MAP && type != EXO_ITEM_GRANT) || !s || !ws)
		return -E_INVAL;
	if (s <= ws) {
		fva = fbase;
		tva = wbase + (sbase & ((1ULL << ws) - 1) & ~((1ULL << s) - 1));
		len = 1ULL << s;
	} else {
		fva = fbase + (sbase & ((1ULL << s) - 1) & ~((1ULL << ws) - 1));
		tva = wbase;
		len = 1ULL << ws;
	}
	return map_range(src->space, fva, to, tva, len, EXO_FPAGE_RIGHTS(fp),
			 type == EXO_ITEM_GRANT);
}

/* The message of a sender that is not a user thread, built by the kernel. */
static u64
kernel_message(struct thread *src, u64 w[3])
{
	if (src->state == TS_SEND_FAULT) {
		w[1] = src->fault_addr;
		w[2] = src->fault_ip;
		return EXO_TAG(EXO_LABEL_PF(src->fault_access), 2, 0);
	}
	return EXO_TAG(EXO_LABEL_INTERRUPT, 0, 0);
}

static bool
user_sender(const struct thread *src)
{
	return src->state != TS_SEND_FAULT && src->state != TS_IRQ_PENDING;
}

/* The result of typed item i's map_item as a transfer error. */
static u32
item_error(int r, u32 i)
{
	if (r == -E_FAULT)
		return TRANSFER_NOTMINE(i);
	return r < 0 ? EXO_IPC_OVERFLOW : 0;
}

/* A pager's reply to a page fault: only its items count, window: all. */
static u32
fault_reply(struct thread *src, struct thread *dst, u32 u, u32 t)
{
	for (u32 i = u + 1; i < u + 1 + t; i += 2) {
		u32 err = item_error(map_item(src, *thread_mr(src, i), *thread_mr(src, i + 1),
					      dst->space, EXO_FPAGE_COMPLETE), (i - u - 1) / 2);

		if (err)
			return err;
	}
	return 0;
}

/* MR1..MRn from one user thread to another: registers, then the UTCB. */
static void
copy_words(struct thread *src, struct thread *dst, u32 n)
{
	struct trapframe *s = &src->ctx, *d = &dst->ctx;

	switch (n < EXO_REG_MRS ? n : EXO_REG_MRS - 1) {
	case 7: d->rbx = s->rbx;        __attribute__((fallthrough));
	case 6: d->r15 = s->r15;        __attribute__((fallthrough));
	case 5: d->r14 = s->r14;        __attribute__((fallthrough));
	case 4: d->r13 = s->r13;        __attribute__((fallthrough));
	case 3: d->r12 = s->r12;        __attribute__((fallthrough));
	case 2: d->r10 = s->r10;        __attribute__((fallthrough));
	case 1: d->r9 = s->r9;          __attribute__((fallthrough));
	case 0: break;
	}
	/* A few UTCB words by a loop; more by memcpy, which in the kernel is one
	 * string instruction (core/string.c): its call costs what four words do. */
	if (n < EXO_REG_MRS + UTCB_COPY_LOOP_MAX) {
		for (u32 i = EXO_REG_MRS; i <= n; i++)
			dst->utcb->mr[i] = src->utcb->mr[i];
	} else {
		__builtin_memcpy(&dst->utcb->mr[EXO_REG_MRS], &src->utcb->mr[EXO_REG_MRS],
				 (n + 1 - EXO_REG_MRS) * sizeof(u64));
	}
}

u32
transfer(struct thread *src, struct thread *dst)
{
	u64 w[3] = { 0 }, tag;
	bool user = user_sender(src);
	u32 u, t;

	tag = user ? *thread_mr(src, 0) : kernel_message(src, w);
	u = EXO_TAG_U(tag);
	t = EXO_TAG_T(tag);
	if (u + t >= EXO_NMR || t & 1 || (!user && t))
		return EXO_IPC_OVERFLOW;
	if (dst->state == TS_RECV_FAULT)
		return fault_reply(src, dst, u, t);
	if (user)
		copy_words(src, dst, u + t);
	else
		for (u32 i = 1; i <= u + t; i++)
			*thread_mr(dst, i) = w[i];
	*thread_mr(dst, 0) = tag & ~(EXO_TAG_E | EXO_TAG_FLAGS);
	dst->ctx.rax = src->id;
	dst->ctx.rdx = 0;               /* error word: success (or set below) */
	for (u32 i = u + 1; i < u + 1 + t; i += 2) {
		u64 window = dst->utcb->acceptor;
		u32 err;

		if (window == EXO_FPAGE_NIL)
			return EXO_IPC_OVERFLOW;
		err = item_error(map_item(src, *thread_mr(src, i), *thread_mr(src, i + 1),
					  dst->space, window), (i - u - 1) / 2);
		if (err)
			return err;
	}
	if (__builtin_expect(dst->flags & TF_EXT, 0))
		return ext_ipc_raise(src, dst); /* it arrived: dst's handlers hear */
	return 0;
}
