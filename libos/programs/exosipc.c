/*
 * ExOS's LRPC and shared-memory segments in a real boot, for the test
 * suite: `exosipc CASE...`. Exit 0: every check held; else the failing
 * check's line (low byte).
 *   lrpc  a server environment, a client that binds and calls (results
 *         checked, bytes through the A-stack both ways), and the refusals:
 *         a call without a binding (the server: -E_PERM), a forged ENV
 *         capability (the kernel: -E_BADCAP; a frame's: -E_BADTYPE), a procedure out
 *         of range and an in_len beyond the A-stack (the server: -E_INVAL),
 *         a handle that is no way back (a third environment's call, which
 *         the server drops: refused_forged)
 *   shm   a segment created in another environment, passed to us and
 *         mapped: writes seen both ways; a read-only pass stays read-only
 *         (no writable map, no upgrade, a write faults); revoked by its
 *         creator, our next touch faults to the program (stale)
 * Environments are spaces made with task_spawn; each shares a page with
 * main (SHARED_VA) where it leaves what it saw.
 */
#include "exos.h"
#include "libos.h"
#include "scenario.h"
#include "task.h"

#define SHARED_VA   0x310000000ULL
#define ASTACK_VA   0x3d0000000000ULL
#define SEG_VA      0x3c0000000000ULL   /* the creator's view */
#define MAP_VA      0x3c1000000000ULL   /* ours */
#define RO_VA       0x3c2000000000ULL
#define GIVE_UP_US  5000000             /* a failure cut-off, not a bound */

struct shared {
	volatile u64 ready, stage, bad, done;
	volatile u64 server_tid;
	volatile long results[16];
	volatile u64 rounds, cycles;
	struct exos_shm seg, ro;        /* the copies' names in main's table */
	volatile u64 saw;
};

static u64 main_tid;
static struct shared *sh = (struct shared *)SHARED_VA;

/* ---- sharing a page with an environment (L4 map from main) ---- */

/* Two words from main. */
static void
receive2(u64 *a, u64 *b)
{
	struct l4_msg m;

	CHECK(l4_receive(main_tid, &m, EXO_TIMEOUT_NEVER, 0) == 0);
	*a = m.mr[1];
	*b = m.mr[2];
}

static void
send2(u64 tid, u64 a, u64 b)
{
	struct l4_msg m = { { EXO_TAG(0, 2, 0), a, b } };

	CHECK(l4_send(tid, &m, EXO_TIMEOUT_NEVER) == 0);
}

/* Wait until *w reaches v (another environment sets it). */
static void
await(volatile u64 *w, u64 v)
{
	for (u64 t = 0; *w < v; t += 100) {
		CHECK(t < GIVE_UP_US);
		l4_sleep(100);
	}
}

/* ---- LRPC ---- */

enum { P_ADD, P_REVERSE, P_STATS, NPROCS };

static long
proc_add(struct lrpc_args *a)
{
	return (long)(a->a[0] + a->a[1] * 3 + a->a[2] * 5 + a->a[3] * 7);
}

/* The A-stack's bytes, reversed back onto it; their sum. */
static long
proc_reverse(struct lrpc_args *a)
{
	u8 tmp[256];
	long s = 0;

	if (a->in_len > sizeof(tmp))
		return -1;
	for (u32 i = 0; i < a->in_len; i++) {
		tmp[i] = a->astack_data[i];
		s += tmp[i];
	}
	for (u32 i = 0; i < a->in_len; i++)
		a->astack_data[i] = tmp[a->in_len - 1 - i];
	a->out_len = a->in_len;
	return s;
}

/* What the server refused so far, packed: forged | unbound << 16 | proc << 32. */
static long
proc_stats(struct lrpc_args *a)
{
	(void)a;
	return (long)(lrpc_server_stats.refused_forged |
		      lrpc_server_stats.refused_unbound << 16 |
		      lrpc_server_stats.refused_proc << 32);
}

static const lrpc_proc_t procs[NPROCS] = { proc_add, proc_reverse, proc_stats };

