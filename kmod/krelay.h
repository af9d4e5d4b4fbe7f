/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared by the files of krelay.ko.
 */
#ifndef _KRELAY_H
#define _KRELAY_H

#include <linux/compiler.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/stdarg.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#include "krelay_abi.h"

#ifdef __BIG_ENDIAN
#error "krelay's wire format is little-endian: big-endian kernels are not supported"
#endif
#if BITS_PER_LONG != 64
#error "krelay stores 64-bit completion fields as single words: 64-bit kernels only"
#endif

struct dentry;
struct rchan;
struct rchan_buf;
struct seq_file;

/*
 * Per-CPU state of the channel. Except for @consumed, it is written only on
 * its own CPU with interrupts disabled, or by the flush worker while the CPU
 * is offline; other readers load single fields with READ_ONCE() or acquire.
 */
struct krelay_cpu {
	struct rchan_buf *buf;		/* NULL until the CPU's buffer exists */
	struct krelay_subbuf_hdr *hdr;	/* header of the open sub-buffer */
	bool open;			/* hdr not yet completed */
	u32 nrecords;			/* of the open sub-buffer */
	u32 committed;			/* bytes of records in it */
	u64 first_ts;
	u64 last_ts;
	u64 rec_seq;			/* last record sequence number given */
	u64 subbuf_seq;			/* last sub-buffer sequence number given */
	u64 lost;			/* drops not yet reported in a header */
	u64 now;			/* time of the write or flush switching */
	u64 produced;			/* seq of the last complete sub-buffer */
	u64 consumed;			/* last ack, under krelay_control_lock */
	u64 watermark;
	u64 written;
	u64 dropped;
	u64 too_big;
	u64 filtered;
};

DECLARE_PER_CPU(struct krelay_cpu, krelay_cpus);

/* main.c: module parameters, and what tells one load from another */
extern unsigned int krelay_subbuf_size;
extern unsigned int krelay_n_subbufs;
extern unsigned int krelay_flush_ms;
extern u64 krelay_channel_id;

/* channel.c */
extern struct rchan *krelay_chan;
int krelay_channel_open(struct dentry *dir);
void krelay_channel_close(void);
void krelay_flush_all(void);
void krelay_flush_start(void);
void krelay_flush_stop(void);
void krelay_reset_stats(void);
int krelay_ack(unsigned int cpu, u64 seq);

/* write.c */
extern bool krelay_accepting;
extern bool krelay_running;
extern unsigned int krelay_min_level;
int krelay_emit(unsigned int level, u16 type, const void *data, size_t len);
__printf(3, 0) int krelay_vemitf(unsigned int level, u16 type,
				 const char *fmt, va_list args);
__printf(3, 4) int krelay_emitf(unsigned int level, u16 type,
				const char *fmt, ...);

/* format.c */
__printf(3, 0) int krelay_format_plain(char *buf, size_t size,
				       const char *fmt, va_list args);

/* control.c */
extern struct mutex krelay_control_lock;
int krelay_control_init(struct dentry *dir);
void krelay_control_shutdown(void);

/* claim.c: under krelay_control_lock, except the last two */
int krelay_claim_check(void);
int krelay_claim(const char *name);
void krelay_claim_implicit(void);
int krelay_release(void);
void krelay_claim_show(struct seq_file *m);
void krelay_claim_drop(void);

/* stats.c */
int krelay_stats_init(struct dentry *dir);

/* unpinned.c */
int krelay_create_unpinned(const char *name, umode_t mode, struct dentry *dir,
			   const struct file_operations *tmpl);

/* gen.c */
int krelay_gen_start(u64 count, u32 rate);
void krelay_gen_stop(void);
bool krelay_gen_running(void);
u32 krelay_gen_last_run(void);

/* wait.c */
int krelay_wait_init(struct dentry *dir);
void krelay_wait_notify(void);
void krelay_wait_wake(void);
void krelay_wait_shutdown(void);
void krelay_wait_sync(void);

/* sched_source.c */
int krelay_sched_source_set(bool on);
bool krelay_sched_source_on(void);

#endif /* _KRELAY_H */
