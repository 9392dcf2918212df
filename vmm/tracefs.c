/* See tracefs.h. */
#include "tracefs.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

enum tracefs_action
tracefs_decide(const struct tracefs_state *s)
{
	if (s->events)
		return TRACEFS_READY;
	/* Without the mount point there is no sysfs to mount it in: a
	 * container, say; mounting could not help. */
	return s->root && s->dir ? TRACEFS_MOUNT : TRACEFS_TELL;
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
tracefs_ensure(char *why, size_t n)
{
	struct tracefs_state s = {
		.events = is_dir(TRACEFS_DIR "/events") ||
			  is_dir("/sys/kernel/debug/tracing/events"),
		.dir = is_dir(TRACEFS_DIR),
		.root = geteuid() == 0,
	};
	int e;

	switch (tracefs_decide(&s)) {
	case TRACEFS_READY:
		return 0;
	case TRACEFS_MOUNT:
		if (mount("nodev", TRACEFS_DIR, "tracefs", 0, NULL) == 0)
			return 0;
		e = errno;
		snprintf(why, n, "tracefs is not mounted and mounting it at %s failed "
			 "(%s): run '%s' as root", TRACEFS_DIR, strerror(e), TRACEFS_FIX);
		return -e;
	case TRACEFS_TELL:
		break;
	}
	snprintf(why, n, "tracefs is not mounted%s: run '%s' as root",
		 s.root ? " and " TRACEFS_DIR " does not exist" : "", TRACEFS_FIX);
	return -ENOENT;
}

int
tracefs_event_id(const char *event, char *why, size_t n)
{
	static const char *const roots[] = { TRACEFS_DIR, "/sys/kernel/debug/tracing" };
	char path[160];
	int id = -1;

	if (tracefs_ensure(why, n) < 0)
		return -1;
	for (unsigned i = 0; i < 2 && id < 0; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/events/%s/id", roots[i], event);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%d", &id) != 1)
			id = -1;
		fclose(f);
	}
	if (id < 0)
		snprintf(why, n, "no tracepoint %s in tracefs (KVM does not provide it, or not root)",
			 event);
	return id;
}
