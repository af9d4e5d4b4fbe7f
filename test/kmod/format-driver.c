// SPDX-License-Identifier: GPL-2.0
/*
 * Built by test/kmod/format.test.ts with kmod/format.c: each CASE prints
 * "same <fmt>" when krelay_format_plain() and snprintf() agree, "fits <fmt>"
 * when it also agrees in a buffer of exactly the room needed, and refuses a
 * buffer one byte short; each REFUSE prints "refused <fmt>" when it returns
 * -1 and leaves the bytes after its buffer alone.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include "krelay.h"

static int plain(char *buf, size_t size, const char *fmt, ...)
{
	va_list args;
	int n;

	va_start(args, fmt);
	n = krelay_format_plain(buf, size, fmt, args);
	va_end(args);
	return n;
}

#define REFUSE(size, fmt, ...) do {					\
	char a[256];							\
	int n;								\
	memset(a, 0x55, sizeof(a));					\
	n = plain(a, size, fmt, __VA_ARGS__);				\
	printf("%s %s\n", n == -1 && a[size] == 0x55 ?			\
	       "refused" : "accepted", fmt);				\
} while (0)

#define CASE(fmt, ...) do {						\
	char a[256], b[256];						\
	int m = snprintf(b, sizeof(b), fmt, __VA_ARGS__);		\
	int n;								\
	memset(a, 0x55, sizeof(a));					\
	n = plain(a, sizeof(a), fmt, __VA_ARGS__);			\
	if (n == m && !memcmp(a, b, m + 1))				\
		printf("same %s\n", fmt);				\
	else								\
		printf("differ %s: %d [%.*s] vs %d [%s]\n", fmt, n,	\
		       n < 0 ? 0 : n, a, m, b);				\
	/* exactly the room needed, NUL included */			\
	memset(a, 0x55, sizeof(a));					\
	n = plain(a, m + 1, fmt, __VA_ARGS__);				\
	printf("%s %s\n", n == m && !memcmp(a, b, m + 1) &&		\
	       a[m + 1] == 0x55 ? "fits" : "nofit", fmt);		\
	REFUSE(m, fmt, __VA_ARGS__);					\
} while (0)

int main(void)
{
	CASE("bench run=%u cpu=%u index=%llu", 2u, 0u, 131072ull);
	CASE("%d %d %d %d %d", 0, 1, -1, INT_MIN, INT_MAX);
	CASE("%i|%u|%u", -42, 0u, UINT_MAX);
	CASE("%ld %ld %lu %lu", LONG_MIN, LONG_MAX, 0ul, ULONG_MAX);
	CASE("%lld %lld %llu", LLONG_MIN, -1ll, ULLONG_MAX);
	CASE("%zu %zd %zd", (size_t)SIZE_MAX, (ssize_t)-5, (ssize_t)SSIZE_MAX);
	CASE("%x %X %x %X", 0u, 0xabcdefu, UINT_MAX, 0x1f2e3du);
	CASE("%lx %llX %zx", 0xdeadbeefcafeul, 0xfedcba9876543210ull,
	     (size_t)4096);
	CASE("%x %lx", -1, -2l);
	CASE("[%c%c%c]", 'a', 'Z', 0xe9);
	CASE("%s=%s,%s!", "key", "", "value with spaces");
	CASE("100%% of %s%%", "it");
	CASE("%s", "caf\xc3\xa9");
	CASE("%d", 7);
	REFUSE(0, "%d", 1);
	REFUSE(1, "x", 0);
	REFUSE(200, "%5d", 1);
	REFUSE(200, "%-d", 1);
	REFUSE(200, "%08x", 1u);
	REFUSE(200, "%.3s", "abcdef");
	REFUSE(200, "%+d", 1);
	REFUSE(200, "% d", 1);
	REFUSE(200, "%#x", 1u);
	REFUSE(200, "%hd", 1);
	REFUSE(200, "%hhu", 1);
	REFUSE(200, "%o", 8u);
	REFUSE(200, "%p", (void *)0);
	REFUSE(200, "%ls", (void *)0);
	REFUSE(200, "%lc", 65);
	REFUSE(200, "%l%", 0);
	REFUSE(200, "%*d", 3, 1);
	REFUSE(200, "%s", (char *)0);
	REFUSE(200, "%s", (char *)16);
	REFUSE(200, "%s", (char *)(uintptr_t)-22);
	REFUSE(200, "tail %", 0);
	REFUSE(200, "%td", (ptrdiff_t)1);
	return 0;
}
