/* The fake platform of the unit tests: see fake_platform.h. */
#include "fake_platform.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <criterion/criterion.h>

#include <exo/error.h>
#include <exo/ipc.h>
#include <exo/layout.h>

#include "guest/core/thread.h"

#define FOREIGN_MAX   16
#define FOREIGN_SHIFT 32
#define INPUT_MAX     256

struct fake_page {
	u64 va, pa;
	u32 rights;
};

struct fake_space {
	bool used;
	unsigned npages, cap;
	struct fake_page *pages;
};

u8 *fake_mem;
jmp_buf fake_jmp;
struct fake_stop fake_stop;
char fake_console[FAKE_CONSOLE_MAX];
size_t fake_console_len;
unsigned fake_console_calls;
struct exo_event fake_events[FAKE_EVENTS_MAX];
unsigned fake_nevents;
unsigned fake_doorbells[EXO_DOORBELL_COUNT];
u32 fake_marks[FAKE_MARKS_MAX];
unsigned fake_nmarks;
u8 *fake_bench;
u64 fake_bench_len;
unsigned fake_bench_calls, fake_bench_nchunks;
i32 fake_bench_status;
unsigned fake_frame_zeroes;
const struct exo_bootinfo *fake_init_bi;
bool fake_space_create_fail;
bool fake_space_map_fail;
bool fake_map_page_fail;
struct thread *fake_switched;
unsigned fake_switches;
u64 fake_now;
u64 fake_insn_mcycles;
u64 fake_timer;
unsigned fake_timer_arms;
unsigned fake_idles;
void (*fake_idle_hook)(void);
u64 fake_timer_latency;
u64 fake_gs_base;
unsigned fake_ipis, fake_ipi_last, fake_tlb_invalidations, fake_tlb_last_n;

static bool armed;
static char input[INPUT_MAX];
static size_t input_len, input_arrived, input_read;
static const void *foreign[FOREIGN_MAX];
static struct fake_space spaces[FAKE_SPACES_MAX];

void
fake_reset(void)
{
	if (!fake_mem) {
		fake_mem = calloc(1, FAKE_MEM_SIZE);
		cr_assert_not_null(fake_mem, "fake platform: no memory");
	} else {
		memset(fake_mem, 0, FAKE_MEM_SIZE);
	}
	armed = false;
	memset(&fake_stop, 0, sizeof(fake_stop));
	memset(fake_console, 0, sizeof(fake_console));
	fake_console_len = 0;
	fake_console_calls = 0;
	memset(fake_events, 0, sizeof(fake_events));
	fake_nevents = 0;
	memset(fake_doorbells, 0, sizeof(fake_doorbells));
	memset(fake_marks, 0, sizeof(fake_marks));
	fake_nmarks = 0;
	if (!fake_bench) {
		fake_bench = calloc(1, EXO_BENCH_RESULT_MAX);
		cr_assert_not_null(fake_bench, "fake platform: no memory");
	}
	memset(fake_bench, 0, EXO_BENCH_RESULT_MAX);
	fake_bench_len = 0;
	fake_bench_calls = fake_bench_nchunks = 0;
	fake_bench_status = 0;
	fake_frame_zeroes = 0;
	for (unsigned st = 0; st <= EXO_BACKING_STORES; st++) {
		for (unsigned i = 0; i < fake_backing_n[st]; i++) {
			free(fake_backing[st][i]);
			fake_backing[st][i] = NULL;
		}
		fake_backing_n[st] = 0;
	}
	fake_backing_calls = 0;
	fake_backing_full = false;
	fake_init_bi = NULL;
	fake_space_create_fail = false;
	fake_space_map_fail = false;
	fake_map_page_fail = false;
	fake_switched = NULL;
	fake_switches = 0;
	fake_now = 0;
	fake_timer = 0;
	fake_timer_arms = 0;
	fake_idles = 0;
	fake_this_cpu = 0;
	fake_idle_hook = NULL;
	fake_timer_latency = 0;
	fake_insn_mcycles = 500;          /* hardware virtualization: half a tick */
	input_len = input_arrived = input_read = 0;
	memset(foreign, 0, sizeof(foreign));
	for (unsigned i = 0; i < FAKE_SPACES_MAX; i++) {
		free(spaces[i].pages);
		spaces[i] = (struct fake_space){ 0 };
	}
}

