/*
 * The baseline of bench/merge.ts: decodes a krelay capture segment (CAPTURE.md)
 * and k-way merges its per-CPU record streams by (ts, cpu), as blkparse does
 * with blktrace's per-CPU files: a binary heap of stream heads.
 *
 *   merge <capture> <cpus> <repeats>
 *
 * Each repeat reads the file (read()), checks every frame (magic, length,
 * CRC32C with the SSE4.2 instruction) and every sub-buffer header and
 * record (magic, version, sizes, seq continuity) and queues each sub-buffer's
 * records on its CPU; after every <cpus> sub-buffers (a reader's pass) it
 * emits every head below the lowest watermark, and at the end everything.
 * Emitting a record folds (cpu, seq) into an FNV-1a hash, so the caller can
 * check that the order equals bench/merge.ts's.
 * Prints: "<records> <best ms> <hash>", ms of CPU time (the machine is shared).
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <nmmintrin.h>
#include "krelay_abi.h"

#define CAPTURE_MAGIC	0x5043524bU
#define FRAME_MAGIC	0x4d52464bU
#define FRAME_HDR_SIZE	24

/* CRC32C (Castagnoli) of p[0..n), continuing from crc (0 to start), as zlib's crc32() */
static uint32_t crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	uint64_t c = ~crc;
	uint64_t w;

	for (; n >= 8; p += 8, n -= 8) {
		memcpy(&w, p, 8);
		c = _mm_crc32_u64(c, w);
	}
	for (; n > 0; p++, n--)
		c = _mm_crc32_u8((uint32_t)c, *p);
	return ~(uint32_t)c;
}
#define MAX_CPUS	4096

struct chunk {
	const uint8_t *start;
	const uint8_t *end;
};

/* One CPU's pending records: a FIFO of chunks and the head record's ts */
struct queue {
	struct chunk *chunks;
	size_t cap, first, n;
	const uint8_t *cur, *end;
	uint64_t ts;
	uint64_t watermark;
	uint64_t expect_seq;
	int in_heap;
};

static struct queue queues[MAX_CPUS];
static int heap[MAX_CPUS];
static int heap_n;
static uint64_t emitted;
static uint32_t hash;

static void die(const char *what)
{
	fprintf(stderr, "merge.c: %s\n", what);
	exit(1);
}

static inline const struct krelay_record_hdr *rec(const uint8_t *p)
{
	return (const struct krelay_record_hdr *)p;
}

static inline int before(int a, int b)
{
	const struct queue *qa = &queues[a], *qb = &queues[b];

	if (qa->ts != qb->ts)
		return qa->ts < qb->ts;
	return a < b;
}

static void sift_up(int i)
{
	while (i > 0) {
		int parent = (i - 1) / 2, t;

		if (!before(heap[i], heap[parent]))
			break;
		t = heap[i];
		heap[i] = heap[parent];
		heap[parent] = t;
		i = parent;
	}
}

static void sift_down(int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, c, t;

		if (l >= heap_n)
			return;
		c = r < heap_n && before(heap[r], heap[l]) ? r : l;
		if (!before(heap[c], heap[i]))
			return;
		t = heap[i];
		heap[i] = heap[c];
		heap[c] = t;
		i = c;
	}
}

static void load(struct queue *q, const struct chunk *c)
{
	q->cur = c->start;
	q->end = c->end;
	q->ts = rec(q->cur)->ts;
}

static void push(int cpu, const uint8_t *start, const uint8_t *end)
{
	struct queue *q = &queues[cpu];

	if (start == end)
		return;
	if (q->in_heap && q->n == q->cap) {
		/* compact, then grow */
		memmove(q->chunks, q->chunks + q->first, (q->n - q->first) * sizeof(*q->chunks));
		q->n -= q->first;
		q->first = 0;
		if (q->n == q->cap) {
			q->cap = q->cap ? q->cap * 2 : 16;
			q->chunks = realloc(q->chunks, q->cap * sizeof(*q->chunks));
			if (!q->chunks)
				die("out of memory");
		}
	}
	if (!q->in_heap) {
		struct chunk c = { start, end };

		q->first = q->n = 0;
		load(q, &c);
		q->in_heap = 1;
		heap[heap_n++] = cpu;
		sift_up(heap_n - 1);
		return;
	}
	q->chunks[q->n].start = start;
	q->chunks[q->n].end = end;
	q->n++;
}

static inline void emit_head(void)
{
	int cpu = heap[0];
	struct queue *q = &queues[cpu];
	const struct krelay_record_hdr *r = rec(q->cur);

	hash = (hash ^ (uint32_t)cpu) * 16777619U;
	hash = (hash ^ (uint32_t)r->seq) * 16777619U;
	emitted++;
	q->cur += r->len;
	if (q->cur < q->end) {
		q->ts = rec(q->cur)->ts;
		sift_down(0);
		return;
	}
	if (q->first < q->n) {
		load(q, &q->chunks[q->first++]);
		sift_down(0);
		return;
	}
	q->in_heap = 0;
	heap[0] = heap[--heap_n];
	if (heap_n > 0)
		sift_down(0);
}

