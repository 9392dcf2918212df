#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int
file_open_regular(const char *path, struct stat *st)
{
	/* O_NONBLOCK: a FIFO must not block open() until a writer comes; it
	 * is refused below, and nothing reads it. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY), err;

	if (fd < 0)
		return -errno;
	if (fstat(fd, st) < 0) {
		err = errno;
		close(fd);
		return -err;
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
}