void
fake_arm(void)
{
	armed = true;
}

/* A noreturn platform call: record it and go back to the test. */
__attribute__((noreturn)) static void
fake_stop_here(struct fake_stop st)
{
	cr_assert(armed, "fake platform: noreturn call (kind %d) with no armed "
		  "jmp_buf", st.what);
	armed = false;
	fake_stop = st;
	longjmp(fake_jmp, st.what);
}

void
arch_init(const struct exo_bootinfo *bi)
{
	fake_init_bi = bi;
}

void *
arch_phys_to_virt(u64 pa)
{
	if (pa & FAKE_FOREIGN_TAG) {
		u64 slot = (pa & ~FAKE_FOREIGN_TAG) >> FOREIGN_SHIFT;
		u64 off = pa & ((1ULL << FOREIGN_SHIFT) - 1);

		cr_assert(slot < FOREIGN_MAX && foreign[slot],
			  "fake platform: bad tagged address %#llx",
			  (unsigned long long)pa);
		return (u8 *)foreign[slot] + off;
	}
	cr_assert_lt(pa, FAKE_MEM_SIZE, "fake platform: physical address %#llx "
		     "beyond fake memory", (unsigned long long)pa);
	return fake_mem + pa;
}

u64
arch_virt_to_phys(const void *va)
{
	const u8 *p = va;
	unsigned i;

	if (p >= fake_mem && p < fake_mem + FAKE_MEM_SIZE)
		return (u64)(p - fake_mem);
	/* A kernel static: give it a tagged address arch_phys_to_virt maps back. */
	for (i = 0; i < FOREIGN_MAX && foreign[i]; i++)
		if (foreign[i] == va)
			break;
	cr_assert_lt(i, FOREIGN_MAX, "fake platform: too many foreign pointers");
	foreign[i] = va;
	return FAKE_FOREIGN_TAG | (u64)i << FOREIGN_SHIFT;
}

void
arch_frame_zero(u64 pa)
{
	cr_assert_eq(pa & (EXO_PAGE_SIZE - 1), 0, "arch_frame_zero(%#llx): unaligned",
		     (unsigned long long)pa);
	cr_assert(pa > 0 && pa + EXO_PAGE_SIZE <= FAKE_MEM_SIZE,
		  "arch_frame_zero(%#llx): not a fake frame", (unsigned long long)pa);
	memset(fake_mem + pa, 0, EXO_PAGE_SIZE);
	fake_frame_zeroes++;
}

static struct fake_space *
space_of(const struct arch_space *s)
{
	if (s->root == 0 || s->root > FAKE_SPACES_MAX || !spaces[s->root - 1].used)
		return NULL;
	return &spaces[s->root - 1];
}

static struct fake_page *
page_of(struct fake_space *fs, u64 va)
{
	for (unsigned i = 0; i < fs->npages; i++)
		if (fs->pages[i].va == va)
			return &fs->pages[i];
	return NULL;
}

int
arch_space_create(struct arch_space *s)
{
	*s = (struct arch_space){ 0 };
	if (fake_space_create_fail)
		return -E_NOMEM;
	for (unsigned i = 0; i < FAKE_SPACES_MAX; i++) {
		if (!spaces[i].used) {
			spaces[i] = (struct fake_space){ .used = true };
			s->root = i + 1;
			return 0;
		}
	}
	return -E_NOMEM;
}

int
arch_space_map(struct arch_space *s, u64 va, u64 pa, u64 len, u32 rights)
{
	struct fake_space *fs = space_of(s);

	cr_assert_not_null(fs, "arch_space_map on a space that does not exist");
	if ((va | pa | len) & (EXO_PAGE_SIZE - 1) || len == 0 ||
	    va >= EXO_USER_END || len > EXO_USER_END - va)
		return -E_INVAL;
	for (; len; len -= EXO_PAGE_SIZE, va += EXO_PAGE_SIZE, pa += EXO_PAGE_SIZE) {
		if (page_of(fs, va))
			return -E_INVAL;
		if (fake_space_map_fail)
			return -E_NOMEM;
		if (!(pa & FAKE_FOREIGN_TAG))   /* else a kernel static: the KIP */
			cr_assert_lt(pa, FAKE_MEM_SIZE, "arch_space_map: pa %#llx "
				     "beyond fake memory", (unsigned long long)pa);
		if (fs->npages == fs->cap) {
			fs->cap = fs->cap ? 2 * fs->cap : 64;
			fs->pages = realloc(fs->pages, fs->cap * sizeof(*fs->pages));
			cr_assert_not_null(fs->pages);
		}
		fs->pages[fs->npages++] = (struct fake_page){ va, pa, rights };
	}
	return 0;
}

