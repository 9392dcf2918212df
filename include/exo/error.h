/* Error codes returned by system calls, negated (as in JOS's inc/error.h). */
#ifndef EXO_ERROR_H
#define EXO_ERROR_H

enum exo_error {
	E_OK      = 0,
	E_INVAL   = 1,  /* an argument is out of range */
	E_FAULT   = 2,  /* a user address is not mapped, or not with the rights needed */
	E_NOSYS   = 3,  /* no such system call, or not enabled in this boot */
	E_NOMEM   = 4,  /* the kernel ran out of frames */
	E_NOEXEC  = 5,  /* a program's layout cannot be mapped */
	E_PERM    = 6,  /* not privileged, or the object is another task's */
	E_NOENT   = 7,  /* no such thread (nil, stale version, deleted) */
	E_BADCAP  = 8,  /* no capability at that index */
	E_STALE   = 9,  /* the capability was dropped or revoked (old generation) */
	E_BADTYPE = 10, /* the capability names the wrong kind of object */
	E_EXIST   = 11, /* something is there already (a binding at that address) */
	E_AGAIN   = 12, /* not now: the target is busy, try again */
	E_REJECTED = 13, /* the extension checker refused the program */
	E_MAX
};

#endif
