// SPDX-License-Identifier: GPL-2.0
/*
 * The write path and the API exported to other modules.
 *
 * A record is written with interrupts disabled into the local CPU's buffer.
 * That serializes it with every other writer of that buffer (task, softirq,
 * hardirq) and with the flush IPI, and makes the record's seq and ts
 * increase together. Writers take no locks and never sleep. NMI context is
 * refused: local_irq_save() does not keep an NMI out.
 *
 * Unloading sets krelay_accepting to false and then waits with
 * synchronize_rcu(), which also waits for interrupt-disabled sections.
 */
#include <linux/err.h>
#include <linux/export.h>
#include <linux/hardirq.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/relay.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/timekeeping.h>

#include "krelay.h"
#include "krelay_api.h"

bool krelay_accepting;
bool krelay_running = true;
unsigned int krelay_min_level = KRELAY_LEVEL_MAX;

static u8 krelay_ctx(void)
{
	if (in_hardirq())
		return KRELAY_CTX_HARDIRQ;
	if (in_serving_softirq())
		return KRELAY_CTX_SOFTIRQ;
	return KRELAY_CTX_TASK;
}

/*
 * Disables interrupts and returns the local CPU's state, or NULL with
 * interrupts restored and *err set when the record is not to be written.
 * Filtered records get no sequence number.
 */
static struct krelay_cpu *krelay_admit(unsigned int level, unsigned long *flags,
				       int *err)
{
	struct krelay_cpu *kc;

	*err = -EINVAL;
	if (level > KRELAY_LEVEL_MAX)
		return NULL;
	*err = -ENODEV;
	if (WARN_ON_ONCE(in_nmi()))
		return NULL;

	local_irq_save(*flags);
	kc = this_cpu_ptr(&krelay_cpus);
	/* acquire: krelay_chan is set before writing is accepted */
	if (!smp_load_acquire(&krelay_accepting))
		goto refuse;
	*err = -ENODATA;
	if (!READ_ONCE(krelay_running) || level > READ_ONCE(krelay_min_level)) {
		kc->filtered++;
		goto refuse;
	}
	*err = 0;
	return kc;
refuse:
	local_irq_restore(*flags);
	return NULL;
}

/*
 * Interrupts disabled, after krelay_admit(). Returns where the payload goes,
 * with the record header written and the padding zeroed, or an ERR_PTR.
 * A dropped record consumes its sequence number; a too big one does not.
 */
static void *krelay_reserve(struct krelay_cpu *kc, unsigned int level,
			    u16 type, u8 kind, size_t payload)
{
	struct krelay_record_hdr *rec;
	u64 produced = kc->produced;
	size_t len;
	u64 ts;

	if (payload > krelay_subbuf_size - sizeof(struct krelay_subbuf_hdr) -
		      sizeof(*rec)) {
		kc->too_big++;
		return ERR_PTR(-EMSGSIZE);
	}
	len = ALIGN(sizeof(*rec) + payload, KRELAY_RECORD_ALIGN);
	ts = ktime_get_ns();
	kc->rec_seq++;
	/* the watermark of a sub-buffer this reservation completes */
	kc->now = ts;
	rec = relay_reserve(krelay_chan, len);
	/* the reservation completed a sub-buffer: wake a waiting consumer */
	if (kc->produced != produced)
		krelay_wait_notify();
	if (!rec) {
		kc->dropped++;
		kc->lost++;
		return ERR_PTR(-ENOSPC);
	}

	rec->len = len;
	rec->type = type;
	rec->kind = kind;
	rec->level = level;
	rec->seq = kc->rec_seq;
	rec->ts = ts;
	rec->pid = current->pid;
	rec->pad = len - sizeof(*rec) - payload;
	rec->ctx = krelay_ctx();
	rec->reserved = 0;
	strscpy_pad(rec->comm, current->comm, sizeof(rec->comm));
	memset((char *)(rec + 1) + payload, 0, rec->pad);

	if (!kc->nrecords)
		kc->first_ts = ts;
	kc->last_ts = ts;
	kc->nrecords++;
	kc->committed += len;
	kc->written++;
	return rec + 1;
}

