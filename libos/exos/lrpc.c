/*
 * LRPC on synchronous protected control transfer (exos.h; Bershad et al.,
 * "Lightweight Remote Procedure Call", 1990).
 *
 * The registers of a call (the kernel passes all but rax, rcx, r11):
 *   client -> server   rdi server's ENV cap (the kernel's), rsi 0 (SYNC),
 *                      rdx handle, r9 procedure, r10 in_len, r12..r15 a[0..3];
 *                      the server is started with rax = the caller's id
 *   server -> client   rdi the handle (our copy of the client's ENV cap),
 *                      rdx result, r8 status; rax = the server's id
 * The handle is the server's name for the client's ENV capability, which
 * the client passed it: the only way back. Before anything else the server
 * checks that it is an ENV capability with X: a handle that is not cannot
 * be answered, and the call is dropped (refused_forged; the caller stays
 * waiting: its own doing). The kernel gives no way to tell which
 * environment an ENV capability names by the caller's id (cap_info's
 * object is the space's index, rax a thread id), so a binding is the pair
 * (the kernel's rax at the binding call, the handle): a call is served only
 * under the handle its caller bound with, and an answer sent on a handle
 * that leads elsewhere reaches a client stub that did not call this
 * server and refuses it (lrpc_strays). With a valid way back every other
 * refusal is answered: no binding (-E_PERM), a procedure out of range or
 * an in_len beyond the A-stack (-E_INVAL).
 *
 * The client's way back is its PCT entry (lrpc_client_entry), where the
 * kernel starts its entry thread; the stub there checks that the transfer
 * comes from the server it called (rax), and otherwise goes back to wait.
 * One call at a time per server: its entry thread runs one procedure, and
 * a second caller meanwhile is refused by the kernel (-E_AGAIN), which
 * lrpc_call meets by yielding and trying again.
 */
#include "exos.h"
#include "libos.h"

#define SERVER_ASTACK_VA  0x3e0000000000ULL   /* the server binds A-stacks here */
#define ENTRY_STACK       16384

struct lrpc_in {
	u64 caller, handle, proc, in_len, a[4];
};

static struct lrpc_table table;
static const lrpc_proc_t *procs;
static u8 server_stack[ENTRY_STACK] __attribute__((aligned(16)));
static u8 client_stack[4096] __attribute__((aligned(16)));
volatile struct lrpc_server_stats lrpc_server_stats;

u64 lrpc_expect, lrpc_client_sp;        /* the stubs' (one call at a time) */
u64 lrpc_strays;

void lrpc_server_entry(void);
void lrpc_client_entry(void);
void lrpc_reply(u64 handle, long status, long result);
void lrpc_dispatch(struct lrpc_in *in);
void lrpc_stray(void);

__asm__(
	"	.text\n"
	"	.globl lrpc_call_raw\n"
	/* (server, server_id, handle, proc, a, in_len, result*) */
	"lrpc_call_raw:\n"
	"	push %rbp; push %rbx; push %r12; push %r13; push %r14; push %r15\n"
	"	mov %rsi, lrpc_expect(%rip)\n"
	"	mov %rsp, lrpc_client_sp(%rip)\n"
	"	mov 0(%r8), %r12; mov 8(%r8), %r13; mov 16(%r8), %r14; mov 24(%r8), %r15\n"
	"	mov %r9, %r10\n"
	"	mov %rcx, %r9\n"
	"	xor %esi, %esi\n"
	"	mov $28, %eax\n"                        /* SYS_pct */
	"	syscall\n"
	"	movq $0, lrpc_expect(%rip)\n"           /* refused: no call now */
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp\n"
	"	ret\n"
	"	.globl lrpc_client_entry\n"
	"lrpc_client_entry:\n"
	"	cmp lrpc_expect(%rip), %rax\n"
	"	jne 1f\n"
	"	test %rax, %rax\n"
	"	jz 1f\n"
	"	movq $0, lrpc_expect(%rip)\n"
	"	mov lrpc_client_sp(%rip), %rsp\n"
	"	mov 56(%rsp), %rcx\n"                   /* result* (the 7th argument) */
	"	mov %rdx, (%rcx)\n"
	"	mov %r8, %rax\n"
	"	pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp\n"
	"	ret\n"
	"1:	and $-16, %rsp\n"
	"	call lrpc_stray\n"
	"	ud2\n"
	"	.globl lrpc_server_entry\n"
	"lrpc_server_entry:\n"
	"	and $-16, %rsp\n"
	"	push %r15; push %r14; push %r13; push %r12\n"
	"	push %r10; push %r9; push %rdx; push %rax\n"
	"	mov %rsp, %rdi\n"
	"	call lrpc_dispatch\n"
	"	ud2\n"
	"	.globl lrpc_reply\n"
	"lrpc_reply:\n"                                 /* (handle, status, result) */
	"	mov %rsi, %r8\n"
	"	xor %esi, %esi\n"
	"	mov $28, %eax\n"
	"	syscall\n"
	"	ret\n");
_Static_assert(SYS_pct == 28, "the stubs' call number");

/* A transfer into our entry that is not the answer we wait for. */
void
lrpc_stray(void)
{
	lrpc_strays++;
	upcall_wait();
	exit(EXOS_THR_DEADLOCK);
}

static __attribute__((noreturn)) void
answer(u64 handle, long status, long result)
{
	lrpc_reply(handle, status, result);
	/* The client is gone (or not waiting): wait for the next call. */
	upcall_wait();
	exit(EXOS_THR_DEADLOCK);
}

