/* The kernel's formatter: guest/core/fmt.c, checked against fixed strings. */
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <criterion/criterion.h>

#include "guest/core/fmt.h"

static char buf[128];
/* NULL that gcc cannot see through (it warns about a literal NULL for %s). */
static const char *volatile null_string;

/* Format into a big buffer and compare with the expected text and length. */
#define CHECK(want, ...) do {							\
	size_t n_ = fmt_snprintf(buf, sizeof(buf), __VA_ARGS__);		\
	cr_assert_str_eq(buf, want);						\
	cr_assert_eq(n_, strlen(want), "returned %zu for \"%s\"", n_, want);	\
} while (0)

/*
 * The same through a pointer without the format attribute, for formats that
 * printf would not accept (or gcc warns about) but the kernel's must handle.
 */
static size_t (*const unchecked)(char *, size_t, const char *, ...) = fmt_snprintf;

#define CHECK_RAW(want, ...) do {						\
	size_t n_ = unchecked(buf, sizeof(buf), __VA_ARGS__);			\
	cr_assert_str_eq(buf, want);						\
	cr_assert_eq(n_, strlen(want), "returned %zu for \"%s\"", n_, want);	\
} while (0)

Test(fmt, plain_text)
{
	CHECK("hello, world", "hello, world");
	CHECK("", "%s", "");
	CHECK("100%", "100%%");
}

Test(fmt, signed_decimal)
{
	CHECK("0", "%d", 0);
	CHECK("42", "%d", 42);
	CHECK("-42", "%d", -42);
	CHECK("-1", "%i", -1);
	CHECK("2147483647", "%d", INT_MAX);
	CHECK("-2147483648", "%d", INT_MIN);
}

Test(fmt, signed_long)
{
	CHECK("-9223372036854775808", "%ld", LONG_MIN);
	CHECK("9223372036854775807", "%ld", LONG_MAX);
	CHECK("-9223372036854775808", "%lld", LLONG_MIN);
	CHECK("-1234567890123", "%lld", -1234567890123LL);
	CHECK("-5", "%zd", (ssize_t)-5);
}

Test(fmt, unsigned_decimal)
{
	CHECK("0", "%u", 0u);
	CHECK("4294967295", "%u", UINT_MAX);
	CHECK("4294967295", "%u", -1);
	CHECK("18446744073709551615", "%lu", ULONG_MAX);
	CHECK("18446744073709551615", "%llu", ULLONG_MAX);
	CHECK("18446744073709551615", "%zu", SIZE_MAX);
	CHECK("4096", "%zu", (size_t)4096);
}

Test(fmt, hexadecimal)
{
	CHECK("0", "%x", 0u);
	CHECK("deadbeef", "%x", 0xdeadbeefu);
	CHECK("DEADBEEF", "%X", 0xdeadbeefu);
	CHECK("ffffffff", "%x", -1);
	CHECK("ffffffff80000000", "%lx", 0xffffffff80000000UL);
	CHECK("FFFFFFFF80000000", "%lX", 0xffffffff80000000UL);
	CHECK("123456789abcdef0", "%llx", 0x123456789abcdef0ULL);
	CHECK("ffffffffffffffff", "%lx", ULONG_MAX);
	CHECK("100000000", "%lx", 1UL << 32);
}

Test(fmt, int_argument_does_not_take_64_bits)
{
	/* %x reads an unsigned int: the next argument must still be right. */
	CHECK("1 2", "%x %d", 1u, 2);
	CHECK("ffffffff 7", "%x %lu", UINT_MAX, 7UL);
}

Test(fmt, pointer)
{
	CHECK("0x1000", "%p", (void *)0x1000);
	CHECK("0xffffffff80001000", "%p", (void *)0xffffffff80001000UL);
	CHECK("0x0", "%p", (void *)0);
}

Test(fmt, string_and_char)
{
	CHECK("abc", "%s", "abc");
	CHECK_RAW("(null)", "%s", null_string);
	CHECK("x", "%c", 'x');
	CHECK("a-b", "%c-%c", 'a', 'b');
	CHECK("[  x]", "[%3c]", 'x');
	CHECK("[x  ]", "[%-3c]", 'x');
}

Test(fmt, widths_and_flags)
{
	CHECK("[   42]", "[%5d]", 42);
	CHECK("[42   ]", "[%-5d]", 42);
	CHECK("[00042]", "[%05d]", 42);
	CHECK("[  -42]", "[%5d]", -42);
	CHECK("[-0042]", "[%05d]", -42);
	CHECK("[-42  ]", "[%-5d]", -42);
	CHECK_RAW("[-42  ]", "[%-05d]", -42);
	CHECK("[12345]", "[%3d]", 12345);
	CHECK("[0000beef]", "[%08x]", 0xbeefu);
	CHECK("[00000000deadbeef]", "[%016lx]", 0xdeadbeefUL);
	CHECK("[  abc]", "[%5s]", "abc");
	CHECK("[abc  ]", "[%-5s]", "abc");
	CHECK_RAW("[  abc]", "[%05s]", "abc");
	CHECK("[abcdef]", "[%3s]", "abcdef");
	CHECK("[0]", "[%0d]", 0);
}

Test(fmt, mixed)
{
	CHECK("exo: 64 KiB at 0x10000, \"init\" (3 args)",
	      "exo: %d KiB at %p, \"%s\" (%u args)", 64, (void *)0x10000, "init", 3u);
}

Test(fmt, unknown_conversion_printed)
{
	CHECK_RAW("q 5", "%q %d", 5);
}

