/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * krelay wire format: the layout shared by krelay.ko and every consumer.
 * PROTOCOL.md in this directory is the normative description; this header
 * and formats/wire.ts must agree with it field for field (test/formats
 * compiles a program that prints every offset and compares).
 *
 * All multi-byte fields are little-endian. Records are 8-byte aligned.
 */
#ifndef _KRELAY_ABI_H
#define _KRELAY_ABI_H

#include <linux/types.h>

#define KRELAY_ABI_VERSION		1

/* "KRSB" read as a little-endian u32 */
#define KRELAY_SUBBUF_MAGIC		0x4253524bU

#define KRELAY_RECORD_ALIGN		8
#define KRELAY_COMM_LEN			16

/* Record kinds */
#define KRELAY_KIND_TEXT		1
#define KRELAY_KIND_BINARY		2

/* Execution context a record was written from */
#define KRELAY_CTX_TASK			0
#define KRELAY_CTX_SOFTIRQ		1
#define KRELAY_CTX_HARDIRQ		2

/* Levels, as the kernel's printk levels */
#define KRELAY_LEVEL_EMERG		0
#define KRELAY_LEVEL_ALERT		1
#define KRELAY_LEVEL_CRIT		2
#define KRELAY_LEVEL_ERR		3
#define KRELAY_LEVEL_WARNING		4
#define KRELAY_LEVEL_NOTICE		5
#define KRELAY_LEVEL_INFO		6
#define KRELAY_LEVEL_DEBUG		7
#define KRELAY_LEVEL_MAX		7

/* Record types below 0xff00 belong to callers; these are krelay's own */
#define KRELAY_TYPE_TEXT		0x0000
#define KRELAY_TYPE_KRELAY_FIRST	0xff00	/* krelay's own from here up */
#define KRELAY_TYPE_GEN			0xff01
#define KRELAY_TYPE_SCHED_EXEC		0xff10
#define KRELAY_TYPE_SCHED_FORK		0xff11

/*
 * Header at offset 0 of every sub-buffer, reserved with
 * subbuf_start_reserve(). The sub-buffer with sequence number seq is
 * complete exactly when commit_seq == seq; commit_seq is stored last.
 */
struct krelay_subbuf_hdr {
	__u32 magic;		/* KRELAY_SUBBUF_MAGIC */
	__u16 version;		/* KRELAY_ABI_VERSION */
	__u16 hdr_size;		/* sizeof(struct krelay_subbuf_hdr) */
	__u32 cpu;
	__u32 nrecords;		/* records in this sub-buffer */
	__u64 seq;		/* per-CPU sub-buffer sequence, first is 1 */
	__u64 commit_seq;	/* == seq once complete */
	__u32 committed;	/* record bytes after the header */
	__u32 reserved;		/* 0 */
	__u64 first_ts;		/* ts of the first record, 0 if none */
	__u64 last_ts;		/* ts of the last record, 0 if none */
	__u64 dropped;		/* records lost between the previous sub-buffer and this one */
	__u64 watermark;	/* no later record on this CPU has ts < watermark */
	__u64 reserved2;	/* 0 */
};

/* Header of every record; the payload follows, then padding to 8 bytes */
struct krelay_record_hdr {
	__u32 len;		/* header + payload + padding, multiple of 8 */
	__u16 type;		/* KRELAY_TYPE_* or a caller's type */
	__u8 kind;		/* KRELAY_KIND_* */
	__u8 level;		/* KRELAY_LEVEL_* */
	__u64 seq;		/* per-CPU record sequence, first is 1 */
	__u64 ts;		/* CLOCK_MONOTONIC, ns */
	__u32 pid;		/* current->pid when written */
	__u8 pad;		/* padding bytes after the payload */
	__u8 ctx;		/* KRELAY_CTX_* */
	__u16 reserved;		/* 0 */
	char comm[KRELAY_COMM_LEN];	/* current->comm, NUL-padded */
};

/* Payload of KRELAY_KIND_BINARY generator records (KRELAY_TYPE_GEN) */
struct krelay_gen_payload {
	__u64 index;		/* 0 .. count - 1 */
	__u32 cpu;
	__u32 run;		/* generator run number, first is 1 */
	/* then (index % 61) fill bytes: byte i is (index + i) & 0xff */
};

#define KRELAY_GEN_FILL_MOD		61

/* Longest name of a claim command (PROTOCOL.md section 6): [A-Za-z0-9._-] */
#define KRELAY_CONSUMER_NAME_MAX	31

/*
 * The wait file (PROTOCOL.md section 9): read() returns a decimal line of at
 * most KRELAY_WAIT_READ_MIN bytes, after KRELAY_WAIT_TIMEOUT_MS at the latest.
 */
#define KRELAY_WAIT_READ_MIN		21
#define KRELAY_WAIT_TIMEOUT_MS		1000

#endif /* _KRELAY_ABI_H */