static void
server_env(u64 arg)
{
	(void)arg;
	CHECK(mem_accept(main_tid, SHARED_VA) == 0);
	sh->server_tid = l4_myself();
	sh->ready = 1;
	lrpc_serve(procs, NPROCS);
	scenario_fail(__LINE__, "lrpc_serve returned");
}

/* Call until the server's entry waits (it may be busy or not yet there). */
static long
call_retry(exo_cap_t s, u64 sid, u64 h, u64 proc, const u64 a[4], u32 in_len, long *res)
{
	long r;

	while ((r = lrpc_call_raw(s, sid, h, proc, a, in_len, res)) == -E_AGAIN)
		l4_thread_switch(EXO_NILTHREAD);
	return r;
}

/* A third environment: calls with a handle that is no capability. */
static void
forger_env(u64 arg)
{
	u64 server, sid;
	long res;

	(void)arg;
	CHECK(mem_accept(main_tid, SHARED_VA) == 0);
	receive2(&server, &sid);
	CHECK(lrpc_client_init() == 0);
	sh->ready = 1;
	call_retry(server, sid, 0x7777, P_ADD, (const u64[4]){ 1, 2, 3, 4 }, 0, &res);
	sh->bad |= 1;           /* answered: it must not be */
	for (;;)
		l4_sleep(1000000);
}

static void
client_checks(exo_cap_t server, u64 sid)
{
	struct lrpc_binding b;
	long me, h, res, r;
	u8 out[64];
	u64 t0;

	CHECK(lrpc_client_init() == 0);
	/* Not bound yet: the server answers on our handle, and refuses. */
	CHECK((me = env_cap(l4_myself(), EXO_CAP_X | EXO_CAP_PASS)) > 0);
	CHECK((h = cap_pass((exo_cap_t)me, sid, EXO_CAP_X)) > 0);
	sh->results[0] = call_retry(server, sid, (u64)h, P_ADD, (const u64[4]){ 1 }, 0, &res);
	/* Forged server capabilities: the kernel refuses the transfer. */
	sh->results[1] = lrpc_call_raw(EXO_CAP(400, 1), sid, (u64)h, P_ADD,
				       (const u64[4]){ 0 }, 0, &res);
	CHECK((r = frame_alloc(0)) > 0);                /* a frame is no env */
	sh->results[2] = lrpc_call_raw((exo_cap_t)r, sid, (u64)h, P_ADD,
				       (const u64[4]){ 0 }, 0, &res);
	/* Bound: calls with results checked. */
	CHECK(lrpc_bind(&b, server, sid, ASTACK_VA) == 0);
	for (u64 i = 0; i < 500; i++) {
		const u64 a[4] = { i, i * i, 7 + i, 0x1000 - i };

		r = lrpc_call(&b, P_ADD, a, 0, &res);
		if (r || res != (long)(a[0] + a[1] * 3 + a[2] * 5 + a[3] * 7))
			sh->bad |= 2;
	}
	for (u32 i = 0; i < 40; i++)
		b.as->data[i] = (u8)(i * 3 + 1);
	r = lrpc_call(&b, P_REVERSE, (const u64[4]){ 0 }, 40, &res);
	sh->results[3] = r;
	sh->results[4] = res;                                           /* sum */
	sh->results[5] = lrpc_astack_out(b.as, out, sizeof(out));       /* 40 */
	for (u32 i = 0; i < 40; i++)
		if (out[i] != (u8)((39 - i) * 3 + 1))
			sh->bad |= 4;
	/* Refusals with a binding: procedure out of range, in_len too long. */
	sh->results[6] = lrpc_call(&b, NPROCS, (const u64[4]){ 0 }, 0, &res);
	sh->results[7] = lrpc_call(&b, LRPC_PROC_BIND + 1, (const u64[4]){ 0 }, 0, &res);
	sh->results[8] = lrpc_call(&b, P_ADD, (const u64[4]){ 0 }, LRPC_ASTACK_DATA + 1, &res);
	/* The forger's call was dropped, not answered (it may come late). */
	for (u64 t = 0; t < GIVE_UP_US; t += 100) {
		CHECK(lrpc_call(&b, P_STATS, (const u64[4]){ 0 }, 0, &res) == 0);
		if (res & 0xffff)
			break;
		l4_sleep(100);
	}
	sh->results[9] = res;
	/* Round trips, timed (the benchmark measures them properly). */
	t0 = l4_rdtsc();
	for (u64 i = 0; i < 1000; i++)
		lrpc_call(&b, P_ADD, (const u64[4]){ 0 }, 0, &res);
	sh->cycles = l4_rdtsc() - t0;
	sh->rounds = 1000;
	sh->done = 1;
	for (;;)
		l4_sleep(1000000);
}