Test(fmt, trailing_percent)
{
	CHECK_RAW("abc", "abc%");
}

Test(fmt, truncation)
{
	char small[6];
	size_t n;

	memset(small, 'Z', sizeof(small));
	n = fmt_snprintf(small, sizeof(small), "hello, %s", "world");
	cr_assert_eq(n, 12, "returned %zu, want the full length 12", n);
	cr_assert_str_eq(small, "hello");
	cr_assert_eq(small[5], '\0');
}

Test(fmt, truncation_in_number)
{
	char small[4];
	size_t n = fmt_snprintf(small, sizeof(small), "%d", -123456);

	cr_assert_eq(n, 7);
	cr_assert_str_eq(small, "-12");
}

Test(fmt, exact_fit)
{
	char small[6];
	size_t n = fmt_snprintf(small, sizeof(small), "%s", "hello");

	cr_assert_eq(n, 5);
	cr_assert_str_eq(small, "hello");
}

Test(fmt, size_one)
{
	char small[2] = { 'Z', 'Z' };
	size_t n = fmt_snprintf(small, 1, "%s", "hello");

	cr_assert_eq(n, 5);
	cr_assert_eq(small[0], '\0');
	cr_assert_eq(small[1], 'Z', "wrote past size");
}

Test(fmt, size_zero)
{
	char small[4] = { 'Z', 'Z', 'Z', 'Z' };
	size_t n = fmt_snprintf(small, 0, "%d %s", 12345, "hello");

	cr_assert_eq(n, 11);
	for (unsigned i = 0; i < sizeof(small); i++)
		cr_assert_eq(small[i], 'Z', "byte %u written with size 0", i);
	cr_assert_eq(fmt_snprintf(NULL, 0, "%lx", 0xabcdefUL), 6);
}

Test(fmt, truncation_never_writes_past_size)
{
	static const char want[] = "[ab        |00001234|-77]";
	char big[64];

	for (size_t size = 1; size < 40; size++) {
		size_t n;

		memset(big, 'Z', sizeof(big));
		n = fmt_snprintf(big, size, "[%-10s|%08x|%ld]", "ab", 0x1234u, -77L);
		cr_assert_eq(n, strlen(want), "size %zu: returned %zu", size, n);
		cr_assert_eq(strlen(big), size - 1 < n ? size - 1 : n, "size %zu", size);
		cr_assert_eq(memcmp(big, want, strlen(big)), 0);
		for (size_t i = size; i < sizeof(big); i++)
			cr_assert_eq(big[i], 'Z', "size %zu: byte %zu written", size, i);
	}
}

/* '#': 0x before a non-zero %x (0X for %X), before the zero padding. The
 * kernel's fault report uses %#lx (guest/arch/x86_64/trap.c); it printed
 * "#lx" and lost every value after it. */
Test(fmt, alternate_form)
{
	CHECK("0x1f", "%#x", 0x1fu);
	CHECK("0X1F", "%#X", 0x1fu);
	CHECK("0", "%#x", 0u);
	CHECK("0xffffffff80001000", "%#lx", 0xffffffff80001000UL);
	CHECK("[0x0000beef]", "[%#010x]", 0xbeefu);
	CHECK("[    0xbeef]", "[%#10x]", 0xbeefu);
	CHECK("[0xbeef    ]", "[%-#10x]", 0xbeefu);
	CHECK("[0x1]", "[%#3x]", 1u);
	CHECK("vector 14, error 0x2 at rip 0xffffffff80001234, cr2 0",
	      "vector %lu, error %#lx at rip %#lx, cr2 %#lx", 14UL, 2UL,
	      0xffffffff80001234UL, 0UL);
}

/*
 * Every conversion the kernel, the IPC core and the library OS use, as
 * found in guest/, ipc/ and libos/ (string literals outside asm, scanned
 * for printf conversions): each formats as the C library's printf does.
 */
static const char *const used_unsigned[] = { "%lu", "%lx", "%#lx", "%ld" };
static const char *const used_int[] = { "%u", "%d", "%c" };

Test(fmt, every_conversion_the_kernel_uses_matches_libc)
{
	static const unsigned long lv[] = { 0, 1, 9, 10, 0xff, 0x1000, 123456789,
					    0x7fffffffffffffffUL, 0x8000000000000000UL,
					    0xffffffff80001000UL, ~0UL };
	static const int iv[] = { 0, 1, -1, 65, 97, 2147483647, -2147483647 - 1 };
	char want[128];

	for (size_t f = 0; f < sizeof(used_unsigned) / sizeof(used_unsigned[0]); f++)
		for (size_t i = 0; i < sizeof(lv) / sizeof(lv[0]); i++) {
			snprintf(want, sizeof(want), used_unsigned[f], lv[i]);
			CHECK_RAW(want, used_unsigned[f], lv[i]);
		}
	for (size_t f = 0; f < sizeof(used_int) / sizeof(used_int[0]); f++)
		for (size_t i = 0; i < sizeof(iv) / sizeof(iv[0]); i++) {
			if (used_int[f][1] == 'c' && (iv[i] < 32 || iv[i] > 126))
				continue;       /* %c of a NUL ends the C string */
			snprintf(want, sizeof(want), used_int[f], iv[i]);
			CHECK_RAW(want, used_int[f], iv[i]);
		}
	snprintf(want, sizeof(want), "%s|%%|%p", "abc", (void *)0x1000);
	CHECK(want, "%s|%%|%p", "abc", (void *)0x1000);
}