bool
arch_space_map_page(struct arch_space *s, u64 va, u64 pa, u32 rights)
{
	struct fake_space *fs = space_of(s);

	cr_assert_not_null(fs, "arch_space_map_page on a space that does not exist");
	cr_assert(!(va & (EXO_PAGE_SIZE - 1)) && va < EXO_USER_END,
		  "arch_space_map_page: bad va %#llx", (unsigned long long)va);
	if (fake_map_page_fail || page_of(fs, va))
		return false;
	return arch_space_map(s, va, pa, EXO_PAGE_SIZE, rights) == 0;
}

int
arch_space_lookup(const struct arch_space *s, u64 va, u32 need, u64 *pa)
{
	struct fake_space *fs = space_of(s);
	struct fake_page *pg;

	if (!fs || va >= EXO_USER_END)
		return -E_FAULT;
	pg = page_of(fs, va & ~(EXO_PAGE_SIZE - 1));
	if (!pg || (pg->rights & need) != need)
		return -E_FAULT;
	*pa = pg->pa | (va & (EXO_PAGE_SIZE - 1));
	return 0;
}

bool
arch_space_range_free(const struct arch_space *s, u64 va, u64 len)
{
	struct fake_space *fs = space_of(s);

	for (u64 off = 0; fs && off < len; off += EXO_PAGE_SIZE)
		if (page_of(fs, va + off))
			return false;
	return true;
}

int
arch_space_unmap(struct arch_space *s, u64 va, u64 *pa)
{
	struct fake_space *fs = space_of(s);
	struct fake_page *pg;

	cr_assert_not_null(fs, "arch_space_unmap on a space that does not exist");
	if (va >= EXO_USER_END)
		return -E_FAULT;
	pg = page_of(fs, va & ~(EXO_PAGE_SIZE - 1));
	if (!pg)
		return -E_FAULT;
	*pa = pg->pa;
	/* Order does not matter: move the last page into the hole. */
	*pg = fs->pages[--fs->npages];
	return 0;
}

int
arch_space_protect(struct arch_space *s, u64 va, u32 rights)
{
	struct fake_space *fs = space_of(s);
	struct fake_page *pg;

	cr_assert_not_null(fs, "arch_space_protect on a space that does not exist");
	if (va >= EXO_USER_END)
		return -E_FAULT;
	pg = page_of(fs, va & ~(EXO_PAGE_SIZE - 1));
	if (!pg)
		return -E_FAULT;
	pg->rights = rights;
	return 0;
}

void
arch_space_destroy(struct arch_space *s)
{
	struct fake_space *fs = space_of(s);

	if (fs) {
		free(fs->pages);
		*fs = (struct fake_space){ 0 };
	}
	*s = (struct arch_space){ 0 };
}

/* The fake's tables live in host memory: they take no frame. */
void
arch_space_frames(const struct arch_space *s, void (*fn)(u64 pa, void *ctx), void *ctx)
{
	(void)s, (void)fn, (void)ctx;
}

void
arch_space_walk(const struct arch_space *s, void (*fn)(u64, u64, u32, void *), void *ctx)
{
	struct fake_space *fs = space_of(s);

	for (unsigned i = 0; fs && i < fs->npages; i++)
		fn(fs->pages[i].va, fs->pages[i].pa, fs->pages[i].rights | EXO_SEG_R, ctx);
}

void
arch_thread_init(struct thread *t)
{
	t->ctx.cs = FAKE_UCODE;
	t->ctx.ss = FAKE_UDATA;
	t->ctx.rflags = FAKE_RFLAGS;
}

void
arch_thread_switch(struct thread *t)
{
	cr_assert(t->state != TS_FREE, "arch_thread_switch to a free thread");
	cr_assert_not_null(space_of(&t->space->pt),
			   "arch_thread_switch to a thread whose space has no tables");
	fake_switched = t;
	fake_switches++;
	this_cpu()->root = t->space->pt.root;
	fake_gs_base = t->utcb_va;
}