static void
client_env(u64 arg)
{
	u64 server, sid;

	(void)arg;
	CHECK(mem_accept(main_tid, SHARED_VA) == 0);
	receive2(&server, &sid);
	client_checks((exo_cap_t)server, sid);
}

/* Spawn an environment with a page shared, and pass it the server's cap. */
static struct shared *
spawn_with_server(void (*fn)(u64), exo_cap_t server_cap, u64 sid)
{
	u64 tid = task_spawn(fn, 0);
	struct shared *p;
	long c;

	CHECK(tid);
	CHECK((p = mem_share(tid, SHARED_VA)));
	CHECK((c = cap_pass(server_cap, tid, EXO_CAP_X)) > 0);
	send2(tid, (u64)c, sid);
	return p;
}

static void
case_lrpc(void)
{
	struct shared *srv, *cl, *fg;
	u64 stid;
	long sc;

	CHECK((stid = task_spawn(server_env, 0)) != 0);
	CHECK((srv = mem_share(stid, SHARED_VA)));
	await(&srv->ready, 1);
	CHECK(srv->server_tid == stid);
	CHECK((sc = env_cap(stid, EXO_CAP_X | EXO_CAP_PASS)) > 0);
	fg = spawn_with_server(forger_env, (exo_cap_t)sc, stid);
	await(&fg->ready, 1);
	cl = spawn_with_server(client_env, (exo_cap_t)sc, stid);
	await(&cl->done, 1);
	printf("lrpc: refusals %ld %ld %ld | reverse %ld sum %ld out %ld | %ld %ld %ld | "
	       "stats %#lx | %lu round trips, %lu cycles each\n", cl->results[0],
	       cl->results[1], cl->results[2], cl->results[3], cl->results[4], cl->results[5],
	       cl->results[6], cl->results[7], cl->results[8], cl->results[9], cl->rounds,
	       cl->cycles / cl->rounds);
	CHECK(cl->bad == 0 && fg->bad == 0);
	CHECK(cl->results[0] == -E_PERM);               /* no binding */
	CHECK(cl->results[1] == -E_BADCAP);             /* forged ENV capability */
	CHECK(cl->results[2] == -E_BADTYPE);            /* a frame named as the server */
	CHECK(cl->results[3] == 0);
	CHECK(cl->results[4] == 40 * 1 + 3 * (39 * 40 / 2));
	CHECK(cl->results[5] == 40);
	CHECK(cl->results[6] == -E_INVAL && cl->results[7] == -E_INVAL);
	CHECK(cl->results[8] == -E_INVAL);
	CHECK((cl->results[9] & 0xffff) == 1);          /* the forger's, dropped */
	CHECK((cl->results[9] >> 16 & 0xffff) == 1);    /* the unbound call */
	CHECK((cl->results[9] >> 32) == 3);             /* proc, proc, in_len */
}

/* ---- shared memory ---- */

static volatile u64 faults, fault_va, fault_access;

/* Our fault function: a touch the segment no longer allows is noted and
 * stepped over (the probes below are 2-byte instructions). */
static int
shm_fault(u64 va, u8 access, struct exo_xframe *x)
{
	if (va < MAP_VA || va >= RO_VA + 16 * EXOS_PAGE)
		return 1;
	faults++;
	fault_va = va;
	fault_access = access;
	x->rip += 2;
	return 0;
}

/* 0x100 | the byte at va, or 0x1ff if the fault function stepped over. */
static u64
probe_read(u64 va)
{
	u64 v = 0x1ff;

	__asm__ volatile(".byte 0x8a, 0x07" : "+a"(v) : "D"(va) : "memory"); /* mov (%rdi),%al */
	return v;
}

