// SPDX-License-Identifier: GPL-2.0
/*
 * The relay channel: buffer files, sub-buffer headers, flushing and the
 * watermark (PROTOCOL.md sections 3 and 4).
 *
 * relay_flush() is never used: it switches other CPUs' buffers while their
 * writers may be running. A flush runs on each CPU in an IPI instead, which
 * is serialized with that CPU's writers because they keep interrupts
 * disabled.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/irqflags.h>
#include <linux/jiffies.h>
#include <linux/relay.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/timekeeping.h>
#include <linux/version.h>
#include <linux/workqueue.h>

#include "krelay.h"

DEFINE_PER_CPU(struct krelay_cpu, krelay_cpus);
struct rchan *krelay_chan;

/* Serializes the callers of krelay_on_each_buf() on offline CPUs */
static DEFINE_MUTEX(krelay_buf_lock);

static void krelay_open_subbuf(struct krelay_cpu *kc, struct rchan_buf *buf,
			       void *subbuf)
{
	struct krelay_subbuf_hdr *hdr = subbuf;

	subbuf_start_reserve(buf, sizeof(*hdr));
	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = KRELAY_SUBBUF_MAGIC;
	hdr->version = KRELAY_ABI_VERSION;
	hdr->hdr_size = sizeof(*hdr);
	hdr->cpu = buf->cpu;
	hdr->seq = ++kc->subbuf_seq;
	hdr->dropped = kc->lost;

	kc->lost = 0;
	kc->hdr = hdr;
	kc->nrecords = 0;
	kc->committed = 0;
	kc->first_ts = 0;
	kc->last_ts = 0;
	kc->open = true;
}

static void krelay_close_subbuf(struct krelay_cpu *kc)
{
	struct krelay_subbuf_hdr *hdr = kc->hdr;

	hdr->nrecords = kc->nrecords;
	hdr->committed = kc->committed;
	hdr->first_ts = kc->first_ts;
	hdr->last_ts = kc->last_ts;
	hdr->watermark = kc->now;
	/* before commit_seq, so that an ack of this sub-buffer is accepted */
	WRITE_ONCE(kc->produced, hdr->seq);
	/* records and header before commit_seq: the completion rule */
	smp_wmb();
	WRITE_ONCE(hdr->commit_seq, hdr->seq);

	kc->open = false;
	/* published after the sub-buffers it covers are complete */
	smp_store_release(&kc->watermark, kc->now);
}

/*
 * Called with prev_subbuf == NULL when a buffer is created, by relay_open()
 * or from CPU hotplug on another CPU: hence buf->cpu, never the current CPU.
 * After a refusal relay calls again with the same prev_subbuf: kc->open
 * makes sure that a sub-buffer is completed once.
 */
static int krelay_subbuf_start(struct rchan_buf *buf, void *subbuf,
			       void *prev_subbuf)
{
	struct krelay_cpu *kc = per_cpu_ptr(&krelay_cpus, buf->cpu);

	if (!prev_subbuf) {
		krelay_open_subbuf(kc, buf, subbuf);
		/* pairs with the acquire of readers on other CPUs */
		smp_store_release(&kc->buf, buf);
		return 1;
	}
	if (kc->open)
		krelay_close_subbuf(kc);
	if (relay_buf_full(buf))
		return 0;
	krelay_open_subbuf(kc, buf, subbuf);
	return 1;
}

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
static int krelay_subbuf_start_cb(struct rchan_buf *buf, void *subbuf,
				  void *prev_subbuf, size_t prev_padding)
{
	return krelay_subbuf_start(buf, subbuf, prev_subbuf);
}
#else
#define krelay_subbuf_start_cb krelay_subbuf_start
#endif

/* debugfs_create_file() would hide relay's mmap behind its proxy fops */
static struct dentry *krelay_create_buf_file(const char *filename,
					     struct dentry *parent,
					     umode_t mode,
					     struct rchan_buf *buf,
					     int *is_global)
{
	return debugfs_create_file_unsafe(filename, 0400, parent, buf,
					  &relay_file_operations);
}

static int krelay_remove_buf_file(struct dentry *dentry)
{
	debugfs_remove(dentry);
	return 0;
}

static const struct rchan_callbacks krelay_relay_cb = {
	.subbuf_start		= krelay_subbuf_start_cb,
	.create_buf_file	= krelay_create_buf_file,
	.remove_buf_file	= krelay_remove_buf_file,
};

struct krelay_cpu_op {
	void (*fn)(struct krelay_cpu *kc);
};

static void krelay_cpu_op_ipi(void *info)
{
	const struct krelay_cpu_op *op = info;
	struct krelay_cpu *kc = this_cpu_ptr(&krelay_cpus);

	if (kc->buf)
		op->fn(kc);
}

/*
 * Run @op with interrupts disabled for every CPU that has a buffer: in an
 * IPI on online CPUs, directly for offline ones, where nothing writes.
 */
static void krelay_on_each_buf(const struct krelay_cpu_op *op)
{
	struct krelay_cpu *kc;
	unsigned int cpu;

	mutex_lock(&krelay_buf_lock);
	cpus_read_lock();
	on_each_cpu(krelay_cpu_op_ipi, (void *)op, 1);
	for_each_possible_cpu(cpu) {
		kc = per_cpu_ptr(&krelay_cpus, cpu);
		if (cpu_online(cpu) || !kc->buf)
			continue;
		local_irq_disable();
		op->fn(kc);
		local_irq_enable();
	}
	cpus_read_unlock();
	mutex_unlock(&krelay_buf_lock);
}