/* CPU fake_this_cpu (0 unless a test pretends to run on another). */
u32 fake_this_cpu;

struct percpu *
this_cpu(void)
{
	return &cpus[fake_this_cpu];
}

u64
arch_cpu_kstack(u32 cpu)
{
	return 0x1000 * (cpu + 1);
}

void
arch_start_cpus(void)
{
}

bool fake_ipi_answers;

/* With fake_ipi_answers, another CPU answers its requests at once, as its
 * IPI handler would (smp_poll on its struct percpu). */
void
arch_ipi(u32 cpu)
{
	fake_ipis++;
	fake_ipi_last = cpu;
	if (fake_ipi_answers && cpu != 0)
		smp_poll(&cpus[cpu]);
}

void
arch_relax(void)
{
}

void
arch_wait_interrupt(void)
{
}

void
arch_tlb_invalidate(const u64 *va, u32 n)
{
	(void)va;
	fake_tlb_invalidations++;
	fake_tlb_last_n = n;
}

void
arch_tlb_leave(struct percpu *pc)
{
	pc->root = 0;
}

void
arch_run(struct thread *t)
{
	fake_stop_here((struct fake_stop){ .what = FAKE_STOP_RUN, .thread = t,
		.root = t->space->pt.root, .ip = t->ctx.rip, .sp = t->ctx.rsp,
		.arg0 = t->ctx.rdi, .arg1 = t->ctx.rsi });
}

u64
arch_now(void)
{
	return fake_now;
}

u64
arch_insn_mcycles(void)
{
	return fake_insn_mcycles;
}

void
arch_timer_arm(u64 deadline)
{
	fake_timer = deadline;
	fake_timer_arms++;
}

struct thread *
fake_timer_fire(struct thread *t)
{
	cr_assert_neq(fake_timer, 0, "fake_timer_fire: no timer armed");
	if (fake_now < fake_timer)
		fake_now = fake_timer;
	fake_timer = 0;
	fake_now += fake_timer_latency;
	kernel_timer(fake_now);
	return t ? kernel_resume(t) : NULL;
}

struct thread *
fake_interrupt(struct thread *t, bool timer, u32 line)
{
	if (timer)
		kernel_timer(fake_now);
	else
		kernel_irq(line);
	return t ? kernel_resume(t) : NULL;
}

void
arch_idle(void)
{
	/* The scheduler idles in a loop: an idle that wakes nothing would spin. */
	cr_assert_lt(fake_idles++, 100000, "arch_idle: the kernel idles for ever");
	if (fake_idle_hook) {
		fake_idle_hook();
	} else if (input_arrived < input_len) {
		input_arrived = input_len;      /* console input arrives first */
		kernel_irq(EXO_IRQ_CONSOLE);
	} else if (fake_timer)
		fake_timer_fire(NULL);
	else
		fake_stop_here((struct fake_stop){ .what = FAKE_STOP_IDLE });
}

void
arch_host_console(u64 pa, u64 len)
{
	const u8 *p = arch_phys_to_virt(pa);

	if (!(pa & FAKE_FOREIGN_TAG))
		cr_assert(len <= FAKE_MEM_SIZE - pa, "arch_host_console: %#llx+%llu "
			  "beyond fake memory", (unsigned long long)pa,
			  (unsigned long long)len);
	cr_assert(len <= FAKE_CONSOLE_MAX - fake_console_len,
		  "fake console capture full");
	memcpy(fake_console + fake_console_len, p, len);
	fake_console_len += len;
	fake_console_calls++;
}

void
arch_host_event(struct exo_event *ev)
{
	cr_assert_lt(fake_nevents, FAKE_EVENTS_MAX, "too many events");
	fake_events[fake_nevents++] = *ev;
}

/*
 * What the VMM's backing store does (vmm/backing.c), in fake memory: blocks
 * are appended per store; fake_backing_full refuses saves.
 */
u8 *fake_backing[EXO_BACKING_STORES + 1][FAKE_BACKING_BLOCKS];
unsigned fake_backing_n[EXO_BACKING_STORES + 1];
unsigned fake_backing_calls;
bool fake_backing_full;

