// SPDX-License-Identifier: GPL-2.0
/*
 * The wait file (PROTOCOL.md section 9): a consumer blocks in read() until
 * there is something to take, instead of sleeping out the flush interval.
 *
 * One channel-wide generation counts what a consumer waits for: a
 * sub-buffer that the write path completed, the end of a flush pass (it
 * completes sub-buffers and moves every watermark) and a write() to the
 * file. An open file remembers the generation its last read() returned
 * (at open: the one then), and read() returns once the generation differs.
 *
 * Writers run in any context but NMI, the sched_switch tracepoint with the
 * runqueue lock held included, where wake_up() could deadlock: they only
 * count, and defer the wake-up through an irq_work when a reader sleeps,
 * as relay does for its own readers (wakeup_readers() in kernel/relay.c).
 *
 * Unloading must not wait for readers, nor leave one asleep: the file holds
 * no module reference (unpinned.c), and a reader is woken with -ENODEV
 * before the file is removed.
 */
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "krelay.h"

static DECLARE_WAIT_QUEUE_HEAD(krelay_waiters);
/* starts at 1: a generation of 0 is never current */
static atomic64_t krelay_wait_gen = ATOMIC64_INIT(1);
static bool krelay_wait_dying;

static void krelay_wait_irq_work(struct irq_work *work)
{
	wake_up_all(&krelay_waiters);
}

static struct irq_work krelay_wait_work = IRQ_WORK_INIT(krelay_wait_irq_work);

/* Any context but NMI, locks held or not: the write path */
void krelay_wait_notify(void)
{
	atomic64_inc(&krelay_wait_gen);
	/* wq_has_sleeper()'s barrier pairs with the one in prepare_to_wait */
	if (wq_has_sleeper(&krelay_waiters))
		irq_work_queue(&krelay_wait_work);
}

/* Process context, no krelay lock held: flush passes and writes to the file */
void krelay_wait_wake(void)
{
	atomic64_inc(&krelay_wait_gen);
	wake_up_all(&krelay_waiters);
}

/*
 * The generation this open file saw last lives in ->private_data, so the
 * file needs no allocation and no release callback (which would be module
 * code called after an unload). The kernel is 64-bit (krelay.h).
 */
static u64 krelay_wait_seen(struct file *file)
{
	return (unsigned long)READ_ONCE(file->private_data);
}

static int krelay_wait_open(struct inode *inode, struct file *file)
{
	WRITE_ONCE(file->private_data,
		   (void *)(unsigned long)atomic64_read(&krelay_wait_gen));
	/* no position: a read() does not wait for a write() on the same file */
	return stream_open(inode, file);
}

static bool krelay_wait_ready(u64 seen)
{
	return atomic64_read(&krelay_wait_gen) != seen ||
	       READ_ONCE(krelay_wait_dying);
}

/*
 * Returns the generation as a decimal line once it differs from the one
 * this file saw, or after KRELAY_WAIT_TIMEOUT_MS with the same one.
 */
static ssize_t krelay_wait_read(struct file *file, char __user *ubuf,
				size_t count, loff_t *ppos)
{
	char line[KRELAY_WAIT_READ_MIN + 1];
	u64 seen = krelay_wait_seen(file);
	long left;
	u64 gen;
	int len;

	if (count < KRELAY_WAIT_READ_MIN)
		return -EINVAL;
	if ((file->f_flags & O_NONBLOCK) && !krelay_wait_ready(seen))
		return -EAGAIN;
	left = wait_event_interruptible_timeout(krelay_waiters,
						krelay_wait_ready(seen),
				msecs_to_jiffies(KRELAY_WAIT_TIMEOUT_MS));
	if (left < 0)
		return left;
	if (READ_ONCE(krelay_wait_dying))
		return -ENODEV;
	gen = atomic64_read(&krelay_wait_gen);
	len = scnprintf(line, sizeof(line), "%llu\n", gen);
	if (copy_to_user(ubuf, line, len))
		return -EFAULT;
	WRITE_ONCE(file->private_data, (void *)(unsigned long)gen);
	return len;
}

/* Any write wakes every reader, and makes every open file's next read() return */
static ssize_t krelay_wait_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	if (READ_ONCE(krelay_wait_dying))
		return -ENODEV;
	krelay_wait_wake();
	return count;
}

static const struct file_operations krelay_wait_fops = {
	.open	= krelay_wait_open,
	.read	= krelay_wait_read,
	.write	= krelay_wait_write,
};

int krelay_wait_init(struct dentry *dir)
{
	return krelay_create_unpinned("wait", 0600, dir, &krelay_wait_fops);
}

/*
 * Before the files are removed: readers return -ENODEV, and the removal
 * waits for the ones still inside read() or write().
 */
void krelay_wait_shutdown(void)
{
	WRITE_ONCE(krelay_wait_dying, true);
	wake_up_all(&krelay_waiters);
}

/* After the files are removed and nothing writes: nothing queues it again */
void krelay_wait_sync(void)
{
	irq_work_sync(&krelay_wait_work);
}