static void krelay_flush_cpu(struct krelay_cpu *kc)
{
	u64 now = ktime_get_ns();

	kc->now = now;
	/*
	 * Drops after the buffer filled up are reported by the next sub-buffer
	 * to open: once a slot is free, open one now rather than at the next
	 * record, which may never come. It is closed below, records or not.
	 */
	if (!kc->open && kc->lost)
		relay_switch_subbuf(kc->buf, 0);
	if (kc->open && (kc->nrecords || kc->hdr->dropped))
		relay_switch_subbuf(kc->buf, 0);
	/* after the close above, see krelay_close_subbuf() */
	smp_store_release(&kc->watermark, now);
}

static const struct krelay_cpu_op krelay_flush_op = {
	.fn = krelay_flush_cpu,
};

void krelay_flush_all(void)
{
	krelay_on_each_buf(&krelay_flush_op);
	krelay_wait_wake();
}

/*
 * The timer's flush bounds latency for a consumer that keeps up. While the
 * consumer is behind on a CPU it has whole sub-buffers to read first, and
 * closing a part-filled one would only spend buffer space: a stalled
 * consumer could then fall behind n_subbufs flush periods, not a buffer's
 * worth of records. The watermark stays until the records are closed in;
 * pending drops are reported once the consumer has caught up.
 */
static void krelay_flush_cpu_if_caught_up(struct krelay_cpu *kc)
{
	if ((!kc->open || kc->nrecords) &&
	    READ_ONCE(kc->consumed) < READ_ONCE(kc->produced))
		return;
	krelay_flush_cpu(kc);
}

static const struct krelay_cpu_op krelay_flush_timer_op = {
	.fn = krelay_flush_cpu_if_caught_up,
};

static void krelay_reset_cpu(struct krelay_cpu *kc)
{
	kc->written = 0;
	kc->dropped = 0;
	kc->too_big = 0;
	kc->filtered = 0;
}

static const struct krelay_cpu_op krelay_reset_op = {
	.fn = krelay_reset_cpu,
};

void krelay_reset_stats(void)
{
	krelay_on_each_buf(&krelay_reset_op);
}

static void krelay_flush_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(krelay_flush_work, krelay_flush_fn);

static void krelay_flush_fn(struct work_struct *work)
{
	/* re-armed first so that the period does not include the flush */
	schedule_delayed_work(&krelay_flush_work,
			      msecs_to_jiffies(krelay_flush_ms));
	krelay_on_each_buf(&krelay_flush_timer_op);
	/*
	 * Once per pass, after every CPU: a consumer woken by the first CPU's
	 * sub-buffer would see the other CPUs' old watermarks and hold its
	 * records back until the next pass. Also when nothing completed, as
	 * the watermarks moved.
	 */
	krelay_wait_wake();
}

void krelay_flush_start(void)
{
	schedule_delayed_work(&krelay_flush_work,
			      msecs_to_jiffies(krelay_flush_ms));
}

void krelay_flush_stop(void)
{
	cancel_delayed_work_sync(&krelay_flush_work);
}

/* Called under krelay_control_lock */
int krelay_ack(unsigned int cpu, u64 seq)
{
	struct krelay_cpu *kc;

	if (cpu >= nr_cpu_ids || !cpu_possible(cpu))
		return -EINVAL;
	kc = per_cpu_ptr(&krelay_cpus, cpu);
	/* pairs with krelay_subbuf_start() */
	if (!smp_load_acquire(&kc->buf) || seq > READ_ONCE(kc->produced))
		return -EINVAL;
	if (seq <= kc->consumed)
		return 0;
	relay_subbufs_consumed(krelay_chan, cpu, seq - kc->consumed);
	WRITE_ONCE(kc->consumed, seq);
	return 0;
}

int krelay_channel_open(struct dentry *dir)
{
	krelay_chan = relay_open("cpu", dir, krelay_subbuf_size,
				 krelay_n_subbufs, &krelay_relay_cb, NULL);
	return krelay_chan ? 0 : -ENOMEM;
}

/*
 * Called when nothing writes any more. Open files and mappings keep their
 * buffers after relay_close(), and relay calls none of our callbacks again.
 */
/*
 * Each CPU's last word, for the kernel log: once the module is gone, its
 * stats are gone, and drops after the last sub-buffer a consumer read
 * (lost: no header reported them) are known only from here.
 */
static void krelay_log_final(void)
{
	struct krelay_cpu *kc;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		kc = per_cpu_ptr(&krelay_cpus, cpu);
		if (!kc->buf)
			continue;
		pr_info("channel %016llx cpu %u: last seq %llu, written %llu, dropped %llu (%llu of them reported by no sub-buffer)\n",
			krelay_channel_id, cpu, kc->rec_seq, kc->written,
			kc->dropped, kc->lost);
	}
}

void krelay_channel_close(void)
{
	krelay_flush_all();
	krelay_log_final();
	relay_close(krelay_chan);
	krelay_chan = NULL;
}
