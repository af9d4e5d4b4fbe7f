/* SPDX-License-Identifier: GPL-2.0 */
/*
 * krelay's API for other kernel modules.
 *
 * A record goes to the calling CPU's relay buffer. Every function may be
 * called from task, softirq and hardirq context: it never sleeps and takes
 * no locks, it only disables interrupts for the time of the write. It must
 * not be called from NMI context.
 *
 * @level is a printk level, LOGLEVEL_EMERG (0) to LOGLEVEL_DEBUG (7).
 *
 * Return: 0 when the record was written, else
 *   -EINVAL	@level above 7; for krelay_write() also @type 0 (plain text)
 *		or 0xff00 and above (krelay's own types)
 *   -ENODATA	filtered by the minimum level, or writing is stopped
 *   -EMSGSIZE	the record does not fit in one sub-buffer
 *   -ENOSPC	dropped: every sub-buffer still waits for the consumer
 *   -ENODEV	krelay is not ready or is being unloaded
 */
#ifndef _KRELAY_API_H
#define _KRELAY_API_H

#include <linux/stdarg.h>
#include <linux/types.h>

/*
 * A text record of type 0 (plain text), formatted as vsnprintf() would.
 * Formats with only %d %i %u %x %X (no size, l, ll or z), %c, %s and %%,
 * without flags, field width or precision, cost least: krelay formats
 * them itself, without vsnprintf().
 */
__printf(2, 3) int krelay_printk(unsigned int level, const char *fmt, ...);
__printf(2, 0) int krelay_vprintk(unsigned int level, const char *fmt,
				  va_list args);

/* A binary record of the caller's @type */
int krelay_write(unsigned int level, u16 type, const void *data, size_t len);

#endif /* _KRELAY_API_H */
