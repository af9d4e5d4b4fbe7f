// SPDX-License-Identifier: GPL-2.0
/*
 * The channel's own files (info, stats, control, wait) hold no module
 * reference, so that a consumer may keep them open without keeping the
 * operator from unloading the module (PROTOCOL.md section 1): it opens
 * them once instead of at every pass, which in a slow guest cost more
 * than the sub-buffers it took.
 *
 * debugfs' proxy makes that safe: once a file is removed its read() and
 * write() fail with -EIO without calling into the module, and the removal
 * waits for the calls still inside. Its release path still reads the
 * file_operations after the module is gone, so they are copied to memory
 * that is never freed (one small allocation per file and load). The
 * release callbacks themselves must be core kernel code (single_release)
 * or none.
 */
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/fs.h>
#include <linux/kmemleak.h>
#include <linux/slab.h>

#include "krelay.h"

int krelay_create_unpinned(const char *name, umode_t mode, struct dentry *dir,
			   const struct file_operations *tmpl)
{
	struct file_operations *fops;
	struct dentry *d;

	fops = kmemdup(tmpl, sizeof(*fops), GFP_KERNEL);
	if (!fops)
		return -ENOMEM;
	fops->owner = NULL;
	d = debugfs_create_file(name, mode, dir, NULL, fops);
	if (IS_ERR(d)) {
		kfree(fops);
		return PTR_ERR(d);
	}
	/* referenced by open files after the unload: see above */
	kmemleak_not_leak(fops);
	return 0;
}
