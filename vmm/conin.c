#include "conin.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exo/hostio.h>

void
conin_init(struct conin *c)
{
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->eof = true;               /* no input: it has ended before it began */
	pthread_mutex_init(&c->lock, NULL);
}

int
conin_open(struct conin *c, const char *path, struct diag *d)
{
	struct stat st;
	int fd, err;

	if (!strcmp(path, "-")) {
		fd = STDIN_FILENO;
	} else {
		/*
		 * O_NONBLOCK, and it stays: a FIFO is a fine input (bytes that
		 * come while the guest runs), but open() would wait for its
		 * writer outside --timeout. The I/O thread reads only when the
		 * fd is readable and takes EAGAIN as "not yet"; Linux does not
		 * report a FIFO that never had a writer as ended.
		 */
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
		if (fd < 0)
			return diag_fail(d, errno, "--input %s: cannot open: %s", path,
					 strerror(errno));
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		if (fd != STDIN_FILENO)
			close(fd);
		return diag_fail(d, err, "--input %s: %s", path, fd == STDIN_FILENO &&
				 err == EBADF ? "standard input is closed" : strerror(err));
	}
	if (S_ISDIR(st.st_mode)) {
		if (fd != STDIN_FILENO)
			close(fd);
		return diag_fail(d, EISDIR, "--input %s: is a directory; give a file, "
				 "or - for standard input", path);
	}
	c->path = path;
	c->fd = fd;
	c->own_fd = fd != STDIN_FILENO;
	c->eof = false;
	return 0;
}

void
conin_set_signal(struct conin *c, conin_signal_fn fn, void *arg)
{
	c->signal = fn;
	c->signal_arg = arg;
}

/*
 * The interrupt rule of <exo/hostio.h>: one interrupt when the guest's next
 * IN would not answer EMPTY, then none until it has read EMPTY (or set its
 * vector) again. A run without input never interrupts.
 */
static void
conin_notify_locked(struct conin *c)
{
	if (!c->path || !c->vector || c->notified || (c->len == 0 && !c->eof) ||
	    !c->signal)
		return;
	if (c->signal(c->signal_arg, c->vector) > 0) {
		c->notified = true;
		c->msis++;
	}
	/* Not delivered (the guest's APIC is off): the next change tries again. */
}

uint32_t
conin_take(struct conin *c)
{
	uint32_t v;
	bool was_full = false;

	pthread_mutex_lock(&c->lock);
	if (c->len) {
		v = c->buf[c->head];
		c->head = (c->head + 1) % CONIN_BUF;
		was_full = c->len == CONIN_BUF;
		c->len--;
	} else if (c->eof) {
		v = EXO_CONSOLE_IN_EOF;
	} else {
		v = EXO_CONSOLE_IN_EMPTY;
		c->notified = false;
	}
	pthread_mutex_unlock(&c->lock);
	if (was_full && c->loop)
		ev_async_send(c->loop, &c->room);
	return v;
}

int
conin_set_vector(struct conin *c, uint32_t vector)
{
	if (vector != 0 && (vector < 32 || vector > 255))
		return -EINVAL;
	pthread_mutex_lock(&c->lock);
	c->vector = vector;
	c->notified = false;
	conin_notify_locked(c);
	pthread_mutex_unlock(&c->lock);
	return 0;
}

size_t
conin_put(struct conin *c, const void *p, size_t n)
{
	size_t tail, chunk, done = 0;

	pthread_mutex_lock(&c->lock);
	if (n > CONIN_BUF - c->len)
		n = CONIN_BUF - c->len;
	while (done < n) {
		tail = (c->head + c->len) % CONIN_BUF;
		chunk = CONIN_BUF - tail < n - done ? CONIN_BUF - tail : n - done;
		memcpy(c->buf + tail, (const uint8_t *)p + done, chunk);
		c->len += chunk;
		done += chunk;
	}
	c->bytes += n;
	conin_notify_locked(c);
	pthread_mutex_unlock(&c->lock);
	return n;
}

void
conin_end(struct conin *c)
{
	pthread_mutex_lock(&c->lock);
	c->eof = true;
	conin_notify_locked(c);
	pthread_mutex_unlock(&c->lock);
}

/* The I/O thread: read what fits; stop watching while the buffer is full. */
static void
conin_on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conin *c = w->data;
	uint8_t tmp[CONIN_BUF];
	size_t room;
	ssize_t n;
	bool full;

	(void)revents;
	pthread_mutex_lock(&c->lock);
	room = CONIN_BUF - c->len;
	pthread_mutex_unlock(&c->lock);
	if (room == 0) {
		ev_io_stop(loop, w);
		return;
	}
	n = read(c->fd, tmp, room);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n < 0)
		fprintf(stderr, "exo: --input %s: read failed: %s; the guest sees the "
			"end of its input\n", c->path, strerror(errno));
	if (n <= 0) {
		ev_io_stop(loop, w);
		conin_end(c);
		return;
	}
	conin_put(c, tmp, (size_t)n);
	pthread_mutex_lock(&c->lock);
	full = c->len == CONIN_BUF;
	pthread_mutex_unlock(&c->lock);
	if (full)
		ev_io_stop(loop, w);    /* conin_take sends room when it frees space */
}

static void
conin_on_room(struct ev_loop *loop, ev_async *w, int revents)
{
	struct conin *c = w->data;
	bool eof;

	(void)revents;
	pthread_mutex_lock(&c->lock);
	eof = c->eof;
	pthread_mutex_unlock(&c->lock);
	if (!eof)
		ev_io_start(loop, &c->readable);
}

void
conin_start(struct conin *c, struct ev_loop *loop)
{
	if (!c->path)
		return;
	c->loop = loop;
	ev_io_init(&c->readable, conin_on_readable, c->fd, EV_READ);
	c->readable.data = c;
	ev_async_init(&c->room, conin_on_room);
	c->room.data = c;
	ev_io_start(loop, &c->readable);
	ev_async_start(loop, &c->room);
}

void
conin_close(struct conin *c)
{
	if (c->own_fd && c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->own_fd = false;
	c->loop = NULL;
	pthread_mutex_destroy(&c->lock);
}
