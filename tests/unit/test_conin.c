/* Console input, the VMM's half (vmm/conin.c): buffer and interrupt rule. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include <exo/hostio.h>

#include "vmm/conin.h"
#include "vmm/iothread.h"

static struct conin c;
static struct diag d;
static unsigned signals;
static uint32_t last_vector;
static int signal_result;      /* what the fake KVM_SIGNAL_MSI answers */

static int
fake_signal(void *arg, uint32_t vector)
{
	(void)arg;
	signals++;
	last_vector = vector;
	return signal_result;
}

/* An input that exists (so the rule applies) but that the test feeds by hand. */
static void
setup(void)
{
	memset(&d, 0, sizeof(d));
	signals = 0;
	last_vector = 0;
	signal_result = 1;
	conin_init(&c);
	cr_assert_eq(conin_open(&c, "/dev/null", &d), 0, "%s", d.msg);
	conin_set_signal(&c, fake_signal, NULL);
}

static void
teardown(void)
{
	conin_close(&c);
}

TestSuite(conin, .init = setup, .fini = teardown);

Test(conin, bytes_in_order_then_empty)
{
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EMPTY);
	cr_assert_eq(conin_put(&c, "xyz", 3), 3);
	cr_assert_eq(conin_take(&c), 'x');
	cr_assert_eq(conin_take(&c), 'y');
	cr_assert_eq(conin_take(&c), 'z');
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EMPTY);
	cr_assert_eq(signals, 0, "no vector set: no interrupt");
}

Test(conin, one_interrupt_until_the_guest_reads_empty)
{
	cr_assert_eq(conin_set_vector(&c, 33), 0);
	cr_assert_eq(signals, 0, "nothing waiting");
	conin_put(&c, "a", 1);
	cr_assert_eq(signals, 1);
	cr_assert_eq(last_vector, 33);
	conin_put(&c, "b", 1);
	cr_assert_eq(signals, 1, "the guest has not read EMPTY yet");
	cr_assert_eq(conin_take(&c), 'a');
	cr_assert_eq(conin_take(&c), 'b');
	conin_put(&c, "c", 1);
	cr_assert_eq(signals, 1, "still not EMPTY since the interrupt");
	cr_assert_eq(conin_take(&c), 'c');
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EMPTY);
	conin_put(&c, "d", 1);
	cr_assert_eq(signals, 2, "EMPTY re-armed it");
}

Test(conin, setting_the_vector_interrupts_for_what_waits)
{
	conin_put(&c, "early", 5);
	cr_assert_eq(signals, 0);
	cr_assert_eq(conin_set_vector(&c, 40), 0);
	cr_assert_eq(signals, 1);
	cr_assert_eq(last_vector, 40);
	cr_assert_eq(conin_set_vector(&c, 41), 0);
	cr_assert_eq(signals, 2, "writing the vector again re-arms");
	cr_assert_eq(conin_set_vector(&c, 0), 0);
	cr_assert_eq(conin_take(&c), 'e');
	cr_assert_eq(signals, 2, "vector 0: no interrupts");
}

Test(conin, bad_vectors_refused)
{
	static const uint32_t bad[] = { 1, 31, 256, 0x80000000u };

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(conin_set_vector(&c, bad[i]), -EINVAL, "vector %u", bad[i]);
	cr_assert_eq(conin_set_vector(&c, 32), 0);
	cr_assert_eq(conin_set_vector(&c, 255), 0);
}

Test(conin, end_of_input_interrupts_and_reads_eof)
{
	cr_assert_eq(conin_set_vector(&c, 33), 0);
	conin_put(&c, "q", 1);
	cr_assert_eq(conin_take(&c), 'q');
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EMPTY);
	conin_end(&c);
	cr_assert_eq(signals, 2, "the end is news too");
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EOF);
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EOF);
	cr_assert_eq(signals, 2);
}

Test(conin, bytes_before_the_end_come_first)
{
	conin_put(&c, "ab", 2);
	conin_end(&c);
	cr_assert_eq(conin_take(&c), 'a');
	cr_assert_eq(conin_take(&c), 'b');
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EOF);
}

Test(conin, undelivered_interrupt_is_tried_again)
{
	signal_result = 0;           /* the guest's APIC refused it */
	cr_assert_eq(conin_set_vector(&c, 33), 0);
	conin_put(&c, "a", 1);
	cr_assert_eq(signals, 1);
	signal_result = 1;
	conin_put(&c, "b", 1);
	cr_assert_eq(signals, 2, "not delivered: the next byte tries again");
	conin_put(&c, "c", 1);
	cr_assert_eq(signals, 2);
	cr_assert_eq(c.msis, 1, "one delivered");
}

Test(conin, full_buffer_takes_what_fits_and_wraps)
{
	static uint8_t big[CONIN_BUF + 10];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	cr_assert_eq(conin_put(&c, big, 100), 100);
	for (size_t i = 0; i < 100; i++)
		cr_assert_eq(conin_take(&c), big[i]);
	cr_assert_eq(conin_put(&c, big, sizeof(big)), CONIN_BUF, "only what fits");
	cr_assert_eq(conin_put(&c, big, 1), 0);
	for (size_t i = 0; i < CONIN_BUF; i++)
		cr_assert_eq(conin_take(&c), big[i], "byte %zu across the wrap", i);
	cr_assert_eq(conin_take(&c), EXO_CONSOLE_IN_EMPTY);
	cr_assert_eq(c.bytes, 100 + CONIN_BUF);
}

