/*
 * Opening a file a user named, to read it whole: only a regular file, and
 * never waiting in open() for a FIFO's writer.
 */
#ifndef VMM_FILE_H
#define VMM_FILE_H

#include <sys/stat.h>

/*
 * The descriptor (close-on-exec, O_NONBLOCK), with *st its status; or
 * -errno of open or fstat, or -EINVAL when path is not a regular file (*st
 * then says what it is, and nothing stays open).
 */
int file_open_regular(const char *path, struct stat *st);

#endif