int krelay_emit(unsigned int level, u16 type, const void *data, size_t len)
{
	struct krelay_cpu *kc;
	unsigned long flags;
	void *payload;
	int ret = 0;

	kc = krelay_admit(level, &flags, &ret);
	if (!kc)
		return ret;
	payload = krelay_reserve(kc, level, type, KRELAY_KIND_BINARY, len);
	if (IS_ERR(payload))
		ret = PTR_ERR(payload);
	else
		memcpy(payload, data, len);
	local_irq_restore(flags);
	return ret;
}

/*
 * Format exactly @len bytes, the length a first vsnprintf() reported, at
 * @dst. vsnprintf() also stores a NUL: without padding after the payload
 * there is no room for it, so the text is formatted one byte early, over
 * the end of the record header, and moved into place.
 */
static __printf(3, 0) void krelay_format(char *dst, size_t len,
					 const char *fmt, va_list args)
{
	size_t n;
	char saved;

	if (len % KRELAY_RECORD_ALIGN) {
		n = vsnprintf(dst, len + 1, fmt, args);
	} else {
		saved = dst[-1];
		n = vsnprintf(dst - 1, len + 1, fmt, args);
		memmove(dst, dst - 1, len);
		dst[-1] = saved;
	}
	/* an argument changed between the two vsnprintf() calls */
	if (n < len)
		memset(dst + n, 0, len - n);
}

/*
 * Where the payload of the next record goes if it fits in the open
 * sub-buffer, and how many bytes (a multiple of 8) it may take there; or NULL
 * and 0 when no payload fits. Interrupts are disabled: until the reservation
 * that space is this caller's, and a reservation that fits returns it.
 */
static char *krelay_next_payload(struct krelay_cpu *kc, size_t *room)
{
	struct rchan_buf *buf = kc->buf;
	size_t used;

	*room = 0;
	if (unlikely(!buf))
		return NULL;
	used = buf->offset + sizeof(struct krelay_record_hdr);
	/* buf->offset is subbuf_size + 1 while every sub-buffer is full */
	if (used >= krelay_subbuf_size)
		return NULL;
	*room = krelay_subbuf_size - used;
	return (char *)buf->data + used;
}

/*
 * A text is formatted once, straight into its record, when it fits in the
 * open sub-buffer: the usual case. krelay_format_plain() formats the plain
 * conversions most messages use at a fraction of vsnprintf()'s cost, which
 * takes the rest. vsnprintf() reports the length also when the text did
 * not fit (it opens the next sub-buffer, or it is too big): it is then
 * formatted again into the record reserved for that length.
 */
int krelay_vemitf(unsigned int level, u16 type, const char *fmt, va_list args)
{
	struct krelay_cpu *kc;
	unsigned long flags;
	va_list aq;
	char *payload, *dst;
	size_t len, room;
	int n, ret = 0;

	kc = krelay_admit(level, &flags, &ret);
	if (!kc)
		return ret;
	dst = krelay_next_payload(kc, &room);
	va_copy(aq, args);
	n = krelay_format_plain(dst, room, fmt, aq);
	va_end(aq);
	if (n < 0) {
		va_copy(aq, args);
		n = vsnprintf(dst, room, fmt, aq);
		va_end(aq);
	}
	len = n;
	payload = krelay_reserve(kc, level, type, KRELAY_KIND_TEXT, len);
	if (IS_ERR(payload))
		ret = PTR_ERR(payload);
	else if (unlikely(len >= room || payload != dst))
		krelay_format(payload, len, fmt, args);
	local_irq_restore(flags);
	return ret;
}

int krelay_emitf(unsigned int level, u16 type, const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = krelay_vemitf(level, type, fmt, args);
	va_end(args);
	return ret;
}

int krelay_vprintk(unsigned int level, const char *fmt, va_list args)
{
	return krelay_vemitf(level, KRELAY_TYPE_TEXT, fmt, args);
}
EXPORT_SYMBOL_GPL(krelay_vprintk);

int krelay_printk(unsigned int level, const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = krelay_vemitf(level, KRELAY_TYPE_TEXT, fmt, args);
	va_end(args);
	return ret;
}
EXPORT_SYMBOL_GPL(krelay_printk);

int krelay_write(unsigned int level, u16 type, const void *data, size_t len)
{
	if (type == KRELAY_TYPE_TEXT || type >= KRELAY_TYPE_KRELAY_FIRST)
		return -EINVAL;
	return krelay_emit(level, type, data, len);
}
EXPORT_SYMBOL_GPL(krelay_write);