void
arch_host_backing(struct exo_backing_req *req)
{
	u32 st = req->store;

	fake_backing_calls++;
	req->status = EXO_BACKING_EINVAL;
	if (st < 1 || st > EXO_BACKING_STORES)
		return;
	if (req->op == EXO_BACKING_DROP) {
		for (unsigned i = 0; i < fake_backing_n[st]; i++) {
			free(fake_backing[st][i]);
			fake_backing[st][i] = 0;
		}
		fake_backing_n[st] = 0;
		req->status = EXO_BACKING_OK;
		return;
	}
	if (req->gpa & (EXO_PAGE_SIZE - 1) || req->gpa >= FAKE_MEM_SIZE)
		return;
	if (req->op == EXO_BACKING_SAVE) {
		if (fake_backing_full || fake_backing_n[st] == FAKE_BACKING_BLOCKS) {
			req->status = EXO_BACKING_EFULL;
			return;
		}
		fake_backing[st][fake_backing_n[st]] = malloc(EXO_PAGE_SIZE);
		cr_assert_not_null(fake_backing[st][fake_backing_n[st]]);
		memcpy(fake_backing[st][fake_backing_n[st]], fake_mem + req->gpa,
		       EXO_PAGE_SIZE);
		req->block = fake_backing_n[st]++;
		req->status = EXO_BACKING_OK;
	} else if (req->op == EXO_BACKING_READ) {
		if (req->block >= fake_backing_n[st]) {
			req->status = EXO_BACKING_ENOENT;
			return;
		}
		memcpy(fake_mem + req->gpa, fake_backing[st][req->block], EXO_PAGE_SIZE);
		req->status = EXO_BACKING_OK;
	}
}

void
arch_host_doorbell(u32 code)
{
	u32 kind = EXO_DOORBELL_KIND(code);

	cr_assert(kind > 0 && kind < EXO_DOORBELL_COUNT, "bad doorbell %#x", code);
	fake_doorbells[kind]++;
	if (kind == EXO_DOORBELL_MARK) {
		cr_assert_lt(fake_nmarks, FAKE_MARKS_MAX, "too many marks");
		fake_marks[fake_nmarks++] = EXO_DOORBELL_ARG(code);
	} else {
		cr_assert_eq(EXO_DOORBELL_ARG(code), 0, "doorbell %u with an argument", kind);
	}
}

/* What the VMM's bench device does: gather the pieces, in order, checked. */
void
arch_host_bench(struct exo_bench_req *req)
{
	u64 off = 0;

	cr_assert_leq(req->len, EXO_BENCH_RESULT_MAX, "bench record too long");
	cr_assert_leq(req->nchunks, EXO_BENCH_CHUNKS_MAX, "too many pieces");
	for (u32 i = 0; i < req->nchunks; i++) {
		const struct exo_bench_chunk *c = &req->chunks[i];

		cr_assert(c->len > 0 && c->len <= req->len - off, "piece %u: bad length", i);
		cr_assert(c->gpa < FAKE_MEM_SIZE && c->len <= FAKE_MEM_SIZE - c->gpa,
			  "piece %u beyond fake memory", i);
		memcpy(fake_bench + off, fake_mem + c->gpa, c->len);
		off += c->len;
	}
	cr_assert_eq(off, req->len, "pieces add up to %llu of %llu bytes",
		     (unsigned long long)off, (unsigned long long)req->len);
	fake_bench_len = req->len;
	fake_bench_nchunks = req->nchunks;
	fake_bench_calls++;
	req->status = fake_bench_status;
}

void
arch_host_exit(u32 status)
{
	fake_stop_here((struct fake_stop){ .what = FAKE_STOP_EXIT, .status = status });
}

void
fake_input(const char *s)
{
	size_t n = strlen(s);

	cr_assert(n <= INPUT_MAX - input_len, "fake input full");
	memcpy(input + input_len, s, n);
	input_len += n;
}

int
arch_console_getc(void)
{
	return input_read < input_arrived ? (u8)input[input_read++] : -1;
}

void
arch_regs_capture(struct exo_regs *r)
{
	*r = (struct exo_regs){ .rax = FAKE_REGS_MARK };
}

void
arch_halt(void)
{
	fake_stop_here((struct fake_stop){ .what = FAKE_STOP_HALT });
}

/* The fake platform enters the core only through its general paths. */
int
arch_ktest_fastpath(u32 sysno, bool on)
{
	(void)sysno, (void)on;
	return -E_INVAL;
}

/* No entry code of its own to switch; the last setting, for the tests. */
int fake_trace_set = -1;

