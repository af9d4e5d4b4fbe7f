// SPDX-License-Identifier: GPL-2.0
/*
 * The info and stats files (PROTOCOL.md sections 2 and 5).
 */
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/timekeeping.h>

#include "krelay.h"

static int krelay_info_show(struct seq_file *m, void *v)
{
	unsigned int cpu;

	seq_printf(m, "abi_version %u\n", KRELAY_ABI_VERSION);
	seq_printf(m, "channel_id %016llx\n", krelay_channel_id);
	seq_printf(m, "subbuf_size %u\n", krelay_subbuf_size);
	seq_printf(m, "n_subbufs %u\n", krelay_n_subbufs);
	seq_printf(m, "subbuf_header_size %zu\n",
		   sizeof(struct krelay_subbuf_hdr));
	seq_printf(m, "record_header_size %zu\n",
		   sizeof(struct krelay_record_hdr));
	seq_printf(m, "flush_interval_ms %u\n", krelay_flush_ms);
	seq_puts(m, "clock monotonic\n");
	seq_printf(m, "mono_to_realtime_ns %lld\n",
		   (s64)(ktime_get_real_ns() - ktime_get_ns()));
	seq_puts(m, "cpus");
	for_each_possible_cpu(cpu) {
		/* acquire: pairs with krelay_subbuf_start() */
		if (smp_load_acquire(&per_cpu_ptr(&krelay_cpus, cpu)->buf))
			seq_printf(m, " %u", cpu);
	}
	seq_printf(m, "\nrunning %d\n", READ_ONCE(krelay_running));
	seq_printf(m, "min_level %u\n", READ_ONCE(krelay_min_level));
	seq_printf(m, "generator %s\n",
		   krelay_gen_running() ? "running" : "idle");
	seq_printf(m, "generator_run %u\n", krelay_gen_last_run());
	seq_printf(m, "source_sched %d\n", krelay_sched_source_on());
	/* unpinned.c */
	seq_puts(m, "unpinned_files 1\n");
	krelay_claim_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(krelay_info);

static int krelay_stats_show(struct seq_file *m, void *v)
{
	struct krelay_cpu *kc;
	unsigned int cpu;
	u64 watermark;

	seq_puts(m, "cpu online written dropped too_big filtered produced consumed watermark_ns\n");
	for_each_possible_cpu(cpu) {
		kc = per_cpu_ptr(&krelay_cpus, cpu);
		/* acquire: pairs with krelay_subbuf_start() */
		if (!smp_load_acquire(&kc->buf))
			continue;
		/* acquire: pairs with krelay_close_subbuf() */
		watermark = smp_load_acquire(&kc->watermark);
		seq_printf(m, "%u %d %llu %llu %llu %llu %llu %llu %llu\n",
			   cpu, cpu_online(cpu),
			   READ_ONCE(kc->written), READ_ONCE(kc->dropped),
			   READ_ONCE(kc->too_big), READ_ONCE(kc->filtered),
			   READ_ONCE(kc->produced), READ_ONCE(kc->consumed),
			   watermark);
	}
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(krelay_stats);

int krelay_stats_init(struct dentry *dir)
{
	int err;

	/* no module reference (unpinned.c); their release is single_release() */
	err = krelay_create_unpinned("info", 0400, dir, &krelay_info_fops);
	if (err)
		return err;
	return krelay_create_unpinned("stats", 0400, dir, &krelay_stats_fops);
}
