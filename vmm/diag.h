/*
 * Host-side errors: a function that can fail returns a negative errno and, if
 * it was given one, fills a struct diag with a sentence for the user that says
 * what failed, on what input, and what to do. Only main() prints and exits.
 */
#ifndef VMM_DIAG_H
#define VMM_DIAG_H

struct diag {
	char msg[512];
};

/* Record the message and return -err (err is a positive errno). */
int diag_fail(struct diag *d, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
