/*
 * The few string routines of the freestanding kernel and library OS (gcc emits
 * calls to memcpy and memset for structure copies). Built with
 * -fno-tree-loop-distribute-patterns so that the loops are not turned back into
 * calls to themselves. Not in the host library, where libc has them.
 */
#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

/*
 * One string instruction: on PVM the kernel pays per emulated instruction,
 * so a long message copies in one instruction, not a loop of five per byte.
 * It relies on DF=0, which every kernel entry establishes (entry.S: cld).
 */
void *
memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;

	if (n % 8 == 0) {       /* whole words (message registers): eight at a step */
		n /= 8;
		__asm__ volatile("rep movsq" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	} else {
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
	}
	return dst;
}

void *
memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;

	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}

size_t strlen(const char *s);
int strcmp(const char *a, const char *b);

size_t
strlen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

int
strcmp(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return (unsigned char)*a - (unsigned char)*b;
}
