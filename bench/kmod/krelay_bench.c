// SPDX-License-Identifier: GPL-2.0
/*
 * krelay_bench.ko: the kernel side of bench/kernel-cost.ts. It times the
 * cost per record of krelay's exported calls against the kernel's own ways
 * of logging the same content, in one guest, on one CPU:
 *
 *	krelay_write	16 bytes binary: u64 index, u32 cpu, u32 run
 *	krelay_printk	"bench run=%u cpu=%u index=%llu"
 *	trace_printk	the same format: with a constant format this is
 *			trace_bprintk(), which stores the arguments and formats
 *			when the trace is read
 *	__trace_printk	the same format, formatted at the call (what
 *			trace_printk() does with a non-constant format)
 *	printk		KERN_INFO, the same format
 *
 * and, to show where the time of the formatted calls goes:
 *
 *	vsnprintf	the same format into a buffer, nothing written
 *	krelay_write_text  krelay_write() of a fixed text as long as the
 *			formatted one: the record without the formatting
 *	vbin_printf	what trace_printk stores at the call, into a buffer
 *
 * Writing a count N to /sys/kernel/debug/krelay_bench/run runs N calls of
 * each kind on CPU 0 (work_on_cpu()), in batches of KB_BATCH calls timed
 * with ktime_get_ns() with preemption disabled; the kinds take turns batch
 * by batch, so that a disturbance of the emulated machine hits them alike.
 * Reading the file gives one line per kind: name, calls, total ns, the
 * median of the batches' ns per call (x100), the calls that failed and the
 * error of the first that did.
 *
 * This module uses trace_printk(), which makes the kernel print its
 * "trace_printk() being used" NOTICE banner at load (pr_warn lines of
 * asterisks, no "WARNING: CPU:" line and no taint): acceptable for a
 * benchmark module only, never for krelay.ko.
 */
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/preempt.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "krelay_api.h"

#define KB_BATCH	64
#define KB_MAX_CALLS	(1U << 22)
#define KB_TYPE		0x0b0b		/* a caller's binary record type */
#define KB_LEVEL	LOGLEVEL_INFO
#define KB_FMT		"bench run=%u cpu=%u index=%llu"

enum kb_kind {
	KB_WRITE,
	KB_KPRINTK,
	KB_TPRINTK,
	KB_TPRINTK_FMT,
	KB_PRINTK,
	KB_VSNPRINTF,
	KB_WRITE_TEXT,
	KB_VBIN_PRINTF,
	KB_KINDS,
};

static const char * const kb_names[KB_KINDS] = {
	"krelay_write", "krelay_printk", "trace_printk", "__trace_printk", "printk",
	"vsnprintf", "krelay_write_text", "vbin_printf",
};

struct kb_payload {
	u64 index;
	u32 cpu;
	u32 run;
};

struct kb_result {
	u64 calls;
	u64 total_ns;
	u64 median_cns;		/* median batch, ns per call x 100 */
	u64 failed;
	int err;		/* of the first call that failed */
};

/* a text of KB_FMT as long as krelay_printk's in the timed run (30 bytes) */
#define KB_TEXT		"bench run=2 cpu=0 index=131072"

static char kb_text[256];
static u32 kb_bin[64];

static int bin_printf(u32 *bin, size_t size, const char *fmt, ...)
{
	va_list args;
	int ret;

	va_start(args, fmt);
	ret = vbin_printf(bin, size, fmt, args);
	va_end(args);
	return ret;
}

static DEFINE_MUTEX(kb_lock);
static struct kb_result kb_results[KB_KINDS];
static u32 kb_run;
static struct dentry *kb_dir;

/* One call of @kind; returns 0 or a negative errno (krelay's calls only) */
static int kb_call(enum kb_kind kind, u32 cpu, u64 index)
{
	struct kb_payload p = { .index = index, .cpu = cpu, .run = kb_run };

	switch (kind) {
	case KB_WRITE:
		return krelay_write(KB_LEVEL, KB_TYPE, &p, sizeof(p));
	case KB_KPRINTK:
		return krelay_printk(KB_LEVEL, KB_FMT, kb_run, cpu, index);
	case KB_TPRINTK:
		trace_printk(KB_FMT "\n", kb_run, cpu, index);
		return 0;
	case KB_TPRINTK_FMT:
		__trace_printk(_THIS_IP_, KB_FMT "\n", kb_run, cpu, index);
		return 0;
	case KB_PRINTK:
		pr_info(KB_FMT "\n", kb_run, cpu, index);
		return 0;
	case KB_VSNPRINTF:
		return snprintf(kb_text, sizeof(kb_text), KB_FMT, kb_run, cpu,
				index) < 0;
	case KB_WRITE_TEXT:
		return krelay_write(KB_LEVEL, KB_TYPE, KB_TEXT,
				    sizeof(KB_TEXT) - 1);
	default:
		return bin_printf(kb_bin, ARRAY_SIZE(kb_bin), KB_FMT, kb_run,
				  cpu, index) < 0;
	}
}

