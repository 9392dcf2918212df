/*
 * Loads and stores: every access goes through mem_check, which knows the
 * four places a program may touch (its context field by field, its 512-byte
 * stack, the packet bytes it proved present, memory a helper returned) and
 * refuses a pointer stored anywhere but the stack, so no kernel address
 * reaches memory that user code or the kernel reads back as a number.
 */
#include "verify_state.h"

static const struct ext_field *
ctx_field_at(const struct ext_prog_type *t, int o)
{
	for (const struct ext_field *f = t->fields; f->size; f++)
		if (o >= f->off && o < f->off + f->size)
			return f;
	return NULL;
}

static int
check_ctx(struct ext_verifier *v, int o, int size, bool write,
	  const struct vreg *val, const struct ext_field **field)
{
	const struct ext_prog_type *t = v->type;
	const struct ext_field *f;
	u32 pc = v->cur.pc;

	if (o < 0 || o + size > (int)t->ctx_size)
		return verify_fail(v, pc, R_CTX_BOUNDS, "context bytes %d..%d outside "
				   "0..%u", o, o + size - 1, t->ctx_size - 1);
	if (o % size)
		return verify_fail(v, pc, R_CTX_MISALIGNED, "%d-byte context access at %d",
				   size, o);
	f = ctx_field_at(t, o);
	if (!f || o + size > f->off + f->size)
		return verify_fail(v, pc, R_CTX_FIELD, "context bytes %d..%d are not "
				   "within one field", o, o + size - 1);
	if (f->kind != F_NUM && (o != f->off || size != f->size))
		return verify_fail(v, pc, R_CTX_SIZE, "the pointer at context offset %d "
				   "is read whole, 8 bytes", f->off);
	if (!write && !(f->access & F_READ))
		return verify_fail(v, pc, R_CTX_NO_READ, "context field at %d is not "
				   "readable", f->off);
	if (write && (t->guard || !(f->access & F_WRITE)))
		return verify_fail(v, pc, R_CTX_NO_WRITE, "context field at %d is not "
				   "writable%s", f->off, t->guard ? " by a guard" : "");
	if (write && val && reg_is_ptr(val))
		return verify_fail(v, pc, f->access & F_USER ? R_PTR_LEAK : R_PTR_STORE,
				   "a pointer stored into context field at %d", f->off);
	*field = f;
	return 0;
}

static int
check_stack(struct ext_verifier *v, int o, int size, const struct vreg *val)
{
	u32 pc = v->cur.pc;

	if (o < -BPF_STACK || o + size > 0)
		return verify_fail(v, pc, R_STACK_BOUNDS, "stack bytes %d..%d outside "
				   "-512..-1", o, o + size - 1);
	if (o % size)
		return verify_fail(v, pc, R_STACK_MISALIGNED, "%d-byte stack access at %d",
				   size, o);
	if (val && reg_is_ptr(val) && size != 8)
		return verify_fail(v, pc, R_PTR_STORE, "a pointer stored in %d bytes", size);
	return 0;
}

static int
check_pkt(struct ext_verifier *v, const struct vreg *p, int o, int size, bool write,
	  const struct vreg *val)
{
	u32 pc = v->cur.pc, range = v->cur.pkt_range[p->id];

	if (write && !v->type->pkt_writable)
		return verify_fail(v, pc, R_PKT_NO_WRITE, "packet bytes are read only "
				   "for %s", v->type->section);
	if (write && val && reg_is_ptr(val))
		return verify_fail(v, pc, R_PTR_LEAK, "a pointer stored into the packet");
	if (o < 0 || (u32)o + (u32)size > range)
		return verify_fail(v, pc, R_PKT_BOUNDS, "packet bytes %d..%d%s, but %u "
				   "bytes are proven below data_end (compare with "
				   "data_end first)", o, o + size - 1,
				   p->id ? " past a variable offset" : "", range);
	return 0;
}

static int
check_helper_mem(struct ext_verifier *v, const struct vreg *p, int o, int size,
		 bool write, const struct vreg *val)
{
	u32 pc = v->cur.pc;

	if (o + (i64)p->umin < 0 || o + (i64)p->umax + size > (i64)p->size)
		return verify_fail(v, pc, R_MEM_BOUNDS, "bytes %lld..%lld of %u-byte "
				   "helper memory", (long long)(o + (i64)p->umin),
				   (long long)(o + (i64)p->umax + size - 1), p->size);
	if (write && val && reg_is_ptr(val))
		return verify_fail(v, pc, p->flags & VF_USER ? R_PTR_LEAK : R_PTR_STORE,
				   "a pointer stored into helper memory");
	return 0;
}

/*
 * May `size` bytes at p + off be read (or written with val, NULL for a
 * number)? 0, or -1 with the rule. *field gets the context field.
 */
int
mem_check(struct ext_verifier *v, const struct vreg *p, int off, int size, bool write,
	  const struct vreg *val, const struct ext_field **field)
{
	u32 pc = v->cur.pc;
	int o = p->off + off;

	switch (p->type) {
	case V_UNINIT:
		return verify_fail(v, pc, R_REG_UNINIT, "the base register is read "
				   "before it is written");
	case V_CTX:
		return check_ctx(v, o, size, write, val, field);
	case V_STACK:
		return check_stack(v, o, size, val);
	case V_PKT:
		return check_pkt(v, p, o, size, write, val);
	case V_MEM:
		return check_helper_mem(v, p, o, size, write, val);
	case V_MEM_OR_NULL:
		return verify_fail(v, pc, R_NULL_CHECK, "memory access through a pointer "
				   "that may be NULL; compare it with 0 first");
	}
	return verify_fail(v, pc, R_MEM_BAD_PTR, "memory access through %s",
			   p->type == V_SCALAR ? "a number" : "data_end");
}

