// SPDX-License-Identifier: GPL-2.0
/*
 * A short way through vsnprintf() for the formats log messages use most.
 *
 * vsnprintf() decodes every conversion into a struct printf_spec and runs
 * it through number() or string(), which handle every flag, width and
 * precision; that generality is most of what a formatted record costs.
 * krelay_format_plain() knows only plain conversions and gives, for them,
 * exactly the bytes vsnprintf() gives:
 *
 *	%d %i %u %x %X	int, with no size, l (long), ll (long long) or z (size_t)
 *	%c %s %%	with no size
 *
 * with no flags, field width or precision. For any other format, for a %s
 * pointer that vsnprintf() would print as "(null)" or "(efault)", and for
 * a text that does not fit, it returns -1 and the caller uses vsnprintf().
 */
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/types.h>

#include "krelay.h"

/* size_t and ssize_t are unsigned long and long: krelay is 64-bit only */
enum krelay_size { KRELAY_SIZE_INT, KRELAY_SIZE_LONG, KRELAY_SIZE_LLONG };

/* Decimal digits of @v before @p, from the end; returns the first one */
static char *krelay_put_dec(char *p, u64 v)
{
	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	return p;
}

static char *krelay_put_hex(char *p, u64 v, bool upper)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";

	do {
		*--p = digits[v & 15];
		v >>= 4;
	} while (v);
	return p;
}

int krelay_format_plain(char *buf, size_t size, const char *fmt, va_list args)
{
	char digits[24], *end = digits + sizeof(digits), *d;
	char *p = buf, *stop = buf + size - 1;	/* room for the NUL */
	enum krelay_size sz;
	const char *s;
	size_t n;
	u64 v;
	char c;

	if (!size)
		return -1;
	for (;;) {
		c = *fmt++;
		if (c != '%') {
			if (!c)
				break;
			if (p == stop)
				return -1;
			*p++ = c;
			continue;
		}
		sz = KRELAY_SIZE_INT;
		c = *fmt++;
		if (c == 'l') {
			sz = KRELAY_SIZE_LONG;
			c = *fmt++;
			if (c == 'l') {
				sz = KRELAY_SIZE_LLONG;
				c = *fmt++;
			}
		} else if (c == 'z') {
			sz = KRELAY_SIZE_LONG;
			c = *fmt++;
		}
		switch (c) {
		case 'd':
		case 'i':
			/* sign-extended to 64 bits, as vsnprintf() does */
			if (sz == KRELAY_SIZE_INT)
				v = va_arg(args, int);
			else if (sz == KRELAY_SIZE_LONG)
				v = va_arg(args, long);
			else
				v = va_arg(args, long long);
			d = krelay_put_dec(end, (s64)v < 0 ? -v : v);
			if ((s64)v < 0)
				*--d = '-';
			break;
		case 'u':
		case 'x':
		case 'X':
			if (sz == KRELAY_SIZE_INT)
				v = va_arg(args, unsigned int);
			else if (sz == KRELAY_SIZE_LONG)
				v = va_arg(args, unsigned long);
			else
				v = va_arg(args, unsigned long long);
			d = c == 'u' ? krelay_put_dec(end, v) :
				       krelay_put_hex(end, v, c == 'X');
			break;
		case 'c':
			if (sz != KRELAY_SIZE_INT || p == stop)
				return -1;
			*p++ = (unsigned char)va_arg(args, int);
			continue;
		case 's':
			s = va_arg(args, const char *);
			if (sz != KRELAY_SIZE_INT ||
			    (unsigned long)s < PAGE_SIZE || IS_ERR(s))
				return -1;
			while (*s) {
				if (p == stop)
					return -1;
				*p++ = *s++;
			}
			continue;
		case '%':
			if (sz != KRELAY_SIZE_INT || p == stop)
				return -1;
			*p++ = '%';
			continue;
		default:
			return -1;
		}
		/* a number, in digits[] from d to end */
		n = end - d;
		if (n > (size_t)(stop - p))
			return -1;
		memcpy(p, d, n);
		p += n;
	}
	*p = '\0';
	return p - buf;
}
