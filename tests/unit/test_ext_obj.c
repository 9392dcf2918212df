/*
 * Reading extension objects (host/ext_obj.c) and judging them as
 * `exo ext verify` does: the errors name the input and the cause.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "guest/ebpf/verify.h"
#include "host/ext_cmd.h"
#include "host/ext_obj.h"
#include <criterion/redirect.h>

static struct ext_obj o;
static char err[512];

static int
read_ext(const char *file)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/ext/%s", EXO_BUILD_DIR, file);
	return ext_obj_read(path, &o, err, sizeof(err));
}

Test(ext_obj, missing_file_is_enoent)
{
	cr_expect_eq(ext_obj_read("/nonexistent/x.o", &o, err, sizeof(err)), -ENOENT);
	cr_expect(strstr(err, "/nonexistent/x.o"), "%s", err);
}

Test(ext_obj, a_text_file_is_not_elf)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/CMakeCache.txt", EXO_BUILD_DIR);
	cr_expect_eq(ext_obj_read(path, &o, err, sizeof(err)), -ENOEXEC);
	cr_expect(strstr(err, "not an ELF"), "%s", err);
}

Test(ext_obj, an_x86_elf_is_not_ebpf)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/exo-kernel", EXO_BUILD_DIR);
	cr_expect_eq(ext_obj_read(path, &o, err, sizeof(err)), -ENOEXEC);
	cr_expect(strstr(err, "not eBPF"), "%s", err);
}

Test(ext_obj, a_global_variable_relocation_is_refused_by_name)
{
	cr_expect_eq(read_ext("bad_global.o"), -ENOTSUP);
	cr_expect(strstr(err, "R_BPF_64_64"), "%s", err);
	cr_expect(strstr(err, "event/syscall"), "%s", err);
}

Test(ext_obj, functions_of_one_section_are_programs_of_their_own)
{
	cr_assert_eq(read_ext("pf_appel.o"), 0, "%s", err);
	cr_expect_eq(o.nprogs, 3);
	cr_expect_str_eq(o.progs[0].section, "guard/pagefault");
	cr_expect_str_eq(o.progs[1].name, "dirty");
	cr_expect_str_eq(o.progs[2].name, "read_barrier");
	cr_expect_str_eq(o.progs[2].section, "event/pagefault");
	ext_obj_free(&o);
}

/* clang's code reading a packet byte without a bounds check is refused. */
Test(ext_obj, an_unchecked_packet_read_compiled_by_clang_is_rejected)
{
	struct ext_verify_error e;
	void *work = malloc(verify_work_size());

	cr_assert_eq(read_ext("bad_pkt_unchecked.o"), 0, "%s", err);
	cr_assert_eq(o.nprogs, 1);
	cr_expect_eq(verify_program(o.progs[0].insns, o.progs[0].n,
				    verify_type_by_section(o.progs[0].section), ~0ull,
				    work, &e), -1);
	cr_expect_eq(e.rule, R_PKT_BOUNDS, "%s", verify_rule_name(e.rule));
	cr_expect_eq(e.insn, 1);
	free(work);
	ext_obj_free(&o);
}

/* `exo ext verify`'s exit status: 0 accepted, 1 rejected, 126 unreadable. */
static int
run_verify(const char *file, const char *section)
{
	char path[512];
	char *argv[6] = { "ext", "verify", path, NULL, NULL, NULL };
	int argc = 3;

	snprintf(path, sizeof(path), "%s/ext/%s", EXO_BUILD_DIR, file);
	if (section) {
		argv[3] = "--section";
		argv[4] = (char *)section;
		argc = 5;
	}
	return ext_cmd(argc, argv);
}

Test(ext_cmd, exit_status_says_accepted_rejected_or_unreadable,
     .init = cr_redirect_stdout)
{
	cr_redirect_stderr();
	cr_expect_eq(run_verify("pkt_filter.o", NULL), 0);
	cr_expect_eq(run_verify("pkt_filter.o", "guard/packet"), 0);
	cr_expect_eq(run_verify("bad_pkt_unchecked.o", NULL), 1);
	cr_expect_eq(run_verify("bad_global.o", NULL), 126);
	cr_expect_eq(run_verify("no-such-file.o", NULL), 126);
	cr_expect_eq(run_verify("pkt_filter.o", "event/nope"), 126);
}