static int kb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

struct kb_job {
	u32 batches;
	u64 *cns;		/* [KB_KINDS][batches]: ns per call x 100 */
};

static long kb_measure(void *arg)
{
	struct kb_job *job = arg;
	u32 cpu = raw_smp_processor_id();
	u64 index = 0, t0, ns;
	unsigned int i, b, k, failed;
	int err, first;

	for (b = 0; b < job->batches; b++) {
		for (k = 0; k < KB_KINDS; k++) {
			struct kb_result *r = &kb_results[k];

			failed = 0;
			first = 0;
			preempt_disable();
			t0 = ktime_get_ns();
			for (i = 0; i < KB_BATCH; i++) {
				err = kb_call(k, cpu, index + i);
				if (unlikely(err)) {
					failed++;
					first = first ?: err;
				}
			}
			ns = ktime_get_ns() - t0;
			preempt_enable();
			r->failed += failed;
			r->err = r->err ?: first;
			r->calls += KB_BATCH;
			r->total_ns += ns;
			job->cns[k * job->batches + b] = div_u64(ns * 100, KB_BATCH);
		}
		index += KB_BATCH;
		cond_resched();
	}
	for (k = 0; k < KB_KINDS; k++) {
		u64 *v = job->cns + k * job->batches;

		sort(v, job->batches, sizeof(*v), kb_cmp_u64, NULL);
		kb_results[k].median_cns = v[job->batches / 2];
	}
	return 0;
}

static ssize_t kb_run_write(struct file *file, const char __user *ubuf,
			    size_t len, loff_t *ppos)
{
	struct kb_job job;
	unsigned int calls;
	long ret;

	ret = kstrtouint_from_user(ubuf, len, 0, &calls);
	if (ret)
		return ret;
	if (calls < KB_BATCH || calls > KB_MAX_CALLS)
		return -EINVAL;
	job.batches = calls / KB_BATCH;
	job.cns = kvmalloc_array(KB_KINDS * job.batches, sizeof(*job.cns),
				 GFP_KERNEL);
	if (!job.cns)
		return -ENOMEM;
	mutex_lock(&kb_lock);
	memset(kb_results, 0, sizeof(kb_results));
	kb_run++;
	ret = work_on_cpu(0, kb_measure, &job);
	mutex_unlock(&kb_lock);
	kvfree(job.cns);
	return ret ? ret : len;
}

static ssize_t kb_run_read(struct file *file, char __user *ubuf, size_t len,
			   loff_t *ppos)
{
	char buf[512];
	int n = 0, k;

	mutex_lock(&kb_lock);
	for (k = 0; k < KB_KINDS; k++) {
		const struct kb_result *r = &kb_results[k];

		n += scnprintf(buf + n, sizeof(buf) - n,
			       "%s %llu %llu %llu %llu %d\n", kb_names[k],
			       r->calls, r->total_ns, r->median_cns,
			       r->failed, r->err);
	}
	mutex_unlock(&kb_lock);
	return simple_read_from_buffer(ubuf, len, ppos, buf, n);
}

static const struct file_operations kb_run_fops = {
	.owner	= THIS_MODULE,
	.read	= kb_run_read,
	.write	= kb_run_write,
	.llseek	= default_llseek,
};

static int __init kb_init(void)
{
	kb_dir = debugfs_create_dir("krelay_bench", NULL);
	debugfs_create_file("run", 0600, kb_dir, NULL, &kb_run_fops);
	return 0;
}

static void __exit kb_exit(void)
{
	debugfs_remove(kb_dir);
}

module_init(kb_init);
module_exit(kb_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("krelay benchmark: cost per record against trace_printk and printk");