/* Emits every head below the lowest watermark of CPUs 0..cpus-1, or everything. */
static void release(int cpus, int all)
{
	uint64_t min = UINT64_MAX;
	int i;

	if (!all) {
		for (i = 0; i < cpus; i++)
			if (queues[i].watermark < min)
				min = queues[i].watermark;
	}
	while (heap_n > 0 && (all || queues[heap[0]].ts < min))
		emit_head();
}

/* Checks the records of one sub-buffer as walkSubbuf does; returns where they end. */
static const uint8_t *walk(const struct krelay_subbuf_hdr *h, struct queue *q)
{
	const uint8_t *p = (const uint8_t *)h + sizeof(*h);
	const uint8_t *end = p + h->committed;
	uint64_t expect = q->expect_seq ? q->expect_seq + h->dropped : 0;

	while (p < end) {
		const struct krelay_record_hdr *r = rec(p);

		if (end - p < (ptrdiff_t)sizeof(*r) || r->len < sizeof(*r) || r->len % KRELAY_RECORD_ALIGN ||
		    r->len > end - p || r->pad >= KRELAY_RECORD_ALIGN || r->pad > r->len - sizeof(*r))
			die("bad record");
		if (expect ? r->seq != expect : r->seq < 1)
			die("record seq does not follow");
		expect = r->seq + 1;
		p += r->len;
	}
	q->expect_seq = expect;
	return p;
}

static uint64_t run(const char *file, int cpus)
{
	int fd = open(file, O_RDONLY);
	struct stat st;
	uint8_t *buf;
	size_t size, got = 0, off;
	int in_round = 0, i;

	if (fd < 0 || fstat(fd, &st))
		die(strerror(errno));
	size = st.st_size;
	buf = malloc(size);
	if (!buf)
		die("out of memory");
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);

		if (n <= 0)
			die("short read");
		got += n;
	}
	close(fd);
	if (size < 48 || *(uint32_t *)buf != CAPTURE_MAGIC)
		die("not a krelay capture");
	off = *(uint16_t *)(buf + 6);
	heap_n = 0;
	emitted = 0;
	hash = 2166136261U;
	for (i = 0; i < MAX_CPUS; i++) {
		queues[i].n = queues[i].first = 0;
		queues[i].in_heap = 0;
		queues[i].watermark = 0;
		queues[i].expect_seq = 0;
	}
	while (size - off >= FRAME_HDR_SIZE) {
		const uint8_t *frame = buf + off;
		const struct krelay_subbuf_hdr *h = (const void *)(frame + FRAME_HDR_SIZE);
		uint32_t len = *(const uint32_t *)(frame + 8);
		struct queue *q;

		if (*(const uint32_t *)frame != FRAME_MAGIC || len < sizeof(*h))
			die("bad frame");
		if (size - off < FRAME_HDR_SIZE + len)
			break;
		if (crc32c(crc32c(0, frame + 8, FRAME_HDR_SIZE - 8), (const uint8_t *)h, len) !=
		    *(const uint32_t *)(frame + 4))
			die("frame CRC mismatch");
		if (len != sizeof(*h) + h->committed)
			die("frame length differs from committed");
		if (h->magic != KRELAY_SUBBUF_MAGIC || h->version != KRELAY_ABI_VERSION ||
		    h->hdr_size != sizeof(*h) || h->cpu >= (uint32_t)cpus || h->seq != h->commit_seq)
			die("bad sub-buffer header");
		q = &queues[h->cpu];
		push(h->cpu, (const uint8_t *)h + sizeof(*h), walk(h, q));
		if (h->watermark > q->watermark)
			q->watermark = h->watermark;
		off += FRAME_HDR_SIZE + ((len + 7) & ~7U);
		if (++in_round == cpus) {
			release(cpus, 0);
			in_round = 0;
		}
	}
	release(cpus, 1);
	free(buf);
	return emitted;
}

int main(int argc, char **argv)
{
	double best = 1e30;
	uint64_t records = 0;
	int repeats, cpus, i;

	if (argc != 4)
		die("usage: merge <capture> <cpus> <repeats>");
	cpus = atoi(argv[2]);
	repeats = atoi(argv[3]);
	if (cpus < 1 || cpus > MAX_CPUS || repeats < 1)
		die("cpus must be 1..4096 and repeats at least 1");
	for (i = 0; i < repeats; i++) {
		struct timespec t0, t1;
		double ms;

		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
		records = run(argv[1], cpus);
		clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);
		ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
		if (ms < best)
			best = ms;
	}
	printf("%llu %.3f %u\n", (unsigned long long)records, best, hash);
	return 0;
}