static void
probe_write(u64 va, u8 b)
{
	__asm__ volatile(".byte 0x88, 0x07" : : "a"((u64)b), "D"(va) : "memory"); /* mov %al,(%rdi) */
}

static void
creator_env(u64 arg)
{
	struct exos_shm seg, ro;

	(void)arg;
	CHECK(mem_accept(main_tid, SHARED_VA) == 0);
	CHECK(exos_shm_create(&seg, 2) == 0 && exos_shm_create(&ro, 1) == 0);
	CHECK(exos_shm_create(&seg, 0) == -E_INVAL);
	CHECK(exos_shm_bind(&seg, SEG_VA) == 0 && exos_shm_bind(&ro, SEG_VA + 8 * EXOS_PAGE) == 0);
	*(volatile u64 *)SEG_VA = 0xabc;
	*(volatile u64 *)(SEG_VA + EXOS_PAGE) = 0xabd;
	*(volatile u64 *)(SEG_VA + 8 * EXOS_PAGE) = 0x5a;
	CHECK(exos_shm_pass(&seg, main_tid, EXO_CAP_R | EXO_CAP_W, &sh->seg) == 0);
	CHECK(exos_shm_pass(&ro, main_tid, EXO_CAP_R, &sh->ro) == 0);
	sh->stage = 1;
	await(&sh->stage, 2);
	sh->saw = *(volatile u64 *)(SEG_VA + 8);        /* main's write */
	sh->stage = 3;
	await(&sh->stage, 4);
	CHECK(exos_shm_revoke(&seg) == 0);
	sh->stage = 5;
	for (;;)
		l4_sleep(1000000);
}

static void
case_shm(void)
{
	struct shared *p;
	u64 tid;

	CHECK(exos_vm_init(shm_fault) == 0);
	CHECK((tid = task_spawn(creator_env, 0)) != 0);
	CHECK((p = mem_share(tid, SHARED_VA)));
	await(&p->stage, 1);
	/* Read-write: both ways. */
	CHECK(exos_shm_map(&p->seg, MAP_VA, EXOS_PROT_RW) == 0);
	CHECK(*(volatile u64 *)MAP_VA == 0xabc && *(volatile u64 *)(MAP_VA + EXOS_PAGE) == 0xabd);
	*(volatile u64 *)(MAP_VA + 8) = 0xdef;
	p->stage = 2;
	await(&p->stage, 3);
	CHECK(p->saw == 0xdef);
	/* Read-only: no writable map, no upgrade, and a write faults. */
	CHECK(exos_shm_map(&p->ro, RO_VA, EXOS_PROT_RW) == -E_PERM);
	CHECK(cap_pass(p->ro.frame[0], tid, EXO_CAP_R | EXO_CAP_W) == -E_PERM);
	CHECK(exos_shm_map(&p->ro, RO_VA, EXOS_PROT_R) == 0);
	CHECK(probe_read(RO_VA) == 0x15a);
	probe_write(RO_VA, 1);
	CHECK(faults == 1 && fault_va == RO_VA && fault_access == EXOS_ACCESS_W);
	CHECK(probe_read(RO_VA) == 0x15a);
	/* Revocation: the creator drops the segment; our next touch faults. */
	p->stage = 4;
	await(&p->stage, 5);
	CHECK(probe_read(MAP_VA + EXOS_PAGE) == 0x1ff);
	CHECK(faults == 2 && fault_va == MAP_VA + EXOS_PAGE);
	CHECK(exos_vm_stats.stale >= 1);
	printf("shm: both ways, read-only kept, revoked: %lu faults, %lu stale\n", faults,
	       exos_vm_stats.stale);
	exos_vm_fini();
}

static const struct scenario_case cases[] = {
	{ "lrpc", case_lrpc },
	{ "shm", case_shm },
};

int
main(int argc, char **argv)
{
	main_tid = l4_myself();
	return scenario_main("exosipc", cases, sizeof(cases) / sizeof(cases[0]), argc, argv);
}