void
arch_trace_set(bool on)
{
	fake_trace_set = on;
}

void
arch_ktest_triple_fault(void)
{
	fake_stop_here((struct fake_stop){ .what = FAKE_STOP_TRIPLE_FAULT });
}

unsigned
fake_spaces_live(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < FAKE_SPACES_MAX; i++)
		n += spaces[i].used;
	return n;
}

unsigned
fake_space_npages(const struct arch_space *s)
{
	struct fake_space *fs = space_of(s);

	return fs ? fs->npages : 0;
}

/* The fake has no tables to prepare: arch records the translation. */
int
arch_stlb_fill(struct arch_space *s, u64 va, u64 pa, u32 rights, u64 arch[2])
{
	cr_assert_not_null(space_of(s), "arch_stlb_fill on a space that does not exist");
	if (fake_space_map_fail)
		return -E_NOMEM;
	arch[0] = va | s->root << 48;      /* roots are small: see arch_space_create */
	arch[1] = pa | rights;
	return 0;
}

bool
arch_stlb_present(const u64 arch[2])
{
	struct arch_space s = { .root = arch[0] >> 48 };
	u64 pa;

	return arch_space_lookup(&s, arch[0] & ((1ULL << 48) - 1), 0, &pa) == 0;
}

void
arch_stlb_install(const u64 arch[2])
{
	struct arch_space s = { .root = arch[0] >> 48 };
	int r = arch_space_map(&s, arch[0] & ((1ULL << 48) - 1), arch[1] & ~0xfffULL,
			       EXO_PAGE_SIZE, (u32)(arch[1] & 7));

	cr_assert_eq(r, 0, "arch_stlb_install over a mapped page");
}

/* Exceptions reach kernel_exception in the fake; upcalls go the portable way. */
void
arch_thread_upcalls(struct thread *t, bool on)
{
	(void)t, (void)on;
}

/*
 * The extension window: pages of this process mapped read+write. A
 * read+write mapping is the buffer itself (the checker's work area); a
 * read+execute one copies the frames in and makes the pages read+execute
 * (never both writable and executable), so the kernel's raises run the
 * compiled code here as they would in the guest. An unmap makes the pages
 * writable again and fills them with int3.
 * fake_ext_mapped counts pages mapped, fake_ext_wx the W+X requests.
 */
#define FAKE_WIN_PAGES 1024
static u8 *fake_window;
long fake_ext_mapped;
unsigned fake_ext_wx;

u64
arch_ext_addr(u32 p)
{
	if (!fake_window) {
		void *w = mmap(0, (size_t)FAKE_WIN_PAGES * EXO_PAGE_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		cr_assert(w != MAP_FAILED, "fake platform: no window");
		fake_window = w;
	}
	return (u64)(fake_window + (u64)p * EXO_PAGE_SIZE);
}

void *
arch_ext_map(u32 first, const u64 *pa, u32 n, u32 rights)
{
	u8 *va = (u8 *)arch_ext_addr(first);

	if (rights & EXO_SEG_W && rights & EXO_SEG_X) {
		fake_ext_wx++;
		return 0;
	}
	cr_assert(first + n <= FAKE_WIN_PAGES, "fake platform: window too small");
	for (u32 i = 0; rights & EXO_SEG_X && i < n; i++)
		memcpy(va + i * EXO_PAGE_SIZE, arch_phys_to_virt(pa[i]), EXO_PAGE_SIZE);
	if (rights & EXO_SEG_X)
		cr_assert_eq(mprotect(va, (size_t)n * EXO_PAGE_SIZE, PROT_READ | PROT_EXEC), 0);
	fake_ext_mapped += n;
	return va;
}

void
arch_ext_unmap(u32 first, u32 n)
{
	void *va = (void *)arch_ext_addr(first);

	cr_assert_eq(mprotect(va, (size_t)n * EXO_PAGE_SIZE, PROT_READ | PROT_WRITE), 0);
	memset(va, 0xcc, (u64)n * EXO_PAGE_SIZE);
	fake_ext_mapped -= n;
}

void
arch_ext_frames(void (*fn)(u64 pa, void *ctx), void *ctx)
{
	(void)fn, (void)ctx;            /* the fake window takes no frames */
}

u64
arch_kernel_wx(void)
{
	return 0;                       /* the fake has no kernel mappings */
}