/* Can handle take an answer back (an ENV capability with X)? */
static bool
way_back(u64 handle)
{
	struct exo_capinfo ci;

	return cap_info((exo_cap_t)handle, &ci) == 0 && ci.type == EXO_CAP_ENV &&
	       ci.rights & EXO_CAP_X;
}

/* The binding call: a[0] is our copy of the client's A-stack frame. */
static long
do_bind(const struct lrpc_in *in)
{
	struct exo_capinfo ci;
	struct lrpc_bind_rec *r;
	int err = 0;
	long b;

	if (cap_info((exo_cap_t)in->a[0], &ci) < 0 || ci.type != EXO_CAP_FRAME ||
	    (ci.rights & (EXO_CAP_R | EXO_CAP_W)) != (EXO_CAP_R | EXO_CAP_W) || ci.va) {
		lrpc_server_stats.refused_astack++;
		return -E_INVAL;
	}
	r = lrpc_table_add(&table, in->caller, in->handle, &err);
	if (!r)
		return err;
	r->astack = in->a[0];
	r->va = SERVER_ASTACK_VA + (u64)(r - table.b) * LRPC_ASTACK_SIZE;
	b = bind((exo_cap_t)r->astack, r->va, EXO_BIND_W | EXO_BIND_NOW);
	if (b < 0) {
		r->used = false;
		return b;
	}
	lrpc_server_stats.binds++;
	return 0;
}

void
lrpc_dispatch(struct lrpc_in *in)
{
	struct lrpc_bind_rec *r;
	struct lrpc_args a;
	struct lrpc_astack *as;
	long result;
	int err;

	if (!way_back(in->handle)) {
		lrpc_server_stats.refused_forged++;
		upcall_wait();
		exit(EXOS_THR_DEADLOCK);
	}
	if (in->proc == LRPC_PROC_BIND)
		answer(in->handle, do_bind(in), 0);
	r = lrpc_table_find(&table, in->caller, in->handle);
	if (!r) {
		lrpc_server_stats.refused_unbound++;
		answer(in->handle, -E_PERM, 0);
	}
	if ((err = lrpc_check_call(&table, in->proc, in->in_len)) < 0) {
		lrpc_server_stats.refused_proc++;
		answer(in->handle, err, 0);
	}
	as = (struct lrpc_astack *)r->va;
	a = (struct lrpc_args){ { in->a[0], in->a[1], in->a[2], in->a[3] }, as->data,
				(u32)in->in_len, 0, in->caller };
	lrpc_server_stats.calls++;
	result = procs[in->proc](&a);
	as->out_len = a.out_len <= LRPC_ASTACK_DATA ? a.out_len : 0;
	answer(in->handle, 0, result);
}

/*
 * lrpc_serve(procs, n): this thread becomes the PCT entry at
 * lrpc_server_entry and waits. -E_INVAL (n 0 or above 2^16), or
 * env_entry's error.
 */
long
lrpc_serve(const lrpc_proc_t *p, u32 n)
{
	long r;

	if (!n || n > 0x10000)
		return -E_INVAL;
	lrpc_table_init(&table, n);
	procs = p;
	for (u32 i = 0; i < ENTRY_STACK; i += 4096)    /* faulted in now, not on entry */
		server_stack[i] = 0;
	r = env_entry(EXO_ENTRY_PCT, (u64)lrpc_server_entry,
		      (u64)server_stack + ENTRY_STACK);
	if (r < 0)
		return r;
	upcall_wait();
	return -E_PERM;
}

long
lrpc_client_init(void)
{
	client_stack[0] = 0;
	return env_entry(EXO_ENTRY_PCT, (u64)lrpc_client_entry,
			 (u64)client_stack + sizeof(client_stack));
}

/*
 * lrpc_bind(b, server, server_tid, va): our ENV capability to the server
 * (the handle), a fresh frame at va passed to it (the A-stack), and the
 * binding call. 0, the server's refusal, or the calls' errors.
 */
long
lrpc_bind(struct lrpc_binding *b, exo_cap_t server, u64 server_tid, u64 va)
{
	long me, h, f, sf, r;
	long res;

	if ((me = env_cap(l4_myself(), EXO_CAP_X | EXO_CAP_PASS)) < 0)
		return me;
	if ((h = cap_pass((exo_cap_t)me, server_tid, EXO_CAP_X)) < 0)
		return h;
	if ((f = frame_alloc(0)) < 0)
		return f;
	if ((r = bind((exo_cap_t)f, va, EXO_BIND_W | EXO_BIND_NOW)) < 0)
		return r;
	if ((sf = cap_pass((exo_cap_t)f, server_tid, EXO_CAP_R | EXO_CAP_W)) < 0)
		return sf;
	*b = (struct lrpc_binding){ server, server_tid, (u64)h, (exo_cap_t)f,
				    (struct lrpc_astack *)va };
	r = lrpc_call(b, LRPC_PROC_BIND, (const u64[4]){ (u64)sf, 0, 0, 0 }, 0, &res);
	return r < 0 ? r : res < 0 ? res : 0;
}

long
lrpc_call(const struct lrpc_binding *b, u64 proc, const u64 a[4], u32 in_len,
	  long *result)
{
	long r;

	b->as->in_len = in_len;
	/* The server's entry runs another call: wait our turn. */
	while ((r = lrpc_call_raw(b->server, b->server_id, b->handle, proc, a, in_len,
				  result)) == -E_AGAIN)
		l4_thread_switch(EXO_NILTHREAD);
	return r;
}