static int
size_bytes(u8 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B: return 1;
	case BPF_H: return 2;
	case BPF_W: return 4;
	}
	return 8;
}

int
insn_load(struct ext_verifier *v, const struct bpf_insn *in)
{
	const struct vreg *p = &v->cur.r[BPF_SRC(in)];
	const struct ext_field *f = NULL;
	int size = size_bytes(in->code), r;
	struct vreg out;

	if (BPF_DST(in) == BPF_REG_FP)
		return verify_fail(v, v->cur.pc, R_R10_WRITE, "r10 is read only");
	if (mem_check(v, p, in->off, size, false, NULL, &f) < 0)
		return -1;
	reg_scalar(&out, 0, size == 8 ? ~0ull : (1ull << (size * 8)) - 1);
	if (f && f->kind != F_NUM) {
		out.type = f->kind == F_PKT_DATA ? V_PKT : V_PKT_END;
		out.umax = 0;
	}
	if (p->type == V_STACK) {
		r = stack_load(&v->cur, p->off + in->off, size, &out);
		if (r)
			return verify_fail(v, v->cur.pc, r, r == R_STACK_UNINIT ?
					   "stack bytes %d..%d read before written" :
					   "part of a spilled pointer at %d..%d read as a number",
					   p->off + in->off, p->off + in->off + size - 1);
	}
	if (BPF_MODE(in->code) == BPF_MEMSX && out.umax >> (size * 8 - 1))
		reg_scalar(&out, 0, ~0ull);     /* may be negative */
	v->cur.r[BPF_DST(in)] = out;
	return 0;
}

int
insn_store(struct ext_verifier *v, const struct bpf_insn *in)
{
	const struct vreg *p = &v->cur.r[BPF_DST(in)];
	const struct ext_field *f;
	int size = size_bytes(in->code);
	struct vreg val;

	if (BPF_CLASS(in->code) == BPF_STX) {
		val = v->cur.r[BPF_SRC(in)];
		if (val.type == V_UNINIT)
			return verify_fail(v, v->cur.pc, R_REG_UNINIT, "r%d is stored before "
					   "it is written", BPF_SRC(in));
	} else {
		reg_const(&val, (u64)(i64)in->imm);
	}
	if (mem_check(v, p, in->off, size, true, &val, &f) < 0)
		return -1;
	if (p->type == V_STACK)
		stack_store_reg(&v->cur, p->off + in->off, size, size == 8 ? &val : NULL);
	return 0;
}

/* An atomic add, or, and or xor (optionally fetching the old value) on a
 * number in the stack or in writable helper memory. */
int
insn_atomic(struct ext_verifier *v, const struct bpf_insn *in)
{
	const struct vreg *p = &v->cur.r[BPF_DST(in)];
	struct vreg *src = &v->cur.r[BPF_SRC(in)];
	const struct ext_field *f;
	int size = size_bytes(in->code), o = p->off + in->off;
	u32 pc = v->cur.pc;
	struct vreg old;

	if (src->type == V_UNINIT)
		return verify_fail(v, pc, R_REG_UNINIT, "r%d is read before it is written",
				   BPF_SRC(in));
	if (p->type != V_STACK && p->type != V_MEM && p->type != V_MEM_OR_NULL &&
	    p->type != V_UNINIT && p->type != V_SCALAR)
		return verify_fail(v, pc, R_ATOMIC_TARGET, "atomic operations act on the "
				   "stack or helper memory only");
	if (BPF_SRC(in) == BPF_REG_FP && in->imm & 1)
		return verify_fail(v, pc, R_R10_WRITE, "a fetch would write r10");
	/* Adding a pointer into a number would hand its bits out as one. */
	if (reg_is_ptr(src) && p->type == V_STACK)
		return verify_fail(v, pc, R_PTR_STORE, "atomic operation with the "
				   "pointer in r%d", BPF_SRC(in));
	if (mem_check(v, p, in->off, size, true, src, &f) < 0)
		return -1;
	reg_scalar(&old, 0, size == 8 ? ~0ull : 0xffffffffull);
	if (p->type == V_STACK) {
		if (stack_load(&v->cur, o, size, &old) == R_STACK_UNINIT)
			return verify_fail(v, pc, R_STACK_UNINIT, "stack bytes %d..%d read "
					   "before written", o, o + size - 1);
		if (reg_is_ptr(&old) || v->cur.slot[(o + BPF_STACK) / 8].type > V_SCALAR)
			return verify_fail(v, pc, R_ATOMIC_TARGET, "atomic operation on a "
					   "spilled pointer");
		stack_store_reg(&v->cur, o, size, NULL);
		reg_scalar(&old, 0, size == 8 ? ~0ull : 0xffffffffull);
	}
	if (in->imm & 1)        /* BPF_FETCH: src gets the old value */
		*src = old;
	return 0;
}
