// SPDX-License-Identifier: GPL-2.0
/*
 * krelay: log records leave the kernel through per-CPU relay buffers that
 * user space maps. formats/PROTOCOL.md is the contract with consumers.
 *
 * Module parameters, load and unload.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/build_bug.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/stddef.h>

#include "krelay.h"

#define KRELAY_SUBBUF_SIZE_MIN	4096U
#define KRELAY_SUBBUF_SIZE_MAX	4194304U

unsigned int krelay_subbuf_size = 262144;
module_param_named(subbuf_size, krelay_subbuf_size, uint, 0444);
MODULE_PARM_DESC(subbuf_size,
		 "bytes per sub-buffer, a power of two, 4096..4194304 (default 262144)");

unsigned int krelay_n_subbufs = 8;
module_param_named(n_subbufs, krelay_n_subbufs, uint, 0444);
MODULE_PARM_DESC(n_subbufs, "sub-buffers per CPU, 2..1024 (default 8)");

unsigned int krelay_flush_ms = 100;
module_param_named(flush_ms, krelay_flush_ms, uint, 0444);
MODULE_PARM_DESC(flush_ms, "flush period in ms, 1..60000 (default 100)");

u64 krelay_channel_id;
static struct dentry *krelay_dir;

static int __init krelay_check_range(const char *name, unsigned int val,
				     unsigned int min, unsigned int max)
{
	if (val >= min && val <= max)
		return 0;
	pr_err("%s=%u is out of range: allowed %u..%u\n", name, val, min, max);
	return -EINVAL;
}

static int __init krelay_check_params(void)
{
	if (krelay_check_range("subbuf_size", krelay_subbuf_size,
			       KRELAY_SUBBUF_SIZE_MIN, KRELAY_SUBBUF_SIZE_MAX))
		return -EINVAL;
	if (!is_power_of_2(krelay_subbuf_size)) {
		pr_err("subbuf_size=%u is not a power of two: allowed %u..%u, powers of two\n",
		       krelay_subbuf_size, KRELAY_SUBBUF_SIZE_MIN,
		       KRELAY_SUBBUF_SIZE_MAX);
		return -EINVAL;
	}
	if (krelay_check_range("n_subbufs", krelay_n_subbufs, 2, 1024) ||
	    krelay_check_range("flush_ms", krelay_flush_ms, 1, 60000))
		return -EINVAL;
	/* relay_open() limit on the bytes of one CPU's buffer */
	if ((u64)krelay_subbuf_size * krelay_n_subbufs > UINT_MAX) {
		pr_err("subbuf_size=%u times n_subbufs=%u is above relay's limit of %u bytes per CPU\n",
		       krelay_subbuf_size, krelay_n_subbufs, UINT_MAX);
		return -EINVAL;
	}
	return 0;
}

static int __init krelay_init(void)
{
	int err;

	BUILD_BUG_ON(sizeof(struct krelay_subbuf_hdr) != 80);
	BUILD_BUG_ON(sizeof(struct krelay_record_hdr) != 48);
	BUILD_BUG_ON(sizeof(struct krelay_gen_payload) != 16);
	BUILD_BUG_ON(offsetof(struct krelay_subbuf_hdr, commit_seq) % 8);

	err = krelay_check_params();
	if (err)
		return err;
	krelay_channel_id = get_random_u64();

	krelay_dir = debugfs_create_dir("krelay", NULL);
	if (IS_ERR(krelay_dir))
		return PTR_ERR(krelay_dir);
	err = krelay_channel_open(krelay_dir);
	if (err)
		goto remove_dir;

	/* nothing can write before this function returns */
	smp_store_release(&krelay_accepting, true);
	krelay_flush_start();
	err = krelay_stats_init(krelay_dir);
	if (!err)
		err = krelay_control_init(krelay_dir);
	if (!err)
		err = krelay_wait_init(krelay_dir);
	if (err)
		goto stop;
	return 0;

stop:
	krelay_control_shutdown();
	krelay_flush_stop();
	synchronize_rcu();
	krelay_channel_close();
remove_dir:
	krelay_wait_shutdown();
	debugfs_remove_recursive(krelay_dir);
	krelay_wait_sync();
	return err;
}

static void __exit krelay_exit(void)
{
	krelay_control_shutdown();
	/*
	 * A reader blocked on the wait file returns -ENODEV now: the flushes
	 * below would otherwise wake it with a plain generation first.
	 */
	krelay_wait_shutdown();
	krelay_sched_source_set(false);
	krelay_gen_stop();
	krelay_flush_stop();
	/* writers keep interrupts disabled: this waits for the last of them */
	synchronize_rcu();
	krelay_channel_close();
	debugfs_remove_recursive(krelay_dir);
	krelay_wait_sync();
	krelay_claim_drop();
}

module_init(krelay_init);
module_exit(krelay_exit);

MODULE_DESCRIPTION("Log records to user space through mmapped per-CPU relay buffers");
MODULE_LICENSE("GPL");