Test(conin, no_input_reads_eof_and_never_interrupts)
{
	struct conin none;

	conin_init(&none);
	conin_set_signal(&none, fake_signal, NULL);
	cr_assert_eq(conin_set_vector(&none, 33), 0);
	cr_assert_eq(conin_take(&none), EXO_CONSOLE_IN_EOF);
	cr_assert_eq(signals, 0);
	conin_close(&none);
}

Test(conin, open_errors_name_the_file)
{
	struct conin o;
	char dir[] = "/tmp/exo-conin-XXXXXX";

	conin_init(&o);
	cr_assert_eq(conin_open(&o, "/nonexistent/input", &d), -ENOENT);
	cr_assert(strstr(d.msg, "/nonexistent/input"), "%s", d.msg);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(conin_open(&o, dir, &d), -EISDIR);
	cr_assert(strstr(d.msg, dir), "%s", d.msg);
	rmdir(dir);
	conin_close(&o);
}

/* The real I/O thread reading a file that overflows the buffer several times. */
Test(conin_thread, reads_a_file_larger_than_its_buffer)
{
	static uint8_t data[3 * CONIN_BUF + 123];
	char path[] = "/tmp/exo-conin-XXXXXX";
	struct timespec pause = { 0, 1000000 };
	struct iothread io;
	struct conin in;
	size_t got = 0;
	int fd = mkstemp(path), spins = 0;

	cr_assert(fd >= 0);
	signal_result = 1;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13 + i / 256);
	cr_assert_eq(write(fd, data, sizeof(data)), (ssize_t)sizeof(data));
	close(fd);
	conin_init(&in);
	cr_assert_eq(conin_open(&in, path, &d), 0, "%s", d.msg);
	conin_set_signal(&in, fake_signal, NULL);
	cr_assert_eq(iothread_init(&io, &d), 0, "%s", d.msg);
	conin_start(&in, io.loop);
	cr_assert_eq(conin_set_vector(&in, 33), 0);
	cr_assert_eq(iothread_start(&io, &d), 0, "%s", d.msg);
	for (;;) {
		uint32_t v = conin_take(&in);

		if (v == EXO_CONSOLE_IN_EOF)
			break;
		if (v == EXO_CONSOLE_IN_EMPTY) {
			cr_assert_lt(++spins, 5000, "input stalled after %zu bytes", got);
			nanosleep(&pause, NULL);
			continue;
		}
		cr_assert_lt(got, sizeof(data), "more bytes than the file has");
		cr_assert_eq(v, data[got], "byte %zu", got);
		got++;
	}
	cr_assert_eq(got, sizeof(data));
	cr_assert(signals >= 1, "no interrupt for the input");
	iothread_stop(&io);
	iothread_stop(&io);          /* a second stop is harmless */
	conin_close(&in);
	unlink(path);
}

/* The next value the guest would read, waiting while it is EMPTY (the test's
 * .timeout bounds a stall). */
static uint32_t
take_next(struct conin *in)
{
	struct timespec pause = { 0, 1000000 };
	uint32_t v;

	while ((v = conin_take(in)) == EXO_CONSOLE_IN_EMPTY)
		nanosleep(&pause, NULL);
	return v;
}

/*
 * A FIFO as --input: open() returns at once with no writer (it blocked
 * until one came, outside --timeout), nothing reads as the end before a
 * writer came, its bytes arrive, and its writer's close is the end.
 */
Test(conin_thread, fifo_opens_without_a_writer, .timeout = 20)
{
	char path[64];
	struct timespec pause = { 0, 20000000 };
	struct iothread io;
	struct conin in;
	int w;

	snprintf(path, sizeof(path), "/tmp/exo-conin-%d-fifo", (int)getpid());
	unlink(path);
	cr_assert_eq(mkfifo(path, 0600), 0);
	conin_init(&in);
	cr_assert_eq(conin_open(&in, path, &d), 0, "%s", d.msg);
	conin_set_signal(&in, fake_signal, NULL);
	cr_assert_eq(iothread_init(&io, &d), 0, "%s", d.msg);
	conin_start(&in, io.loop);
	cr_assert_eq(iothread_start(&io, &d), 0, "%s", d.msg);
	nanosleep(&pause, NULL);     /* the I/O thread polls a writerless FIFO */
	cr_assert_eq(conin_take(&in), EXO_CONSOLE_IN_EMPTY,
		     "a FIFO nobody has opened yet is not the end of the input");
	w = open(path, O_WRONLY | O_NONBLOCK);
	cr_assert_geq(w, 0, "exo holds the read end: %s", strerror(errno));
	cr_assert_eq(write(w, "ab", 2), 2);
	cr_assert_eq(take_next(&in), 'a');
	cr_assert_eq(take_next(&in), 'b');
	close(w);
	cr_assert_eq(take_next(&in), EXO_CONSOLE_IN_EOF);
	iothread_stop(&io);
	conin_close(&in);
	unlink(path);
}
