/*
 * Helper calls: the number must be in the program's domain, each argument
 * register must hold what the prototype says (a number, the context, or
 * memory with its size in the next register), and afterwards r1-r5 are
 * clobbered and r0 holds the helper's result: a number, or memory of a
 * known size that may be NULL until compared with 0.
 */
#include "verify_state.h"

/* The size argument that follows a memory argument: a number in [1, max]. */
static int
arg_size(struct ext_verifier *v, const struct ext_helper_proto *h, int reg,
	 u32 *size)
{
	const struct vreg *r = &v->cur.r[reg];
	u32 pc = v->cur.pc;

	if (r->type != V_SCALAR)
		return verify_fail(v, pc, r->type == V_UNINIT ? R_REG_UNINIT :
				   R_HELPER_ARG_TYPE, "%s: r%d (a size) is %s", h->name, reg,
				   r->type == V_UNINIT ? "not set" : "a pointer");
	if (r->umin == 0 || r->umax > h->size_max)
		return verify_fail(v, pc, R_HELPER_ARG_SIZE, "%s: size in r%d may be "
				   "%llu..%llu; it must be 1..%u", h->name, reg,
				   (unsigned long long)r->umin, (unsigned long long)r->umax,
				   h->size_max);
	*size = (u32)r->umax;
	return 0;
}

/* Memory the helper reads (or writes) through r[reg], size bytes. */
static int
arg_mem(struct ext_verifier *v, const struct ext_helper_proto *h, int reg, u32 size,
	bool write)
{
	struct vreg *p = &v->cur.r[reg];
	const struct ext_field *f;
	u32 pc = v->cur.pc;
	int o = p->off;

	if (p->type != V_STACK && p->type != V_MEM && p->type != V_PKT)
		return verify_fail(v, pc, p->type == V_UNINIT ? R_REG_UNINIT :
				   p->type == V_MEM_OR_NULL ? R_NULL_CHECK : R_HELPER_ARG_TYPE,
				   "%s: r%d must point to stack, packet or helper memory",
				   h->name, reg);
	if (p->type != V_STACK) {
		/* As one access of `size` bytes, without the alignment of loads. */
		int err = p->type == V_PKT ? R_PKT_BOUNDS : R_MEM_BOUNDS;
		u32 range = p->type == V_PKT ? v->cur.pkt_range[p->id] : p->size;
		i64 lo = o + (i64)p->umin, hi = o + (i64)p->umax + size;

		if (lo < 0 || (p->type == V_PKT ? o + (i64)size : hi) > (i64)range)
			return verify_fail(v, pc, err, "%s: %u bytes at r%d are not all "
					   "inside its memory", h->name, size, reg);
		if (write && p->type == V_PKT && !v->type->pkt_writable)
			return verify_fail(v, pc, R_PKT_NO_WRITE, "%s writes through r%d "
					   "into the packet", h->name, reg);
		return 0;
	}
	if (o < -BPF_STACK || o + (i64)size > 0)
		return verify_fail(v, pc, R_HELPER_ARG_SIZE, "%s: stack bytes %d..%lld "
				   "outside -512..-1", h->name, o, (long long)o + size - 1);
	if (write) {            /* the helper fills them: numbers from now on */
		for (int b = o; b < o + (int)size; b++)
			stack_store_reg(&v->cur, b, 1, NULL);
		return 0;
	}
	if (!stack_inited(&v->cur, o, (int)size))
		return verify_fail(v, pc, R_HELPER_ARG_UNINIT, "%s reads stack bytes "
				   "%d..%d, not all written", h->name, o, o + (int)size - 1);
	for (int s = (o + BPF_STACK) / 8; s * 8 - BPF_STACK < o + (int)size; s++)
		if (reg_is_ptr(&v->cur.slot[s]))
			return verify_fail(v, pc, R_PTR_LEAK, "%s would read the pointer "
					   "spilled at stack %d", h->name, s * 8 - BPF_STACK);
	(void)f;
	return 0;
}

static int
check_arg(struct ext_verifier *v, const struct ext_helper_proto *h, int i)
{
	const struct vreg *r = &v->cur.r[i + 1];
	u8 kind = h->args[i];
	u32 pc = v->cur.pc, size = 0;

	switch (kind) {
	case A_SCALAR:
		if (r->type == V_SCALAR)
			return 0;
		return verify_fail(v, pc, r->type == V_UNINIT ? R_REG_UNINIT :
				   R_HELPER_ARG_TYPE, "%s: r%d must be a number", h->name, i + 1);
	case A_CTX:
		if (r->type == V_CTX && r->off == 0)
			return 0;
		return verify_fail(v, pc, r->type == V_UNINIT ? R_REG_UNINIT :
				   R_HELPER_ARG_TYPE, "%s: r%d must be the context pointer as "
				   "received", h->name, i + 1);
	case A_MEM_RD: case A_MEM_WR:
		if (i == 4 || h->args[i + 1] != A_SIZE)
			return 0;       /* prototypes pair them; see verify_types.c */
		if (arg_size(v, h, i + 2, &size) < 0)
			return -1;
		return arg_mem(v, h, i + 1, size, kind == A_MEM_WR);
	}
	return 0;
}

int
insn_call(struct ext_verifier *v, const struct bpf_insn *in)
{
	const struct ext_helper_proto *h = verify_helper((u32)in->imm);
	struct vstate *s = &v->cur;

	if (!h || in->imm < 0 || !(v->helpers >> in->imm & 1))
		return verify_fail(v, s->pc, R_HELPER_DOMAIN, "helper %d is not in the "
				   "domain of %s", in->imm, v->type->section);
	for (int i = 0; i < 5 && h->args[i] != A_NONE; i++)
		if (check_arg(v, h, i) < 0)
			return -1;
	for (int i = 1; i <= 5; i++)
		s->r[i] = (struct vreg){ 0 };   /* clobbered */
	reg_scalar(&s->r[0], 0, ~0ull);
	if (h->ret == RET_MEM_OR_NULL) {
		s->r[0].type = V_MEM_OR_NULL;
		s->r[0].umax = 0;
		s->r[0].size = h->ret_size;
		s->r[0].flags = h->ret_user ? VF_USER : 0;
		s->r[0].id = s->next_id++;
	}
	return 0;
}
